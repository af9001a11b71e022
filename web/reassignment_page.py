"""The appraiser's superior hands over the open roles of the people she supervises, for
evaluations of her own unit (``/pengalihan``); the agency admin does it for everybody in the
admin. The rules are in ``workflow.reassignment``."""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import ngettext
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from l10n import refusal_messages
from workflow.errors import InvalidData
from workflow.errors import WorkflowError
from workflow.models import Employee
from workflow.reassignment import reassign_roles
from workflow.reassignment import staff_holdings

from .auth import current_actor
from .evaluation_page import workflow_deps
from .extensions import db

bp = Blueprint("staff_reassignment", __name__, url_prefix="/pengalihan")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> Response | str:
    """GET: my staff's open roles; POST: give the ticked ones to someone, with a reason."""
    actor = current_actor()
    if request.method == "POST":
        items = []
        for raw in request.form.getlist("item"):
            eid, _sep, role = raw.partition(":")
            if eid.isdigit() and len(eid) < 10 and role:
                items.append((int(eid), role))
        new = request.form.get("ke", "")
        try:
            if not new.isdigit() or len(new) >= 10:
                raise InvalidData.of({"ke": ("Pilih pegawai pengganti.",
                                             "Choose the new person.")})
            events = reassign_roles(db.session, workflow_deps(), actor, items, int(new),
                                    request.form.get("alasan", ""))
        except WorkflowError as exc:
            db.session.rollback()
            for message in refusal_messages(exc):
                flash(message, "danger")
        else:
            db.session.commit()
            flash(ngettext("%(num)d peran dialihkan.", "%(num)d peran dialihkan.",
                           len(events)), "success")
        return redirect(url_for(".index"))
    staff = staff_holdings(db.session, actor)
    candidates = db.session.scalars(select(Employee).where(
        Employee.agency_id == actor.agency_id, Employee.active).order_by(Employee.name)).all()
    return render_template("evaluations/reassignment.html", staff=staff, candidates=candidates)
