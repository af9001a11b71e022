"""The Flask application factory: configuration, extensions, blueprints, CLI. Nothing else.

``web`` is the top layer: it may import ``admin`` (mounted with ``init_admin``), ``demo`` (the
``flask demo`` command), ``l10n``, ``reports``, ``forms`` and ``workflow``; nothing imports it.
No database access, migrations or file writes happen here; schema changes are CLI commands.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask import has_request_context
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import get_locale
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from admin import init_admin
from forms.library import agency_form_dirs
from forms.library import load_form_specs
from forms.store import StoredForms
from l10n import READER_ZONE
from l10n import local_time
from l10n import localized
from l10n import when
from workflow.auditkeys import load_keys
from workflow.registry import load_definitions
from workflow.service import Workflow

from . import account
from . import api
from . import api_evidence  # noqa: F401 - registers realisation and evidence routes
from . import api_feedback  # noqa: F401 - feedback and dialog routes on the api blueprint
from . import api_skp  # noqa: F401 - registers the SKP routes on the api blueprint
from . import audit
from . import auth
from . import bulk
from . import cli
from . import dashboard
from . import documents
from . import evaluations
from . import health
from . import metrics
from . import notifications
from . import reassignment_page
from . import skp_feedback  # noqa: F401 - feedback and dialog routes on the skp blueprint
from . import skp_pages
from . import skp_realisation
from . import tasks
from .config import ConfigurationError
from .config import check_production
from .config import defaults
from .documents import public_base_url
from .errors import register_error_handlers
from .extensions import babel
from .extensions import bootstrap
from .extensions import csrf
from .extensions import db
from .extensions import limiter
from .extensions import login_manager
from .headers import csp_nonce
from .headers import init_security_headers
from .inputs import init_inputs
from .logs import configure_logging
from .logs import init_request_logging
from .session_cookie import ClockedSessionInterface
from .times import reader_zone


def _secret(app: Flask) -> str:
    secret = app.config.get("SECRET_KEY")
    if secret:
        return str(secret)
    key_file = Path(app.instance_path) / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    raise ConfigurationError(
        "SECRET_KEY belum diatur. Set variabel lingkungan SECRET_KEY, atau jalankan 'make run' "
        "yang membuat instance/secret_key. / SECRET_KEY is not set: export SECRET_KEY or run "
        "'make run', which creates instance/secret_key."
    )


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the application."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(defaults(app.instance_path))
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.update(test_config)
    app.config["SECRET_KEY"] = _secret(app)
    check_production(app.config, debug=app.debug)
    audit_key = app.config.get("AUDIT_KEY") or hashlib.sha256(
        b"audit-chain:" + app.config["SECRET_KEY"].encode()
    ).hexdigest()

    configure_logging(level=app.config["LOG_LEVEL"] if not app.testing else "WARNING",
                      text=app.config["LOG_FORMAT"] == "text")
    init_request_logging(app)  # first: a request refused by a later hook is logged too
    init_inputs(app)  # before any route: <int:…> ids use its range-checked converter
    db.init_app(app)
    # No async engines are configured, but Flask-SQLAlchemy-Lite registers an async teardown
    # anyway; Flask would run it through asgiref on every request (a thread hop, and an error
    # when an event loop runs in the thread). Drop that one teardown.
    app.teardown_appcontext_funcs = [
        f for f in app.teardown_appcontext_funcs if f.__name__ != "_close_async_sessions"]
    csrf.init_app(app)
    init_security_headers(app)
    # Flask-Admin 2.x returns 500 on every page unless Babel is initialised.
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    if app.config["PROXY_COUNT"]:  # the client's address (and scheme) from the trusted proxies
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]

    # Validate every definition file now: the app refuses to start on a bad one.
    app.extensions["definitions"] = load_definitions(app.config["WORKFLOW_DEFINITIONS_DIR"])
    load_form_specs(app.config["WORKFLOW_FORMS_DIR"])
    for folder in agency_form_dirs(app.config["WORKFLOW_FORMS_DIR"]).values():
        load_form_specs(folder)
    checkpoints = app.config.get("AUDIT_CHECKPOINT_DIR")
    keyring = app.config.get("AUDIT_KEYRING")
    keys = load_keys(audit_key.encode(), Path(keyring) if keyring else None)
    app.extensions["workflow"] = Workflow(audit_key=keys, forms=StoredForms(),
                                          checkpoint_dir=Path(checkpoints) if checkpoints else None,
                                          notify_channels=tasks.notify_channels(app))
    notifications.init_badge(app)
    app.session_interface = ClockedSessionInterface()  # idle expiry by the workflow's clock

    cli.register(app)
    tasks.bind(app)  # the app queue tasks run in when none is active (a worker's)
    app.extensions["jobs"] = tasks.JobQueue(app)

    for blueprint in (auth.bp, account.bp, evaluations.bp, bulk.bp, reassignment_page.bp,
                      audit.bp, dashboard.bp, api.bp, documents.bp, health.bp, metrics.bp,
                      notifications.bp, skp_pages.bp, skp_realisation.bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api.bp)  # token-authenticated, no cookies: CSRF does not apply
    register_error_handlers(app)
    init_admin(app, db, csp_nonce=csp_nonce, public_base_url=public_base_url)

    # Helpers every template may use, the admin's included (it imports nothing from web).
    app.add_template_filter(localized, "localized")
    app.add_template_filter(local_time, "local_time")
    app.add_template_global(when, "when")
    app.extensions[READER_ZONE] = reader_zone  # l10n.local_time shows times in this zone

    @app.context_processor
    def _locale() -> dict[str, str]:
        return {"current_locale": str(get_locale() or "id")}

    @app.get("/")
    def index() -> Response:
        return redirect(url_for("evaluations.inbox"))

    return app


def select_locale() -> str:
    """Pick Indonesian unless the user chose English (cookie ``lang``)."""
    if not has_request_context():
        return "id"
    return "en" if request.cookies.get("lang") == "en" else "id"
