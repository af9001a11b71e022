"""Account access: which employees can log in, and activation codes for those who cannot.

The admin filters the agency's employees (unit kerja, account state, NIP or name), ticks some,
and gets one printable slip per employee with a one-time code. The codes are shown on that
page only (``Cache-Control: no-store``) and stored as keyed hashes (``workflow.accounts``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy_lite import SQLAlchemy
from werkzeug.wrappers import Response

from l10n import refusal_messages
from workflow.accounts import ACCOUNT_STATES
from workflow.accounts import ACTIVATION_DAYS
from workflow.accounts import account_rows
from workflow.accounts import agency_employees
from workflow.accounts import issue_activation_codes
from workflow.errors import WorkflowError
from workflow.models import utcnow
from workflow.org import units_of

from .security import SecureBaseView

LIST_LIMIT = 200
STATE_LABELS = {
    "password": _l("Dapat masuk"),
    "code": _l("Kode aktivasi berlaku"),
    "expired": _l("Kode kedaluwarsa"),
    "none": _l("Belum punya akses"),
}


class AccountAccessView(SecureBaseView):
    """GET: employees and their account state; POST ``/kode``: issue codes, show the slips.

    ``public_base_url`` returns the address printed on the slips (where to activate).
    """

    def __init__(self, db: SQLAlchemy, public_base_url: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(db, **kwargs)
        self.public_base_url = public_base_url

    @expose("/")
    def index(self) -> str:
        """List the agency's employees with their account state (filtered)."""
        actor = self.actor()
        unit = request.args.get("unit", "")
        state = request.args.get("state", "")
        state = state if state in ACCOUNT_STATES else ""
        search = request.args.get("q", "")[:100]
        now = utcnow()
        rows, total = account_rows(self.session, actor.agency_id, now=now, unit=unit,
                                   state=state, search=search, limit=LIST_LIMIT)
        units = units_of(self.session, actor.agency_id)
        return self.render("admin/account_access.html", rows=rows, total=total, now=now,
                           units=units, unit=unit, state=state, search=search,
                           states=ACCOUNT_STATES, state_labels=STATE_LABELS,
                           days=ACTIVATION_DAYS)

    @expose("/kode", methods=["POST"])
    def codes(self) -> Response | str:
        """Issue codes for the ticked employees (one commit) and show them once."""
        session = self.session
        actor = self.actor()
        raw_ids = request.form.getlist("employee")
        raw_days = request.form.get("days", str(ACTIVATION_DAYS))
        if not raw_ids:
            flash(_("Pilih minimal satu pegawai."), "error")
            return redirect(url_for(".index"))
        if not all(x.isdigit() for x in [*raw_ids, raw_days]):
            flash(_("Data tidak valid; periksa isian yang ditandai."), "error")
            return redirect(url_for(".index"))
        try:
            people = agency_employees(session, actor.agency_id, map(int, raw_ids))
            issued = issue_activation_codes(
                session, current_app.extensions["workflow"].audit_key, actor, people,
                now=utcnow(), days=int(raw_days))
        except WorkflowError as exc:
            session.rollback()
            for message in refusal_messages(exc):
                flash(message, "error")
            return redirect(url_for(".index"))
        session.commit()
        page = self.render("admin/account_codes.html", issued=issued,
                           login_url=self.public_base_url().rstrip("/")
                           + url_for("account.activate"))
        response = current_app.make_response(page)
        response.headers["Cache-Control"] = "no-store"
        return response
