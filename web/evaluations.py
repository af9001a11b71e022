"""Pages for employees, appraisers, appeal deciders and auditors: inbox and evaluation page.

Views parse the request, call one use case of ``workflow`` (``inbox``, ``open_evaluation``,
``apply_transition``, ``save_draft``), commit, and redirect or render. Everything about who
may do what comes from the service (``available_transitions``) and the form specs' own
visibility rules; ``evaluation_page.py`` turns those answers into what the page template shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from forms import FormSpec
from l10n import current_language
from workflow.actors import Actor
from workflow.errors import ConcurrentUpdate
from workflow.errors import GuardFailed
from workflow.errors import InvalidData
from workflow.errors import TransitionNotAllowed
from workflow.errors import WorkflowError
from workflow.inbox import SECTIONS
from workflow.inbox import EvaluationPage
from workflow.inbox import inbox as inbox_query
from workflow.inbox import open_evaluation
from workflow.service import apply_transition
from workflow.service import save_draft

from .auth import current_actor
from .evaluation_page import DEADLINE_LABELS
from .evaluation_page import needs_confirmation
from .evaluation_page import render_page
from .evaluation_page import rule_label
from .evaluation_page import spec_for
from .evaluation_page import unsaved_input
from .evaluation_page import workflow_deps
from .extensions import db
from .inputs import int_arg
from .inputs import int_form

bp = Blueprint("evaluations", __name__, url_prefix="/evaluasi")

PER_PAGE = 25
#: Refusals after which the page is shown again with what was typed (409): someone saved
#: first, the step is no longer possible from the current state, or a guard said no.
KEEP_TYPED = (ConcurrentUpdate, TransitionNotAllowed, GuardFailed)
SECTION_TITLES: Mapping[str, Any] = {
    "mine": _l("Evaluasi saya"),
    "to_rate": _l("Perlu saya nilai"),
    "appeals": _l("Keberatan yang harus saya putuskan"),
    "team": _l("Telaah tim dan tugas lain"),
    "visible": _l("Semua evaluasi yang dapat saya lihat"),
}
SECTION_EMPTY: Mapping[str, Any] = {
    "mine": _l("Anda belum memiliki evaluasi."),
    "to_rate": _l("Tidak ada evaluasi yang menunggu penilaian Anda."),
    "appeals": _l("Tidak ada keberatan yang menunggu keputusan Anda."),
    "team": _l("Tidak ada telaah yang menunggu Anda."),
    "visible": _l("Tidak ada evaluasi."),
}
_ROW_KEY = re.compile(r"^([a-z][a-z0-9_]*)-(\d+)-([a-z][a-z0-9_]*)$")



def _page_arg(name: str) -> int:
    return int_arg(name, 1) or 1


# --- inbox ------------------------------------------------------------------------------------


@bp.get("/")
@login_required
def inbox() -> str:
    """Show what waits for the logged-in user, grouped by role, searchable and paginated."""
    query = (request.args.get("q") or "").strip()[:100]
    pages = {key: _page_arg(f"hal_{key}") for key in SECTIONS}
    result = inbox_query(db.session, current_actor(), now=workflow_deps().clock(), query=query,
                         pages=pages, per_page=PER_PAGE)
    return render_template("evaluations/inbox.html", inbox=result, query=query, pages=pages,
                           titles=SECTION_TITLES, empty=SECTION_EMPTY,
                           deadline_labels=DEADLINE_LABELS, lang=current_language())


@bp.get("/<int:evaluation_id>")
@login_required
def show(evaluation_id: int) -> tuple[str, int]:
    """Show one evaluation: state, people, earlier steps, rating, the viewer's step, history."""
    page = open_evaluation(db.session, workflow_deps(), current_actor(), evaluation_id)
    return render_page(page)


# --- posting ------------------------------------------------------------------------------------


def _expected_version() -> int | None:
    return int_form("version")


def posted_values(spec: FormSpec, formdata: MultiDict[str, str]) -> dict[str, Any]:
    """Read a spec's fields from posted form data as plain values for the service to validate.

    Every field of the spec gets a key (absent text → None, no box ticked → ``[]``, no row →
    ``[]``), so clearing an answer really clears it. Rows are taken in the order of their
    posted indices and numbered from 0 without gaps, as WTForms re-shows them, so that error
    keys such as ``hasil_kerja-3-target`` point at the row the person sees on the 400 page.
    """
    rows: dict[str, dict[int, dict[str, str]]] = {}
    for key in formdata:
        match = _ROW_KEY.match(key)
        if match:
            name, index, column = match.group(1), int(match.group(2)), match.group(3)
            if index < 1000:
                rows.setdefault(name, {}).setdefault(index, {})[column] = formdata.get(key, "")
    values: dict[str, Any] = {}
    for f in spec.fields:
        if f.type == "rows":
            posted = rows.get(f.name, {})
            values[f.name] = [posted[i] for i in sorted(posted)]
        elif f.type == "multichoice":
            values[f.name] = formdata.getlist(f.name)
        else:
            values[f.name] = formdata.get(f.name)
    return values


def _rerender(evaluation_id: int, exc: InvalidData, *, posted_key: str | None,
              posted_trigger: str | None, comment: str) -> tuple[str, int]:
    db.session.rollback()
    flash(_("Data belum dapat disimpan; periksa isian yang ditandai."), "danger")
    page = open_evaluation(db.session, workflow_deps(), current_actor(), evaluation_id)
    return render_page(page, status=400, posted_key=posted_key, posted_trigger=posted_trigger,
                   errors=exc.errors, comment=comment)


def _conflict(evaluation_id: int, exc: WorkflowError, spec: FormSpec | None,
              data: Mapping[str, Any] | None, *, posted_key: str | None,
              posted_trigger: str | None, comment: str) -> tuple[str, int]:
    """Re-show the evaluation as it is now (409), with everything the person typed: in the
    form when the step is still open, and listed beside the current record in any case."""
    db.session.rollback()
    page = open_evaluation(db.session, workflow_deps(), current_actor(), evaluation_id)
    unsaved = unsaved_input(exc.in_language(current_language()), spec, data, comment)
    return render_page(page, status=exc.status, posted_key=posted_key,
                       posted_trigger=posted_trigger, comment=comment, unsaved=unsaved)


def _unconfirmed(page: EvaluationPage, trigger: str) -> InvalidData | None:
    """Refuse a closing step (``needs_confirmation``) whose box was not ticked."""
    rule = page.available.definition.transition(trigger)
    if rule is None or not needs_confirmation(page.available.definition, rule):
        return None
    if trigger in request.form.getlist("konfirmasi"):
        return None
    return InvalidData({"konfirmasi": [_(
        "Centang pernyataan di atas tombol untuk mengonfirmasi langkah ini; setelah itu "
        "tidak dapat dibatalkan.")]})


def _step_form(actor: Actor, evaluation_id: int, form_key: str | None, trigger: str | None,
               ) -> tuple[EvaluationPage, str | None, FormSpec | None]:
    """Find the form a post is about (read-only; 404 if the viewer may not see the evaluation)."""
    page = open_evaluation(db.session, workflow_deps(), actor, evaluation_id)
    if trigger is not None:
        rule = page.available.definition.transition(trigger)
        form_key = rule.form if rule is not None else None
    if not form_key:
        return page, None, None
    return page, form_key, spec_for(db.session, page.evaluation, form_key)


@bp.post("/<int:evaluation_id>/langkah/<trigger>")
@login_required
def transition(evaluation_id: int, trigger: str) -> Response | tuple[str, int]:
    """Fire a step with the posted form data and comment; conflicts and refusals are mapped
    centrally (409/403/404), invalid data re-shows the page with the errors (400)."""
    actor = current_actor()
    page, form_key, spec = _step_form(actor, evaluation_id, None, trigger)
    label = rule_label(page.available.definition.transition(trigger), trigger)
    data = posted_values(spec, request.form) if spec is not None else None
    comment = (request.form.get("comment") or "").strip()
    posted_key = form_key or f"langkah-{trigger}"
    try:
        refused = _unconfirmed(page, trigger)
        if refused is not None:
            raise refused
        apply_transition(db.session, workflow_deps(), actor, evaluation_id, trigger, data=data,
                         comment=comment or None, expected_version=_expected_version())
    except InvalidData as exc:
        return _rerender(evaluation_id, exc, posted_key=posted_key, posted_trigger=trigger,
                         comment=comment)
    except KEEP_TYPED as exc:
        return _conflict(evaluation_id, exc, spec, data, posted_key=posted_key,
                         posted_trigger=trigger, comment=comment)
    db.session.commit()
    flash(_("Berhasil: %(step)s.", step=label), "success")
    return redirect(url_for(".show", evaluation_id=evaluation_id))


@bp.post("/<int:evaluation_id>/draf/<form_key>")
@login_required
def draft(evaluation_id: int, form_key: str) -> Response | tuple[str, int]:
    """Save a step's form as a draft (partial answers allowed; types are still checked)."""
    actor = current_actor()
    _page, _key, spec = _step_form(actor, evaluation_id, form_key, None)
    assert spec is not None
    data = posted_values(spec, request.form)  # plan columns: the form port writes the SKP's
    comment = (request.form.get("comment") or "").strip()
    try:
        save_draft(db.session, workflow_deps(), actor, evaluation_id, form_key, data,
                   expected_version=_expected_version())
    except InvalidData as exc:
        return _rerender(evaluation_id, exc, posted_key=form_key, posted_trigger=None,
                         comment=comment)
    except KEEP_TYPED as exc:
        return _conflict(evaluation_id, exc, spec, data, posted_key=form_key,
                         posted_trigger=None, comment=comment)
    db.session.commit()
    flash(_("Draf tersimpan. Anda dapat melanjutkannya nanti."), "success")
    return redirect(url_for(".show", evaluation_id=evaluation_id))
