"""Flask-Admin for agency admins: configuration plus hooks (see admin/views.py).

Imports Flask and its extensions, ``l10n``, ``forms``, ``reports`` and ``workflow``; never
``web``. The app factory mounts it with what it needs: ``init_admin(app, db, csp_nonce=…,
public_base_url=…)``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy_lite import SQLAlchemy
from jinja2 import BaseLoader
from jinja2 import ChoiceLoader
from jinja2 import FileSystemLoader

from .security import SecureIndexView
from .views import add_views


def init_admin(app: Flask, db: SQLAlchemy, *, csp_nonce: Callable[[], str],
               public_base_url: Callable[[], str]) -> Admin:
    """Create the admin of one app on its database.

    ``csp_nonce`` returns the page's script nonce; ``public_base_url`` the address printed on
    activation slips and in the documents' verification links.
    """
    admin = Admin(
        name=_l("Admin Instansi"),
        # Flask-Admin's own strings in Indonesian: its "admin" translation domain looks here
        # first (admin/translations/id/LC_MESSAGES/admin.po; Flask-Admin ships no Indonesian).
        translations_path=str(Path(__file__).parent / "translations"),
        index_view=SecureIndexView(name=_l("Beranda"), url="/admin"),
        # admin/templates/admin/app_base.html: language, back to the app, log-out, phone
        theme=Bootstrap4Theme(swatch="default", fluid=True, base_template="admin/app_base.html"),
        csp_nonce_generator=csp_nonce,  # Flask-Admin's inline scripts carry the page's nonce
    )
    with app.app_context():  # the model views need an app context with Flask-SQLAlchemy-Lite
        add_views(admin, db, public_base_url)
    admin.init_app(app)
    # Our overrides in admin/templates come before Flask-Admin's own templates.
    loaders: list[BaseLoader] = [FileSystemLoader(str(Path(__file__).parent / "templates"))]
    if app.jinja_loader is not None:
        loaders.append(app.jinja_loader)
    app.jinja_loader = ChoiceLoader(loaders)
    return admin
