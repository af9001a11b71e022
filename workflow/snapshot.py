"""What a transition needs to know of an evaluation, read in one Core query.

Firing a transition reads one row and writes one row plus one event. Hydrating ORM objects
(the evaluation, its participants with their identity JSON) for that read cost more than the
database work itself, so the write path reads a plain, immutable snapshot instead: the
evaluation's own columns, its participants as ``role → employee id``, aggregated by the
database into the same row, and the projection its newest event recorded (``projection``:
the write checks the row against it). Pages and reports keep using the ORM models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy import bindparam
from sqlalchemy import cast
from sqlalchemy import literal_column
from sqlalchemy import select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from .models import Evaluation
from .models import HistoryEvent
from .models import Participant


@dataclass(frozen=True, slots=True)
class EvaluationSnapshot:
    """An evaluation as read at the start of a transition (same attribute names as the model)."""

    id: int
    agency_id: int
    employee_id: int
    period_id: int
    # The SKP the evaluation is keyed on (None: opened without one; ``skp_plan.skp_of``).
    skp_id: int | None
    definition_version_id: int
    status: str
    lock_version: int
    deadlines: Mapping[str, str]
    data: Mapping[str, Any]
    form_versions: Mapping[str, int]
    rating_hasil_kerja: str | None
    rating_perilaku_kerja: str | None
    predikat: str | None
    history_seq: int
    history_head: str
    updated_at: datetime
    participants: Mapping[str, int]
    # What the newest event recorded of the row (``projection``): the write checks against it.
    recorded: Mapping[str, str]

    @classmethod
    def of(cls, evaluation: Evaluation, recorded: Mapping[str, str]) -> EvaluationSnapshot:
        """Take the snapshot of an evaluation the session already holds (its view of the row)."""
        values = {name: getattr(evaluation, name) for name in _COLUMNS}
        return cls(**_defaults(values), participants=evaluation.participant_ids(),
                   recorded=recorded)

    def participant_ids(self) -> dict[str, int]:
        """Return role → employee id of the reporting line snapshotted at opening."""
        return dict(self.participants)

    def values(self, form_key: str) -> dict[str, Any]:
        """Return the stored values of one step's form (empty if never saved)."""
        entry = (self.data or {}).get(form_key) or {}
        return dict(entry.get("values") or {})


# What read-only code (roles, guards' context, form validation) accepts: either form.
EvaluationLike = Evaluation | EvaluationSnapshot

_EVALUATION = Evaluation.__table__
_PARTICIPANT = Participant.__table__
_EVENT = HistoryEvent.__table__
_COLUMNS = tuple(name for name in EvaluationSnapshot.__slots__
                 if name not in ("participants", "recorded"))


class _joined(FunctionElement[str]):
    """``string_agg(x, ',')`` / ``group_concat(x)`` with the separator in the SQL text.

    (``func.aggregate_strings`` sends the separator as a literal rendered on every execution.)
    """

    type = String()
    inherit_cache = True
    name = "joined"


@compiles(_joined)
def _group_concat(element: _joined, compiler: SQLCompiler, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)})"  # ',' is the default


@compiles(_joined, "postgresql")
def _string_agg(element: _joined, compiler: SQLCompiler, **kw: Any) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)}, ',')"


# "role:id,role:id": role names are identifiers (validated), so neither separator occurs.
_PARTICIPANTS = (
    select(_joined(_PARTICIPANT.c.role + literal_column("':'")
                   + cast(_PARTICIPANT.c.employee_id, String)))
    .where(_PARTICIPANT.c.evaluation_id == _EVALUATION.c.id)
    .scalar_subquery()
)
# The projection recorded by the event the chain head names (indexed by evaluation id).
_RECORDED = (
    select(_EVENT.c.projection)
    .where(_EVENT.c.evaluation_id == _EVALUATION.c.id,
           _EVENT.c.seq == _EVALUATION.c.history_seq)
    .scalar_subquery()
)
# Built once, so its compiled form is cached once.
_LOAD = select(*(_EVALUATION.c[name] for name in _COLUMNS), _PARTICIPANTS, _RECORDED).where(
    _EVALUATION.c.id == bindparam("evaluation_id")
)
_LOAD_RECORDED = select(_EVENT.c.projection).where(
    _EVENT.c.evaluation_id == bindparam("evaluation_id"), _EVENT.c.seq == bindparam("seq"))


def _parse_participants(joined: str | None) -> dict[str, int]:
    pairs = (item.split(":", 1) for item in (joined or "").split(",") if item)
    return {role: int(employee_id) for role, employee_id in pairs}


def _defaults(values: dict[str, Any]) -> dict[str, Any]:
    for name in ("deadlines", "data", "form_versions"):
        values[name] = values[name] or {}
    values["history_head"] = values["history_head"] or ""
    values["history_seq"] = values["history_seq"] or 0
    return values


def load_snapshot(session: Session, evaluation_id: int) -> EvaluationSnapshot | None:
    """Return the evaluation as this session sees it (``None`` if it does not exist).

    If the session already holds the evaluation (an ORM object in its identity map), that is
    its view and the snapshot is taken from it, as an ORM query would return it; otherwise
    the row and its participants are read in one statement. Either way the version check of
    the write decides whether someone else changed it in between. Pending ORM changes are
    flushed first, as an ORM query would (autoflush).
    """
    if session.new or session.dirty or session.deleted:
        session.flush()
    held = session.identity_map.get(identity_key(Evaluation, evaluation_id))
    if held is not None:
        recorded = session.connection().execute(_LOAD_RECORDED, {
            "evaluation_id": evaluation_id, "seq": held.history_seq or 0}).scalar()
        return EvaluationSnapshot.of(held, recorded or {})
    row = session.connection().execute(_LOAD, {"evaluation_id": evaluation_id}).first()
    if row is None:
        return None
    *columns, participants, recorded = row
    values = _defaults(dict(zip(_COLUMNS, columns, strict=True)))
    return EvaluationSnapshot(**values, participants=_parse_participants(participants),
                              recorded=recorded or {})
