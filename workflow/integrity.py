"""Check an evaluation row against its history before anyone relies on it.

Firing a transition compares the row with the projection its newest event recorded
(``projection``): one indexed read and one digest comparison, not a replay. Issuing a document
and answering ``/verify`` also recompute the evaluation's own chain (a handful of events, read
for the document anyway), so an edited older event is refused too. On a mismatch the refusal
is appended to the agency's chain (kind ``integrity``), so auditors see every time a changed
record was caught, and ``RecordMismatch`` is raised with the fields named.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import RecordMismatch
from .history import append_event
from .history import chain_of
from .history import event_hash
from .history import hashed_fields
from .history import verify_chain
from .models import Agency
from .models import Evaluation
from .models import HistoryEvent
from .projection import differing
from .projection import row_projections
from .snapshot import EvaluationLike

HEAD = "history_head"  # named when the row's chain head leads to no genuine event


def newest_event(session: Session, evaluation: EvaluationLike) -> HistoryEvent | None:
    """Return the event the row's chain head names (``None`` if there is none)."""
    return session.scalar(select(HistoryEvent).where(
        HistoryEvent.evaluation_id == evaluation.id,
        HistoryEvent.seq == (evaluation.history_seq or 0)))


def genuine(key: bytes, event: HistoryEvent) -> bool:
    """Tell whether the event's stored hash is the HMAC of its fields."""
    fields = {name: getattr(event, name) for name in hashed_fields(event.hash_version)}
    return hmac.compare_digest(event_hash(key, fields), event.hash or "")


def row_mismatch(session: Session, key: bytes, evaluation: EvaluationLike) -> tuple[str, ...]:
    """Return the projected columns of the stored row that differ from its newest event.

    ``("history_head",)`` when the head names no genuine event of this chain. An evaluation
    whose newest event predates the projection (hash version 1) has nothing to compare.
    """
    event = newest_event(session, evaluation)
    if event is None:
        return (HEAD,) if evaluation.history_seq else ()
    if (event.chain != chain_of(evaluation) or event.hash != evaluation.history_head
            or not genuine(key, event)):
        return (HEAD,)
    if not event.projection:
        return ()
    current = dict(row_projections(session, [evaluation.id])).get(evaluation.id, {})
    return tuple(differing(event.projection, current))


def evaluation_mismatch(session: Session, key: bytes,
                        evaluation: Evaluation) -> tuple[str, ...]:
    """Return what differs, checking the evaluation's whole chain and then its row.

    A broken chain is named by its first broken event (``history_event #3``), a changed row by
    its columns.
    """
    report = verify_chain(session, key, evaluation)
    if report.ok:
        return ()
    return report.fields or (f"history_event #{report.broken_seq}",)


def refuse(session: Session, key: bytes, evaluation: EvaluationLike, fields: tuple[str, ...],
           *, surface: str, now: datetime, actor_id: int | None = None,
           actor_nip: str = "") -> RecordMismatch:
    """Record in the agency's chain that a changed row was refused; return the error to raise.

    ``surface`` names what refused it (``document``, ``verify``, ``transition``…). The same
    refusal right after itself (a public ``/verify`` page reloaded) is recorded once.
    """
    agency = session.get(Agency, evaluation.agency_id)
    assert agency is not None
    payload = {"evaluation_id": evaluation.id, "fields": list(fields), "surface": surface,
               "head": evaluation.history_head}
    newest = session.scalar(select(HistoryEvent).where(
        HistoryEvent.chain == chain_of(agency), HistoryEvent.seq == agency.history_seq))
    if not (newest is not None and newest.kind == "integrity" and newest.payload == payload
            and newest.actor_nip == actor_nip):
        append_event(session, key, agency, kind="integrity", at=now, actor_id=actor_id,
                     actor_nip=actor_nip, trigger="record_mismatch", payload=payload)
        session.flush()
    return RecordMismatch(evaluation.id, fields)


def ensure_row_matches(session: Session, key: bytes, evaluation: Evaluation, *,
                       surface: str, now: datetime, actor_id: int | None = None,
                       actor_nip: str = "") -> None:
    """Raise ``RecordMismatch`` (after recording it) unless the evaluation's chain is intact
    and its row matches it (``evaluation_mismatch``)."""
    fields = evaluation_mismatch(session, key, evaluation)
    if fields:
        raise refuse(session, key, evaluation, fields, surface=surface, now=now,
                     actor_id=actor_id, actor_nip=actor_nip)
