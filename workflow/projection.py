"""The evaluation row as a projection of its history: which fields, and their digests.

Everything a page, export, API answer or document shows about an evaluation is one of
``PROJECTED_FIELDS``. Each event of an evaluation's chain stores, per field, the SHA-256 of
the field's value *after* the event (``HistoryEvent.projection``), and that map is inside the
event's HMAC. So checking a row against its history is one comparison with its newest event,
and a difference names the field. Events of version 1 (written before the projection was
recorded) carry none; an evaluation whose newest event is one of them is sealed by its next
event.

Fields that never change after the period opened (who, which period, the pinned versions,
the participants frozen with their identity) are computed once, by the opening event, and
carried over by every later event; a transition recomputes only ``MUTABLE_FIELDS``, after
checking that the row still holds what the previous event says (a changed row is refused,
never laundered into a fresh digest).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .definition import canonical_json
from .models import Evaluation
from .models import Participant

# What a transition or a draft may change on the row.
MUTABLE_FIELDS: tuple[str, ...] = (
    "status", "lock_version", "deadlines", "data", "rating_hasil_kerja",
    "rating_perilaku_kerja", "predikat", "updated_at",
)
# Set when the period opens, never changed afterwards; ``participants`` is the frozen
# reporting line: role → [employee id, identity printed on documents].
FIXED_FIELDS: tuple[str, ...] = (
    "agency_id", "employee_id", "period_id", "definition_version_id", "form_versions",
    "created_at", "participants",
    # The SKP the evaluation reads (issue 13); an evaluation opened before it existed has no
    # digest of it, and ``differing`` compares only the fields both sides have.
    "skp_id",
)
# Every evaluation column any surface shows (besides the chain head, which the chain checks).
PROJECTED_FIELDS: tuple[str, ...] = MUTABLE_FIELDS + FIXED_FIELDS

# The evaluation columns projected as they are stored (``participants`` is its own table).
STORED_COLUMNS = tuple(name for name in PROJECTED_FIELDS if name != "participants")
_COLUMNS = STORED_COLUMNS
_JSON_COLUMNS = frozenset({"deadlines", "data", "form_versions"})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def field_digest(value: Any) -> str:
    """Return the SHA-256 hex digest of one field's value (canonical JSON, times in UTC)."""
    if value is None or isinstance(value, str | int):  # bool is an int
        return _scalar_digest(type(value).__name__, value)
    return hashlib.sha256(canonical_json(_plain(value)).encode()).hexdigest()


@lru_cache(maxsize=65_536)
def _scalar_digest(_kind: str, value: Any) -> str:
    """Digest of a hashable scalar; the type is part of the key (``1`` and ``True`` differ)."""
    return hashlib.sha256(canonical_json(_plain(value)).encode()).hexdigest()


def _json_digest(value: Any) -> str:
    """Digest of a value read from a JSON column: already plain (str keys, no times)."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def project(values: Mapping[str, Any], names: Iterable[str] = PROJECTED_FIELDS) -> dict[str, str]:
    """Return ``field → digest`` of ``names`` taken from ``values``."""
    return {name: field_digest(values.get(name)) for name in names}


def participants_value(rows: Iterable[tuple[str, int, Mapping[str, Any] | None]]) -> dict[str, Any]:
    """Return the projected value of the participants: ``role → [employee id, identity]``."""
    return {role: [employee_id, dict(identity or {})] for role, employee_id, identity in rows}


def of_evaluation(evaluation: Evaluation) -> dict[str, Any]:
    """Return the projected values of an ORM evaluation (its participants loaded)."""
    values = {name: getattr(evaluation, name) for name in _COLUMNS}
    values["participants"] = participants_value(
        (p.role, p.employee_id, p.identity) for p in evaluation.participants)
    return values


def differing(recorded: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """Return the fields whose digest differs, in ``PROJECTED_FIELDS`` order.

    Only fields both sides have are compared (the history has none for a version-1 event).
    """
    return [name for name in PROJECTED_FIELDS
            if name in recorded and name in current and recorded[name] != current[name]]


def row_projections(
    session: Session, evaluation_ids: Iterable[int] | None = None, agency_id: int | None = None,
    batch: int = 500,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(evaluation id, projection)`` of the rows as stored now, in id order.

    Either the given evaluations, or every evaluation (of one agency); read in batches so a
    large agency is never held in memory at once.
    """
    table = Evaluation.__table__
    if evaluation_ids is not None:
        ids = sorted(set(evaluation_ids))
    else:
        query = select(table.c.id).order_by(table.c.id)
        if agency_id is not None:
            query = query.where(table.c.agency_id == agency_id)
        ids = list(session.scalars(query))
    people = Participant.__table__
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        rows = session.execute(select(table.c.id, *(table.c[n] for n in _COLUMNS))
                               .where(table.c.id.in_(chunk)).order_by(table.c.id)).all()
        found: dict[int, list[tuple[str, int, Any]]] = {}
        for eid, role, employee_id, identity in session.execute(
                select(people.c.evaluation_id, people.c.role, people.c.employee_id,
                       people.c.identity).where(people.c.evaluation_id.in_(chunk))):
            found.setdefault(eid, []).append((role, employee_id, identity))
        for row in rows:
            yield row[0], stored_projection(row[1:], found.get(row[0], []))


def stored_projection(columns: Sequence[Any],
                      participants: Iterable[tuple[str, int, Mapping[str, Any] | None]]
                      ) -> dict[str, str]:
    """Return the projection of an evaluation row as read from the database: the values of
    ``STORED_COLUMNS`` in that order, and its participants' (role, employee id, identity).

    The same digests as ``project``, faster: values from JSON columns are already plain.
    """
    digests = {name: (_json_digest(value) if name in _JSON_COLUMNS else field_digest(value))
               for name, value in zip(STORED_COLUMNS, columns, strict=True)}
    digests["participants"] = _json_digest(participants_value(participants))
    return digests
