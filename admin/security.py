"""Who may use the admin, and agency isolation for every admin view.

Every model view subclasses ``AgencyModelView``: only agency admins get in, list/count
queries are filtered to the admin's agency, and a direct URL to another agency's row gives
404 (``get_one`` is filtered too). Writes are stamped with the admin's agency.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask import redirect
from flask import request
from flask import url_for
from flask_admin import AdminIndexView
from flask_admin import BaseView
from flask_admin import expose
from flask_admin.contrib.sqla import ModelView
from flask_login import current_user
from flask_sqlalchemy_lite import SQLAlchemy
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from workflow.actors import Actor


def admin_actor() -> Actor | None:
    """Return the logged-in agency admin, or None."""
    if not current_user.is_authenticated:
        return None
    actor: Actor = current_user.actor
    return actor if actor.is_admin else None


class AdminsOnly:
    """Mixin for every admin view: agency admins get in, anonymous users go to log in."""

    def is_accessible(self) -> bool:
        """Allow agency admins only."""
        return admin_actor() is not None

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        """Send anonymous users to log in; refuse everyone else."""
        if current_user.is_authenticated:
            abort(403)
        return redirect(url_for("auth.login", next=request.full_path))

    def actor(self) -> Actor:
        """Return the admin using the page."""
        actor = admin_actor()
        if actor is None:
            abort(403)
        return actor


class SecureIndexView(AdminsOnly, AdminIndexView):
    """The admin home page, for agency admins only."""

    @expose("/")
    def index(self) -> str:
        """Render the admin home."""
        return self.render("admin/home.html", actor=admin_actor())


class SecureBaseView(AdminsOnly, BaseView):
    """A custom admin page for agency admins only, working on the app's database ``db``."""

    def __init__(self, db: SQLAlchemy, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.db = db

    @property
    def session(self) -> Session:
        """Return the request's database session."""
        return self.db.session


class AgencyModelView(AdminsOnly, ModelView):
    """A model view limited to the admin's own agency (the model has ``agency_id``)."""

    agency_column = "agency_id"
    can_set_page_size = True
    page_size = 50

    def _agency_id(self) -> int:
        return self.actor().agency_id

    def get_query(self) -> Any:
        """List only the admin's agency's rows."""
        return super().get_query().filter(
            getattr(self.model, self.agency_column) == self._agency_id())

    def get_count_query(self) -> Any:
        """Count only the admin's agency's rows."""
        return super().get_count_query().filter(
            getattr(self.model, self.agency_column) == self._agency_id())

    def get_one(self, id: Any) -> Any:  # `id`: Flask-Admin's parameter name
        """Load one row of the admin's agency; another agency's row is 'not found'."""
        row = super().get_one(id)
        if row is None or getattr(row, self.agency_column) != self._agency_id():
            abort(404)
        return row

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """Stamp new rows with the admin's agency; refuse moving rows between agencies."""
        if is_created:
            setattr(model, self.agency_column, self._agency_id())
        elif getattr(model, self.agency_column) != self._agency_id():
            abort(404)
