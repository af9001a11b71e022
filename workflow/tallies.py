"""The dashboard's counts, kept as evaluations change instead of counted by scanning them.

``evaluation_tally`` holds, per agency, period, unit kerja (the employee's current one, as the
distribution rule reads it), flow version, state and predikat (``""`` = none yet), how many
evaluations are there. Every writer keeps it in its own transaction:

- opening a period adds its new evaluations (``add_opened``);
- a transition that changes the state or the predikat moves one evaluation from its old key
  to its new one (``move``: one upsert statement, its two rows in key order so that two
  transitions never wait on each other in a cycle);
- an employee who moves to another unit kerja (the org import, the admin's form) takes her
  evaluations along (``before_flush`` below, for every ORM change of ``unit_kerja``).

``rebuild_tallies`` recounts one agency from its evaluations (``flask workflow recount``; the
migration that created the table, and the benchmark after seeding with COPY). Reading the
figures is one grouped query over at most periods × units × states × predikat rows, however
many evaluations there are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import delete
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import inspect
from sqlalchemy import literal
from sqlalchemy import literal_column
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm import UOWTransaction

from .models import Employee
from .models import Evaluation
from .models import EvaluationTally

_TALLY = EvaluationTally.__table__
KEY = ("agency_id", "period_id", "unit_kerja", "definition_version_id", "status", "predikat")
Key = tuple[int, int, str, int, str, str]


def _insert(connection: Connection) -> postgresql.Insert | sqlite.Insert:
    """Return an ``INSERT`` into the tallies that can add to an existing key (upsert)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(_TALLY)
    return sqlite.insert(_TALLY)


def _add_on_conflict(statement: postgresql.Insert | sqlite.Insert) -> Any:
    return statement.on_conflict_do_update(
        index_elements=list(KEY), set_={"n": _TALLY.c.n + statement.excluded.n})


def _upsert(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Add each row's ``n`` to its key (creating the key), in key order."""
    if not rows:
        return
    rows = sorted(rows, key=lambda r: tuple(r[k] for k in KEY))
    connection.execute(_add_on_conflict(_insert(connection).values(rows)))


def move(session: Session, agency_id: int, period_id: int, employee_id: int, version_id: int,
         before: tuple[str, str | None], after: tuple[str, str | None]) -> None:
    """Move one evaluation from ``(state, predikat)`` ``before`` to ``after`` (one statement).

    The unit kerja is read inside the statement (the employee's current one).
    """
    if before == after:
        return
    unit = (select(Employee.unit_kerja).where(Employee.id == employee_id)
            .scalar_subquery())
    (state_a, pred_a), (state_b, pred_b) = before, after
    keys = sorted([((state_a, pred_a or ""), -1), ((state_b, pred_b or ""), 1)])
    connection = session.connection()
    statement = _insert(connection).from_select(
        [*KEY, "n"],
        select(literal(agency_id), literal(period_id), unit, literal(version_id),
               literal(keys[0][0][0]), literal(keys[0][0][1]), literal(keys[0][1]))
        .union_all(select(literal(agency_id), literal(period_id), unit, literal(version_id),
                          literal(keys[1][0][0]), literal(keys[1][0][1]),
                          literal(keys[1][1]))))
    connection.execute(_add_on_conflict(statement))


def add_opened(session: Session, evaluations: Iterable[Evaluation], units: dict[int, str]
               ) -> None:
    """Count newly opened evaluations (``units``: employee id → unit kerja)."""
    counted: Counter[Key] = Counter()
    for ev in evaluations:
        counted[(ev.agency_id, ev.period_id, units.get(ev.employee_id, ""),
                 ev.definition_version_id, ev.status, ev.predikat or "")] += 1
    _upsert(session.connection(), [dict(zip(KEY, key, strict=True)) | {"n": n}
                                   for key, n in counted.items()])


def _grouped(where: Any) -> Any:
    # A literal, not a bound "": PostgreSQL must see the same expression in GROUP BY.
    predikat = func.coalesce(Evaluation.predikat, literal_column("''"))
    return (select(Evaluation.agency_id, Evaluation.period_id, Employee.unit_kerja,
                   Evaluation.definition_version_id, Evaluation.status, predikat, func.count())
            .select_from(Evaluation).join(Employee, Employee.id == Evaluation.employee_id)
            .where(where)
            .group_by(Evaluation.agency_id, Evaluation.period_id, Employee.unit_kerja,
                      Evaluation.definition_version_id, Evaluation.status, predikat))


def rebuild_tallies(session: Session, agency_id: int) -> int:
    """Recount the agency's tallies from its evaluations; return how many rows were written."""
    session.execute(delete(_TALLY).where(_TALLY.c.agency_id == agency_id))
    result = session.connection().execute(insert(_TALLY).from_select(
        [*KEY, "n"], _grouped(Evaluation.agency_id == agency_id)))
    return int(result.rowcount or 0)


def employee_moved(session: Session, employee_id: int, old_unit: str, new_unit: str) -> None:
    """Move an employee's evaluations from her old unit kerja's tallies to the new one's."""
    employees_moved(session, [(employee_id, old_unit, new_unit)])


def employees_moved(session: Session, moves: Sequence[tuple[int, str, str]]) -> None:
    """Move the evaluations of employees who changed units (employee id, old unit, new unit)
    from the old units' tallies to the new ones': one grouped read per thousand employees and
    one upsert (the ORM listener below moves one; the org import moves many at once)."""
    unit_of = {employee_id: (old, new) for employee_id, old, new in moves}
    ids = list(unit_of)
    predikat = func.coalesce(Evaluation.predikat, literal_column("''"))
    counted: Counter[Key] = Counter()
    for start in range(0, len(ids), 1000):
        rows = session.connection().execute(
            select(Evaluation.employee_id, Evaluation.agency_id, Evaluation.period_id,
                   Evaluation.definition_version_id, Evaluation.status, predikat, func.count())
            .where(Evaluation.employee_id.in_(ids[start:start + 1000]))
            .group_by(Evaluation.employee_id, Evaluation.agency_id, Evaluation.period_id,
                      Evaluation.definition_version_id, Evaluation.status, predikat)).all()
        for employee_id, agency_id, period_id, version_id, status, pred, n in rows:
            old_unit, new_unit = unit_of[employee_id]
            counted[(agency_id, period_id, old_unit, version_id, status, pred)] -= n
            counted[(agency_id, period_id, new_unit, version_id, status, pred)] += n
    _upsert(session.connection(), [dict(zip(KEY, key, strict=True)) | {"n": n}
                                   for key, n in counted.items() if n])


@event.listens_for(Session, "before_flush")
def _units_follow_employees(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    """Keep the tallies when an employee's unit kerja changes (any ORM writer)."""
    for obj in session.dirty:
        if not isinstance(obj, Employee) or obj.id is None:
            continue
        history = inspect(obj).attrs.unit_kerja.history
        if history.deleted and history.added and history.deleted[0] != history.added[0]:
            employee_moved(session, obj.id, history.deleted[0] or "", history.added[0] or "")
