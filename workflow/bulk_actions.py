"""The appraiser with many staff: her queue by step and deadline, and one step on many.

``queue`` lists the open evaluations where the person plays a person role (appraiser, appeal
decider) — filtered by state and by a deadline before a day, with counts per state — and the
steps she may take on several at once: those without a form (e.g. return for revision, whose
comment is the same for all). ``fire_many`` fires one such step on each chosen evaluation with
one comment, through ``service.fire_transition`` (every rule of a single step holds), all or
nothing. ``next_waiting`` is the next evaluation in the same state after one, to open it
straight after finishing one. The inbox (``workflow.inbox``) is not changed by this module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .actors import Actor
from .errors import InvalidData
from .errors import WorkflowError
from .history import RecordedEvent
from .models import Employee
from .models import Evaluation
from .models import Participant
from .models import Period
from .reassignment import is_former
from .service import Workflow
from .service import available_transitions
from .service import definition_of
from .service import fire_transition

LIMIT = 500  # evaluations a queue holds at most
BULK_MAX = 100  # evaluations one bulk step takes at most


class BulkRefused(WorkflowError):
    """One of the chosen evaluations refused the step: nothing was changed."""

    status = 409


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One open evaluation of the queue."""

    evaluation_id: int
    employee_name: str
    employee_nip: str
    unit_kerja: str
    period: str
    state: str
    role: str
    due: datetime | None


@dataclass(frozen=True, slots=True)
class Queue:
    """The rows (filtered), the count of every open evaluation per state, the steps that can
    be taken in bulk from the chosen state (name → label), whether the list was cut."""

    rows: list[QueueRow]
    counts: dict[str, int]
    steps: dict[str, str]
    truncated: bool


def _due(deadlines: dict[str, str] | None) -> datetime | None:
    values = [datetime.fromisoformat(v) for v in (deadlines or {}).values() if v]
    return min(values) if values else None


def queue(session: Session, actor: Actor, *, state: str = "",
          due_before: datetime | None = None, lang: str = "id") -> Queue:
    """Return the actor's open evaluations as a person role (module docstring)."""
    if actor.employee_id is None:
        return Queue([], {}, {}, False)
    rows = session.execute(
        select(Evaluation.id, Evaluation.status, Evaluation.deadlines,
               Evaluation.definition_version_id, Participant.role, Employee.name,
               Employee.nip, Employee.unit_kerja, Period.label)
        .join(Participant, Participant.evaluation_id == Evaluation.id)
        .join(Employee, Employee.id == Evaluation.employee_id)
        .join(Period, Period.id == Evaluation.period_id)
        .where(Evaluation.agency_id == actor.agency_id,
               Participant.employee_id == actor.employee_id, Participant.role != "employee")
        .order_by(Evaluation.updated_at, Evaluation.id).limit(LIMIT + 1)).all()
    counts: Counter[str] = Counter()
    found: list[QueueRow] = []
    steps: dict[str, str] = {}
    for eid, status, deadlines, version_id, role, name, nip, unit, period in rows[:LIMIT]:
        definition = definition_of(session, version_id)
        if is_former(role) or status in definition.final:
            continue
        counts[status] += 1
        due = _due(deadlines)
        if (state and status != state) or (due_before is not None and (
                due is None or due > due_before)):
            continue
        found.append(QueueRow(eid, name, nip, unit, period, status, role, due))
        if state:
            for rule in definition.transitions_from(status):
                if role in rule.by and not rule.form:
                    label = rule.label_en if lang == "en" and rule.label_en else rule.label
                    steps[rule.name] = label or rule.name
    return Queue(found, dict(counts), steps, len(rows) > LIMIT)


def fire_many(session: Session, wf: Workflow, actor: Actor, evaluation_ids: Sequence[int],
              trigger: str, comment: str) -> list[RecordedEvent]:
    """Fire ``trigger`` with ``comment`` on every evaluation; all or nothing.

    :raises InvalidData: nothing chosen, too many, or a step that needs a form.
    :raises BulkRefused: an evaluation refused it (each named); the caller rolls back.
    """
    ids = list(dict.fromkeys(evaluation_ids))
    if not ids or len(ids) > BULK_MAX:
        raise InvalidData.of({"evaluations": (
            f"Pilih 1–{BULK_MAX} evaluasi.", f"Choose 1–{BULK_MAX} evaluations.")})
    events = []
    for evaluation_id in ids:
        try:
            available = available_transitions(session, wf, actor, evaluation_id)
            rule = available.definition.transition(trigger)
            if rule is not None and rule.form:
                raise InvalidData.of({"trigger": (
                    "Langkah berformulir diisi satu per satu.",
                    "A step with a form is taken one evaluation at a time.")})
            events.append(fire_transition(session, wf, actor, evaluation_id, trigger,
                                          comment=(comment or "").strip() or None).event)
        except InvalidData:
            raise
        except WorkflowError as exc:
            raise BulkRefused(f"Tidak ada yang diubah. Evaluasi #{evaluation_id}: {exc.message}",
                              f"Nothing was changed. Evaluation #{evaluation_id}: "
                              f"{exc.message_en}") from exc
    return events


def next_waiting(session: Session, actor: Actor, evaluation_id: int) -> int | None:
    """Return the actor's next open evaluation in the same state after this one (by id,
    wrapping around), or None."""
    current = session.get(Evaluation, evaluation_id)
    if current is None or current.agency_id != actor.agency_id:
        return None
    same = [row.evaluation_id for row in queue(session, actor, state=current.status).rows
            if row.evaluation_id != evaluation_id]
    later = sorted(i for i in same if i > evaluation_id)
    return later[0] if later else (min(same) if same else None)
