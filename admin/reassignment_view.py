"""Reassign the open roles of an employee (appraiser, appeal decider) in bulk, with a reason.

Reached from the admin menu and from the message shown when an employee who holds open roles
is deactivated. The rules are in ``workflow.reassignment``.
"""

from __future__ import annotations

from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_admin import expose
from flask_babel import ngettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from l10n import refusal_messages
from workflow.errors import WorkflowError
from workflow.models import Employee
from workflow.reassignment import open_holdings
from workflow.reassignment import reassign_roles

from .security import SecureBaseView


def _int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


class ReassignmentView(SecureBaseView):
    """GET ``?dari=<id>``: the open roles of one employee; POST: give the chosen ones to
    another active employee, with a reason (all or nothing)."""

    @expose("/", methods=["GET", "POST"])
    def index(self) -> Response | str:
        """Pick the holder, tick her open roles, pick the new person, give the reason."""
        session = self.session
        actor = self.actor()
        people = session.scalars(select(Employee).where(
            Employee.agency_id == actor.agency_id).order_by(Employee.name)).all()
        holder_id = _int(request.values.get("dari"))
        holder = next((p for p in people if p.id == holder_id), None)
        if request.method == "POST":
            items = []
            for raw in request.form.getlist("item"):
                eid, _sep, role = raw.partition(":")
                if _int(eid) is not None and role:
                    items.append((int(eid), role))
            new_id = _int(request.form.get("ke"))
            try:
                if new_id is None:
                    raise WorkflowError("Pilih pegawai pengganti.", "Choose the new person.")
                events = reassign_roles(session, current_app.extensions["workflow"], actor,
                                        items, new_id, request.form.get("alasan", ""))
            except WorkflowError as exc:
                session.rollback()
                for message in refusal_messages(exc):
                    flash(message, "error")
            else:
                session.commit()
                flash(ngettext("%(num)d peran dialihkan.", "%(num)d peran dialihkan.",
                               len(events)), "success")
                return redirect(url_for(".index", dari=holder.id if holder else None))
        holdings = open_holdings(session, actor, holder.id) if holder else []
        return self.render("admin/reassignment.html", people=people, holder=holder,
                           holdings=holdings,
                           candidates=[p for p in people if p.active and p is not holder],
                           reason=request.form.get("alasan", ""))
