"""The Flask application factory: configuration, extensions, blueprints, CLI. Nothing else.

No database access, migrations or file writes happen here; schema changes are CLI commands.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from workflow.registry import load_definitions
from workflow.service import Workflow

from . import cli
from .config import defaults
from .extensions import babel
from .extensions import csrf
from .extensions import db
from .extensions import login_manager


def _secret(app: Flask) -> str:
    secret = app.config.get("SECRET_KEY")
    if secret:
        return str(secret)
    key_file = Path(app.instance_path) / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    raise RuntimeError(
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
    audit_key = app.config.get("AUDIT_KEY") or hashlib.sha256(
        b"audit-chain:" + app.config["SECRET_KEY"].encode()
    ).hexdigest()

    logging.basicConfig(level=logging.INFO if not app.testing else logging.WARNING)
    logging.getLogger("transitions").setLevel(logging.WARNING)  # logs every state enter/exit

    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app)  # Flask-Admin 2.x returns 500 on every page without it
    login_manager.init_app(app)

    # Validate every definition file now: the app refuses to start on a bad one.
    app.extensions["definitions"] = load_definitions(app.config["WORKFLOW_DEFINITIONS_DIR"])
    app.extensions["workflow"] = Workflow(audit_key=audit_key.encode())

    cli.register(app)

    @app.get("/")
    def index() -> str:
        return "Penilaian Kinerja ASN — aplikasi berjalan."

    return app


def workflow_of(app: Flask) -> Workflow:
    """Return the app's workflow dependencies (audit key, forms, clock)."""
    wf: Workflow = app.extensions["workflow"]
    return wf
