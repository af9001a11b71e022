"""Who may use the admin, and agency isolation for every admin view.

Every model view subclasses ``AgencyModelView``: only agency admins get in, list/count
queries are filtered to the admin's agency, and a direct URL to another agency's row gives
404 (``get_one`` is filtered too). Writes are stamped with the admin's agency. Secret columns
(``SECRET_COLUMNS``: password hashes, token and code digests) never appear in any list,
details page, export, filter, search or sort of any view.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort
from flask import redirect
from flask import request
from flask import url_for
from flask_admin import AdminIndexView
from flask_admin import BaseView
from flask_admin import expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from flask_babel import gettext as _
from flask_login import current_user
from flask_sqlalchemy_lite import SQLAlchemy
from markupsafe import Markup
from sqlalchemy.orm import Session
from sqlalchemy.orm import object_session
from werkzeug.wrappers import Response

from l10n import local_time
from l10n import reader_zone
from workflow.actors import Actor
from workflow.agencies import INSTALLATION_SLUG
from workflow.agencies import is_superadmin
from workflow.localtime import abbreviation


def admin_actor() -> Actor | None:
    """Return the logged-in agency admin, or None."""
    if not current_user.is_authenticated:
        return None
    actor: Actor = current_user.actor
    return actor if actor.is_admin else None


def superadmin_actor() -> Actor | None:
    """Return the logged-in super-admin of the installation (``workflow.agencies``), or None."""
    if not current_user.is_authenticated or (
            current_user.employee.agency.slug != INSTALLATION_SLUG):
        return None  # only the reserved agency's accounts are looked up: no query for others
    session = object_session(current_user.employee)
    actor: Actor = current_user.actor
    return actor if session is not None and is_superadmin(session, actor.employee_id) else None


class SuperAdminsOnly:
    """Mixin for the installation's pages: super-admins get in, anonymous users log in."""

    def is_accessible(self) -> bool:
        """Allow the installation's super-admins only."""
        return superadmin_actor() is not None

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        """Send anonymous users to log in; refuse everyone else."""
        if current_user.is_authenticated:
            abort(403)
        return redirect(url_for("auth.login", next=request.full_path))

    def actor(self) -> Actor:
        """Return the super-admin using the page."""
        actor = superadmin_actor()
        if actor is None:
            abort(403)
        return actor


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
    """The admin home page, for agency admins and the installation's super-admins."""

    def is_accessible(self) -> bool:
        """Allow agency admins and super-admins."""
        return admin_actor() is not None or superadmin_actor() is not None

    @expose("/")
    def index(self) -> str:
        """Render the admin home (with the agency's time zone)."""
        zone = reader_zone()
        return self.render("admin/home.html", actor=admin_actor() or superadmin_actor(),
                           agency_admin=admin_actor() is not None,
                           superadmin=superadmin_actor() is not None, zone=zone,
                           zone_abbreviation=abbreviation(zone))


class SecureBaseView(AdminsOnly, BaseView):
    """A custom admin page for agency admins only, working on the app's database ``db``."""

    def __init__(self, db: SQLAlchemy, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.db = db

    @property
    def session(self) -> Session:
        """Return the request's database session."""
        return self.db.session


# Columns no admin page may ever show, filter, search or sort by.
SECRET_COLUMNS = frozenset({"password_hash", "digest"})


def _secret(column: Any) -> bool:
    name = column if isinstance(column, str) else getattr(column, "key", None) or getattr(
        column, "name", "")
    return str(name).rsplit(".", 1)[-1] in SECRET_COLUMNS


def _local_moment(view: Any, value: datetime, name: str) -> str:
    return local_time(value, "timestamp")


def _yes_no(view: Any, value: bool, name: str) -> Markup:
    """A yes/no column in the reader's language (Flask-Admin's icon says "true"/"false")."""
    text = _("Ya") if value else _("Tidak")
    icon = "fa-check-circle" if value else "fa-minus-circle"
    return Markup('<span class="fa {}" aria-hidden="true"></span> {}').format(icon, text)


class AgencyModelView(AdminsOnly, ModelView):
    """A model view limited to the admin's own agency (the model has ``agency_id``).

    Times are shown in the agency's zone (``l10n.local_time``), never as stored UTC.
    """

    agency_column = "agency_id"
    can_set_page_size = True
    page_size = 50
    column_type_formatters = {**typefmt.BASE_FORMATTERS, datetime: _local_moment, bool: _yes_no}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, datetime: _local_moment,
                                     bool: _yes_no}

    form_excluded_columns = tuple(sorted(SECRET_COLUMNS))  # views without form_columns

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Refuse a configuration that filters, searches, sorts by or edits a secret column."""
        for option in ("column_filters", "column_searchable_list", "column_sortable_list",
                       "form_columns"):
            named = [c for c in getattr(self, option, None) or () if _secret(c)]
            if named:
                raise ValueError(f"{type(self).__name__}.{option} names a secret column: "
                                 f"{named}")
        super().__init__(*args, **kwargs)

    def get_column_names(self, only_columns: Any, excluded_columns: Any) -> Any:
        """Drop secret columns from every list, details page and export."""
        return [(c, label) for c, label in super().get_column_names(only_columns,
                                                                    excluded_columns)
                if not _secret(c)]

    def get_sortable_columns(self) -> Any:
        """Never sort by a secret column (the order would leak it)."""
        return {k: v for k, v in super().get_sortable_columns().items() if not _secret(k)}

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
