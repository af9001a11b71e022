"""Alembic migrations build exactly the schema the models describe (and can be undone)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy import create_engine
from sqlalchemy import inspect
from sqlalchemy import text

from tests.conftest import PG_URL
from workflow.models import Base

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(name="connection")
def _connection(tmp_path: Path, database_url: str) -> Iterator[Connection]:
    """A connection to an empty schema: ``migcheck`` in the run's (worker's) PostgreSQL
    database, else a new SQLite file."""
    if PG_URL:
        engine = create_engine(database_url)
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS migcheck CASCADE"))
            conn.execute(text("CREATE SCHEMA migcheck"))
            conn.execute(text("SET search_path TO migcheck"))
            conn.commit()
            yield conn
            conn.rollback()
            conn.execute(text("SET search_path TO public"))
            conn.execute(text("DROP SCHEMA migcheck CASCADE"))
            conn.commit()
    else:
        engine = create_engine(f"sqlite:///{tmp_path / 'mig.sqlite'}")
        with engine.connect() as conn:
            yield conn
    engine.dispose()


def _config(connection: Connection) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["connection"] = connection
    return config


def test_upgrade_matches_models_and_downgrades(connection: Connection) -> None:
    """`upgrade head` leaves nothing for autogenerate to add; `downgrade base` empties it."""
    command.upgrade(_config(connection), "head")
    connection.commit()
    diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    assert "history_event" in inspect(connection).get_table_names()
    command.downgrade(_config(connection), "base")
    connection.commit()
    assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
