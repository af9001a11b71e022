"""The agency's integration tokens (payroll/TPP, SIASN): list, issue and revoke in the browser,
besides ``users integration-token`` on the command line. The use cases are in
``workflow.integration_tokens``; a new token is shown once, on a ``no-store`` page.
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
from workflow.errors import WorkflowError
from workflow.integration_tokens import integration_tokens_of
from workflow.integration_tokens import issue_integration_token
from workflow.integration_tokens import revoke_integration_token
from workflow.models import Agency
from workflow.models import utcnow

from .security import SecureBaseView


class IntegrationTokensView(SecureBaseView):
    """GET: the agency's integration tokens; POST: issue one, revoke one."""

    @expose("/")
    def index(self) -> str:
        """List the live tokens (``?semua=1``: revoked and expired ones too)."""
        include_dead = request.args.get("semua") == "1"
        now = utcnow()
        rows = integration_tokens_of(self.session, self.actor().agency_id,
                                     include_dead=include_dead, now=now)
        return self.render("admin/integration_tokens.html", rows=rows, now=now,
                           include_dead=include_dead, days=TOKEN_DAYS, max_days=TOKEN_MAX_DAYS)

    def _refused(self, exc: WorkflowError) -> Response:
        self.session.rollback()
        for message in refusal_messages(exc):
            flash(message, "error")
        return redirect(url_for(".index"))

    @expose("/terbitkan", methods=["POST"])
    def issue(self) -> Response | str:
        """Issue a token (scope ``recap``) and show it once."""
        actor = self.actor()
        raw_days = request.form.get("days", str(TOKEN_DAYS)).strip()
        if not raw_days.isdigit() or len(raw_days) > 4:
            flash(_("Masa berlaku token harus bilangan bulat hari."), "error")
            return redirect(url_for(".index"))
        try:
            issued = issue_integration_token(
                self.session, current_app.extensions["workflow"].audit_key, actor,
                self.session.get_one(Agency, actor.agency_id), now=utcnow(),
                name=request.form.get("name", "")[:200], days=int(raw_days))
        except WorkflowError as exc:
            return self._refused(exc)
        self.session.commit()
        response = current_app.make_response(
            self.render("admin/integration_token_issued.html", issued=issued))
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/cabut/<int:token_id>", methods=["POST"])
    def revoke(self, token_id: int) -> Response:
        """Revoke one of the agency's integration tokens."""
        try:
            row = revoke_integration_token(self.session,
                                           current_app.extensions["workflow"].audit_key,
                                           self.actor(), token_id, now=utcnow())
        except WorkflowError as exc:
            return self._refused(exc)
        self.session.commit()
        flash(_("Token integrasi %(id)d (%(name)s) dicabut.", id=row.id, name=row.name),
              "success")
        return redirect(url_for(".index"))
