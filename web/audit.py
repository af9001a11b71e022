"""Auditor pages: history search, one evaluation's timeline, chain verification, CSV export.

For auditors (group ``inspektorat``) and agency admins of the same agency only; every query is
scoped to the actor's agency in ``workflow/trail.py``. Pages are read-only (GET), so the search
form needs no CSRF token.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from collections.abc import Iterator
from datetime import date

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import render_template
from flask import request
from flask import stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from wtforms import DateField
from wtforms import Form
from wtforms import IntegerField
from wtforms import SelectField
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import Regexp

from forms.visibility import HistoryReader
from l10n import current_language
from workflow.actors import Actor
from workflow.models import HistoryEvent
from workflow.models import utcnow
from workflow.publishing import current_version
from workflow.service import definition_of
from workflow.spreadsheets import csv_writer
from workflow.trail import CSV_COLUMNS
from workflow.trail import INLINE_EVENTS
from workflow.trail import HistoryFilter
from workflow.trail import cursor_text
from workflow.trail import export_rows
from workflow.trail import parse_cursor
from workflow.trail import search_choices
from workflow.trail import search_history
from workflow.trail import timeline
from workflow.trail import verify_agency

from .auth import auditor_required
from .auth import current_actor
from .extensions import db
from .inputs import INT_MAX
from .inputs import int_arg

bp = Blueprint("audit", __name__, url_prefix="/audit")

def role_namer(session: Session, actor: Actor) -> Callable[[HistoryEvent], str]:
    """Return how the pages name an event's role: by the flow version it was recorded under,
    else (agency events) the agency's current one, in the user's language."""
    current = current_version(session, actor.agency_id, required=False)
    lang = current_language()

    def role_of(event: HistoryEvent) -> str:
        version_id = event.definition_version_id or (current.id if current else None)
        if not event.actor_role or version_id is None:
            return event.actor_role
        return definition_of(session, version_id).role_label(event.actor_role, lang)

    return role_of


class SearchForm(Form):
    """Filters of the history search (GET; no CSRF needed for a read-only search)."""

    unit_choices: list[str]  # the unit kerja names the page suggests ([]: too many to list)

    # Typed, with the agency's names suggested (a datalist) when it has few enough of them.
    unit_kerja = StringField(_l("Unit kerja"), validators=[Optional(), Length(max=200)])
    actor_nip = StringField(_l("NIP pelaku"), validators=[
        Optional(), Regexp(r"^\d{18}$", message=_l("NIP terdiri dari 18 digit angka."))])
    trigger = SelectField(_l("Transisi"), choices=[], validate_choice=False)
    kind = SelectField(_l("Jenis peristiwa"), choices=[], validate_choice=False)
    dari = DateField(_l("Dari tanggal"), validators=[Optional()], format="%Y-%m-%d")
    sampai = DateField(_l("Sampai tanggal"), validators=[Optional()], format="%Y-%m-%d")
    evaluasi = IntegerField(_l("ID evaluasi"), validators=[Optional(), NumberRange(1, INT_MAX)])


def _search_form(shown: bool = True) -> tuple[SearchForm, HistoryFilter | None]:
    """Build the search form from the query string; return it and the filter (None: invalid).

    The drop-downs' choices are read only for a form that is ``shown`` (not for the export).
    """
    form = SearchForm(MultiDict(request.args))
    form.unit_choices = []
    if shown:
        choices = search_choices(db.session, current_actor())
        everything = SelectChoice("", _("(semua)"))
        form.unit_choices = choices.units
        form.trigger.choices = [everything, *[SelectChoice(t, t) for t in choices.triggers]]
        form.kind.choices = [everything, *[SelectChoice(k, k) for k in choices.kinds]]
    if not form.validate():
        return form, None
    dari: date | None = form.dari.data
    sampai: date | None = form.sampai.data
    filters = HistoryFilter(
        unit_kerja=form.unit_kerja.data or "", actor_nip=form.actor_nip.data or "",
        trigger=form.trigger.data or "", kind=form.kind.data or "", date_from=dari,
        date_to=sampai, evaluation_id=form.evaluasi.data,
    )
    return form, filters


@bp.get("/")
@auditor_required
def search() -> str | tuple[str, int]:
    """Search the agency's history with filters, newest first, paginated."""
    form, filters = _search_form()
    page = int_arg("halaman", 1) or 1
    raw_cursor = request.args.get("setelah", "")
    after = parse_cursor(raw_cursor) if raw_cursor else None
    if raw_cursor and after is None:
        abort(400, _("Tautan halaman tidak valid; mulai lagi dari halaman pertama."))
    result = None
    if filters is not None:
        result = search_history(db.session, current_actor(), filters, page, 25, after)
    args = {k: v for k, v in request.args.items() if k not in ("halaman", "setelah") and v}
    body = render_template("audit/search.html", form=form, result=result, args=args,
                           columns=CSV_COLUMNS, role_of=role_namer(db.session, current_actor()),
                           next_cursor=cursor_text(result.after) if result else "")
    return body if result is not None else (body, 400)


@bp.get("/evaluasi/<int:evaluation_id>")
@auditor_required
def evaluation(evaluation_id: int) -> str:
    """Show one evaluation's full timeline with data diffs, hashes and the chain check; a field
    the reader may not see shows its name and digest only (``forms.visibility``)."""
    key = current_app.extensions["workflow"].audit_key
    result = timeline(db.session, key, current_actor(), evaluation_id,
                      HistoryReader(db.session, current_actor(), key))
    return render_template("audit/timeline.html", timeline=result,
                           role_of=role_namer(db.session, current_actor()))


@bp.get("/verifikasi")
@auditor_required
def verification() -> str:
    """Verify what is new in the agency's chains and show the summary with one page of broken
    chains (the first broken link of each); the full re-check runs from ``audit verify``."""
    wf = current_app.extensions["workflow"]
    result = verify_agency(db.session, wf.audit_key, current_actor(), wf.checkpoint_dir,
                           page=int_arg("halaman", 1) or 1)
    db.session.commit()
    return render_template("audit/verify.html", result=result, checked_at=utcnow(),
                           inline_events=INLINE_EVENTS)


@bp.get("/ekspor.csv")
@auditor_required
def export() -> Response:
    """Stream the search result as CSV (UTF-8 with BOM for Excel; columns in docs/api.md)."""
    _form, filters = _search_form(shown=False)
    if filters is None:
        abort(400, _("Filter pencarian tidak valid; perbaiki lalu ekspor lagi."))
    rows = export_rows(db.session, current_actor(), filters, HistoryReader(
        db.session, current_actor(), current_app.extensions["workflow"].audit_key))

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv_writer(buffer)  # formula-leading cells neutralised
        yield "\ufeff"
        for row in rows:
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)

    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="jejak-audit-{stamp}.csv"'})
