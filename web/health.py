"""``GET /healthz`` for load balancers and deploy scripts: is the database reachable, and is
its schema at the revision this code expects?

Answers 200 ``{"status": "ok", …}`` or 503 ``{"status": "unavailable", …}``; no log-in, no
data of any agency, not cached. It also reports the deadline runner
(``"deadline_runner": {"status": "ok" | "late", "last_run": …}``): late when no run finished
within ``DEADLINE_RUNNER_MAX_AGE_MINUTES`` (no worker is running the periodic tasks). A late
runner does not make the app unhealthy (every app server would be taken out of the load
balancer for a worker's fault): monitoring alerts on ``"late"``.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from workflow.deadline_runner import last_run

from .extensions import db

bp = Blueprint("health", __name__)

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def expected_revision() -> str | None:
    """Return the head revision of the migrations shipped with this code."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Check the database connection and the schema revision."""
    expected = expected_revision()
    try:
        with db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        body: dict[str, object] = {"status": "unavailable", "database": "unreachable",
                                   "error": type(exc).__name__, "schema": {"expected": expected}}
        return _answer(body, 503)
    ok = current == expected
    body = {"status": "ok" if ok else "unavailable", "database": "ok",
            "schema": {"current": current, "expected": expected}}
    if ok:
        body["deadline_runner"] = _runner()
    if not ok:
        body["hint"] = "flask --app wsgi init-db"
    return _answer(body, 200 if ok else 503)


def _runner() -> dict[str, object]:
    """Report whether the deadline runner finished a run recently enough."""
    run = last_run(db.session)
    finished = run.finished_at if run is not None else None
    limit = timedelta(minutes=current_app.config["DEADLINE_RUNNER_MAX_AGE_MINUTES"])
    wf = current_app.extensions["workflow"]
    late = finished is None or wf.clock() - finished > limit
    return {"status": "late" if late else "ok",
            "last_run": finished.isoformat() if finished else None,
            "max_age_minutes": int(limit.total_seconds() // 60)}


def _answer(body: dict[str, object], status: int) -> ResponseReturnValue:
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, status
