"""Use cases on evaluations: fire a transition, save a draft, list what an actor may do.

Every function takes the caller's ``Session`` first and never commits: the entrypoint (view,
API, CLI) commits once, so a transition, its data, its effects and its history event are
written together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from . import tallies
from .actors import Actor
from .actors import may_read
from .actors import roles_of
from .calendars import CalendarPort
from .calendars import StoredCalendars
from .context import TransitionContext
from .definition import TransitionRule
from .definition import WorkflowDefinition
from .distribution import enforce_caps
from .due import next_due
from .effects import EFFECTS
from .engine import flow_for
from .errors import ConcurrentUpdate
from .errors import InvalidData
from .errors import NotFound
from .errors import NotPermitted
from .errors import RecordMismatch
from .follow_up import coaching_planned
from .guards import GUARDS
from .history import RecordedEvent
from .history import append_event
from .history import event_fields
from .integrity import newest_event
from .integrity import refuse
from .models import DefinitionVersion
from .models import Evaluation
from .models import HistoryEvent
from .models import utcnow
from .notifications import Subject
from .notifications import notify_step
from .projection import FIXED_FIELDS
from .projection import MUTABLE_FIELDS
from .projection import differing
from .projection import field_digest
from .projection import of_evaluation
from .projection import project
from .recording import record_transition
from .snapshot import EvaluationLike
from .snapshot import EvaluationSnapshot
from .snapshot import load_snapshot
from .unit_achievement import enforce_leader_rule
from .validation import parse_definition
from .workcalendar import WorkCalendar


class FormPort(Protocol):
    """How the core validates a step's data without knowing about WTForms."""

    def validate(
        self, session: Session, evaluation: EvaluationLike, form_key: str,
        values: Mapping[str, Any], *, role: str, partial: bool = False,
    ) -> tuple[dict[str, Any], dict[str, list[str]], int | None]:
        """Return (clean values, errors per field, form version id used)."""
        ...

    def pin_versions(self, session: Session, agency_id: int, keys: set[str]) -> dict[str, int]:
        """Return the form version id each key uses for evaluations opening now."""
        ...


class PlainForms:
    """Accept any non-empty mapping of JSON scalars (used where no form specs are loaded)."""

    def validate(
        self, session: Session, evaluation: EvaluationLike, form_key: str,
        values: Mapping[str, Any], *, role: str, partial: bool = False,
    ) -> tuple[dict[str, Any], dict[str, list[str]], int | None]:
        """Return the values unchanged; an empty form is incomplete unless ``partial``."""
        clean = {str(k): v for k, v in values.items()}
        errors = {} if clean or partial else {"__all__": ["Formulir masih kosong."]}
        return clean, errors, None

    def pin_versions(self, session: Session, agency_id: int, keys: set[str]) -> dict[str, int]:
        """Pin nothing: plain dict forms have no versions."""
        return {}


@dataclass(slots=True)
class Workflow:
    """What the use cases need from the outside: the audit key, forms, a clock, calendars, and
    the directory of the checkpoint log (``None``: no checkpoints after bulk jobs)."""

    audit_key: bytes
    forms: FormPort = field(default_factory=PlainForms)
    clock: Callable[[], datetime] = utcnow
    calendars: CalendarPort = field(default_factory=StoredCalendars)
    checkpoint_dir: Path | None = None
    # Where notifications go besides the app (``notifications.CHANNELS``: "email" when SMTP
    # is configured, "gateway" when NOTIFY_GATEWAY is); written to the outbox.
    notify_channels: tuple[str, ...] = ()


# The guard whose facts (the predikat, a coaching plan) the context reads only when named.
COACHING_GUARD = "coaching_plan_if_low"

_DEFINITIONS: dict[int, WorkflowDefinition] = {}


def clear_caches() -> None:
    """Forget cached definitions (tests reuse ids across databases; production never does)."""
    _DEFINITIONS.clear()


def definition_of(session: Session, version_id: int) -> WorkflowDefinition:
    """Return the parsed definition of a stored version (immutable, so cached per process)."""
    definition = _DEFINITIONS.get(version_id)
    if definition is None:
        row = session.get(DefinitionVersion, version_id)
        if row is None:
            raise NotFound("Versi definisi tidak ditemukan.", "Definition version not found.")
        definition = _DEFINITIONS[version_id] = parse_definition(row.source, f"versi #{row.id}")
    return definition


def get_evaluation(session: Session, actor: Actor, evaluation_id: int) -> Evaluation:
    """Load an evaluation of the actor's agency.

    :raises NotFound: if it does not exist or belongs to another agency (indistinguishable).
    """
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None or evaluation.agency_id != actor.agency_id:
        raise NotFound("Evaluasi tidak ditemukan.", "Evaluation not found.")
    return evaluation


def _deadlines(evaluation: EvaluationLike) -> dict[str, datetime]:
    return {k: datetime.fromisoformat(v) for k, v in (evaluation.deadlines or {}).items()}


def _names_a_deadline(rules: Iterable[TransitionRule]) -> bool:
    """Tell whether a guard or effect of ``rules`` takes a deadline (only those read dates)."""
    return any(GUARDS[call.name].arg == "deadline" for rule in rules for call in rule.guards) or (
        any(EFFECTS[call.name].arg == "deadline" for rule in rules for call in rule.effects))


def _context(
    session: Session, wf: Workflow, evaluation: EvaluationLike, actor: Actor,
    roles: frozenset[str], now: datetime, rules: Iterable[TransitionRule], **extra: Any
) -> TransitionContext:
    """Build the context of ``rules``; the agency's calendar is read only if they need it.

    Most steps (submit, return, a team's review) name no deadline: they skip that query.
    """
    rules = list(rules)
    calendar = (wf.calendars.calendar(session, evaluation.agency_id, now)
                if _names_a_deadline(rules) else WorkCalendar())
    if any(call.name == COACHING_GUARD for rule in rules for call in rule.guards):
        extra.update(predikat=evaluation.predikat,
                     coaching_planned=coaching_planned(session, evaluation.id))
    return TransitionContext(
        actor_id=actor.employee_id, actor_roles=roles, owner_id=evaluation.employee_id,
        participants=evaluation.participant_ids(), now=now, deadlines=_deadlines(evaluation),
        calendar=calendar, **extra,
    )


def _diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {k: [old.get(k), new.get(k)] for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)}


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise _conflict() from exc
    except IntegrityError as exc:
        # Only a clash on the history chain means "someone else wrote first"; anything else
        # is a real error and must not hide behind a "reload and try again".
        if ("history_event" in str(exc.orig) and "seq" in str(exc.orig)) or (
                "uq_history_event_chain" in str(exc.orig)):
            raise _conflict() from exc
        raise


def _check_version(evaluation: EvaluationLike, expected_version: int | None) -> None:
    if expected_version is not None and evaluation.lock_version != expected_version:
        raise ConcurrentUpdate(
            "Evaluasi sudah berubah sejak Anda membukanya. Muat ulang lalu coba lagi.",
            "The evaluation changed since you opened it. Reload and try again.",
        )


@dataclass(frozen=True, slots=True)
class Fired:
    """A transition as written: its event, and the evaluation as it stands after it (the
    snapshot read before, with the written columns), its definition and the actor's roles —
    what an answer needs, without reading the row again."""

    event: RecordedEvent
    evaluation: EvaluationSnapshot
    definition: WorkflowDefinition
    roles: frozenset[str]


def apply_transition(
    session: Session,
    wf: Workflow,
    actor: Actor,
    evaluation_id: int,
    trigger: str,
    *,
    data: Mapping[str, Any] | None = None,
    comment: str | None = None,
    expected_version: int | None = None,
) -> RecordedEvent:
    """Fire ``trigger`` on an evaluation and return its event (``fire_transition``)."""
    return fire_transition(session, wf, actor, evaluation_id, trigger, data=data,
                           comment=comment, expected_version=expected_version).event


def fire_transition(
    session: Session,
    wf: Workflow,
    actor: Actor,
    evaluation_id: int,
    trigger: str,
    *,
    data: Mapping[str, Any] | None = None,
    comment: str | None = None,
    expected_version: int | None = None,
) -> Fired:
    """Fire ``trigger`` on an evaluation: check role, data and guards, apply effects, record.

    The only writer of ``Evaluation.status``. Nothing is changed when any check fails.

    :raises NotFound: unknown evaluation, another agency's, or one the actor may not read
        (``actors.may_read``: for them it does not exist, as on the page and the API).
    :raises ConcurrentUpdate: ``expected_version`` is stale or someone else won a race.
    :raises TransitionNotAllowed: unknown step or wrong state.
    :raises NotPermitted: the actor plays none of the step's roles.
    :raises InvalidData: the step's form (or a required comment) is invalid.
    :raises GuardFailed: another guard refused (deadline passed, own evaluation, …).
    """
    evaluation = _load_for_write(session, actor, evaluation_id)
    definition = definition_of(session, evaluation.definition_version_id)
    roles = roles_of(actor, evaluation, definition)
    if not roles:
        if not may_read(actor, roles):
            # Someone of the agency with no part in this evaluation learns nothing about it.
            raise NotFound("Evaluasi tidak ditemukan.", "Evaluation not found.")
        raise NotPermitted("Anda tidak berwenang atas evaluasi ini.",
                           "You have no part in this evaluation.")
    _check_version(evaluation, expected_version)
    flow = flow_for(definition)
    now = wf.clock()
    rule = definition.transition(trigger)
    acting_role = next((r for r in (rule.by if rule else ()) if r in roles), "")

    clean: dict[str, Any] = {}
    form_errors: dict[str, list[str]] = {}
    form_version_id: int | None = None
    if rule is not None and rule.form and acting_role and evaluation.status in rule.sources:
        merged = {**evaluation.values(rule.form), **dict(data or {})}
        clean, form_errors, form_version_id = wf.forms.validate(
            session, evaluation, rule.form, merged, role=acting_role
        )
    ctx = _context(session, wf, evaluation, actor, roles, now, [rule] if rule else [],
                   data=clean, form_errors=form_errors, comment=comment)
    rule = flow.fire(evaluation.status, trigger, ctx)

    # Effects work on a copy: the row is written once, below, with its version check.
    outcome = _Outcome(dict(evaluation.deadlines or {}), evaluation.rating_hasil_kerja,
                       evaluation.rating_perilaku_kerja, evaluation.predikat)
    changes: dict[str, Any] = {}
    for call in rule.effects:
        changes.update(EFFECTS[call.name].apply(outcome, ctx, call.arg, definition.deadlines))
    enforce_caps(session, definition, evaluation, outcome.predikat)
    enforce_leader_rule(session, definition, evaluation, outcome.rating_hasil_kerja, comment)
    data_column = evaluation.data or {}
    if rule.form:
        old_values = evaluation.values(rule.form)
        changes.update({f"{rule.form}.{k}": v for k, v in _diff(old_values, clean).items()})
        data_column = {
            **data_column,
            rule.form: {"values": clean, "form_version_id": form_version_id,
                        "saved_at": now.isoformat(), "saved_by": actor.nip},
        }
    values: dict[str, Any] = {
        "status": rule.dest,  # the single write path of the state
        "lock_version": evaluation.lock_version + 1,
        "updated_at": now,
    }
    # Only what changed is sent: most steps leave deadlines, ratings and data as they were.
    after = {"deadlines": outcome.deadlines, "data": data_column,
             "rating_hasil_kerja": outcome.rating_hasil_kerja,
             "rating_perilaku_kerja": outcome.rating_perilaku_kerja,
             "predikat": outcome.predikat}
    values.update((k, v) for k, v in after.items() if v != getattr(evaluation, k))
    # Scheduling only (not projected, not in the snapshot): when the deadline runner looks next.
    due_at = next_due(definition, rule.dest, outcome.deadlines, now)
    fields = event_fields(
        wf.audit_key, evaluation, kind="transition", at=now, actor_id=actor.employee_id,
        actor_nip=actor.nip, actor_role=acting_role, trigger=rule.name,
        source=evaluation.status, dest=rule.dest,
        definition_version_id=evaluation.definition_version_id, comment=comment or "",
        data=clean if rule.form else None,
        payload={"changes": changes, "form": rule.form, "form_version_id": form_version_id},
        projection=_projection_after(session, wf, actor, evaluation, {**after, **values},
                                     surface="transition"),
    )
    values["history_seq"] = fields["seq"]
    values["history_head"] = fields["hash"]
    recorded = record_transition(session, evaluation.id, evaluation.lock_version,
                                 {**values, "due_at": due_at}, fields)
    if recorded is None:  # the row moved since it was read: someone else won
        raise _conflict()
    tallies.move(session, evaluation.agency_id, evaluation.period_id, evaluation.employee_id,
                 evaluation.definition_version_id, (evaluation.status, evaluation.predikat),
                 (rule.dest, outcome.predikat))
    notify_step(session, definition, rule,
                Subject("evaluation", evaluation.id, evaluation.agency_id, evaluation.employee_id),
                {"employee": evaluation.employee_id, **evaluation.participant_ids()},
                actor.employee_id, now=now, deadlines=outcome.deadlines,
                zone=ctx.calendar.zone, comment=comment or "", channels=wf.notify_channels)
    return Fired(recorded, replace(evaluation, **values, recorded=recorded.projection),
                 definition, roles)


def _projection_after(
    session: Session, wf: Workflow, actor: Actor, evaluation: EvaluationLike,
    after: Mapping[str, Any], *, surface: str,
) -> dict[str, str]:
    """Return the projection the event records: the new values of the mutable fields, the
    fixed ones carried over from the previous event.

    The row must still hold what the previous event recorded, else the write is refused (and
    the refusal recorded): a changed row is never laundered into a fresh digest. A row whose
    newest event predates the projection is sealed now, from its current values. Each value
    is digested once: a field the step leaves as it was keeps the digest just checked.
    """
    recorded = (evaluation.recorded if isinstance(evaluation, EvaluationSnapshot)
                else _recorded(session, evaluation))
    current = _current(evaluation)
    checked: dict[str, str] = {}
    if recorded:
        checked = project(current, MUTABLE_FIELDS)
        bad = tuple(differing(recorded, checked))
        if bad:
            raise refuse(session, wf.audit_key, evaluation, bad, surface=surface,
                         now=wf.clock(), actor_id=actor.employee_id, actor_nip=actor.nip)
        fixed = {name: recorded[name] for name in FIXED_FIELDS if name in recorded}
    else:
        row = session.get(Evaluation, evaluation.id)
        assert row is not None
        fixed = project(of_evaluation(row), FIXED_FIELDS)
    new = {name: checked[name] if name in checked and _unchanged(after.get(name), current[name])
           else field_digest(after.get(name)) for name in MUTABLE_FIELDS}
    return {**new, **fixed}


def _unchanged(new: Any, old: Any) -> bool:
    """Tell whether a field keeps its value, so its digest too (the same object, or an equal
    scalar of the same type: ``1 == True`` but their JSON differs)."""
    return new is old or (type(new) is type(old) and isinstance(new, str | int | datetime)
                          and new == old)


def _current(evaluation: EvaluationLike) -> dict[str, Any]:
    return {name: getattr(evaluation, name) for name in MUTABLE_FIELDS}


def _recorded(session: Session, evaluation: EvaluationLike) -> dict[str, str]:
    event = newest_event(session, evaluation)
    return dict(event.projection or {}) if event is not None else {}


@dataclass(slots=True)
class _Outcome:
    """What effects may change, held apart from the row until it is written."""

    deadlines: dict[str, str]
    rating_hasil_kerja: str | None
    rating_perilaku_kerja: str | None
    predikat: str | None


def _load_for_write(session: Session, actor: Actor, evaluation_id: int) -> EvaluationSnapshot:
    """Read the evaluation and its participants in one statement, without the ORM."""
    evaluation = load_snapshot(session, evaluation_id)
    if evaluation is None or evaluation.agency_id != actor.agency_id:
        raise NotFound("Evaluasi tidak ditemukan.", "Evaluation not found.")
    return evaluation


def _conflict() -> ConcurrentUpdate:
    return ConcurrentUpdate(
        "Evaluasi ini baru saja diubah oleh orang lain. Muat ulang halaman lalu coba lagi.",
        "Someone else changed this evaluation a moment ago. Reload and try again.",
    )


def save_draft(
    session: Session,
    wf: Workflow,
    actor: Actor,
    evaluation_id: int,
    form_key: str,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> HistoryEvent:
    """Save a step's form without firing anything (partial data allowed, types still checked).

    Only someone who may fire a transition using ``form_key`` right now may save it.
    """
    evaluation = get_evaluation(session, actor, evaluation_id)
    _check_version(evaluation, expected_version)
    definition = definition_of(session, evaluation.definition_version_id)
    roles = roles_of(actor, evaluation, definition)
    rules = [r for r in definition.transitions_from(evaluation.status)
             if r.form == form_key and set(r.by) & roles]
    if not rules:
        raise NotPermitted("Anda tidak dapat mengisi formulir ini sekarang.",
                           "You cannot fill in this form now.")
    role = next(r for r in rules[0].by if r in roles)
    merged = {**evaluation.values(form_key), **dict(data)}
    clean, errors, form_version_id = wf.forms.validate(
        session, evaluation, form_key, merged, role=role, partial=True
    )
    if errors:
        raise InvalidData(errors)
    now = wf.clock()
    diff = _diff(evaluation.values(form_key), clean)
    new_data = {
        **(evaluation.data or {}),
        form_key: {"values": clean, "form_version_id": form_version_id,
                   "saved_at": now.isoformat(), "saved_by": actor.nip, "draft": True},
    }
    # The flush below bumps the optimistic lock by one, with the data and the time.
    projection = _projection_after(
        session, wf, actor, evaluation,
        {**_current(evaluation), "data": new_data, "updated_at": now,
         "lock_version": evaluation.lock_version + 1}, surface="draft")
    evaluation.data = new_data
    evaluation.updated_at = now
    event = append_event(
        session, wf.audit_key, evaluation, kind="data", at=now, actor_id=actor.employee_id,
        actor_nip=actor.nip, actor_role=role, source=evaluation.status, dest=evaluation.status,
        definition_version_id=evaluation.definition_version_id, data=clean,
        payload={"changes": {f"{form_key}.{k}": v for k, v in diff.items()}, "form": form_key,
                 "form_version_id": form_version_id},
        projection=projection,
    )
    _flush(session)
    return event


@dataclass(frozen=True, slots=True)
class Available:
    """What an actor may do on one evaluation right now."""

    evaluation: Evaluation
    definition: WorkflowDefinition
    roles: frozenset[str]
    transitions: list[TransitionRule]


def available_transitions(
    session: Session, wf: Workflow, actor: Actor, evaluation_id: int
) -> Available:
    """Return the transitions ``actor`` may fire now (for buttons and the API)."""
    evaluation = get_evaluation(session, actor, evaluation_id)
    definition = definition_of(session, evaluation.definition_version_id)
    roles = roles_of(actor, evaluation, definition)
    ctx = _context(session, wf, evaluation, actor, roles, wf.clock(),
                   definition.transitions_from(evaluation.status))
    return Available(evaluation, definition, roles,
                     flow_for(definition).allowed(evaluation.status, ctx))


def run_due_transitions(
    session: Session, wf: Workflow, agency_id: int
) -> list[RecordedEvent]:
    """Fire every transition the system may fire now in one agency (e.g. finalize after the
    appeal window): the evaluations whose ``due_at`` has come, one at a time.

    Each firing is flushed on its own; the caller commits. The deadline runner
    (``workflow.deadline_runner``) does the same for every agency in small committed batches.
    """
    ids = session.scalars(select(Evaluation.id).where(
        Evaluation.agency_id == agency_id, Evaluation.due_at <= wf.clock())
        .order_by(Evaluation.id)).all()
    return [event for evaluation_id in ids
            if (event := fire_due(session, wf, agency_id, evaluation_id)) is not None]


def fire_due(session: Session, wf: Workflow, agency_id: int,
             evaluation_id: int) -> RecordedEvent | None:
    """Look at one due evaluation: fire the first transition the system may fire now, or, when
    none passes, set when to look again (``due.next_due``). The caller commits.

    A row changed behind the app's back is left alone; the refusal is in the agency's chain.
    """
    actor = Actor.system(agency_id)
    available = available_transitions(session, wf, actor, evaluation_id)
    for rule in available.transitions:
        with suppress(RecordMismatch):
            return apply_transition(session, wf, actor, evaluation_id, rule.name,
                                    comment="Dijalankan otomatis oleh sistem.")
        return None
    evaluation = available.evaluation
    later = next_due(available.definition, evaluation.status, evaluation.deadlines or {},
                     wf.clock(), after_look=True)
    # Scheduling only: the row's version and history are not touched.
    session.execute(Evaluation.__table__.update().where(
        Evaluation.id == evaluation_id, Evaluation.lock_version == evaluation.lock_version)
        .values(due_at=later))
    set_committed_value(evaluation, "due_at", later)
    return None
