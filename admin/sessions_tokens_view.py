"""Sessions and API tokens of the agency's employees: list, issue and revoke tokens, and end
every log-in session of one employee (a lost phone, a shared computer left logged in).

The use cases are in ``workflow.accounts``; each issue, revocation and "end all sessions" is
recorded in the agency's history. A new token is shown once, on a ``no-store`` page.
"""

from __future__ import annotations

from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_admin import expose
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from l10n import refusal_messages
from workflow.accounts import TOKEN_DAYS
from workflow.accounts import TOKEN_MAX_DAYS
from workflow.accounts import TOKEN_SCOPES
from workflow.accounts import agency_employee_by_nip
from workflow.accounts import end_sessions
from workflow.accounts import issue_token
from workflow.accounts import revoke_token
from workflow.accounts import tokens_of
from workflow.errors import WorkflowError
from workflow.models import utcnow

from .security import SecureBaseView


class SessionsTokensView(SecureBaseView):
    """GET: the agency's API tokens; POST: issue one, revoke one, end an employee's sessions."""

    @expose("/")
    def index(self) -> str:
        """List the agency's live tokens (``?semua=1``: revoked and expired ones too)."""
        actor = self.actor()
        include_dead = request.args.get("semua") == "1"
        now = utcnow()
        rows = tokens_of(self.session, actor.agency_id, include_dead=include_dead, now=now)
        return self.render("admin/sessions_tokens.html", rows=rows, now=now,
                           include_dead=include_dead, scopes=TOKEN_SCOPES, days=TOKEN_DAYS,
                           max_days=TOKEN_MAX_DAYS)

    def _flash_error(self, exc: WorkflowError) -> Response:
        self.session.rollback()
        for message in refusal_messages(exc):
            flash(message, "error")
        return redirect(url_for(".index"))

    @expose("/terbitkan", methods=["POST"])
    def issue(self) -> Response | str:
        """Issue a token for an employee of the agency and show it once."""
        actor = self.actor()
        raw_days = request.form.get("days", str(TOKEN_DAYS)).strip()
        if not raw_days.isdigit() or len(raw_days) > 4:
            flash(_("Masa berlaku token harus bilangan bulat hari."), "error")
            return redirect(url_for(".index"))
        try:
            employee = agency_employee_by_nip(self.session, actor.agency_id,
                                              request.form.get("nip", "")[:18])
            issued = issue_token(
                self.session, current_app.extensions["workflow"].audit_key, actor, employee,
                now=utcnow(), name=request.form.get("name", "")[:200],
                scope=" ".join(request.form.getlist("scope"))[:500], days=int(raw_days))
        except WorkflowError as exc:
            return self._flash_error(exc)
        self.session.commit()
        page = self.render("admin/token_issued.html", issued=issued)
        response = current_app.make_response(page)
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/cabut/<int:token_id>", methods=["POST"])
    def revoke(self, token_id: int) -> Response:
        """Revoke one of the agency's tokens."""
        actor = self.actor()
        try:
            row = revoke_token(self.session, current_app.extensions["workflow"].audit_key,
                               actor, token_id, now=utcnow())
        except WorkflowError as exc:
            return self._flash_error(exc)
        self.session.commit()
        flash(_("Token %(id)d (%(nip)s) dicabut.", id=row.id, nip=row.employee.nip), "success")
        return redirect(url_for(".index"))

    @expose("/akhiri-sesi", methods=["POST"])
    def end_all_sessions(self) -> Response:
        """End every log-in session of one employee of the agency."""
        actor = self.actor()
        try:
            employee = agency_employee_by_nip(self.session, actor.agency_id,
                                              request.form.get("nip", "")[:18])
            end_sessions(self.session, current_app.extensions["workflow"].audit_key, actor,
                         employee, now=utcnow())
        except WorkflowError as exc:
            return self._flash_error(exc)
        self.session.commit()
        flash(_("Semua sesi %(name)s telah diakhiri.", name=employee.name), "success")
        return redirect(url_for(".index"))
