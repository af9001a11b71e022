"""Database engine settings shared by the app, the CLI and the benchmarks (no Flask)."""

from __future__ import annotations

import sqlite3
from typing import Any


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Make SQLite behave for a web app: enforce foreign keys, WAL, wait instead of failing.

    Register with ``event.listen(engine_or_Engine, "connect", sqlite_pragmas)``; connections
    to other databases are left alone.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
