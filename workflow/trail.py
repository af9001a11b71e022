"""The audit trail as auditors and participants read it: access, search, timeline, export, verify.

Read-only queries over ``HistoryEvent`` (pure SQLAlchemy, no Flask). Every query is filtered by
the actor's agency; searching the whole agency's history is for auditors (group
``inspektorat``) and agency admins only. Participants read one evaluation's history through
``reader_of``. Which recorded values a reader may see is decided by the form specs
(``forms.visibility``, which this package must not import): the timeline and the CSV export
take it as a ``ChangeView`` from the caller and show a hidden field's name and digest only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from typing import Generic
from typing import Protocol
from typing import TypeVar
from typing import cast

from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import tuple_
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased

from .actors import Actor
from .actors import may_read
from .actors import roles_of
from .calendars import agency_zone
from .checkpoints import CheckpointReport
from .checkpoints import verify_checkpoints
from .database import distinct_values
from .database import gathered_first
from .definition import WorkflowDefinition
from .definition import canonical_json
from .errors import NotFound
from .errors import NotPermitted
from .history import ChainReport
from .history import verify_chain
from .localtime import format_moment
from .localtime import zone_info
from .models import DefinitionVersion
from .models import Employee
from .models import Evaluation
from .models import HistoryEvent
from .models import UTCDateTime
from .org import units_of
from .service import definition_of
from .service import get_evaluation
from .verification import RunResult
from .verification import VerificationState
from .verification import history_size
from .verification import recorded_checkpoints
from .verification import run_verification
from .verification import verification_state

MAX_PER_PAGE = 100
EXPORT_BATCH = 500  # events per read of a streamed export (and per read of their evaluations)
T = TypeVar("T")

# CSV export columns, in order (documented in docs/api.md and on the audit page).
CSV_COLUMNS: tuple[str, ...] = (
    "waktu_utc", "waktu_lokal", "rantai", "urutan", "jenis", "evaluasi_id", "nip_pegawai",
    "nama_pegawai", "unit_kerja", "nip_pelaku", "nama_pelaku", "peran", "transisi",
    "dari_status", "ke_status", "versi_definisi", "catatan", "perubahan_json",
    "hash_sebelumnya", "hash",
)


def require_auditor(actor: Actor) -> None:
    """Refuse anyone but auditors (group ``inspektorat``) and agency admins.

    :raises NotPermitted: for everybody else.
    """
    if not (actor.is_auditor or actor.is_admin):
        raise NotPermitted("Hanya auditor (inspektorat) atau admin instansi yang dapat melihat "
                           "jejak audit instansi.",
                           "Only auditors (inspectorate) or agency admins may read the agency's "
                           "audit trail.")


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads one evaluation: the evaluation, its pinned flow and the reader's roles on it."""

    evaluation: Evaluation
    definition: WorkflowDefinition
    roles: frozenset[str]


def reader_of(session: Session, actor: Actor, evaluation_id: int) -> Reader:
    """Return the actor's read access to an evaluation of their agency.

    Participants (and members of a group role of its flow) read it with their roles; auditors
    and agency admins may read every evaluation of their agency (``actors.may_read``). Which
    fields they see is ``forms.visibility``'s answer.

    :raises NotFound: unknown id, another agency's evaluation, or one the actor may not read
        (indistinguishable, as on the evaluation page).
    """
    evaluation = get_evaluation(session, actor, evaluation_id)
    definition = definition_of(session, evaluation.definition_version_id)
    roles = roles_of(actor, evaluation, definition)
    if not may_read(actor, roles):
        raise NotFound("Evaluasi tidak ditemukan.", "Evaluation not found.")
    return Reader(evaluation, definition, roles)


def events_of(session: Session, evaluation: Evaluation) -> list[HistoryEvent]:
    """Return the evaluation's events in chain order."""
    return list(session.scalars(
        select(HistoryEvent).where(HistoryEvent.agency_id == evaluation.agency_id,
                                   HistoryEvent.evaluation_id == evaluation.id)
        .order_by(HistoryEvent.seq, HistoryEvent.id)))


def recorded_changes(event: ChangedEvent) -> list[tuple[str, Any, Any]]:
    """Return an event's recorded changes as ``(field, old, new)`` in field order."""
    raw = (event.payload or {}).get("changes") or {}
    out: list[tuple[str, Any, Any]] = []
    for key in sorted(raw):
        pair = raw[key]
        if isinstance(pair, list | tuple) and len(pair) == 2:
            out.append((key, pair[0], pair[1]))
        else:
            out.append((key, None, pair))
    return out


@dataclass(frozen=True, slots=True)
class Change:
    """One recorded change as a reader sees it: the values, or (hidden) a digest instead."""

    field: str
    old: Any
    new: Any
    hidden: bool = False
    digest: str = ""

    def csv_value(self) -> Any:
        """Return what the CSV's ``perubahan_json`` holds for it."""
        return {"hidden": True, "digest": self.digest} if self.hidden else [self.old, self.new]


class ChangedEvent(Protocol):
    """What the visibility rule reads of an event: a ``HistoryEvent``, or a plain row of its
    columns (the CSV export reads no ORM objects)."""

    @property
    def evaluation_id(self) -> int | None: ...
    @property
    def payload(self) -> dict[str, Any] | None: ...
    @property
    def hash(self) -> str: ...


class ChangeView(Protocol):
    """What a reader may see of an event's changes (``forms.visibility.HistoryReader``)."""

    def __call__(self, event: ChangedEvent) -> list[Change]:
        """Return the event's changes as the reader may see them."""

    def prefetch(self, evaluation_ids: Iterable[int | None]) -> None:
        """Load what the reader needs for the events of these evaluations, all at once."""


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event of an evaluation's timeline, with who acted and what changed."""

    event: HistoryEvent
    actor_name: str
    definition_version: int | None
    changes: list[Change]


@dataclass(frozen=True, slots=True)
class Timeline:
    """An evaluation's whole history plus the result of verifying its chain."""

    reader: Reader
    entries: list[TimelineEntry]
    report: ChainReport


def timeline(session: Session, key: bytes, actor: Actor, evaluation_id: int,
             view_changes: ChangeView) -> Timeline:
    """Return every event of one evaluation with actor names, diffs and the chain check.

    ``view_changes`` gives each event's changes as the actor may see them.
    """
    reader = reader_of(session, actor, evaluation_id)
    events = events_of(session, reader.evaluation)
    names = _names(session, reader.evaluation.agency_id,
                   {e.actor_id for e in events if e.actor_id is not None})
    versions = dict(session.execute(
        select(DefinitionVersion.id, DefinitionVersion.version).where(
            DefinitionVersion.agency_id == reader.evaluation.agency_id)).all())
    entries = [
        TimelineEntry(e, names.get(e.actor_id or 0, "") if e.actor_id else _system(e),
                      versions.get(e.definition_version_id or 0), view_changes(e))
        for e in events
    ]
    return Timeline(reader, entries, verify_chain(session, key, reader.evaluation))


def _system(event: HistoryEvent) -> str:
    return "Sistem" if not event.actor_nip else event.actor_nip


def _names(session: Session, agency_id: int, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Employee.id, Employee.name).where(
        Employee.agency_id == agency_id, Employee.id.in_(ids))).all())


# --- search across the agency ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """Search criteria for the agency's history; empty values do not filter."""

    unit_kerja: str = ""
    actor_nip: str = ""
    trigger: str = ""
    kind: str = ""
    date_from: date | None = None
    date_to: date | None = None
    evaluation_id: int | None = None


@dataclass(frozen=True, slots=True)
class TrailRow:
    """One event found by a search, with the evaluated employee and the actor's name."""

    event: HistoryEvent
    actor_name: str
    employee_nip: str
    employee_name: str
    unit_kerja: str


#: Lists count their rows up to this many, and a page number reaches no further (beyond it the
#: next pages follow by keyset): a page never costs more with a larger agency.
COUNT_CAP = 1000
#: Where the next page starts: the ``(moment, id)`` of the previous page's last row.
Cursor = tuple[datetime, int]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a result: ``total`` is exact unless ``capped`` (then "more than")."""

    items: list[T]
    page: int
    per_page: int
    total: int
    capped: bool = False
    after: Cursor | None = None  # the next page's keyset cursor; None: this is the last page

    @property
    def pages(self) -> int:
        """Return the number of pages (at least 1) as far as the count reaches."""
        return max(1, -(-self.total // self.per_page))

    @property
    def more(self) -> bool:
        """Tell whether a next page exists."""
        return self.after is not None


def capped_count(session: Session, query: Select[Any], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """Return ``(rows, capped)``: the query's rows counted up to ``cap`` (never a full count)."""
    n = session.scalar(select(func.count()).select_from(query.limit(cap + 1).subquery())) or 0
    return min(n, cap), n > cap


#: What a cursor looks like: ``<microseconds since 1970 (UTC)>_<row id>``. Every text of this
#: shape is a cursor and nothing else is (the API documents it as this pattern; an empty
#: ``after`` means the first page).
CURSOR_PATTERN = r"^[0-9]{1,16}_[1-9][0-9]{0,8}$"
_CURSOR = re.compile(CURSOR_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_text(cursor: Cursor | None) -> str:
    """Return a cursor as the text a link carries (``CURSOR_PATTERN``; "" for none)."""
    if cursor is None:
        return ""
    return f"{(cursor[0] - _EPOCH) // timedelta(microseconds=1)}_{cursor[1]}"


def parse_cursor(value: str) -> Cursor | None:
    """Read a cursor written by ``cursor_text`` (None when it is not one)."""
    if not _CURSOR.fullmatch(value):
        return None
    micros, _sep, number = value.partition("_")
    return _EPOCH + timedelta(microseconds=int(micros)), int(number)


def clamp_page(page: int, per_page: int, default: int = 25) -> tuple[int, int]:
    """Return a valid page number (≥ 1) and page size (1–100, ``default`` when not positive)."""
    size = default if per_page < 1 else min(per_page, MAX_PER_PAGE)
    return max(page, 1), size


_Owner = aliased(Employee, name="owner")
_ActorEmp = aliased(Employee, name="actor_emp")


def _search_query(actor: Actor, f: HistoryFilter,
                  zone: str) -> Select[HistoryEvent, str, str, str, str]:
    """Build the search; ``date_from``/``date_to`` are days in the agency's ``zone``."""
    query = (
        select(HistoryEvent, _ActorEmp.name, _Owner.nip, _Owner.name, _Owner.unit_kerja)
        .outerjoin(Evaluation, Evaluation.id == HistoryEvent.evaluation_id)
        .outerjoin(_Owner, _Owner.id == Evaluation.employee_id)
        .outerjoin(_ActorEmp, _ActorEmp.id == HistoryEvent.actor_id)
        .where(HistoryEvent.agency_id == actor.agency_id)
    )
    if f.unit_kerja:
        # With the owner's agency, so that ix_employee_agency_unit finds the unit's people
        # (else every employee of the server is read to test the unit).
        query = query.where(_Owner.agency_id == actor.agency_id,
                            _Owner.unit_kerja == f.unit_kerja)
    if f.actor_nip:
        query = query.where(HistoryEvent.actor_nip == f.actor_nip.strip())
    if f.trigger:
        query = query.where(HistoryEvent.trigger == f.trigger)
    if f.kind:
        query = query.where(HistoryEvent.kind == f.kind)
    if f.evaluation_id is not None:
        query = query.where(HistoryEvent.evaluation_id == f.evaluation_id)
    if f.date_from is not None:
        start = datetime.combine(f.date_from, time.min, zone_info(zone)).astimezone(UTC)
        query = query.where(HistoryEvent.at >= start)
    if f.date_to is not None:
        end = datetime.combine(f.date_to + timedelta(days=1), time.min,
                               zone_info(zone)).astimezone(UTC)
        query = query.where(HistoryEvent.at < end)
    return query


def _row(values: Any) -> TrailRow:
    event, actor_name, nip, name, unit = values
    return TrailRow(event, actor_name or ("Sistem" if not event.actor_nip else ""), nip or "",
                    name or "", unit or "")


def search_history(
    session: Session, actor: Actor, f: HistoryFilter, page: int = 1, per_page: int = 25,
    after: Cursor | None = None,
) -> Page[TrailRow]:
    """Return one page of the agency's history matching ``f``, newest first.

    Keyset pages (``after``, as ``list_evaluations``); the total is counted up to
    ``COUNT_CAP``.

    :raises NotPermitted: unless the actor is an auditor or an agency admin.
    """
    require_auditor(actor)
    page, per_page = clamp_page(page, per_page)
    query = _search_query(actor, f, agency_zone(session, actor.agency_id))
    total, capped = capped_count(session, query.with_only_columns(HistoryEvent.id))
    # One unit kerja's or one evaluation's events are gathered and sorted, not met on a walk
    # through the agency's index of moments (``database.gathered_first``).
    scoped = bool(f.unit_kerja) or f.evaluation_id is not None
    at = gathered_first(HistoryEvent.at) if scoped else HistoryEvent.at
    # The page's ids first (sorting ids and moments, not the events' payloads: one unit
    # kerja's 3,000 events spilled a sort of whole rows to disk at 1M), then its rows.
    ordered = query.with_only_columns(HistoryEvent.id).order_by(at.desc(),
                                                                HistoryEvent.id.desc())
    if after is not None:
        ordered = ordered.where(tuple_(HistoryEvent.at, HistoryEvent.id)
                                < tuple_(literal(after[0], UTCDateTime()), literal(after[1])))
    else:
        ordered = ordered.offset(min((page - 1) * per_page, COUNT_CAP))
    page_ids = ordered.limit(per_page + 1).correlate(None)
    rows = [_row(r) for r in session.execute(
        _search_query(actor, HistoryFilter(), "UTC").where(HistoryEvent.id.in_(page_ids))
        .order_by(HistoryEvent.at.desc(), HistoryEvent.id.desc())).all()]
    more = len(rows) > per_page
    rows = rows[:per_page]
    return Page(rows, page, per_page, total, capped,
                (rows[-1].event.at, rows[-1].event.id) if more and rows else None)


def export_rows(session: Session, actor: Actor, f: HistoryFilter,
                view_changes: ChangeView) -> Iterator[list[str]]:
    """Yield the header and one row per matching event (oldest first), streaming from the DB.

    Columns are ``CSV_COLUMNS``; ``perubahan_json`` holds the changes the actor may see as
    canonical JSON (``{"field": [old, new]}``, a hidden field ``{"field": {"hidden": true,
    "digest": …}}``; ``view_changes`` decides).

    :raises NotPermitted: unless the actor is an auditor or an agency admin (checked at once,
        before the first row).
    """
    require_auditor(actor)
    zone = agency_zone(session, actor.agency_id)
    scoped = bool(f.unit_kerja) or f.evaluation_id is not None
    at = gathered_first(HistoryEvent.at) if scoped else HistoryEvent.at
    # Plain rows of the columns printed (no ORM objects: no identity map, no per-row
    # instance state; the projection is not printed).
    event_columns = [c for c in HistoryEvent.__table__.c if c.name != "projection"]
    query = (_search_query(actor, f, zone).with_only_columns(
        *event_columns, _ActorEmp.name.label("actor_name"), _Owner.nip.label("owner_nip"),
        _Owner.name.label("owner_name"), _Owner.unit_kerja.label("owner_unit"))
        .order_by(at, HistoryEvent.id))
    versions = dict(session.execute(
        select(DefinitionVersion.id, DefinitionVersion.version).where(
            DefinitionVersion.agency_id == actor.agency_id)).all())

    def generate() -> Iterator[list[str]]:
        yield list(CSV_COLUMNS)
        result = session.execute(query.execution_options(yield_per=EXPORT_BATCH))
        for batch in result.partitions():
            # One read of the batch's evaluations for the visibility rule, not one per event.
            view_changes.prefetch(e.evaluation_id for e in batch)
            for e in batch:
                version = versions.get(e.definition_version_id or 0)
                changes = view_changes(cast(ChangedEvent, e))
                yield [
                    e.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    format_moment(e.at, zone, "id", "timestamp"),
                    e.chain, str(e.seq), e.kind, str(e.evaluation_id or ""), e.owner_nip or "",
                    e.owner_name or "", e.owner_unit or "", e.actor_nip,
                    e.actor_name or ("Sistem" if not e.actor_nip else ""), e.actor_role,
                    e.trigger, e.source, e.dest, "" if version is None else str(version),
                    e.comment,
                    canonical_json({c.field: c.csv_value() for c in changes}) if changes
                    else "{}",
                    e.prev_hash, e.hash,
                ]

    return generate()


#: The search form suggests the unit kerja names when the agency has at most this many
#: (a ministry has thousands: then the name is typed).
UNIT_CHOICES = 200


@dataclass(frozen=True, slots=True)
class SearchChoices:
    """Values offered in the search form (from the agency's own data); ``units`` is empty
    when the agency has more than ``UNIT_CHOICES`` of them."""

    units: list[str]
    triggers: list[str]
    kinds: list[str]


def search_choices(session: Session, actor: Actor) -> SearchChoices:
    """Return the unit kerja, trigger and kind values present in the agency's data."""
    require_auditor(actor)
    units = units_of(session, actor.agency_id, UNIT_CHOICES + 1)
    if len(units) > UNIT_CHOICES:
        units = []
    # One probe per distinct (kind, trigger) of the index, never a DISTINCT over the history.
    pairs = distinct_values(session, "history_event", actor.agency_id, ("kind", "trigger"))
    triggers = sorted({trigger for _kind, trigger in pairs if trigger})
    kinds = sorted({kind for kind, _trigger in pairs})
    return SearchChoices(list(units), list(triggers), list(kinds))


# --- verification -------------------------------------------------------------------------


# The page checks every event of an agency whose history holds at most this many (well under
# a second), else only the chains that grew since they were last verified, if they hold at most
# this many new events; beyond that it shows the recorded result and asks for ``flask audit
# verify`` (a full check of 1M events takes tens of seconds: docs/benchmarks.md).
INLINE_EVENTS = 20_000
BROKEN_PER_PAGE = 50


@dataclass(frozen=True, slots=True)
class AgencyVerification:
    """An agency's chains as verified: the summary, one page of broken chains, the checkpoints.

    ``checked`` is the run this request made (full for a small history, else incremental);
    ``None`` when more than ``INLINE_EVENTS`` events were waiting (``pending`` says how many).
    """

    state: VerificationState
    checked: RunResult | None
    pending: int
    page: int
    per_page: int
    checkpoints: CheckpointReport | None = None

    @property
    def ok(self) -> bool:
        """Return whether every recorded chain is intact, nothing waits, and the checkpoints
        agree."""
        return (not self.state.broken_total and not self.pending
                and (self.checkpoints is None or self.checkpoints.ok))

    @property
    def broken(self) -> list[ChainReport]:
        """Return this page of broken chains."""
        return self.state.broken

    @property
    def pages(self) -> int:
        """Return the number of pages of broken chains."""
        return max(1, -(-self.state.broken_total // self.per_page))


def verify_agency(session: Session, key: bytes, actor: Actor,
                  checkpoint_dir: Path | None = None, page: int = 1,
                  per_page: int = BROKEN_PER_PAGE) -> AgencyVerification:
    """Verify the actor's agency's chains as far as a request allows (``INLINE_EVENTS``),
    record it, and return the summary with one page of broken chains; with ``checkpoint_dir``
    also the agency's chains against the checkpoint log. The caller commits.

    :raises NotPermitted: unless the actor is an auditor or an agency admin.
    """
    require_auditor(actor)
    page, per_page = clamp_page(page, per_page, BROKEN_PER_PAGE)
    size, pending = history_size(session, key, actor.agency_id, cap=INLINE_EVENTS + 1)
    checked = None
    if size <= INLINE_EVENTS or pending <= INLINE_EVENTS:
        checked = run_verification(session, key, actor.agency_id,
                                   incremental=size > INLINE_EVENTS)
        pending = 0
    state = verification_state(session, key, actor.agency_id, page, per_page)
    checkpoints = None
    if checkpoint_dir is not None and size <= INLINE_EVENTS:
        checkpoints = verify_checkpoints(session, key, checkpoint_dir, actor.agency_id)
    elif checkpoint_dir is not None:  # replaying the log takes seconds: the last CLI run's
        checkpoints = recorded_checkpoints(session, actor.agency_id)
    return AgencyVerification(state, checked, pending, page, per_page, checkpoints)


def verify_evaluation(session: Session, key: bytes, actor: Actor,
                      evaluation_id: int) -> ChainReport:
    """Verify one evaluation's chain for anyone who may read it."""
    reader = reader_of(session, actor, evaluation_id)
    return verify_chain(session, key, reader.evaluation)
