"""Database engine settings shared by the app, the CLI and the benchmarks (no Flask), and the
one way to read an agency's distinct values off an index."""

from __future__ import annotations

import sqlite3
from typing import Any
from typing import TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy import func
from sqlalchemy import text
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm import Session

T = TypeVar("T")


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


def postgres_settings(dbapi_connection: Any, _record: Any) -> None:
    """Set up PostgreSQL connections for page-sized reads: no JIT, no parallel workers.

    Both pay off for long analytic queries; the app's reads are index walks of a page, and
    both are triggered by cost estimates that grow with the tables, so they appear only at
    scale (``bench/scale.py --explain`` at 1M evaluations):

    - JIT: a 25-row read of the inbox (the return reasons, 0.4 ms of work) crossed
      ``jit_above_cost`` and spent 500–700 ms compiling;
    - parallel workers: the planner divides a sequential scan's cost among them, and chose
      to read all 100,000 employees in two processes to find one unit kerja's 50 over the
      ``(agency_id, unit_kerja)`` index (30 ms instead of 0.1 ms, more on a busy machine).

    Register with ``event.listen(engine_or_Engine, "connect", postgres_settings)``;
    connections to other databases are left alone.
    """
    if type(dbapi_connection).__module__.startswith("psycopg"):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
            cursor.execute("SET max_parallel_workers_per_gather = 0")
        dbapi_connection.commit()


def gathered_first(column: ColumnElement[T] | InstrumentedAttribute[T]) -> ColumnElement[T]:
    """Return ``column`` as a sort key no index serves.

    For a list scoped to a small set of rows (one person's evaluations, one unit kerja's
    history) sorted by a column the agency-wide index starts with, PostgreSQL may walk that
    index in order and test every row against the scope, hoping to meet a page of them soon:
    tens of thousands of rows at 100k evaluations, growing with the agency
    (``bench/scale.py --explain``). Sorting by this expression instead makes it gather the
    scoped rows through their own index and sort those few. Same order, same result.
    """
    gathered: ColumnElement[T] = func.coalesce(column, column)
    return gathered


def distinct_values(session: Session, table: str, agency_id: int, columns: tuple[str, ...],
                    limit: int | None = None) -> list[tuple[Any, ...]]:
    """Return the distinct values of ``columns`` among one agency's rows of ``table``, sorted
    (the first ``limit`` of them).

    On PostgreSQL this walks an index on ``(agency_id, *columns)`` one distinct value at a
    time (a recursive "loose index scan": one probe per value), so it costs the number of
    distinct values, not of rows: a plain ``DISTINCT`` reads every row of the agency. Other
    databases run the plain ``DISTINCT``. ``table`` and ``columns`` are code, never input.
    """
    cols = ", ".join(columns)
    params = {"agency": agency_id, "limit": limit if limit is not None else 2**31 - 1}
    if session.get_bind().dialect.name != "postgresql":
        sql = (f"SELECT DISTINCT {cols} FROM {table} WHERE agency_id = :agency "  # noqa: S608 - names from code
               f"ORDER BY {cols} LIMIT :limit")
        return [tuple(r) for r in session.execute(text(sql), params)]
    prev = ", ".join(f"found.{c}" for c in columns)
    sql = f"""
        WITH RECURSIVE found AS (
            (SELECT 1 AS depth, {cols} FROM {table} WHERE agency_id = :agency
             ORDER BY {cols} LIMIT 1)
            UNION ALL
            SELECT found.depth + 1, later.* FROM found, LATERAL (
                SELECT {cols} FROM {table}
                WHERE agency_id = :agency AND ({cols}) > ({prev})
                ORDER BY {cols} LIMIT 1) AS later
            WHERE found.depth < :limit
        )
        SELECT {cols} FROM found"""  # noqa: S608 - names from code
    return [tuple(r) for r in session.execute(text(sql), params)]
