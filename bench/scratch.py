"""Scratch databases for the benchmarks: a SQLite file with the app's pragmas, or a PostgreSQL
database created on the server and dropped afterwards. Each yields the engine and a line that
says what it is (printed at the top of a benchmark's output)."""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.engine import make_url

from workflow.database import sqlite_pragmas

DEFAULT_PG_URL = "postgresql+psycopg://root@127.0.0.1:5432/postgres"


def pg_server_url() -> str:
    """Return the PostgreSQL server to benchmark on (``BENCH_PG_URL``, else the local one)."""
    return os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL)


@contextmanager
def sqlite_engine() -> Iterator[tuple[Engine, str]]:
    """A new SQLite file database in a temporary directory, with the app's pragmas."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        engine = create_engine(f"sqlite:///{tmp}/bench.sqlite")
        event.listen(engine, "connect", sqlite_pragmas)
        with engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
        try:
            yield engine, (f"SQLite {sqlite3.sqlite_version}, file in {tmp}, journal_mode={mode}, "
                           f"synchronous={sync} (1=NORMAL)")
        finally:
            engine.dispose()


@contextmanager
def postgres_engine(server_url: str, suffix: str) -> Iterator[tuple[Engine, str] | None]:
    """A scratch database on the server (dropped afterwards), or ``None`` if unreachable."""
    name = f"bench_{os.getpid()}_{suffix}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means: skip PostgreSQL
        print(f"\n== PostgreSQL skipped: {server_url} unreachable ({type(exc).__name__}: "
              f"{str(exc).splitlines()[0]})")
        admin.dispose()
        yield None
        return
    engine = create_engine(make_url(server_url).set(database=name))
    try:
        with engine.connect() as conn:
            settings = {k: conn.exec_driver_sql(f"SHOW {k}").scalar() for k in (
                "server_version", "synchronous_commit", "fsync", "shared_buffers")}
        where = make_url(server_url).set(database=name).render_as_string(hide_password=True)
        yield engine, ("PostgreSQL " + ", ".join(f"{k}={v}" for k, v in settings.items())
                       + f", scratch database {where} (TCP)")
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
