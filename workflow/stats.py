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

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from .actors import Actor
from .calendars import agency_zone
from .definition import WorkflowDefinition
from .distribution import NO_UNIT
from .distribution import predikat_counts
from .distribution import rounding_of
from .localtime import local_date
from .models import Employee
from .models import Evaluation
from .models import Participant
from .models import Period
from .rating import CapaianOrganisasi
from .rating import Predikat
from .rating import Rounding
from .rating import check_distribution
from .service import definition_of
from .texts import Text
from .trail import Page
from .trail import clamp_page
from .trail import require_auditor
from .workcalendar import has_passed

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
    return list(session.scalars(select(Evaluation.definition_version_id).where(
        Evaluation.agency_id == agency_id).distinct()))


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
    if f.role:
        mine = mine.where(Participant.role == f.role)
        groups = _group_versions(session, actor, f.role)
        query = query.where(or_(Evaluation.id.in_(mine),
                                Evaluation.definition_version_id.in_(groups)))
    elif not (actor.is_auditor or actor.is_admin):
        groups = _group_versions(session, actor)
        query = query.where(or_(Evaluation.id.in_(mine),
                                Evaluation.definition_version_id.in_(groups)))
    if f.state:
        query = query.where(Evaluation.status == f.state)
    if f.period_id is not None:
        query = query.where(Evaluation.period_id == f.period_id)
    if f.q.strip():
        like = f"%{f.q.strip().lower()}%"
        query = query.where(or_(func.lower(Employee.name).like(like), Employee.nip.like(like),
                                func.lower(Employee.unit_kerja).like(like)))
    return query


def list_evaluations(
    session: Session, actor: Actor, f: EvaluationFilter, page: int = 1, per_page: int = 25
) -> Page[Evaluation]:
    """Return one page of the evaluations the actor may read, newest change first.

    Participants see the evaluations they play a person role on, members of a group role
    (e.g. the evaluation team) every evaluation of a flow using that role, auditors and agency
    admins the whole agency. ``f.role`` keeps only those where the actor plays that role.
    """
    page, per_page = clamp_page(page, per_page)
    query = _scope(session, actor, f)
    total = session.scalar(select(func.count()).select_from(
        query.with_only_columns(Evaluation.id).subquery())) or 0
    rows = session.scalars(query.order_by(Evaluation.updated_at.desc(), Evaluation.id.desc())
                           .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(rows), page, per_page, total)


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


def _base(actor: Actor, period_id: int | None) -> Select[Evaluation, str]:
    query = (select(Evaluation, Employee.unit_kerja).join(Evaluation.employee)
             .where(Evaluation.agency_id == actor.agency_id))
    if period_id is not None:
        query = query.where(Evaluation.period_id == period_id)
    return query


def state_table(session: Session, actor: Actor, period_id: int | None = None,
                lang: str = "id") -> StateTable:
    """Count the agency's evaluations per unit kerja and state (states in flow order).

    :raises NotPermitted: unless the actor is an auditor or an agency admin.
    """
    require_auditor(actor)
    query = (select(Employee.unit_kerja, Evaluation.status, Evaluation.definition_version_id,
                    func.count())
             .select_from(Evaluation).join(Evaluation.employee)
             .where(Evaluation.agency_id == actor.agency_id)
             .group_by(Employee.unit_kerja, Evaluation.status, Evaluation.definition_version_id))
    if period_id is not None:
        query = query.where(Evaluation.period_id == period_id)
    counts = session.execute(query).all()
    definitions = _definitions(session, (row[2] for row in counts))
    states: list[str] = []
    labels: dict[str, str] = {}
    for definition in definitions.values():
        for state in definition.states:
            if state not in labels:
                states.append(state)
                labels[state] = definition.label(state, lang)
    rows: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = dict.fromkeys(states, 0)
    for unit, status, _vid, n in counts:
        row = rows.setdefault(unit or NO_UNIT, dict.fromkeys(states, 0))
        row[status] = row.get(status, 0) + n
        totals[status] = totals.get(status, 0) + n
    return StateTable(states, labels, dict(sorted(rows.items())), totals)


# --- overdue -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OverdueItem:
    """An evaluation that should have moved on, and why."""

    evaluation: Evaluation
    unit_kerja: str
    state_label: str
    reason: str
    deadline: str
    since: datetime | date


@dataclass(frozen=True, slots=True)
class Overdue:
    """Overdue evaluations, also counted per unit kerja."""

    items: list[OverdueItem]
    per_unit: dict[str, int] = field(default_factory=dict)


def governing_deadlines(definition: WorkflowDefinition, state: str) -> set[str]:
    """Return the deadlines that guard a step leaving ``state`` or by which one is ``due``."""
    return {g.arg for rule in definition.transitions_from(state) for g in rule.guards
            if g.name in DEADLINE_GUARDS and g.arg} | {
        rule.due for rule in definition.transitions_from(state) if rule.due}


def overdue_reason(
    evaluation: Evaluation, definition: WorkflowDefinition, now: datetime, zone: str
) -> tuple[str, str, datetime | date] | None:
    """Return ``(reason, deadline name, since)`` when the evaluation is overdue, else None.

    A period is over once its last day has passed in the agency's ``zone``.
    """
    if evaluation.status in definition.final:
        return None
    deadlines = {k: datetime.fromisoformat(v) for k, v in (evaluation.deadlines or {}).items()}
    for name in sorted(governing_deadlines(definition, evaluation.status)):
        due = deadlines.get(name)
        if due is not None and has_passed(due, now):
            return "tenggat", name, due
    if not deadlines and evaluation.period.ends_on < local_date(now, zone):
        return "periode", "", evaluation.period.ends_on
    return None


def overdue(
    session: Session, actor: Actor, now: datetime, period_id: int | None = None,
    lang: str = "id",
) -> Overdue:
    """Return the agency's overdue evaluations (see the module docstring), oldest first.

    :raises NotPermitted: unless the actor is an auditor or an agency admin.
    """
    require_auditor(actor)
    rows = session.execute(_base(actor, period_id).order_by(Evaluation.id)).all()
    definitions = _definitions(session, (e.definition_version_id for e, _u in rows))
    zone = agency_zone(session, actor.agency_id)
    items: list[OverdueItem] = []
    for evaluation, unit in rows:
        definition = definitions[evaluation.definition_version_id]
        found = overdue_reason(evaluation, definition, now, zone)
        if found is None:
            continue
        reason, deadline, since = found
        label = definition.label(evaluation.status, lang)
        items.append(OverdueItem(evaluation, unit or NO_UNIT, label, reason, deadline, since))
    items.sort(key=lambda i: (i.since.date() if isinstance(i.since, datetime) else i.since,
                              i.evaluation.id))
    return Overdue(items, dict(sorted(Counter(i.unit_kerja for i in items).items())))


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
    period_id: int | None = None,
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
    per_unit = predikat_counts(session, actor.agency_id, period_id)
    rounding, mode = _rating_rules(session, actor)
    units = [UnitDistribution(unit, {p: counts[p] for p in PREDIKAT_ORDER},
                              check_distribution(org, counts, rounding))
             for unit, counts in sorted(per_unit.items())]
    return Distribution(org, rounding, mode, units)


def _rating_rules(session: Session, actor: Actor) -> tuple[Rounding, str]:
    """Return the rounding rule and check mode of the agency's newest flow in use."""
    versions = sorted(_agency_versions(session, actor.agency_id))
    if not versions:
        return "floor", "warn"
    definition = definition_of(session, versions[-1])
    return rounding_of(definition), str(definition.rating.get("distribution", "warn"))


# --- the dashboard as one read ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the agency dashboard shows, for one period (or all)."""

    periods: list[Period]
    period: Period | None
    states: StateTable
    overdue: Overdue
    distribution: Distribution

    @property
    def capaian_recorded(self) -> bool:
        """Return whether the pattern checked is the period's recorded achievement."""
        return self.period is not None and (
            self.period.capaian_organisasi == self.distribution.capaian.value)


def dashboard(
    session: Session, actor: Actor, now: datetime, period_id: int | None = None,
    capaian: CapaianOrganisasi | str | None = None, lang: str = "id",
) -> Dashboard:
    """Return the dashboard figures; ``period_id`` None means the newest period.

    An unknown period (or another agency's) falls back to the newest one. The distribution
    is checked against ``capaian`` when given (a what-if), else against the achievement
    recorded for the period, else *Baik*.

    :raises NotPermitted: unless the actor is an auditor or an agency admin.
    """
    require_auditor(actor)
    periods = periods_of(session, actor)
    period = next((p for p in periods if p.id == period_id), periods[0] if periods else None)
    pid = period.id if period is not None else None
    org = capaian or (period.capaian_organisasi if period else None) or CapaianOrganisasi.BAIK
    return Dashboard(periods, period, state_table(session, actor, pid, lang),
                     overdue(session, actor, now, pid, lang),
                     distribution(session, actor, org, pid))
