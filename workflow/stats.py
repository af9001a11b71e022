"""Read-only figures over an agency's evaluations: an actor's list, counts, overdue, distribution.

Pure SQLAlchemy, no Flask. Every query is filtered by the actor's agency. Nothing here writes.

*Overdue* (``overdue``): an evaluation that is not in a final state and either

* sits in a state that a deadline governs (a step leaving the state is guarded by
  ``within_deadline``, ``after_deadline`` or ``employee_accepts_or_deadline_passed`` on that
  deadline, or is ``due`` by it) while that deadline has passed, e.g. *reviewed* with the
  appeal window closed but not finalized, or *appealed* past the decider's ``appeal_decision``
  deadline; or
* has no deadline window opened yet (not rated yet: draft, submitted, team review…) while its
  period has ended.

*Distribution* (``distribution``): the predikat counts per unit kerja checked against the
SE MenPANRB 3/2023 pattern (domain.md §6.2) with ``rating.check_distribution``, for the
organisation achievement recorded for the period (or one the caller passes as a what-if).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import String
from sqlalchemy import and_
from sqlalchemy import cast
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import tuple_
from sqlalchemy.orm import Session

from .actors import Actor
from .calendars import agency_zone
from .database import gathered_first
from .definition import WorkflowDefinition
from .distribution import NO_UNIT
from .distribution import predikat_counts
from .distribution import rounding_of
from .localtime import local_date
from .models import DefinitionVersion
from .models import Employee
from .models import Evaluation
from .models import EvaluationTally
from .models import Participant
from .models import Period
from .models import UTCDateTime
from .people_search import matches
from .rating import CapaianOrganisasi
from .rating import Predikat
from .rating import Rounding
from .rating import check_distribution
from .service import definition_of
from .texts import Text
from .trail import COUNT_CAP
from .trail import Cursor
from .trail import Page
from .trail import capped_count
from .trail import clamp_page
from .trail import require_auditor
from .workcalendar import cutoff
from .workcalendar import has_passed

_TALLY = EvaluationTally.__table__
#: Units kerja per dashboard page, and overdue evaluations listed on it.
UNITS_PER_PAGE = 25
OVERDUE_LISTED = 25
DEADLINE_GUARDS = frozenset({"within_deadline", "after_deadline",
                             "employee_accepts_or_deadline_passed"})
# Chart order of the x-axis printed on the official form: Sangat Kurang → Sangat Baik.
PREDIKAT_ORDER: tuple[Predikat, ...] = (
    Predikat.SANGAT_KURANG, Predikat.KURANG, Predikat.BUTUH_PERBAIKAN, Predikat.BAIK,
    Predikat.SANGAT_BAIK,
)


def _definitions(session: Session, version_ids: Iterable[int]) -> dict[int, WorkflowDefinition]:
    return {vid: definition_of(session, vid) for vid in set(version_ids)}


def _agency_versions(session: Session, agency_id: int) -> list[int]:
    """Return the agency's published flow versions (a handful; never read off evaluations)."""
    return list(session.scalars(select(DefinitionVersion.id).where(
        DefinitionVersion.agency_id == agency_id).order_by(DefinitionVersion.id)))


# --- an actor's evaluations -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EvaluationFilter:
    """Filters of the evaluation list; empty values do not filter."""

    state: str = ""
    period_id: int | None = None
    role: str = ""
    q: str = ""


def _group_versions(session: Session, actor: Actor, role: str = "") -> set[int]:
    """Return the definition versions in which one of the actor's groups plays a role."""
    found = set()
    for vid, definition in _definitions(session, _agency_versions(session, actor.agency_id)
                                        ).items():
        for name, spec in definition.roles.items():
            if spec.group and spec.group in actor.groups and (not role or role == name):
                found.add(vid)
    return found


def _scope(session: Session, actor: Actor, f: EvaluationFilter) -> Select[Any]:
    query = (select(Evaluation).join(Evaluation.employee)
             .where(Evaluation.agency_id == actor.agency_id))
    mine = select(Participant.evaluation_id).where(Participant.employee_id == actor.employee_id)
    restricted = bool(f.role) or not (actor.is_auditor or actor.is_admin)
    if restricted:
        if f.role:
            mine = mine.where(Participant.role == f.role)
        groups = _group_versions(session, actor, f.role)
        # Without a group role the participant rows are the starting point (an OR with an
        # always-false IN would hide that from the planner).
        query = query.where(or_(Evaluation.id.in_(mine),
                                Evaluation.definition_version_id.in_(groups))
                            if groups else Evaluation.id.in_(mine))
    if f.state:
        query = query.where(Evaluation.status == f.state)
    if f.period_id is not None:
        query = query.where(Evaluation.period_id == f.period_id)
    if f.q.strip():
        query = query.where(matches(f.q))
    return query


def list_evaluations(
    session: Session, actor: Actor, f: EvaluationFilter, page: int = 1, per_page: int = 25,
    after: Cursor | None = None,
) -> Page[Evaluation]:
    """Return one page of the evaluations the actor may read, newest change first.

    Participants see the evaluations they play a person role on, members of a group role
    (e.g. the evaluation team) every evaluation of a flow using that role, auditors and agency
    admins the whole agency. ``f.role`` keeps only those where the actor plays that role.

    Pages follow each other by keyset (``after``: the ``(updated_at, id)`` of the previous
    page's last row; ``Page.after`` gives the next one); a page number alone reaches the first
    ``COUNT_CAP`` rows. The total is counted up to ``COUNT_CAP`` (``Page.capped`` beyond).
    """
    page, per_page = clamp_page(page, per_page)
    query = _scope(session, actor, f)
    total, capped = capped_count(session, query.with_only_columns(Evaluation.id))
    # The actor's own rows (no staff or group role) are gathered and sorted, not met on a
    # walk through the agency's index of changes (``database.gathered_first``).
    scoped = not _group_versions(session, actor, f.role) and (
        bool(f.role) or not (actor.is_auditor or actor.is_admin))
    changed = gathered_first(Evaluation.updated_at) if scoped else Evaluation.updated_at
    ordered = query.order_by(changed.desc(), Evaluation.id.desc())
    if after is not None:
        ordered = ordered.where(tuple_(Evaluation.updated_at, Evaluation.id)
                                < tuple_(literal(after[0], UTCDateTime()), literal(after[1])))
    else:
        ordered = ordered.offset(min((page - 1) * per_page, COUNT_CAP))
    rows = list(session.scalars(ordered.limit(per_page + 1)).unique())
    more = len(rows) > per_page
    rows = rows[:per_page]
    return Page(rows, page, per_page, total, capped,
                (rows[-1].updated_at, rows[-1].id) if more and rows else None)


# --- counts per state and unit ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateTable:
    """Evaluations per unit kerja (rows) and state (columns), with totals."""

    states: list[str]
    labels: dict[str, str]
    rows: dict[str, dict[str, int]]
    totals: dict[str, int]

    @property
    def total(self) -> int:
        """Return the number of evaluations counted."""
        return sum(self.totals.values())


def periods_of(session: Session, actor: Actor) -> list[Period]:
    """Return the agency's periods, newest first."""
    return list(session.scalars(select(Period).where(Period.agency_id == actor.agency_id)
                                .order_by(Period.ends_on.desc(), Period.id.desc())))


def _tally_where(actor: Actor, period_id: int | None,
                 units: Sequence[str] | None = None) -> list[ColumnElement[bool]]:
    where = [_TALLY.c.agency_id == actor.agency_id]
    if period_id is not None:
        where.append(_TALLY.c.period_id == period_id)
    if units is not None:
        where.append(_TALLY.c.unit_kerja.in_([u if u != NO_UNIT else "" for u in units]))
    return where


def unit_page(session: Session, actor: Actor, period_id: int | None, after: str = "",
              size: int = UNITS_PER_PAGE) -> tuple[list[str], str | None]:
    """Return one page of the unit kerja names that have evaluations (in name order, from
    after ``after``) and the name the next page starts after (None: last page)."""
    units = list(session.scalars(
        select(_TALLY.c.unit_kerja).where(
            *_tally_where(actor, period_id),
            *([_TALLY.c.unit_kerja > after] if after else []))
        .group_by(_TALLY.c.unit_kerja).having(func.sum(_TALLY.c.n) > 0)
        .order_by(_TALLY.c.unit_kerja).limit(size + 1)))
    more = len(units) > size
    units = units[:size]
    return [u or NO_UNIT for u in units], (units[-1] if more else None)


def versions_in_use(session: Session, agency_id: int) -> list[int]:
    """Return the agency's flow versions, oldest first (its evaluations are pinned to these;
    read from the published versions, a handful, never off the evaluations)."""
    return _agency_versions(session, agency_id)


def state_table(session: Session, actor: Actor, period_id: int | None = None,
                lang: str = "id", units: Sequence[str] | None = None) -> StateTable:
    """Count the agency's evaluations per unit kerja and state (states in flow order).

    Read from the tallies (``workflow.tallies``): one grouped read of at most units × states
    rows. ``units`` keeps the rows of those units only; the totals are the whole agency's.

    :raises NotPermitted: unless the actor is an auditor or an agency admin.
    """
    require_auditor(actor)
    grouped = (_TALLY.c.status, _TALLY.c.definition_version_id)
    counts = session.execute(
        select(_TALLY.c.unit_kerja, *grouped, func.sum(_TALLY.c.n))
        .where(*_tally_where(actor, period_id, units))
        .group_by(_TALLY.c.unit_kerja, *grouped)).all()
    overall: list[tuple[str, int, int]]
    if units is None:
        overall = [(status, vid, n) for _unit, status, vid, n in counts]
    else:
        overall = [(status, vid, n) for status, vid, n in session.execute(
            select(*grouped, func.sum(_TALLY.c.n)).where(*_tally_where(actor, period_id))
            .group_by(*grouped))]
    definitions = _definitions(session, [row[1] for row in overall] + [r[2] for r in counts])
    states: list[str] = []
    labels: dict[str, str] = {}
    for _vid, definition in sorted(definitions.items()):
        for state in definition.states:
            if state not in labels:
                states.append(state)
                labels[state] = definition.label(state, lang)
    rows: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = dict.fromkeys(states, 0)
    for unit, status, _vid, n in counts:
        if n:
            row = rows.setdefault(unit or NO_UNIT, dict.fromkeys(states, 0))
            row[status] = row.get(status, 0) + int(n)
    for status, _vid, n in overall:
        totals[status] = totals.get(status, 0) + int(n or 0)
    return StateTable(states, labels, dict(sorted(rows.items())), totals)


# --- overdue -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OverdueItem:
    """An evaluation that should have moved on, and why (plain values, no ORM object)."""

    evaluation_id: int
    employee_name: str
    unit_kerja: str
    state_label: str
    reason: str
    deadline: str
    since: datetime | date


@dataclass(frozen=True, slots=True)
class Overdue:
    """Overdue evaluations (the first ``limit`` of them), also counted per unit kerja."""

    items: list[OverdueItem]
    per_unit: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Return how many evaluations of the units counted are overdue."""
        return sum(self.per_unit.values())


def governing_deadlines(definition: WorkflowDefinition, state: str) -> set[str]:
    """Return the deadlines that guard a step leaving ``state`` or by which one is ``due``."""
    return {g.arg for rule in definition.transitions_from(state) for g in rule.guards
            if g.name in DEADLINE_GUARDS and g.arg} | {
        rule.due for rule in definition.transitions_from(state) if rule.due}


def overdue_reason(
    status: str, deadlines: Mapping[str, str] | None, period_ends_on: date,
    definition: WorkflowDefinition, now: datetime, zone: str,
) -> tuple[str, str, datetime | date] | None:
    """Return ``(reason, deadline name, since)`` when an evaluation in ``status`` with these
    ``deadlines``, in a period ending on ``period_ends_on``, is overdue, else None.

    A period is over once its last day has passed in the agency's ``zone``.
    """
    if status in definition.final:
        return None
    parsed = {k: datetime.fromisoformat(v) for k, v in (deadlines or {}).items()}
    for name in sorted(governing_deadlines(definition, status)):
        due = parsed.get(name)
        if due is not None and has_passed(due, now):
            return "tenggat", name, due
    if not parsed and period_ends_on < local_date(now, zone):
        return "periode", "", period_ends_on
    return None


def _due(name: str) -> ColumnElement[str]:
    # ISO strings of aware UTC datetimes compare as text (as the inbox's guard filters do).
    deadline: ColumnElement[str] = Evaluation.deadlines[name].as_string()
    return deadline


def overdue_condition(definitions: dict[int, WorkflowDefinition], now: datetime,
                      today: date) -> ColumnElement[bool]:
    """Return ``overdue_reason`` as SQL on ``Evaluation`` joined with its ``Period``."""
    now_iso = cutoff(now).astimezone(UTC).isoformat()
    no_deadlines = or_(Evaluation.deadlines.is_(None),
                       cast(Evaluation.deadlines, String).in_(["{}", "null"]))
    per_version = []
    for vid, definition in sorted(definitions.items()):
        open_states = [s for s in definition.states if s not in definition.final]
        late = [and_(Evaluation.status == state,
                     or_(*(_due(name) < now_iso for name in sorted(names))))
                for state in open_states
                if (names := governing_deadlines(definition, state))]
        per_version.append(and_(
            Evaluation.definition_version_id == vid,
            or_(*late, and_(Evaluation.status.in_(open_states), no_deadlines,
                            Period.ends_on < today))))
    return or_(*per_version) if per_version else false()


def overdue(
    session: Session, actor: Actor, now: datetime, period_id: int | None = None,
    lang: str = "id", units: Sequence[str] | None = None, limit: int | None = None,
) -> Overdue:
    """Return the agency's overdue evaluations (see the module docstring), oldest first.

    The rule runs in SQL (``overdue_condition``): counted per unit kerja, and the first
    ``limit`` evaluations (by unit kerja and number) listed; ``units`` keeps those units only.

    :raises NotPermitted: unless the actor is an auditor or an agency admin.
    """
    require_auditor(actor)
    definitions = _definitions(session, versions_in_use(session, actor.agency_id))
    zone = agency_zone(session, actor.agency_id)
    where = [Evaluation.agency_id == actor.agency_id,
             overdue_condition(definitions, now, local_date(now, zone))]
    if period_id is not None:
        where.append(Evaluation.period_id == period_id)
    if units is not None:
        # With the employee's agency, so that ix_employee_agency_unit finds the units' people.
        where += [Employee.agency_id == actor.agency_id,
                  Employee.unit_kerja.in_([u if u != NO_UNIT else "" for u in units])]
    per_unit: dict[str, int] = {}
    for unit, n in session.execute(
            select(Employee.unit_kerja, func.count()).select_from(Evaluation)
            .join(Employee, Employee.id == Evaluation.employee_id)
            .join(Period, Period.id == Evaluation.period_id).where(*where)
            .group_by(Employee.unit_kerja)):
        per_unit[unit or NO_UNIT] = per_unit.get(unit or NO_UNIT, 0) + n
    # Plain columns: no evaluation objects (their answers, participants, eager joins).
    rows = session.execute(
        select(Evaluation.id, Evaluation.status, Evaluation.definition_version_id,
               Evaluation.deadlines, Employee.name, Employee.unit_kerja, Period.ends_on)
        .select_from(Evaluation).join(Employee, Employee.id == Evaluation.employee_id)
        .join(Period, Period.id == Evaluation.period_id).where(*where)
        .order_by(Employee.unit_kerja, Evaluation.id).limit(limit)).all()
    items: list[OverdueItem] = []
    for r in rows:
        definition = definitions.get(r.definition_version_id) or definition_of(
            session, r.definition_version_id)
        found = overdue_reason(r.status, r.deadlines, r.ends_on, definition, now, zone)
        if found is None:
            continue
        reason, deadline, since = found
        items.append(OverdueItem(r.id, r.name, r.unit_kerja or NO_UNIT,
                                 definition.label(r.status, lang), reason, deadline, since))
    items.sort(key=lambda i: (i.since.date() if isinstance(i.since, datetime) else i.since,
                              i.evaluation_id))
    return Overdue(items, dict(sorted(per_unit.items())))


# --- predikat distribution --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitDistribution:
    """The predikat counts of one unit kerja and the pattern's warnings for them."""

    unit_kerja: str
    counts: dict[Predikat, int]
    warnings: list[Text]

    @property
    def total(self) -> int:
        """Return how many employees have a predikat."""
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Distribution:
    """Predikat distribution per unit kerja against one organisation achievement."""

    capaian: CapaianOrganisasi
    rounding: str
    mode: str
    units: list[UnitDistribution]

    @property
    def max_count(self) -> int:
        """Return the largest single count (the chart's scale)."""
        return max((n for u in self.units for n in u.counts.values()), default=0)


def distribution(
    session: Session, actor: Actor, capaian: CapaianOrganisasi | str = CapaianOrganisasi.BAIK,
    period_id: int | None = None, units: Sequence[str] | None = None,
) -> Distribution:
    """Count predikat per unit kerja and check each unit against the national pattern.

    Only evaluations with a predikat (rated) count. The rounding rule is the flow's
    ``rating.rounding`` when set (``floor`` otherwise; the SE does not say), the mode its
    ``rating.distribution`` (off, warn, block). The rule applies per unit kerja: the SE speaks
    of "the employees under the leader" and the unit is the closest thing the org chart has.

    :raises NotPermitted: unless the actor is an auditor or an agency admin.
    :raises ValueError: for an unknown ``capaian``.
    """
    require_auditor(actor)
    org = CapaianOrganisasi(capaian)
    per_unit = predikat_counts(session, actor.agency_id, period_id,
                               units=None if units is None else
                               [u if u != NO_UNIT else "" for u in units])
    rounding, mode = _rating_rules(session, actor)
    checked = [UnitDistribution(unit, {p: counts[p] for p in PREDIKAT_ORDER},
                                check_distribution(org, counts, rounding))
               for unit, counts in sorted(per_unit.items())]
    return Distribution(org, rounding, mode, checked)


def _rating_rules(session: Session, actor: Actor) -> tuple[Rounding, str]:
    """Return the rounding rule and check mode of the agency's newest flow in use."""
    versions = versions_in_use(session, actor.agency_id)
    if not versions:
        return "floor", "warn"
    definition = definition_of(session, versions[-1])
    return rounding_of(definition), str(definition.rating.get("distribution", "warn"))


# --- the dashboard as one read ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the agency dashboard shows, for one period (or all) and one page of its
    units kerja (``unit_after``: where the page starts; ``next_unit``: where the next one
    does, None on the last)."""

    periods: list[Period]
    period: Period | None
    states: StateTable
    overdue: Overdue
    distribution: Distribution
    unit_after: str = ""
    next_unit: str | None = None

    @property
    def capaian_recorded(self) -> bool:
        """Return whether the pattern checked is the period's recorded achievement."""
        return self.period is not None and (
            self.period.capaian_organisasi == self.distribution.capaian.value)


def dashboard(
    session: Session, actor: Actor, now: datetime, period_id: int | None = None,
    capaian: CapaianOrganisasi | str | None = None, lang: str = "id", unit_after: str = "",
) -> Dashboard:
    """Return the dashboard figures; ``period_id`` None means the newest period.

    An unknown period (or another agency's) falls back to the newest one. The distribution
    is checked against ``capaian`` when given (a what-if), else against the achievement
    recorded for the period, else *Baik*. The units kerja come a page at a time
    (``UNITS_PER_PAGE``, after ``unit_after``); the totals are the whole period's. A fixed
    number of statements, none of which reads more than the page's units' evaluations.

    :raises NotPermitted: unless the actor is an auditor or an agency admin.
    """
    require_auditor(actor)
    periods = periods_of(session, actor)
    period = next((p for p in periods if p.id == period_id), periods[0] if periods else None)
    pid = period.id if period is not None else None
    org = capaian or (period.capaian_organisasi if period else None) or CapaianOrganisasi.BAIK
    units, next_unit = unit_page(session, actor, pid, unit_after)
    return Dashboard(periods, period, state_table(session, actor, pid, lang, units),
                     overdue(session, actor, now, pid, lang, units, OVERDUE_LISTED),
                     distribution(session, actor, org, pid, units), unit_after, next_unit)
