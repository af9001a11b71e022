"""The appraiser with many staff (``/evaluasi-massal``): her open evaluations by step and
deadline with counts per step, one step without a form on several at once with one comment,
and the next one waiting. The rules are in ``workflow.bulk_actions``."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import time
from zoneinfo import ZoneInfo

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required
from werkzeug.wrappers import Response

from l10n import current_language
from l10n import reader_zone
from l10n import refusal_messages
from workflow.bulk_actions import fire_many
from workflow.bulk_actions import next_waiting
from workflow.bulk_actions import queue
from workflow.errors import WorkflowError

from .auth import current_actor
from .evaluation_page import workflow_deps
from .extensions import db

bp = Blueprint("bulk", __name__, url_prefix="/evaluasi-massal")


def _until(raw: str | None) -> datetime | None:
    """The end of a local day typed as YYYY-MM-DD (None when empty or not a date)."""
    try:
        day = date.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return datetime.combine(day, time(23, 59, 59), ZoneInfo(reader_zone()))


@bp.get("/")
@login_required
def index() -> str:
    """The queue, filtered by ``?status=`` and ``?tenggat=YYYY-MM-DD``."""
    state = (request.args.get("status") or "").strip()[:32]
    until = (request.args.get("tenggat") or "").strip()[:10]
    result = queue(db.session, current_actor(), state=state, due_before=_until(until),
                   lang=current_language())
    return render_template("evaluations/bulk.html", q=result, state=state, until=until)


@bp.post("/")
@login_required
def fire() -> Response:
    """Take one step on the chosen evaluations with one comment (all or nothing)."""
    state = (request.form.get("status") or "").strip()[:32]
    ids = [int(raw) for raw in request.form.getlist("evaluation") if raw.isdigit()
           and len(raw) < 10]
    try:
        events = fire_many(db.session, workflow_deps(), current_actor(), ids,
                           request.form.get("trigger", ""), request.form.get("comment", ""))
    except WorkflowError as exc:
        db.session.rollback()
        for message in refusal_messages(exc):
            flash(message, "danger")
    else:
        db.session.commit()
        flash(ngettext("%(num)d evaluasi diproses.", "%(num)d evaluasi diproses.",
                       len(events)), "success")
    return redirect(url_for(".index", status=state or None))


@bp.get("/berikutnya/<int:evaluation_id>")
@login_required
def next_one(evaluation_id: int) -> Response:
    """Open the next evaluation waiting in the same step (back to the queue when none)."""
    target = next_waiting(db.session, current_actor(), evaluation_id)
    if target is None:
        flash(_("Tidak ada evaluasi lain yang menunggu pada tahap ini."), "info")
        return redirect(url_for(".index"))
    return redirect(url_for("evaluations.show", evaluation_id=target))
