"""Alembic environment: runs on the connection the CLI hands over, or on DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from web.config import sqlalchemy_url
from workflow import history  # noqa: F401 - registers the PostgreSQL append-only trigger DDL
from workflow.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations on the given connection (from ``flask init-db``) or a new engine."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = sqlalchemy_url(os.environ.get("DATABASE_URL", "sqlite:///instance/penilaian.sqlite"))
    engine = create_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) mode is not supported; run against a database.")
run_migrations_online()
