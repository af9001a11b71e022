"""The installation's super-admin creates an agency and its first admin (issue 16 item 7).

One form; ``workflow.agencies.create_agency`` does the work (agency, ``admin`` group, the first
admin, the first flow version as an overlay on the national flow, her activation code) and the
page shows the code once, on a printable slip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from flask import request
from flask_admin import BaseView
from flask_admin import expose
from flask_sqlalchemy_lite import SQLAlchemy
from sqlalchemy import select

from l10n import current_language
from workflow.agencies import AGENCY_ZONES
from workflow.agencies import INSTALLATION_SLUG
from workflow.agencies import AgencyRequest
from workflow.agencies import create_agency
from workflow.errors import InvalidData
from workflow.localtime import abbreviation
from workflow.models import Agency

from .security import SuperAdminsOnly


class AgencySetupView(SuperAdminsOnly, BaseView):
    """Create an agency and its first admin (super-admins only)."""

    def __init__(self, db: SQLAlchemy, public_base_url: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.db = db
        self.public_base_url = public_base_url

    @expose("/", methods=["GET", "POST"])
    def index(self) -> Any:
        """Show the form and the agencies; create on POST."""
        session = self.db.session
        errors: dict[str, list[str]] = {}
        values = {k: request.form.get(k, "").strip() for k in (
            "slug", "name", "city", "timezone", "admin_nip", "admin_name", "admin_jabatan",
            "admin_unit_kerja")}
        if request.method == "POST":
            wanted = AgencyRequest(**values)
            try:
                created = create_agency(
                    session, current_app.extensions["workflow"].audit_key, self.actor(), wanted,
                    parents={slug: d.source for slug, d in
                             current_app.extensions["definitions"].items()},
                    now=current_app.extensions["workflow"].clock())
            except InvalidData as exc:
                session.rollback()
                errors = exc.errors_in(current_language())
            else:
                session.commit()
                return self.render("admin/agency_created.html", created=created,
                                   login_url=self.public_base_url().rstrip("/") + "/aktivasi")
        agencies = session.scalars(select(Agency).where(Agency.slug != INSTALLATION_SLUG)
                                   .order_by(Agency.name)).all()
        zones = [(z, f"{abbreviation(z)} — {z}") for z in AGENCY_ZONES]
        page = self.render("admin/agency_setup.html", values=values, errors=errors,
                           zones=zones, agencies=agencies)
        return (page, 400) if errors else page

