"""Pages for employees, appraisers, appeal deciders and auditors: inbox and evaluation page.

Views parse the request, call one use case of ``workflow`` (``inbox``, ``open_evaluation``,
``apply_transition``, ``save_draft``), commit, and redirect or render. Everything about who
may do what comes from the service (``available_transitions``) and the form specs' own
visibility rules (``redact``-style filtering with the viewer's roles); the helpers below only
turn those answers into something a template can show.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import format_datetime
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import Form

from forms import FieldSpec
from forms import FormSpec
from forms import build_form_class
from forms import form_values_from_stored
from forms import visible_fields
from forms.fields import RowsField
from forms.fields import is_blank_entry
from forms.store import StoredForms
from forms.store import spec_of
from reports.issuing import KINDS
from reports.issuing import available_kinds
from workflow.actors import Actor
from workflow.definition import TransitionRule
from workflow.definition import WorkflowDefinition
from workflow.errors import InvalidData
from workflow.inbox import SECTIONS
from workflow.inbox import EvaluationPage
from workflow.inbox import inbox as inbox_query
from workflow.inbox import open_evaluation
from workflow.models import Evaluation
from workflow.rating import MATRIX
from workflow.rating import RATING_LEVELS
from workflow.rating import Predikat
from workflow.rating import rating_label
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.service import save_draft

from .auth import current_actor
from .extensions import db

bp = Blueprint("evaluations", __name__, url_prefix="/evaluasi")

PER_PAGE = 25
SPARE_ROWS = 2
_ROW_KEY = re.compile(r"^([a-z][a-z0-9_]*)-(\d+)-([a-z][a-z0-9_]*)$")

ROLE_LABELS: Mapping[str, Any] = {
    "employee": _l("Pegawai yang Dinilai"),
    "appraiser": _l("Pejabat Penilai Kinerja"),
    "appeal_reviewer": _l("Atasan Pejabat Penilai Kinerja"),
    "evaluation_team": _l("Tim Penilai Kinerja"),
    "auditor": _l("Auditor"),
    "admin": _l("Admin instansi"),
    "system": _l("Sistem"),
}
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
DEADLINE_LABELS: Mapping[str, Any] = {"appeal_window": _l("Batas pengajuan keberatan")}


def _wf() -> Workflow:
    wf: Workflow = current_app.extensions["workflow"]
    return wf


def _lang() -> str:
    return "en" if str(get_locale() or "id") == "en" else "id"


def when(moment: datetime | None, date_only: bool = False) -> str:
    """Format a moment in the display time zone (WIB by default) for the user's language."""
    if moment is None:
        return "—"
    if date_only:
        return format_datetime(moment, "d MMM y")
    return format_datetime(moment, "d MMM y, HH:mm zzz" if _lang() == "en" else
                           "d MMM y, HH.mm zzz")


def role_label(role: str) -> str:
    """Return the human name of a role (the role key itself when unknown)."""
    label = ROLE_LABELS.get(role)
    return str(label) if label is not None else role


def rule_label(rule: TransitionRule | None, trigger: str = "") -> str:
    """Return a transition's button label in the user's language."""
    if rule is None:
        return trigger
    if _lang() == "en":
        return rule.label_en or rule.label or rule.name
    return rule.label or rule.name


def _page_arg(name: str) -> int:
    value = request.args.get(name, "1")
    return int(value) if value.isdigit() and 0 < int(value) < 1_000_000 else 1


# --- inbox ------------------------------------------------------------------------------------


@bp.get("/")
@login_required
def inbox() -> str:
    """Show what waits for the logged-in user, grouped by role, searchable and paginated."""
    query = (request.args.get("q") or "").strip()[:100]
    pages = {key: _page_arg(f"hal_{key}") for key in SECTIONS}
    result = inbox_query(db.session, current_actor(), now=_wf().clock(), query=query,
                         pages=pages, per_page=PER_PAGE)
    return render_template("evaluations/inbox.html", inbox=result, query=query, pages=pages,
                           titles=SECTION_TITLES, empty=SECTION_EMPTY, when=when,
                           deadline_labels=DEADLINE_LABELS, lang=_lang())


# --- evaluation page ----------------------------------------------------------------------------


@dataclass
class ActionBlock:
    """One box of the page where the viewer can act: a form with its buttons, or a bare step."""

    key: str
    title: str
    rules: list[TransitionRule]
    role: str
    form: Form | None = None
    spec: FormSpec | None = None
    description: str = ""
    comment: str = ""
    comment_required: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)
    other_errors: list[str] = field(default_factory=list)
    show_when: dict[str, Any] = field(default_factory=dict)


@dataclass
class ShownField:
    """A field of an earlier step, formatted for reading."""

    label: str
    type: str
    value: Any
    columns: list[str] = field(default_factory=list)


@dataclass
class ShownForm:
    """The visible part of one step's stored data."""

    key: str
    title: str
    fields: list[ShownField]
    saved_at: str
    saved_by: str
    draft: bool


def _acting_role(rule: TransitionRule, roles: Iterable[str]) -> str:
    mine = set(roles)
    return next((r for r in rule.by if r in mine), "")


def _spec_for(session: Session, evaluation: Evaluation, form_key: str) -> FormSpec:
    entry = (evaluation.data or {}).get(form_key) or {}
    version_id = entry.get("form_version_id") or StoredForms().version_for(
        session, evaluation, form_key)
    return spec_of(session, version_id)


def _rule_json(spec: FieldSpec) -> dict[str, Any] | None:
    if spec.show_when is None:
        return None
    return {"mode": spec.show_when.mode,
            "conditions": [{"field": c.field, "values": list(c.values)}
                           for c in spec.show_when.conditions]}


def _apply_errors(form: Form, errors: Mapping[str, list[str]]) -> set[str]:
    """Put the service's errors (keyed by input name) on the fields; return the names placed."""
    placed: set[str] = set()
    for f in form:
        if isinstance(f, RowsField):
            f.errors = list(errors.get(f.name, []))
            placed.add(f.name)
            for entry in f.entries:
                for sub in entry.form:
                    sub.errors = list(errors.get(sub.name, []))
                    placed.add(sub.name)
        else:
            f.errors = list(errors.get(f.name, []))
            placed.add(f.name)
    return placed


def _add_spare_rows(form: Form) -> None:
    """Give every rows field blank rows at the end, so rows can be added without JavaScript."""
    for f in form:
        if not isinstance(f, RowsField):
            continue
        blank = sum(1 for entry in f.entries if is_blank_entry(entry))
        while blank < SPARE_ROWS and (f.max_entries is None or len(f.entries) < f.max_entries):
            f.append_entry()
            blank += 1


def _action_blocks(session: Session, page: EvaluationPage, posted_key: str | None,
                   posted_trigger: str | None, errors: Mapping[str, list[str]],
                   comment: str) -> list[ActionBlock]:
    """Build one block per form the viewer may fill now, and one per form-less step."""
    available = page.available
    evaluation = available.evaluation
    lang = _lang()
    blocks: dict[str, ActionBlock] = {}
    for rule in available.transitions:
        role = _acting_role(rule, available.roles)
        key = rule.form or f"langkah-{rule.name}"
        block = blocks.get(key)
        if block is None:
            block = blocks[key] = ActionBlock(key=key, title=rule_label(rule), rules=[],
                                              role=role)
            if rule.form:
                spec = _spec_for(session, evaluation, rule.form)
                block.spec = spec
                block.title = (spec.title_en or spec.title) if lang == "en" else spec.title
                block.description = ((spec.description_en or spec.description)
                                     if lang == "en" else spec.description) or ""
                form_class = build_form_class(spec, FlaskForm, role=role,
                                              state=evaluation.status, lang=lang)
                if posted_key == key:
                    block.form = form_class()  # re-show exactly what was posted
                else:
                    block.form = form_class(formdata=None, data=form_values_from_stored(
                        spec, evaluation.values(rule.form)))
                block.show_when = {f.name: rule_json for f in spec.fields
                                   if (rule_json := _rule_json(f)) is not None}
        block.rules.append(rule)
    for block in blocks.values():
        block.comment_required = any(r.comment == "required" for r in block.rules)
        posted_here = posted_key == block.key or (
            posted_trigger is not None and any(r.name == posted_trigger for r in block.rules))
        placed: set[str] = set()
        if posted_here:
            block.errors = dict(errors)
            block.comment = comment
            if block.form is not None:
                placed = _apply_errors(block.form, errors)
            block.other_errors = [m for k, ms in errors.items()
                                  if k not in placed and k != "comment" for m in ms]
        if block.form is not None:
            _add_spare_rows(block.form)
    return list(blocks.values())


def _display(spec: FieldSpec, value: Any, lang: str) -> Any:
    if value is None or value == "" or value == []:
        return None
    if spec.type == "rows":
        return [[_display(col, (row or {}).get(col.name), lang) for col in spec.columns]
                for row in value if isinstance(row, Mapping)]
    if spec.type == "multichoice":
        items = value if isinstance(value, list) else [value]
        return ", ".join(spec.option_label(str(v), lang) for v in items)
    if spec.type in ("choice", "rating"):
        return spec.option_label(str(value), lang)
    return str(value)


def _visible_names(spec: FormSpec, roles: Iterable[str], state: str) -> set[str]:
    viewer_roles = list(roles) or ["viewer"]
    return {f.name for role in viewer_roles for f in visible_fields(spec, role, state)}


def _shown_forms(session: Session, page: EvaluationPage, skip: set[str],
                 definition: WorkflowDefinition) -> list[ShownForm]:
    """Return the stored data of earlier steps, each field only if the viewer may see it."""
    evaluation = page.evaluation
    lang = _lang()
    order = [r.form for r in definition.transitions if r.form]
    keys = [k for k in dict.fromkeys(order + sorted(evaluation.data or {}))
            if k in (evaluation.data or {}) and k not in skip]
    shown = []
    for key in keys:
        spec = _spec_for(session, evaluation, key)
        names = _visible_names(spec, page.available.roles, evaluation.status)
        values = evaluation.values(key)
        fields = [
            ShownField(label=(f.label_en or f.label) if lang == "en" else f.label, type=f.type,
                       value=_display(f, values.get(f.name), lang),
                       columns=[(c.label_en or c.label) if lang == "en" else c.label
                                for c in f.columns])
            for f in spec.fields if f.name in names
        ]
        if not fields:
            continue
        entry = evaluation.data[key]
        saved_at = entry.get("saved_at")
        shown.append(ShownForm(
            key=key, title=(spec.title_en or spec.title) if lang == "en" else spec.title,
            fields=fields, saved_at=when(datetime.fromisoformat(saved_at)) if saved_at else "",
            saved_by=page.names.get(entry.get("saved_by") or "", entry.get("saved_by") or ""),
            draft=bool(entry.get("draft"))))
    return shown


def _windows(page: EvaluationPage, now: datetime) -> list[dict[str, Any]]:
    """Describe each deadline-bound step the viewer could take from this state."""
    available = page.available
    evaluation = available.evaluation
    allowed = {r.name for r in available.transitions}
    out = []
    for rule in available.definition.transitions_from(evaluation.status):
        if not set(rule.by) & set(available.roles):
            continue
        for call in rule.guards:
            if call.name != "within_deadline" or not call.arg:
                continue
            raw = (evaluation.deadlines or {}).get(call.arg)
            due = datetime.fromisoformat(raw) if raw else None
            days_left = math.ceil((due - now).total_seconds() / 86400) if due else None
            out.append({"rule": rule, "label": rule_label(rule), "due": due,
                        "open": rule.name in allowed and due is not None and due >= now,
                        "days_left": days_left})
    return out


def _rating_block(session: Session, page: EvaluationPage) -> dict[str, Any] | None:
    """Return the ratings, the predikat, why (the appraiser's words) and any revision."""
    evaluation = page.evaluation
    if not evaluation.predikat:
        return None
    lang = _lang()
    definition = page.available.definition
    rating_forms = [r.form for r in definition.transitions
                    if r.form and any(e.name == "record_rating" for e in r.effects)]
    decision_forms = [r.form for r in definition.transitions
                      if r.form and any(e.name == "apply_appeal_decision" for e in r.effects)]

    def visible_values(keys: list[str]) -> tuple[dict[str, Any], FormSpec | None]:
        for key in keys:
            if key in (evaluation.data or {}):
                spec = _spec_for(session, evaluation, key)
                names = _visible_names(spec, page.available.roles, evaluation.status)
                return ({k: v for k, v in evaluation.values(key).items() if k in names}, spec)
        return {}, None

    def labels(values: Mapping[str, str | None]) -> dict[str, str]:
        out = {}
        for key in ("rating_hasil_kerja", "rating_perilaku_kerja"):
            value = values.get(key)
            out[key] = rating_label(value, lang) if value else "—"
        predikat = values.get("predikat")
        out["predikat"] = (Predikat(predikat).label_en if lang == "en" else
                           Predikat(predikat).label) if predikat else "—"
        return out

    rating, rating_spec = visible_values(rating_forms)
    if rating_spec is not None and not {"rating_hasil_kerja", "rating_perilaku_kerja"} & set(
            _visible_names(rating_spec, page.available.roles, evaluation.status)):
        return None  # the spec hides the ratings from this viewer in this state
    decision, decision_spec = visible_values(decision_forms)
    current = {"rating_hasil_kerja": evaluation.rating_hasil_kerja,
               "rating_perilaku_kerja": evaluation.rating_perilaku_kerja,
               "predikat": evaluation.predikat}
    original = None
    revisions = [c for c in page.rating_changes if c.before.get("predikat")]
    if revisions:
        original = labels(revisions[0].before)
    decision_label = None
    if decision_spec is not None and decision.get("keputusan"):
        decision_label = decision_spec.field("keputusan").option_label(decision["keputusan"],
                                                                        lang)
    matrix = [
        {"label": level.label_en if lang == "en" else level.label, "value": level.value,
         "cells": [{"label": (MATRIX[level.value][col.value].label_en if lang == "en" else
                              MATRIX[level.value][col.value].label),
                    "current": (level.value == evaluation.rating_hasil_kerja
                                and col.value == evaluation.rating_perilaku_kerja)}
                   for col in RATING_LEVELS]}
        for level in RATING_LEVELS
    ]
    return {
        "current": labels(current), "predikat_code": evaluation.predikat,
        "original": original, "revised": bool(revisions),
        "justifikasi": rating.get("justifikasi"), "umpan_balik": rating.get("umpan_balik"),
        "catatan_rekomendasi": rating.get("catatan_rekomendasi"),
        "decision": decision_label, "pertimbangan": decision.get("pertimbangan"),
        "columns": [level.label_en if lang == "en" else level.label for level in RATING_LEVELS],
        "matrix": matrix,
    }


def _timeline(page: EvaluationPage) -> list[dict[str, Any]]:
    definition = page.available.definition
    lang = _lang()
    items = []
    for event in page.events:
        if event.trigger == "open":
            title = _("Evaluasi dibuka")
        elif event.kind == "data":
            title = _("Draf formulir disimpan")
        else:
            title = rule_label(definition.transition(event.trigger), event.trigger)
        name = page.names.get(event.actor_nip) if event.actor_nip else None
        items.append({
            "at": when(event.at), "title": title,
            "actor": name or event.actor_nip or _("Sistem"), "nip": event.actor_nip,
            "role": role_label(event.actor_role) if event.actor_role else "",
            "source": definition.label(event.source, lang) if event.source else "",
            "dest": definition.label(event.dest, lang) if event.dest else "",
            "moved": event.kind == "transition" and event.source != event.dest,
            "comment": event.comment, "seq": event.seq,
        })
    return items


def _render(page: EvaluationPage, *, status: int = 200, posted_key: str | None = None,
            posted_trigger: str | None = None, errors: Mapping[str, list[str]] | None = None,
            comment: str = "") -> tuple[str, int]:
    session = db.session
    actor = current_actor()
    available = page.available
    evaluation = available.evaluation
    definition = available.definition
    lang = _lang()
    now = _wf().clock()
    blocks = _action_blocks(session, page, posted_key, posted_trigger, errors or {}, comment)
    editing = {b.key for b in blocks if b.form is not None}
    visited = {e.source for e in page.events} | {e.dest for e in page.events}
    steps = [{"label": definition.label(s, lang),
              "class": "current" if s == evaluation.status else ("done" if s in visited else "")}
             for s in definition.states]
    order = ["employee", "appraiser", "appeal_reviewer"]
    people = sorted(evaluation.participants,
                    key=lambda p: (order.index(p.role) if p.role in order else 9, p.role))
    viewer_roles = sorted(available.roles)
    return render_template(
        "evaluations/show.html",
        ev=evaluation, definition=definition, state_label=definition.label(evaluation.status,
                                                                          lang),
        final=evaluation.status in definition.final, steps=steps, people=people,
        role_label=role_label, rule_label=rule_label, viewer_roles=viewer_roles,
        blocks=blocks, shown=_shown_forms(session, page, editing, definition),
        rating=_rating_block(session, page), windows=_windows(page, now),
        timeline=_timeline(page), when=when, lang=lang,
        observer=not available.transitions and not (
            {"employee", "appraiser", "appeal_reviewer"} & set(available.roles)),
        auditor=actor.is_auditor or actor.is_admin,
        documents=[(kind, KINDS[kind][1 if lang == "en" else 0]) for kind in available_kinds(
            session, evaluation, available.roles, actor)],
    ), status


@bp.get("/<int:evaluation_id>")
@login_required
def show(evaluation_id: int) -> tuple[str, int]:
    """Show one evaluation: state, people, earlier steps, rating, the viewer's step, history."""
    page = open_evaluation(db.session, _wf(), current_actor(), evaluation_id)
    return _render(page)


# --- posting ------------------------------------------------------------------------------------


def _expected_version() -> int | None:
    raw = (request.form.get("version") or "").strip()
    return int(raw) if raw.isdigit() else None


def posted_values(spec: FormSpec, formdata: MultiDict[str, str]) -> dict[str, Any]:
    """Read a spec's fields from posted form data as plain values for the service to validate.

    Every field of the spec gets a key (absent text → None, no box ticked → ``[]``, no row →
    ``[]``), so clearing an answer really clears it. Rows keep their posted indices (gaps are
    filled with empty rows, which the validator ignores) so that error keys such as
    ``hasil_kerja-3-target`` point at the row the person sees.
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
            values[f.name] = ([posted.get(i, {}) for i in range(max(posted) + 1)]
                              if posted else [])
        elif f.type == "multichoice":
            values[f.name] = formdata.getlist(f.name)
        else:
            values[f.name] = formdata.get(f.name)
    return values


def _rerender(evaluation_id: int, exc: InvalidData, *, posted_key: str | None,
              posted_trigger: str | None, comment: str) -> tuple[str, int]:
    db.session.rollback()
    flash(_("Data belum dapat disimpan; periksa isian yang ditandai."), "danger")
    page = open_evaluation(db.session, _wf(), current_actor(), evaluation_id)
    return _render(page, status=400, posted_key=posted_key, posted_trigger=posted_trigger,
                   errors=exc.errors, comment=comment)


def _step_form(actor: Actor, evaluation_id: int, form_key: str | None, trigger: str | None,
               ) -> tuple[EvaluationPage, str | None, FormSpec | None]:
    """Find the form a post is about (read-only; 404 if the viewer may not see the evaluation)."""
    page = open_evaluation(db.session, _wf(), actor, evaluation_id)
    if trigger is not None:
        rule = page.available.definition.transition(trigger)
        form_key = rule.form if rule is not None else None
    if not form_key:
        return page, None, None
    return page, form_key, _spec_for(db.session, page.evaluation, form_key)


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
    try:
        apply_transition(db.session, _wf(), actor, evaluation_id, trigger, data=data,
                         comment=comment or None, expected_version=_expected_version())
    except InvalidData as exc:
        return _rerender(evaluation_id, exc, posted_key=form_key or f"langkah-{trigger}",
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
    try:
        save_draft(db.session, _wf(), actor, evaluation_id, form_key,
                   posted_values(spec, request.form), expected_version=_expected_version())
    except InvalidData as exc:
        return _rerender(evaluation_id, exc, posted_key=form_key, posted_trigger=None,
                         comment=(request.form.get("comment") or "").strip())
    db.session.commit()
    flash(_("Draf tersimpan. Anda dapat melanjutkannya nanti."), "success")
    return redirect(url_for(".show", evaluation_id=evaluation_id))
