"""Write a fired transition: move the evaluation row and append its history event, atomically.

The row is moved with ``UPDATE … WHERE id = :id AND lock_version = :seen``: if someone else
wrote since it was read, no row matches and nothing is written (the caller reports a
conflict). On PostgreSQL the update and the insert are one statement (a data-modifying
``WITH``: the event is inserted only for the row that moved), which saves a round-trip; on
SQLite they are two statements in the caller's transaction. Statements are built once per
set of changed columns, so their compiled form is cached.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Insert
from sqlalchemy import Update
from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from .history import RecordedEvent
from .metrics import TRANSITIONS_FIRED
from .models import Evaluation
from .models import HistoryEvent

_EVALUATION = Evaluation.__table__
_EVENT = HistoryEvent.__table__
_EVENT_COLUMNS = tuple(c.name for c in _EVENT.columns if c.name not in ("id", "evaluation_id"))


@cache
def _update(columns: frozenset[str]) -> Update:
    return (
        _EVALUATION.update()
        .where(_EVALUATION.c.id == bindparam("where_id"),
               _EVALUATION.c.lock_version == bindparam("where_version"))
        .values({name: bindparam(f"set_{name}", type_=_EVALUATION.c[name].type)
                 for name in sorted(columns)})
    )


_INSERT = _EVENT.insert().returning(_EVENT.c.id)


@cache
def _update_and_insert(columns: frozenset[str]) -> Insert:
    """``WITH moved AS (UPDATE … RETURNING id) INSERT … SELECT …, moved.id FROM moved``."""
    moved = _update(columns).returning(_EVALUATION.c.id).cte("moved")
    row = select(*(bindparam(f"event_{name}", type_=_EVENT.c[name].type)
                   for name in _EVENT_COLUMNS), moved.c.id)
    # add_cte: a data-modifying WITH must sit at the top of the statement, not in the SELECT.
    return (_EVENT.insert().from_select([*_EVENT_COLUMNS, "evaluation_id"], row)
            .add_cte(moved).returning(_EVENT.c.id))


def _params(evaluation_id: int, seen_version: int, values: dict[str, Any]) -> dict[str, Any]:
    return {"where_id": evaluation_id, "where_version": seen_version,
            **{f"set_{name}": value for name, value in values.items()}}


def _both(connection: Connection, evaluation_id: int, seen_version: int,
          values: dict[str, Any], event: dict[str, Any]) -> int | None:
    if connection.dialect.name == "postgresql":
        return connection.execute(_update_and_insert(frozenset(values)), {
            **_params(evaluation_id, seen_version, values),
            **{f"event_{name}": event[name] for name in _EVENT_COLUMNS},
        }).scalar()
    moved = connection.execute(_update(frozenset(values)),
                               _params(evaluation_id, seen_version, values))
    if moved.rowcount != 1:
        return None
    return connection.execute(_INSERT, event).scalar()


def record_transition(
    session: Session, evaluation_id: int, seen_version: int, values: dict[str, Any],
    event: dict[str, Any],
) -> RecordedEvent | None:
    """Write ``values`` on the evaluation and insert ``event`` (its columns), or nothing.

    Returns ``None`` when the row is no longer at ``seen_version`` (someone else won). If the
    session holds the evaluation as an ORM object, it is brought up to date without being
    marked dirty. The caller commits.
    """
    event_id = _both(session.connection(), evaluation_id, seen_version, values, event)
    if event_id is None:
        return None
    TRANSITIONS_FIRED.labels(trigger=event["trigger"]).inc()
    loaded = session.identity_map.get(identity_key(Evaluation, evaluation_id))
    if loaded is not None:
        for name, value in values.items():
            set_committed_value(loaded, name, value)
    return RecordedEvent(id=event_id, **event)
