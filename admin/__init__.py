"""Flask-Admin for agency admins: configuration plus hooks (see admin/views.py)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l
from jinja2 import BaseLoader
from jinja2 import ChoiceLoader
from jinja2 import FileSystemLoader

from web.headers import csp_nonce

from .security import SecureIndexView


def init_admin(app: Flask) -> Admin:
    """Create the admin of one app (views need an app context with Flask-SQLAlchemy-Lite)."""
    from web.extensions import db

    from .views import add_views

    admin = Admin(
        name=_l("Admin Instansi"),
        index_view=SecureIndexView(name=_l("Beranda"), url="/admin"),
        theme=Bootstrap4Theme(swatch="default", fluid=True),
        csp_nonce_generator=csp_nonce,  # Flask-Admin's inline scripts carry the page's nonce
    )
    with app.app_context():
        add_views(admin, db)
    admin.init_app(app)
    # Our overrides in admin/templates come before Flask-Admin's own templates.
    loaders: list[BaseLoader] = [FileSystemLoader(str(Path(__file__).parent / "templates"))]
    if app.jinja_loader is not None:
        loaders.append(app.jinja_loader)
    app.jinja_loader = ChoiceLoader(loaders)
    return admin
