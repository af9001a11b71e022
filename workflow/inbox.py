"""Read models for the people who work evaluations: the inbox and one evaluation's page.

Pure SQLAlchemy, no Flask. Every query filters on the actor's agency first.

The inbox answers "what waits for ME now" without loading evaluations one by one: for each
definition version of the agency (a handful), each transition becomes one SQL condition —
pinned version, source state, "I play one of its roles" (a participant row for person roles,
my group membership for group roles), and each of its guards' own SQL filter
(``GuardSpec.inbox`` in ``guards.py``; an unknown guard is an error). The conditions of the
transitions a role may fire are OR-ed into one ``WHERE`` per inbox section, so a section is
one COUNT and one page-sized SELECT of plain columns, however many evaluations the agency has.
Form completeness and comments restrict nothing (``guards.unrestricted``): they are what the
person is about to fill in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import ScalarSelect
from sqlalchemy import UnaryExpression
from sqlalchemy import and_
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased

from .actors import Actor
from .actors import may_read
from .database import gathered_first
from .definition import SYSTEM_ROLE
from .definition import TransitionRule
from .definition import WorkflowDefinition
from .errors import DefinitionError
from .errors import NotFound
from .errors import Problem
from .guards import GUARDS
from .guards import InboxQuestion
from .guards import is_participant
from .models import DefinitionVersion
from .models import Employee
from .models import Evaluation
from .models import HistoryEvent
from .models import Participant
from .models import Period
from .people_search import matches
from .service import Available
from .service import Workflow
from .service import available_transitions
from .service import definition_of
from .stats import governing_deadlines
from .texts import Text
from .trail import COUNT_CAP
from .trail import capped_count
from .workcalendar import cutoff
from .workcalendar import has_passed

#: Inbox sections in display order. ``mine``: my own evaluations (all states); ``to_rate``,
#: ``appeals``, ``team``: evaluations where a step of mine (as appraiser, appeal reviewer,
#: group or other role) is possible now; ``visible``: everything I may open.
SECTIONS: tuple[str, ...] = ("mine", "to_rate", "appeals", "team", "visible")
ROLE_SECTION: Mapping[str, str] = {
    "employee": "mine", "appraiser": "to_rate", "appeal_reviewer": "appeals",
}
DEFAULT_PER_PAGE = 25


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One evaluation as a line of the inbox (plain values, no ORM object)."""

    evaluation_id: int
    employee_name: str
    nip: str
    unit_kerja: str
    jabatan: str
    period: str
    status: str
    state_label: str
    state_label_en: str
    deadline_name: str | None
    deadline: datetime | None
    overdue: bool
    actionable: bool
    final: bool
    updated_at: datetime
    return_reason: str | None = None  # the comment of the step that sent it back (is_return)


@dataclass(frozen=True, slots=True)
class Section:
    """One paginated inbox section; ``total`` is counted up to ``COUNT_CAP`` (``capped``
    beyond: the section then shows "1000+" and its first ``COUNT_CAP`` rows by page)."""

    key: str
    rows: list[InboxRow]
    total: int
    page: int
    per_page: int
    capped: bool = False

    @property
    def pages(self) -> int:
        """Return the number of pages (at least 1)."""
        return max(1, math.ceil(self.total / self.per_page))


@dataclass(frozen=True, slots=True)
class Inbox:
    """The sections of one actor's inbox, for one search."""

    sections: dict[str, Section]
    query: str


@dataclass(slots=True)
class _Conditions:
    """SQL conditions built once per request from the agency's definition versions."""

    tasks: dict[str, list[ColumnElement[bool]]] = field(default_factory=dict)
    # Per section, the person roles its conditions need (None once one needs a group role).
    person_roles: dict[str, set[str] | None] = field(default_factory=dict)
    group_versions: list[int] = field(default_factory=list)
    definitions: dict[int, WorkflowDefinition] = field(default_factory=dict)
    # Per section, every state one of its conditions starts from.
    states: dict[str, set[str]] = field(default_factory=dict)


def _is_participant(actor: Actor, role: str) -> ColumnElement[bool]:
    return is_participant(actor.employee_id, role)


def _guard_condition(version_id: int, guard: str, arg: str | None, role: str, actor: Actor,
                     now_iso: str) -> ColumnElement[bool]:
    """Return the guard's own inbox filter (``GuardSpec.inbox``).

    :raises DefinitionError: the guard is unknown or has no filter — never "no restriction".
    """
    spec = GUARDS.get(guard)
    if spec is None or spec.inbox is None:
        raise DefinitionError([Problem(f"definition_version {version_id}", None, Text(
            f"guard '{guard}' tidak dikenal atau tanpa filter kotak masuk",
            f"guard '{guard}' is unknown or has no inbox filter"))])
    return spec.inbox(InboxQuestion(actor.employee_id, role, arg, now_iso))


def _rule_condition(version_id: int, definition: WorkflowDefinition, rule: TransitionRule,
                    role: str, actor: Actor, now_iso: str) -> ColumnElement[bool] | None:
    """Return "``actor`` may fire ``rule`` as ``role`` now" in SQL, or None if never."""
    spec = definition.roles.get(role)
    if spec is None or role == SYSTEM_ROLE:
        return None
    parts: list[ColumnElement[bool]] = [
        Evaluation.definition_version_id == version_id, Evaluation.status.in_(rule.sources)]
    if spec.group is not None:
        if spec.group not in actor.groups:
            return None
    else:
        parts.append(_is_participant(actor, role))
    parts.extend(_guard_condition(version_id, call.name, call.arg, role, actor, now_iso)
                 for call in rule.guards)
    return and_(*parts)


def _conditions(session: Session, actor: Actor, now: datetime) -> _Conditions:
    out = _Conditions()
    # Deadlines are UTC ISO strings; compared with ``now`` cut to the second (``has_passed``).
    now_iso = cutoff(now).astimezone(UTC).isoformat()
    version_ids = session.scalars(select(DefinitionVersion.id).where(
        DefinitionVersion.agency_id == actor.agency_id)).all()
    for version_id in version_ids:
        definition = out.definitions[version_id] = definition_of(session, version_id)
        if any(spec.group and spec.group in actor.groups for spec in definition.roles.values()):
            out.group_versions.append(version_id)
        if actor.is_system:
            continue
        for rule in definition.transitions:
            for role in rule.by:
                condition = _rule_condition(version_id, definition, rule, role, actor, now_iso)
                if condition is None:
                    continue
                key = ROLE_SECTION.get(role, "team")
                out.tasks.setdefault(key, []).append(condition)
                out.states.setdefault(key, set()).update(rule.sources)
                roles = out.person_roles.setdefault(key, set())
                if definition.roles[role].group is not None:
                    out.person_roles[key] = None
                elif roles is not None:
                    roles.add(role)
    return out


def _any(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return or_(*conditions) if conditions else false()


def _pick_deadline(deadlines: Mapping[str, str] | None, now: datetime,
                   governing: set[str] | None = None) -> tuple[str | None, datetime | None]:
    """Return the next deadline still ahead, else the one that passed last.

    Deadlines that govern the evaluation's state (``stats.governing_deadlines``: an appealed
    evaluation waits for ``appeal_decision``, not for the appeal window) come first.
    """
    parsed = [(name, datetime.fromisoformat(value)) for name, value in (deadlines or {}).items()
              if value]
    if governing and any(name in governing for name, _ in parsed):
        parsed = [(name, due) for name, due in parsed if name in governing]
    ahead = sorted((due, name) for name, due in parsed if not has_passed(due, now))
    if ahead:
        return ahead[0][1], ahead[0][0]
    behind = sorted(((due, name) for name, due in parsed), reverse=True)
    if behind:
        return behind[0][1], behind[0][0]
    return None, None


def _section(session: Session, key: str, actor: Actor, where: ColumnElement[bool],
             actionable: ColumnElement[bool], conds: _Conditions, query: str, page: int,
             per_page: int, now: datetime, scoped: bool = False) -> Section:
    filters = [Evaluation.agency_id == actor.agency_id, where]
    if query:
        filters.append(matches(query))
    order: tuple[UnaryExpression[Any], ...]
    # A section scoped to the actor's participant rows sorts them (few) instead of walking
    # the agency's index of changes (``database.gathered_first``).
    changed = gathered_first(Evaluation.updated_at) if scoped else Evaluation.updated_at
    if key == "mine":
        order = (Period.starts_on.desc(), Evaluation.id.desc())
    elif key == "visible":
        order = (changed.desc(), Evaluation.id.desc())
    else:  # waiting longest first
        order = (changed.asc(), Evaluation.id.asc())
    # The page's ids first, from what the indexes carry (the participant index; the state
    # index includes the flow version, the employee and the period), then the page's rows:
    # the evaluations' own rows (answers, deadlines) are read for the page only, not for
    # every row the section filters and sorts (20,000 for a Sekda reviewing every kepala
    # bidang's appeals at 1M).
    ids = select(Evaluation.id)
    if query:
        ids = ids.join(Employee, Employee.id == Evaluation.employee_id)
    if key == "mine":
        ids = ids.join(Period, Period.id == Evaluation.period_id)
    ids = ids.where(*filters).order_by(*order)
    page_ids: Any
    if scoped:
        # The gathered set is read whole to be sorted anyway: its count comes with the page
        # (a window count) instead of a second read of it.
        def page_of(number: int) -> list[Any]:
            return list(session.execute(ids.add_columns(func.count().over().label("n"))
                                        .limit(per_page).offset((number - 1) * per_page)))

        found = page_of(max(1, page))
        exact = found[0].n if found else 0
        if not found and page > 1:  # beyond the last page: count, then show the last one
            exact, _capped = capped_count(session, select(Evaluation.id).where(*filters))
        total, capped = min(exact, COUNT_CAP), exact > COUNT_CAP
        pages = max(1, math.ceil(total / per_page))
        if not 1 <= page <= pages:
            page = min(max(1, page), pages)
            found = page_of(page)
        page_ids = [r.id for r in found]
    else:
        total, capped = capped_count(session, select(Evaluation.id).join(
            Employee, Employee.id == Evaluation.employee_id).where(*filters))
        pages = max(1, math.ceil(total / per_page))
        page = min(max(1, page), pages)
        page_ids = ids.limit(per_page).offset((page - 1) * per_page).correlate(None)
    result = session.execute(
        select(Evaluation.id, Employee.name, Employee.nip, Employee.unit_kerja, Employee.jabatan,
               Period.label, Evaluation.status, Evaluation.definition_version_id,
               Evaluation.deadlines, Evaluation.updated_at, actionable.label("actionable"),
               _last_transition(HistoryEvent.source).label("last_source"),
               _last_transition(HistoryEvent.dest).label("last_dest"),
               _last_transition(HistoryEvent.comment).label("last_comment"))
        .join(Employee, Employee.id == Evaluation.employee_id)
        .join(Period, Period.id == Evaluation.period_id)
        .where(Evaluation.id.in_(page_ids))
        .order_by(*order)
    ).all()
    rows = []
    for r in result:
        definition = conds.definitions.get(r.definition_version_id) or definition_of(
            session, r.definition_version_id)
        final = r.status in definition.final
        # Still waiting where a return left it: the return's comment.
        returned = (r.last_dest == r.status and r.last_comment
                    and is_return(definition, r.last_source, r.last_dest))
        deadline_name, due = _pick_deadline(r.deadlines, now,
                                            governing_deadlines(definition, r.status))
        rows.append(InboxRow(
            evaluation_id=r.id, employee_name=r.name, nip=r.nip, unit_kerja=r.unit_kerja,
            jabatan=r.jabatan, period=r.label, status=r.status,
            state_label=definition.label(r.status), state_label_en=definition.label(r.status,
                                                                                    "en"),
            deadline_name=None if final else deadline_name, deadline=None if final else due,
            overdue=bool(due is not None and has_passed(due, now) and not final),
            actionable=bool(r.actionable), final=final, updated_at=r.updated_at,
            return_reason=r.last_comment if returned else None,
        ))
    return Section(key, rows, total, page, per_page, capped)


def is_return(definition: WorkflowDefinition, source: str | None, dest: str | None) -> bool:
    """Whether a step sent an evaluation back: its destination comes before its source in the
    definition's order of states (``return_for_revision``, ``team_return``)."""
    states = definition.states
    return source in states and dest in states and states.index(dest) < states.index(source)


def _last_transition(column: InstrumentedAttribute[Any]) -> ScalarSelect[Any]:
    """Return a column of the evaluation's last transition event, as a subquery of the
    page's rows (25 index lookups inside the page's statement, not a statement of its own:
    so a section costs the same statements whether it has rows or not)."""
    return (select(column).where(HistoryEvent.evaluation_id == Evaluation.id,
                                 HistoryEvent.kind == "transition")
            .order_by(HistoryEvent.seq.desc()).limit(1).correlate(Evaluation).scalar_subquery())


def mine_as(actor: Actor, roles: set[str] | None = None) -> ColumnElement[bool]:
    """Return "the actor plays one of ``roles`` (any role: None) on it" in SQL, as an ``IN``
    over her participant rows, so that the database starts from them (index
    ``(employee_id, role, evaluation_id)``) rather than from the whole agency."""
    rows = select(Participant.evaluation_id).where(Participant.employee_id == actor.employee_id)
    if roles is not None:
        rows = rows.where(Participant.role.in_(sorted(roles)))
    return Evaluation.id.in_(rows)


def visible_condition(actor: Actor, group_versions: list[int]) -> ColumnElement[bool]:
    """Return "the actor may open this evaluation" in SQL (agency filter not included)."""
    if actor.is_auditor or actor.is_admin:
        return true()
    if not group_versions:
        return mine_as(actor)
    return or_(mine_as(actor), Evaluation.definition_version_id.in_(group_versions))


#: A person with at least this many participant rows in a section's roles has a large span
#: (a Sekda reviewing the appeals of every kepala bidang: 20,000 rows at 1M evaluations);
#: her participant rows are counted up to it, never further.
LARGE_SPAN = 1000


def _spans(session: Session, actor: Actor, conds: _Conditions) -> dict[str, int]:
    """Return, per person role of the actor's sections, her participant rows in that role
    counted up to ``LARGE_SPAN`` (one statement; none without person roles)."""
    roles = sorted({r for rs in conds.person_roles.values() if rs for r in rs})
    if not roles:
        return {}
    counts = [select(func.count()).select_from(
        select(Participant.evaluation_id).where(Participant.employee_id == actor.employee_id,
                                                Participant.role == role)
        .limit(LARGE_SPAN).subquery()).scalar_subquery() for role in roles]
    found = session.execute(select(*counts)).one()
    return dict(zip(roles, (int(n or 0) for n in found), strict=True))


def _tasks(conds: _Conditions, key: str, actor: Actor, spans: Mapping[str, int]
           ) -> ColumnElement[bool]:
    """Return a section's OR of task conditions, led by the participant rows when every one
    of them needs a person role (so the planner can start there).

    Over a large span (``LARGE_SPAN``) her participant rows are first joined with the
    evaluations in the states the conditions start from (implied by them), both read from
    their indexes (``ix_evaluation_status_page``), so that only the evaluations waiting in
    those states are opened, not each of her 20,000 to test its state. Over a small span that
    join would be the longer way (the states hold a share of the whole agency).
    """
    tasks = conds.tasks.get(key, [])
    if not tasks:
        return false()
    roles = conds.person_roles.get(key)
    if not roles:
        return or_(*tasks)
    if sum(spans.get(r, 0) for r in roles) >= LARGE_SPAN:
        waiting = aliased(Evaluation, name="waiting")
        rows = (select(Participant.evaluation_id)
                .join(waiting, waiting.id == Participant.evaluation_id)
                .where(Participant.employee_id == actor.employee_id,
                       Participant.role.in_(sorted(roles)),
                       waiting.agency_id == actor.agency_id,
                       waiting.status.in_(sorted(conds.states.get(key, set())))))
        return and_(Evaluation.id.in_(rows), or_(*tasks))
    return and_(mine_as(actor, roles), or_(*tasks))


def inbox(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    query: str = "",
    pages: Mapping[str, int] | None = None,
    per_page: int = DEFAULT_PER_PAGE,
) -> Inbox:
    """Return the actor's inbox: one paginated section per kind of waiting work.

    ``query`` searches employee name, NIP and unit kerja (case-insensitive, substring).
    ``pages`` gives the 1-based page per section key (default 1; clamped to the last page).
    """
    query = query.strip()
    pages = pages or {}
    conds = _conditions(session, actor, now)
    spans = _spans(session, actor, conds)
    mine_tasks = _any(conds.tasks.get("mine", []))
    wheres: dict[str, tuple[ColumnElement[bool], ColumnElement[bool]]] = {
        "mine": (Evaluation.employee_id == actor.employee_id, mine_tasks),
        "to_rate": (_tasks(conds, "to_rate", actor, spans), true()),
        "appeals": (_tasks(conds, "appeals", actor, spans), true()),
        "team": (_tasks(conds, "team", actor, spans), true()),
        "visible": (visible_condition(actor, conds.group_versions),
                    _any([c for cs in conds.tasks.values() for c in cs])),
    }
    scoped = {"to_rate": bool(conds.person_roles.get("to_rate")),
              "appeals": bool(conds.person_roles.get("appeals")),
              "team": bool(conds.person_roles.get("team")),
              "visible": not (actor.is_auditor or actor.is_admin or conds.group_versions)}
    sections = {
        key: _section(session, key, actor, where, actionable, conds, query,
                      int(pages.get(key, 1) or 1), per_page, now, scoped.get(key, False))
        for key, (where, actionable) in wheres.items()
    }
    return Inbox(sections, query)


# --- one evaluation --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RatingChange:
    """A history event that changed the ratings (the appraiser's rating, an appeal decision)."""

    event: HistoryEvent
    before: dict[str, str | None]
    after: dict[str, str | None]


@dataclass(frozen=True, slots=True)
class EvaluationPage:
    """Everything the evaluation page shows, loaded in a fixed number of queries."""

    available: Available
    events: list[HistoryEvent]
    names: dict[str, str]
    rating_changes: list[RatingChange]

    @property
    def evaluation(self) -> Evaluation:
        """Return the evaluation."""
        return self.available.evaluation


RATING_FIELDS = ("rating_hasil_kerja", "rating_perilaku_kerja", "predikat")


def may_view(actor: Actor, available: Available) -> bool:
    """Tell whether the actor may open the evaluation (``actors.may_read``)."""
    return may_read(actor, available.roles)


def open_evaluation(session: Session, wf: Workflow, actor: Actor,
                    evaluation_id: int) -> EvaluationPage:
    """Load an evaluation for its page: what the actor may do, its history, who acted.

    :raises NotFound: unknown id, another agency's, or one the actor has no business seeing
        (indistinguishable, so existence does not leak).
    """
    available = available_transitions(session, wf, actor, evaluation_id)
    if not may_view(actor, available):
        raise NotFound("Evaluasi tidak ditemukan.", "Evaluation not found.")
    events = list(session.scalars(select(HistoryEvent).where(
        HistoryEvent.evaluation_id == evaluation_id).order_by(HistoryEvent.seq)))
    nips = {e.actor_nip for e in events if e.actor_nip}
    names: dict[str, str] = {}
    if nips:
        names = dict(session.execute(select(Employee.nip, Employee.name).where(
            Employee.agency_id == actor.agency_id, Employee.nip.in_(nips))).all())
    changes = []
    current: dict[str, str | None] = dict.fromkeys(RATING_FIELDS)
    for event in events:
        diff = (event.payload or {}).get("changes") or {}
        if not any(key in diff for key in RATING_FIELDS):
            continue
        before = dict(current)
        current.update({k: diff[k][1] for k in RATING_FIELDS if k in diff})
        changes.append(RatingChange(event, before, dict(current)))
    return EvaluationPage(available, events, names, changes)
