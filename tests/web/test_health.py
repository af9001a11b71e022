"""``/healthz``: 200 only when the database answers and its schema is at this code's head."""

from __future__ import annotations

from alembic import command
from flask import Flask
from flask.testing import FlaskClient

from web import create_app
from web.extensions import db
from web.health import expected_revision
from web.resources import alembic_config


def stamp(app: Flask, revision: str) -> None:
    config = alembic_config()
    with app.app_context(), db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.stamp(config, revision)


def test_ok_only_at_the_expected_schema_revision(app: Flask, client: FlaskClient) -> None:
    head = expected_revision()
    assert head is not None and head >= "0003"
    stamp(app, "0002")
    behind = client.get("/healthz")
    assert behind.status_code == 503
    assert behind.json == {"status": "unavailable", "database": "ok",
                           "schema": {"current": "0002", "expected": head},
                           "hint": "flask --app wsgi init-db"}
    stamp(app, "head")
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.json["status"] == "ok"
    assert ok.json["schema"] == {"current": head, "expected": head}
    assert ok.headers["Cache-Control"] == "no-store"


def test_unreachable_database_is_503() -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_ENGINES": {
        "default": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"}})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"
    assert "nobody" not in response.get_data(as_text=True)  # no connection details leak
