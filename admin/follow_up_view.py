"""Follow-up (*tindak lanjut*) of a period's results: actions with owner, due date and status,
the talent pool (*Sangat Baik*), consecutive low results, and low results still without a
coaching plan. The rules are in ``workflow.follow_up``."""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from l10n import current_language
from reports.recap import recap_periods
from workflow.errors import InvalidData
from workflow.errors import WorkflowError
from workflow.follow_up import KINDS
from workflow.follow_up import STATUSES
from workflow.follow_up import add_action
from workflow.follow_up import overview
from workflow.follow_up import set_status
from workflow.models import Employee
from workflow.rating import Predikat

from .security import SecureBaseView


def _int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


class FollowUpView(SecureBaseView):
    """GET ``?period_id=``: the period's follow-up; POST: add an action, change a status."""

    @expose("/")
    def index(self) -> str:
        """Pick a period; see its follow-up."""
        session = self.session
        actor = self.actor()
        periods = recap_periods(session, actor.agency_id)
        period_id = _int(request.args.get("period_id")) or (periods[0].id if periods else None)
        view = None
        if period_id is not None:
            try:
                view = overview(session, actor, period_id)
            except WorkflowError as exc:
                flash(exc.in_language(current_language()), "error")
        people = session.scalars(select(Employee).where(
            Employee.agency_id == actor.agency_id, Employee.active).order_by(Employee.name)).all()
        lang = current_language()
        pick = 1 if lang == "en" else 0
        return self.render("admin/follow_up.html", periods=periods, view=view, people=people,
                           kinds={k: v[pick] for k, v in KINDS.items()},
                           statuses={k: v[pick] for k, v in STATUSES.items()},
                           predikat={p.value: p.label_en if pick else p.label
                                     for p in Predikat})

    def _refused(self, exc: WorkflowError, period_id: int | None) -> Response:
        self.session.rollback()
        if isinstance(exc, InvalidData):
            for messages in exc.errors_in(current_language()).values():
                for message in messages:
                    flash(message, "error")
        else:
            flash(exc.in_language(current_language()), "error")
        return redirect(url_for(".index", period_id=period_id))

    @expose("/tambah", methods=["POST"])
    def add(self) -> Response:
        """Record an action for one evaluation."""
        period_id = _int(request.form.get("period_id"))
        try:
            add_action(self.session, current_app.extensions["workflow"].audit_key,
                       self.actor(), _int(request.form.get("evaluation_id")) or 0,
                       kind=request.form.get("kind", ""),
                       owner_id=_int(request.form.get("owner_id")),
                       due_on=_date(request.form.get("due_on")),
                       description=request.form.get("description", ""))
        except WorkflowError as exc:
            return self._refused(exc, period_id)
        self.session.commit()
        flash(_("Tindak lanjut dicatat."), "success")
        return redirect(url_for(".index", period_id=period_id))

    @expose("/<int:action_id>/status", methods=["POST"])
    def status(self, action_id: int) -> Response:
        """Change an action's status."""
        period_id = _int(request.form.get("period_id"))
        try:
            set_status(self.session, current_app.extensions["workflow"].audit_key,
                       self.actor(), action_id, request.form.get("status", ""))
        except WorkflowError as exc:
            return self._refused(exc, period_id)
        self.session.commit()
        flash(_("Status tindak lanjut diubah."), "success")
        return redirect(url_for(".index", period_id=period_id))
