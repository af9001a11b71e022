"""Verify every history chain at scale: streamed, in parallel processes, and incrementally.

``audit verify`` and the auditor's page check every chain (``history.verify_events``) and every
evaluation row against its newest event (``projection``), without holding the history in
memory: evaluations are taken in batches of ``BATCH`` by id, and each batch's events are read
in key order (``chain``, ``seq``: the unique index), so memory stays flat whatever the size.

* **Full** (the default): every event of every chain is hashed again, every evaluation row is
  compared with its newest event, and events whose chain has no owner any more are named.
* **Incremental**: each chain's last verified head is kept in ``chain_verification`` (newest
  event checked, its hash, the first broken link if any), HMAC-signed with the audit key. Only
  chains whose head moved since, chains never verified (or whose record does not verify) and
  chains found broken are checked; an evaluation chain is then hashed whole (a handful of
  events), the agency chain from its verified event on (whose hash must still be the one
  recorded). **It does not re-check** events of chains whose head did not move (an edited
  older event keeps its stored hash and link, so only re-hashing finds it), the rows of those
  evaluations, nor events without an owner. Run a full verification regularly (nightly).
* **Parallel**: ``parts`` processes each take the evaluations whose ``id % parts`` is theirs;
  the first also takes the agency chains and the events without an owner.

Each run is recorded in ``verification_run``; the page shows the newest one and the broken
chains from ``chain_verification``, a page at a time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import Select
from sqlalchemy import Text
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import cast
from sqlalchemy import create_engine
from sqlalchemy import event as sa_event
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from .checkpoints import CheckpointReport
from .database import sqlite_pragmas
from .definition import canonical_json
from .history import HASHED_FIELDS
from .history import ChainReport
from .history import mismatch_reason
from .history import verify_events
from .models import Agency
from .models import ChainVerification
from .models import Evaluation
from .models import HistoryEvent
from .models import Participant
from .models import Skp
from .models import VerificationRun
from .projection import STORED_COLUMNS
from .projection import differing
from .projection import stored_projection

BATCH = 1000  # evaluations per batch (their events are read in one query)
PENDING_BATCHES = 20  # batches an incremental run looks for at once
FULL = "full"
INCREMENTAL = "incremental"

_events = HistoryEvent.__table__
_evaluations = Evaluation.__table__
_state = ChainVerification.__table__
# An evaluation's chain key, in SQL (to join its events without listing them).
_EVALUATION_CHAIN = literal("evaluation:") + cast(_evaluations.c.id, _events.c.chain.type)


@dataclass(slots=True)
class Totals:
    """What one run (or one part of it) checked, and the broken chains it found."""

    chains: int = 0
    events: int = 0
    broken: list[ChainReport] = field(default_factory=list)

    def add(self, report: ChainReport) -> None:
        """Count one chain's report."""
        self.chains += 1
        self.events += report.events
        if not report.ok:
            self.broken.append(report)

    def merge(self, other: Totals) -> None:
        """Add another part's totals."""
        self.chains += other.chains
        self.events += other.events
        self.broken += other.broken


@dataclass(frozen=True, slots=True)
class _Owner:
    """A chain to check: its owner's head, and where its verified record says it got to."""

    chain: str
    agency_id: int
    evaluation_id: int | None
    head_seq: int
    head_hash: str
    after: tuple[int, str] = (0, "")  # verified event to continue from


def _sign(key: bytes, chain: str, seq: int, head: str, ok: bool, broken_seq: int | None,
          reason: str) -> str:
    material = canonical_json([chain, seq, head, ok, broken_seq, reason])
    return hmac.new(key, material.encode(), hashlib.sha256).hexdigest()


def _trusted(key: bytes, row: Any) -> bool:
    """Tell whether a ``chain_verification`` row is the one the verifier wrote."""
    return hmac.compare_digest(
        _sign(key, row.chain, row.seq, row.hash, row.ok, row.broken_seq, row.reason),
        row.sig or "")


def _chain_name(evaluation_id: int) -> str:
    return f"evaluation:{evaluation_id}"


# --- recording -----------------------------------------------------------------------------


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_state)


def _record(session: Session, key: bytes, items: Sequence[tuple[_Owner, ChainReport]],
            known: dict[str, Any], now: datetime) -> None:
    """Store each checked chain's result; rows that would not change are left alone."""
    rows = []
    for owner, report in items:
        if report.ok:
            seq, head = owner.head_seq, owner.head_hash
            broken_seq, reason = None, ""
        else:  # keep the genuine part before the break
            seq, head = owner.after
            broken_seq, reason = report.broken_seq, report.reason
        old = known.get(owner.chain)
        if (old is not None and (old.seq, old.hash, old.ok, old.broken_seq, old.reason)
                == (seq, head, report.ok, broken_seq, reason) and _trusted(key, old)):
            continue
        rows.append({
            "chain": owner.chain, "agency_id": owner.agency_id,
            "evaluation_id": owner.evaluation_id, "seq": seq, "hash": head, "ok": report.ok,
            "broken_seq": broken_seq, "reason": reason, "verified_at": now,
            "sig": _sign(key, owner.chain, seq, head, report.ok, broken_seq, reason)})
    if not rows:
        return
    statement = _insert(session)
    # RETURNING makes SQLAlchemy send the rows as a few multi-row INSERTs ("insertmanyvalues")
    # instead of one statement per row.
    session.execute(statement.on_conflict_do_update(
        index_elements=["chain"],
        set_={name: statement.excluded[name] for name in (
            "agency_id", "evaluation_id", "seq", "hash", "ok", "broken_seq", "reason",
            "verified_at", "sig")}).returning(_state.c.chain), rows).all()


def _known(session: Session, chains: Iterable[str]) -> dict[str, Any]:
    names = list(chains)
    if not names:
        return {}
    return {row.chain: row for row in session.execute(
        select(_state).where(_state.c.chain.in_(names)))}


# --- checking ------------------------------------------------------------------------------


def _check_evaluations(session: Session, key: bytes, batch: _Batch
                       ) -> list[tuple[_Owner, ChainReport]]:
    """Check the whole chain of each evaluation of the batch (one query for all their events,
    in key order), then each intact row against its newest event."""
    by_chain = {owner.chain: owner for owner in batch.owners}
    reports: dict[str, ChainReport] = {}
    newest: dict[str, dict[str, str]] = {}
    rows = (_row_columns(row) for row in session.execute(_batch_events(batch)))
    for chain, group in groupby(rows, key=lambda fields: fields["chain"]):
        owner = by_chain.get(chain)
        if owner is None:  # an evaluation of the range the batch does not check
            continue
        events = list(group)
        reports[chain] = verify_events(key, chain, events, owner.head_seq, owner.head_hash,
                                       columns=_same)
        if reports[chain].ok and events[-1]["projection"]:
            newest[chain] = events[-1]["projection"]
    for owner in batch.owners:
        if owner.chain not in reports:  # no event at all
            reports[owner.chain] = verify_events(key, owner.chain, [], owner.head_seq,
                                                 owner.head_hash)
    people: dict[int, list[tuple[str, int, Any]]] = {}
    if newest:
        for eid, role, employee_id, identity in session.execute(_batch_participants(batch)):
            people.setdefault(eid, []).append((role, employee_id, identity))
    for chain, recorded in newest.items():
        owner = by_chain[chain]
        assert owner.evaluation_id is not None
        current = stored_projection(batch.stored[owner.evaluation_id],
                                    people.get(owner.evaluation_id, []))
        fields = tuple(differing(recorded, current))
        if fields:
            reports[chain] = ChainReport(chain, reports[chain].events, False, owner.head_seq,
                                         mismatch_reason(fields), fields)
    return [(owner, reports[owner.chain]) for owner in batch.owners]


# The columns an event is checked with, in this order; JSON read as text and decoded here
# (cheaper than through the driver's JSON type).
_EVENT_NAMES = (*HASHED_FIELDS, "hash")
_JSON_NAMES = ("payload", "projection")
_EVENT_COLUMNS = tuple(cast(_events.c[name], Text).label(name) if name in _JSON_NAMES
                       else _events.c[name] for name in _EVENT_NAMES)
_PAYLOAD, _PROJECTION = (_EVENT_NAMES.index(name) for name in _JSON_NAMES)


def _row_columns(row: Sequence[Any]) -> dict[str, Any]:
    """Read an event row selected with ``_EVENT_COLUMNS`` (``verify_events``' ``columns``)."""
    fields = dict(zip(_EVENT_NAMES, row, strict=True))
    fields["payload"] = json.loads(row[_PAYLOAD]) if row[_PAYLOAD] else {}
    fields["projection"] = json.loads(row[_PROJECTION]) if row[_PROJECTION] else {}
    return fields


def _batch_events(batch: _Batch) -> Select[Any]:
    """The events of a batch's chains in key order: for a whole id range, joined to it (the
    statement's text is the same for every batch); else by chain."""
    query = select(*_EVENT_COLUMNS).order_by(_events.c.chain, _events.c.seq, _events.c.id)
    if batch.span is None:
        return query.where(_events.c.chain.in_([o.chain for o in batch.owners]))
    e = _evaluations
    return _scoped(query.select_from(_events.join(e, _events.c.chain == _EVALUATION_CHAIN))
                   .where(e.c.id.between(*batch.span)), batch.scope)


def _batch_participants(batch: _Batch) -> Select[Any]:
    people = Participant.__table__
    query = select(people.c.evaluation_id, people.c.role, people.c.employee_id,
                   people.c.identity)
    if batch.span is None:
        return query.where(people.c.evaluation_id.in_(list(batch.stored)))
    e = _evaluations
    return _scoped(query.select_from(people.join(e, people.c.evaluation_id == e.c.id))
                   .where(e.c.id.between(*batch.span)), batch.scope)


def _scoped(query: Select[Any], scope: tuple[int | None, int, int]) -> Select[Any]:
    """Restrict a query over ``evaluation`` to one agency and one part."""
    agency_id, part, parts = scope
    e = _evaluations
    if agency_id is not None:
        query = query.where(e.c.agency_id == agency_id)
    if parts > 1:
        query = query.where(e.c.id % parts == part)
    return query


def _same(fields: dict[str, Any]) -> dict[str, Any]:
    return fields


def _check_agency(session: Session, key: bytes, owner: _Owner) -> ChainReport:
    """Check an agency chain from its verified event on, streamed (log-ins make it long)."""
    seq, head = owner.after
    if seq:
        stored = session.scalar(select(_events.c.hash).where(
            _events.c.chain == owner.chain, _events.c.seq == seq))
        if stored != head:
            return ChainReport(owner.chain, 0, False, seq,
                               "peristiwa yang sudah diverifikasi telah diubah atau dihapus")
    events = session.execute(
        select(*_EVENT_COLUMNS).where(_events.c.chain == owner.chain, _events.c.seq > seq)
        .order_by(_events.c.seq, _events.c.id).execution_options(yield_per=BATCH))
    try:
        return verify_events(key, owner.chain, events, owner.head_seq, owner.head_hash,
                             after=(seq, head), columns=_row_columns)
    finally:
        events.close()  # a break stops early: release the server-side cursor now


def _agency_owners(session: Session, key: bytes, agency_id: int | None,
                   incremental: bool) -> list[_Owner]:
    query = select(Agency.id, Agency.history_seq, Agency.history_head)
    if agency_id is not None:
        query = query.where(Agency.id == agency_id)
    owners = [_Owner(f"agency:{aid}", aid, None, seq or 0, head or "")
              for aid, seq, head in session.execute(query)]
    if not incremental:
        return owners
    known = _known(session, (o.chain for o in owners))
    result = []
    for owner in owners:
        row = known.get(owner.chain)
        if row is not None and _trusted(key, row) and row.ok:
            if (row.seq, row.hash) == (owner.head_seq, owner.head_hash):
                continue  # nothing new
            if row.seq <= owner.head_seq:
                owner = _Owner(owner.chain, owner.agency_id, None, owner.head_seq,
                               owner.head_hash, (row.seq, row.hash))
        result.append(owner)
    return result


@dataclass(frozen=True, slots=True)
class _Batch:
    """Evaluations to check together: their chains, records and stored columns.

    ``span`` is the id range when the batch holds every evaluation of it (full runs), so its
    events and participants are read by range; ``None`` reads them by chain and id.
    """

    owners: list[_Owner]
    known: dict[str, Any]
    stored: dict[int, Sequence[Any]]  # evaluation id → values of ``STORED_COLUMNS``
    span: tuple[int, int] | None
    scope: tuple[int | None, int, int]  # agency id, part, parts


def _evaluation_batches(session: Session, key: bytes, agency_id: int | None, incremental: bool,
                        part: int, parts: int) -> Iterator[_Batch]:
    """Yield the evaluations to check, ``BATCH`` at a time by id, with their records.

    Incremental: only those whose head differs from a trusted, intact record.
    """
    e = _evaluations
    columns = (e.c.id, e.c.agency_id, e.c.history_seq, e.c.history_head, _state.c.chain,
               _state.c.seq, _state.c.hash, _state.c.ok, _state.c.broken_seq, _state.c.reason,
               _state.c.sig, *(e.c[name] for name in STORED_COLUMNS))
    width = len(columns) - len(STORED_COLUMNS)
    scope = (agency_id, part, parts)
    # Finding what moved scans every evaluation's head against its record: take many at once
    # (a handful of rows each time), so a thousand new events cost one scan.
    limit = BATCH * PENDING_BATCHES if incremental else BATCH
    last = 0
    while True:
        query = _scoped(select(*columns).select_from(
            e.outerjoin(_state, _state.c.evaluation_id == e.c.id))
            .where(e.c.id > last).order_by(e.c.id).limit(limit), scope)
        if incremental:
            query = query.where(or_(
                and_(_state.c.chain.is_(None), e.c.history_seq > 0),
                _state.c.seq != e.c.history_seq, _state.c.hash != e.c.history_head,
                _state.c.ok.is_(False)))
        found = session.execute(query).all()
        if not found:
            return
        last = found[-1].id
        for start in range(0, len(found), BATCH):
            rows = found[start:start + BATCH]
            owners: list[_Owner] = []
            known: dict[str, Any] = {}
            stored: dict[int, Sequence[Any]] = {}
            for row in rows:
                chain = _chain_name(row.id)
                if incremental and row.chain is not None and row.ok and _trusted(key, row) and (
                        row.seq, row.hash) == (row.history_seq, row.history_head):
                    continue
                owners.append(_Owner(chain, row.agency_id, row.id, row.history_seq or 0,
                                     row.history_head or ""))
                stored[row.id] = row[width:]
                if row.chain is not None:
                    known[chain] = row
            if owners:
                yield _Batch(owners, known, stored,
                             None if incremental else (rows[0].id, rows[-1].id), scope)
        if len(found) < limit:
            return


def _skp_batches(session: Session, key: bytes, agency_id: int | None,
                 incremental: bool) -> Iterator[list[_Owner]]:
    """The SKP chains (``skp:<id>``) to check, ``BATCH`` SKPs at a time by id: all, or those
    whose head moved since their trusted, intact record."""
    last = 0
    while True:
        query = (select(Skp.id, Skp.agency_id, Skp.history_seq, Skp.history_head)
                 .where(Skp.id > last).order_by(Skp.id).limit(BATCH))
        if agency_id is not None:
            query = query.where(Skp.agency_id == agency_id)
        rows = session.execute(query).all()
        if not rows:
            return
        last = rows[-1].id
        owners = [_Owner(f"skp:{sid}", aid, None, seq or 0, head or "")
                  for sid, aid, seq, head in rows]
        if incremental:
            known = _known(session, (o.chain for o in owners))
            owners = [o for o in owners if not (
                (row := known.get(o.chain)) is not None and _trusted(key, row) and row.ok
                and (row.seq, row.hash) == (o.head_seq, o.head_hash))]
        if owners:
            yield owners
        if len(rows) < BATCH:
            return


def _check_skp(session: Session, key: bytes, owner: _Owner) -> ChainReport:
    """Check an SKP's chain whole, then its row (and content) against its newest event."""
    from .feedback import verify_records
    from .skp import projection_differs
    from .skp import skp_projection

    events = [_row_columns(row) for row in session.execute(
        select(*_EVENT_COLUMNS).where(_events.c.chain == owner.chain)
        .order_by(_events.c.seq, _events.c.id))]
    report = verify_events(key, owner.chain, events, owner.head_seq, owner.head_hash,
                           columns=_same)
    if not report.ok or not events or not events[-1]["projection"]:
        return report
    skp_id = int(owner.chain.split(":", 1)[1])
    held = identity_key(Skp, skp_id) in session.identity_map
    skp = session.get(Skp, skp_id)
    if skp is None:
        return report
    fields = tuple(projection_differs(events[-1]["projection"], skp_projection(skp)))
    # Feedback and dialog rows against the events that recorded them (workflow.feedback).
    fields += tuple(verify_records(session, skp_id, events))
    if not held:  # memory stays flat over many SKPs (its RHK and indicators go with it)
        session.expunge(skp)
    if fields:
        return ChainReport(owner.chain, report.events, False, owner.head_seq,
                           mismatch_reason(fields), fields)
    return report


def _orphans(session: Session, agency_id: int | None) -> Iterator[tuple[str, int, int]]:
    """Yield (chain, agency id, events) of events whose chain has no owner row."""
    evaluation_chain = _EVALUATION_CHAIN
    agency_chain = literal("agency:") + cast(Agency.__table__.c.id, _events.c.chain.type)
    skp_chain = literal("skp:") + cast(Skp.__table__.c.id, _events.c.chain.type)
    query = (select(_events.c.chain, func.min(_events.c.agency_id), func.count())
             .where(~exists().where(evaluation_chain == _events.c.chain),
                    ~exists().where(agency_chain == _events.c.chain),
                    ~exists().where(skp_chain == _events.c.chain))
             .group_by(_events.c.chain).order_by(_events.c.chain))
    if agency_id is not None:
        query = query.where(_events.c.agency_id == agency_id)
    for chain, aid, count in session.execute(query):
        yield str(chain), int(aid), int(count)


def verify_part(session: Session, key: bytes, agency_id: int | None = None, *,
                incremental: bool = False, part: int = 0, parts: int = 1,
                record: bool = True, now: datetime | None = None,
                sink: list[ChainReport] | None = None) -> Totals:
    """Check one part of the chains (all of them with ``parts=1``); the caller commits.

    With ``record`` each checked chain's result is stored (``chain_verification``), so a
    later incremental run starts from it. ``sink`` receives every report (tests, small
    agencies); the totals keep only the broken ones.
    """
    now = now or datetime.now(UTC)
    totals = Totals()

    def done(items: Sequence[tuple[_Owner, ChainReport]], known: dict[str, Any]) -> None:
        for _owner, report in items:
            totals.add(report)
            if sink is not None:
                sink.append(report)
        if record:
            _record(session, key, items, known, now)

    if part == 0:
        owners = _agency_owners(session, key, agency_id, incremental)
        done([(o, _check_agency(session, key, o)) for o in owners],
             _known(session, (o.chain for o in owners)) if record else {})
        for skps in _skp_batches(session, key, agency_id, incremental):
            done([(o, _check_skp(session, key, o)) for o in skps],
                 _known(session, (o.chain for o in skps)) if record else {})
    for batch in _evaluation_batches(session, key, agency_id, incremental, part, parts):
        done(_check_evaluations(session, key, batch), batch.known)
    if part == 0 and not incremental:
        orphans = [(_Owner(chain, aid, None, 0, ""),
                    ChainReport(chain, count, False, None,
                                "rantai tanpa pemilik (baris pemilik dihapus)"))
                   for chain, aid, count in _orphans(session, agency_id)]
        done(orphans, _known(session, (o.chain for o, _ in orphans)) if record else {})
    return totals


def _part_in_process(url: str, key: bytes, agency_id: int | None, incremental: bool,
                     part: int, parts: int, now: datetime) -> Totals:
    """Run one part in a worker process with its own engine; commit its records."""
    engine = create_engine(url)
    sa_event.listen(engine, "connect", sqlite_pragmas)
    try:
        with Session(engine) as session:
            totals = verify_part(session, key, agency_id, incremental=incremental, part=part,
                                 parts=parts, now=now)
            session.commit()
            return totals
    finally:
        engine.dispose()


@dataclass(frozen=True, slots=True)
class RunResult:
    """A finished run: its record and the broken chains it found."""

    run: VerificationRun
    broken: list[ChainReport]

    @property
    def ok(self) -> bool:
        """Return whether every chain checked is intact."""
        return not self.broken


def run_verification(session: Session, key: bytes, agency_id: int | None = None, *,
                     incremental: bool = False, jobs: int = 1,
                     now: datetime | None = None) -> RunResult:
    """Verify the chains (of one agency, or all), record each result and the run; the caller
    commits.

    With ``jobs`` > 1 the evaluations are split by id across that many processes, each with
    its own database connection and transaction (the caller's session commits first, so they
    see its data).
    """
    started = now or datetime.now(UTC)
    totals = Totals()
    if jobs > 1:
        session.commit()
        url = session.get_bind().engine.url.render_as_string(hide_password=False)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = [pool.submit(_part_in_process, url, key, agency_id, incremental, part,
                                   jobs, started) for part in range(jobs)]
            for future in futures:
                totals.merge(future.result())
    else:
        totals = verify_part(session, key, agency_id, incremental=incremental, now=started)
    run = VerificationRun(agency_id=agency_id, mode=INCREMENTAL if incremental else FULL,
                          started_at=started, finished_at=datetime.now(UTC),
                          chains=totals.chains, events=totals.events,
                          broken=len(totals.broken), jobs=max(jobs, 1))
    session.add(run)
    session.flush()
    return RunResult(run, sorted(totals.broken, key=lambda r: r.chain))


def verify_everything(session: Session, key: bytes,
                      agency_id: int | None = None) -> list[ChainReport]:
    """Return the report of every chain (full check, nothing recorded): for small data."""
    reports: list[ChainReport] = []
    verify_part(session, key, agency_id, record=False, sink=reports)
    return reports


# --- what the page shows -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerificationState:
    """An agency's verification as recorded: the newest runs and a page of broken chains."""

    chains: int  # chains with a verification record
    broken_total: int
    broken: list[ChainReport]  # this page, by chain
    last: VerificationRun | None
    last_full: VerificationRun | None


def verification_state(session: Session, key: bytes, agency_id: int, page: int,
                       per_page: int) -> VerificationState:
    """Read an agency's recorded verification: counts, its newest (full) run, and one page of
    its broken chains. A record that does not verify is shown as broken."""
    counts: dict[bool, int] = dict(session.execute(
        select(_state.c.ok, func.count()).where(_state.c.agency_id == agency_id)
        .group_by(_state.c.ok)).all())
    broken_total = counts.get(False, 0)
    rows = session.execute(
        select(_state).where(_state.c.agency_id == agency_id, _state.c.ok.is_(False))
        .order_by(_state.c.chain).limit(per_page).offset((page - 1) * per_page)).all()
    broken = [ChainReport(row.chain, row.seq, False, row.broken_seq,
                          row.reason if _trusted(key, row) else
                          "catatan verifikasi telah diubah / verification record altered")
              for row in rows]
    runs = (select(VerificationRun).where(or_(VerificationRun.agency_id == agency_id,
                                              VerificationRun.agency_id.is_(None)))
            .order_by(VerificationRun.id.desc()).limit(1))
    last = session.scalar(runs)
    last_full = session.scalar(runs.where(VerificationRun.mode == FULL))
    return VerificationState(counts.get(True, 0) + broken_total, broken_total, broken, last,
                             last_full)


def history_size(session: Session, agency_id: int) -> tuple[int, int]:
    """Return how many events the agency's chains hold, and how many of its evaluation chains'
    events are not verified yet (their head moved past the record, or there is none)."""
    e = _evaluations
    behind = e.c.history_seq - func.coalesce(_state.c.seq, 0)
    unverified = or_(_state.c.chain.is_(None), _state.c.seq != e.c.history_seq,
                     _state.c.hash != e.c.history_head)
    total, pending = session.execute(
        select(func.coalesce(func.sum(e.c.history_seq), 0),
               func.coalesce(func.sum(case((unverified, behind), else_=0)), 0))
        .select_from(e.outerjoin(_state, _state.c.evaluation_id == e.c.id))
        .where(e.c.agency_id == agency_id)).one()
    own = session.scalar(select(Agency.history_seq).where(Agency.id == agency_id)) or 0
    return int(total) + own, int(pending)


CHECKPOINT_PROBLEMS_KEPT = 100


def record_checkpoints(run: VerificationRun, report: CheckpointReport) -> None:
    """Keep what the checkpoint check found with the run (the first problems only)."""
    run.checkpoint_report = {
        "checkpoints": report.checkpoints,
        "last_at": report.last_at.isoformat() if report.last_at else None,
        "problems": report.problems[:CHECKPOINT_PROBLEMS_KEPT],
        "more": max(0, len(report.problems) - CHECKPOINT_PROBLEMS_KEPT)}


def recorded_checkpoints(session: Session, agency_id: int) -> CheckpointReport | None:
    """Return the newest checkpoint check recorded by a run covering the agency (``None``:
    none yet). A run over every agency names other agencies' chains: only its count shows."""
    run = session.scalar(
        select(VerificationRun).where(
            or_(VerificationRun.agency_id == agency_id, VerificationRun.agency_id.is_(None)),
            VerificationRun.checkpoint_report.is_not(None))
        .order_by(VerificationRun.id.desc()).limit(1))
    if run is None or run.checkpoint_report is None:
        return None
    data = run.checkpoint_report
    problems = list(data.get("problems", []))
    count = len(problems) + int(data.get("more", 0))
    if problems and (run.agency_id is None or data.get("more")):
        problems = [f"{count} masalah pada pemeriksaan checkpoint terakhir (flask audit verify, "
                    f"{run.finished_at:%Y-%m-%d %H:%M} UTC) / {count} problems at the last "
                    "checkpoint check"]
    last_at = data.get("last_at")
    return CheckpointReport(int(data.get("checkpoints", 0)),
                            datetime.fromisoformat(last_at) if last_at else None, problems)
