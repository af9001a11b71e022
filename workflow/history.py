"""Append-only, hash-chained history: write events, verify chains.

Every evaluation has its own chain (``evaluation:<id>``), every SKP too (``skp:<id>``,
``workflow.skp``), and every agency one more
(``agency:<id>``) for admin changes, log-ins and issued documents. Each event's hash is an
HMAC-SHA256, keyed by a secret the database does not hold, over the event's fields and the
previous event's hash; the chain's head (sequence and hash) is kept on the owning row. So an
edited, deleted, inserted, reordered or truncated event is detected, and someone with write
access to the database alone cannot forge a consistent chain.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlalchemy import DDL
from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy.orm import Session

from .definition import canonical_json
from .models import Agency
from .models import Evaluation
from .models import HistoryEvent
from .models import Skp
from .projection import differing
from .projection import row_projections
from .snapshot import EvaluationLike

# The fields each hash version covers. Version 1 (events written before the projection was
# recorded) left out ``actor_id`` (whose name the audit trail shows) and had no projection;
# version 2 covers every column any surface shows. The version is itself hashed, so an event
# cannot be passed off as version 1 (its hash would not match the shorter material).
HASHED_FIELDS_V1 = (
    "agency_id", "evaluation_id", "chain", "seq", "at", "kind", "actor_nip", "actor_role",
    "trigger", "source", "dest", "definition_version_id", "comment", "data_digest", "payload",
    "prev_hash",
)
HASHED_FIELDS = (*HASHED_FIELDS_V1, "hash_version", "actor_id", "projection")
HASH_VERSION = 2
_FIELDS_OF_VERSION = {1: HASHED_FIELDS_V1, 2: HASHED_FIELDS}

# PostgreSQL refuses UPDATE and DELETE on the history table outright …
HISTORY_GUARD_SQL = """
CREATE OR REPLACE FUNCTION history_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'history_event is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER history_event_append_only
    BEFORE UPDATE OR DELETE ON history_event
    FOR EACH ROW EXECUTE FUNCTION history_event_append_only();
"""
# … and TRUNCATE (a statement trigger: row triggers do not see it).
HISTORY_TRUNCATE_GUARD_SQL = """
CREATE TRIGGER history_event_no_truncate
    BEFORE TRUNCATE ON history_event
    FOR EACH STATEMENT EXECUTE FUNCTION history_event_append_only();
"""
event.listen(
    HistoryEvent.__table__,
    "after_create",
    # DDL() formats its text with %: escape the plpgsql placeholder.
    DDL(HISTORY_GUARD_SQL.replace("%", "%%")).execute_if(dialect="postgresql"),
)
event.listen(
    HistoryEvent.__table__,
    "after_create",
    DDL(HISTORY_TRUNCATE_GUARD_SQL).execute_if(dialect="postgresql"),
)


def digest(data: Any) -> str:
    """Return the SHA-256 hex digest of data in canonical JSON."""
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hashed_fields(version: int | None) -> tuple[str, ...]:
    """Return the fields the hash of an event of ``version`` covers (unknown: the newest)."""
    return _FIELDS_OF_VERSION.get(version or 1, HASHED_FIELDS)


def event_hash(key: bytes, fields: Mapping[str, Any]) -> str:
    """Return the keyed hash of an event's fields (``at`` normalised to UTC, microseconds)."""
    version = fields.get("hash_version") or 1
    if version not in _FIELDS_OF_VERSION:
        return ""  # an unknown version never verifies
    material = {name: fields.get(name) for name in _FIELDS_OF_VERSION[version]}
    material["at"] = _stamp(fields["at"])
    return hmac.new(key, canonical_json(material).encode(), hashlib.sha256).hexdigest()


def chain_of(owner: EvaluationLike | Agency | Skp) -> str:
    """Return the chain key of an evaluation, an agency or an SKP (``skp:<id>``)."""
    kind = ("agency" if isinstance(owner, Agency) else "skp" if isinstance(owner, Skp)
            else "evaluation")
    return f"{kind}:{owner.id}"


def event_fields(
    key: bytes,
    owner: EvaluationLike | Agency | Skp,
    *,
    kind: str,
    at: datetime,
    actor_nip: str = "",
    actor_role: str = "",
    trigger: str = "",
    source: str = "",
    dest: str = "",
    definition_version_id: int | None = None,
    comment: str = "",
    data: Any = None,
    payload: Mapping[str, Any] | None = None,
    actor_id: int | None = None,
    projection: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return the column values of the next event of the owner's chain, hash included.

    Pure: reads the owner's chain head, changes nothing. The caller stores the row and moves
    the head (``seq``/``hash``) in the same transaction. ``projection`` is the evaluation's
    projected fields after the event (``projection.project``); agency chains have none.
    """
    fields: dict[str, Any] = {
        "agency_id": owner.id if isinstance(owner, Agency) else owner.agency_id,
        "evaluation_id": None if isinstance(owner, Agency | Skp) else owner.id,
        "chain": chain_of(owner),
        "seq": (owner.history_seq or 0) + 1,
        "at": at,
        "kind": kind,
        "actor_nip": actor_nip,
        "actor_role": actor_role,
        "trigger": trigger,
        "source": source,
        "dest": dest,
        "definition_version_id": definition_version_id,
        "comment": comment or "",
        "data_digest": digest(data) if data is not None else "",
        "payload": dict(payload or {}),
        "prev_hash": owner.history_head or "",
        "actor_id": actor_id,
        "hash_version": HASH_VERSION,
        "projection": dict(projection or {}),
    }
    fields["hash"] = event_hash(key, fields)
    return fields


def append_event(
    session: Session,
    key: bytes,
    owner: Evaluation | Agency | Skp,
    **event: Any,
) -> HistoryEvent:
    """Append one event to the owner's chain (ORM) and move the chain head; the caller commits.

    For an evaluation the head lives on the row whose optimistic lock already serialises
    writers (the relationship makes the flush update the evaluation before inserting the
    event, so a stale writer fails on its version). For an agency chain the row is locked
    first (``SELECT … FOR UPDATE``). An SKP's head lives on its row, whose optimistic lock
    (``lock_version``) serialises writers like an evaluation's: the caller changes the row in
    the same flush.
    """
    if isinstance(owner, Agency):
        session.refresh(owner, with_for_update=True)
    fields = event_fields(key, owner, **event)
    row = HistoryEvent(**fields)
    if isinstance(owner, Evaluation):
        row.evaluation = owner
    session.add(row)
    owner.history_seq = fields["seq"]
    owner.history_head = fields["hash"]
    return row


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """A history event as just written (same attribute names as ``HistoryEvent``)."""

    id: int
    agency_id: int
    evaluation_id: int | None
    chain: str
    seq: int
    at: datetime
    kind: str
    actor_id: int | None
    actor_nip: str
    actor_role: str
    trigger: str
    source: str
    dest: str
    definition_version_id: int | None
    comment: str
    data_digest: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str
    hash_version: int
    projection: dict[str, str]


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of verifying one chain (and, for an evaluation, its row against it)."""

    chain: str
    events: int
    ok: bool
    broken_seq: int | None = None
    reason: str = ""
    # The evaluation's columns that differ from what its newest event recorded.
    fields: tuple[str, ...] = ()


def mismatch_reason(fields: Iterable[str]) -> str:
    """Describe projected columns that differ from the history (Indonesian / English)."""
    names = ", ".join(fields)
    return f"kolom {names} tidak sesuai riwayat / column {names} differs from its history"


def _row_report(chain: str, count: int, head_seq: int, recorded: Mapping[str, str] | None,
                current: Mapping[str, str] | None) -> ChainReport:
    """Compare an evaluation row (``current``) with its newest event's projection."""
    if recorded and current is not None:
        fields = tuple(differing(recorded, current))
        if fields:
            return ChainReport(chain, count, False, head_seq, mismatch_reason(fields), fields)
    return ChainReport(chain, count, True)


def event_columns(event: Any) -> dict[str, Any]:
    """Return the hashed fields and the stored hash of a ``HistoryEvent`` (or a row with the
    same attribute names)."""
    return {name: getattr(event, name) for name in (*HASHED_FIELDS, "hash")}


def verify_events(
    key: bytes, chain: str, events: Iterable[Any], head_seq: int, head_hash: str,
    after: tuple[int, str] = (0, ""),
    columns: Callable[[Any], Mapping[str, Any]] = event_columns,
) -> ChainReport:
    """Recompute one chain (events in ``seq`` order) and name its first broken link.

    ``columns`` reads an event's hashed fields and stored hash (``event_columns``: from a
    ``HistoryEvent``). ``after`` is an already verified event (``seq``, ``hash``) the events
    continue from (``(0, "")``: the chain from its first event); ``events`` of the report
    counts the events hashed here.
    """
    expected_seq, prev = after
    count = 0
    for item in events:
        ev = columns(item)
        expected_seq += 1
        count += 1
        if ev["seq"] != expected_seq:
            return ChainReport(chain, count, False, ev["seq"],
                               f"urutan terputus: diharapkan #{expected_seq}, ada #{ev['seq']} "
                               "(peristiwa dihapus atau disisipkan)")
        if ev["prev_hash"] != prev:
            return ChainReport(chain, count, False, ev["seq"],
                               "tautan ke peristiwa sebelumnya tidak cocok "
                               "(disisipkan, dihapus atau diurutkan ulang)")
        if not hmac.compare_digest(event_hash(key, ev), ev["hash"] or ""):
            return ChainReport(chain, count, False, ev["seq"], "isi peristiwa telah diubah")
        prev = ev["hash"]
    if expected_seq != head_seq or prev != (head_hash or ""):
        return ChainReport(chain, count, False,
                           expected_seq + 1 if expected_seq < head_seq else expected_seq,
                           f"kepala rantai tidak cocok: tercatat {head_seq} peristiwa, "
                           f"ditemukan {expected_seq} (peristiwa terakhir dihapus?)")
    return ChainReport(chain, count, True)


def verify_chain(session: Session, key: bytes, owner: Evaluation | Agency) -> ChainReport:
    """Verify the chain of one evaluation or agency (and an evaluation's row against it)."""
    chain = chain_of(owner)
    events = list(session.scalars(
        select(HistoryEvent).where(HistoryEvent.chain == chain).order_by(HistoryEvent.seq,
                                                                          HistoryEvent.id)
    ))
    report = verify_events(key, chain, events, owner.history_seq or 0, owner.history_head or "")
    if not report.ok or isinstance(owner, Agency) or not events:
        return report
    current = dict(row_projections(session, [owner.id]))
    return _row_report(chain, report.events, report.events, events[-1].projection,
                       current.get(owner.id))


def verify_all(
    session: Session, key: bytes, agency_id: int | None = None
) -> list[ChainReport]:
    """Verify every chain (of one agency, or all) and return every chain's report.

    Also catches events whose chain has no owner row any more (an owner deleted to hide them),
    and evaluation rows whose columns differ from what their newest event recorded. Holds one
    report per chain: at scale use ``verification.run_verification`` (streamed, parallel,
    incremental, keeping only the broken chains).
    """
    # Imported here: ``verification`` builds on this module's chain check.
    from .verification import verify_everything

    return verify_everything(session, key, agency_id)
