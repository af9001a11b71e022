"""The evidence part of ``audit verify``: every stored evidence file still matches what was
recorded when it was uploaded.

For each ``skp_evidence`` row (superseded ones too, in batches by id) the object is read back
from the storage as a stream and hashed: a missing object, another size or another SHA-256 is
a problem. The row itself is compared with the upload event of the SKP's history chain (whose
integrity the chain verification checks), so editing the row to fit a replaced file is found
too. Memory stays flat: one batch of rows and one chunk of a file at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .evidence import UPLOAD_TRIGGER
from .models import HistoryEvent
from .models import SkpEvidence
from .storage import Storage

BATCH = 200
RECORDED = ("storage_key", "size", "sha256", "content_type", "realisation_id", "period")


@dataclass(frozen=True, slots=True)
class EvidenceProblem:
    evidence_id: int
    skp_id: int
    reason: str


@dataclass(slots=True)
class EvidenceReport:
    files: int = 0
    bytes: int = 0
    problems: list[EvidenceProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _rows(session: Session, agency_id: int | None) -> Iterator[list[SkpEvidence]]:
    after = 0
    while True:
        query = select(SkpEvidence).where(SkpEvidence.id > after)
        if agency_id is not None:
            query = query.where(SkpEvidence.agency_id == agency_id)
        rows = list(session.scalars(query.order_by(SkpEvidence.id).limit(BATCH)))
        if not rows:
            return
        yield rows
        after = rows[-1].id
        for row in rows:
            session.expunge(row)


def _recorded(session: Session, rows: list[SkpEvidence]) -> dict[int, dict[str, Any]]:
    chains = {f"skp:{r.skp_id}" for r in rows}
    found: dict[int, dict[str, Any]] = {}
    for data in session.scalars(select(HistoryEvent.payload).where(
            HistoryEvent.chain.in_(chains), HistoryEvent.trigger == UPLOAD_TRIGGER)):
        if isinstance(data, dict) and isinstance(data.get("evidence_id"), int):
            found[data["evidence_id"]] = data
    return found


def _hash(storage: Storage, key: str) -> tuple[int, str] | None:
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in storage.chunks(key):
            digest.update(chunk)
            size += len(chunk)
    except FileNotFoundError:
        return None
    return size, digest.hexdigest()


def check_evidence(session: Session, storage: Storage,
                   agency_id: int | None = None) -> EvidenceReport:
    """Hash every stored evidence file (of one agency) and compare it with its row and its
    upload event."""
    report = EvidenceReport()
    for rows in _rows(session, agency_id):
        recorded = _recorded(session, rows)
        for row in rows:
            report.files += 1
            event = recorded.get(row.id)
            if event is None:
                report.problems.append(EvidenceProblem(
                    row.id, row.skp_id, "no upload event in the SKP's history"))
                continue
            differs = [name for name in RECORDED if event.get(name) != getattr(row, name)]
            if differs:
                report.problems.append(EvidenceProblem(
                    row.id, row.skp_id, f"row differs from its upload event: {', '.join(differs)}"))
                continue
            actual = _hash(storage, row.storage_key)
            if actual is None:
                report.problems.append(EvidenceProblem(
                    row.id, row.skp_id, f"stored file missing ({row.storage_key})"))
                continue
            report.bytes += actual[0]
            if actual != (row.size, row.sha256):
                report.problems.append(EvidenceProblem(
                    row.id, row.skp_id,
                    f"stored file changed ({row.storage_key}): {actual[0]} bytes, SHA-256 "
                    f"{actual[1][:16]}… instead of {row.size} bytes, {row.sha256[:16]}…"))
    return report
