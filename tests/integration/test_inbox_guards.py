"""Each guard carries its own inbox filter, and the filter says what the guard says."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PEOPLE
from tests.conftest import World
from workflow.actors import Actor
from workflow.context import TransitionContext
from workflow.errors import DefinitionError
from workflow.guards import GUARDS
from workflow.guards import InboxQuestion
from workflow.inbox import _guard_condition
from workflow.models import Evaluation
from workflow.models import Participant
from workflow.workcalendar import cutoff

NOW = datetime(2026, 3, 16, 12, 0, 0, 500_000, tzinfo=UTC)
# Guards about the data the person fills in: the inbox cannot judge them, so they pass there.
DATA_GUARDS = {"form_complete", "comment_given"}


def test_every_guard_carries_an_inbox_filter() -> None:
    """A guard added without its SQL filter is caught here, not by an inbox that shows all."""
    assert all(spec.inbox is not None for spec in GUARDS.values()), [
        name for name, spec in GUARDS.items() if spec.inbox is None]


def test_an_unknown_guard_is_an_error_in_the_inbox(world: World) -> None:
    """An unknown guard used to mean "no restriction" in the inbox; now it is refused."""
    actor = Actor.of(world.people["penilai"])
    with pytest.raises(DefinitionError, match="guard 'is_friday'"):
        _guard_condition(1, "is_friday", None, "appraiser", actor, NOW.isoformat())


@pytest.mark.parametrize("guard", sorted(set(GUARDS) - DATA_GUARDS))
def test_each_guard_filter_selects_what_its_check_lets_through(session: Session, world: World,
                                                               guard: str) -> None:
    """For every person, role and evaluation (with windows open, closed, ending this very
    second and not started), the guard's SQL filter holds exactly where its check passes."""
    evaluations = list(session.scalars(select(Evaluation).where(
        Evaluation.id.in_([e.id for e in world.evaluations.values()])).order_by(Evaluation.id)))
    ends = [None, NOW - timedelta(days=1), cutoff(NOW), NOW + timedelta(days=1)]
    for index, evaluation in enumerate(evaluations):
        due = ends[index % len(ends)]
        evaluation.deadlines = {} if due is None else {"appeal_window": due.isoformat()}
    session.flush()
    participants: dict[int, dict[str, int]] = {}
    for row in session.scalars(select(Participant)):
        participants.setdefault(row.evaluation_id, {})[row.role] = row.employee_id
    spec = GUARDS[guard]
    assert spec.inbox is not None
    arg = "appeal_window" if spec.arg == "deadline" else None
    now_iso = cutoff(NOW).astimezone(UTC).isoformat()
    for who in PEOPLE:
        person = world.people[who]
        for role in ("employee", "appraiser", "appeal_reviewer", "evaluation_team"):
            condition = spec.inbox(InboxQuestion(person.id, role, arg, now_iso))
            selected = set(session.scalars(select(Evaluation.id).where(
                Evaluation.id.in_([e.id for e in evaluations]), condition)))
            for evaluation in evaluations:
                due_at = (datetime.fromisoformat(evaluation.deadlines["appeal_window"])
                          if evaluation.deadlines else None)
                ctx = TransitionContext(
                    actor_id=person.id, actor_roles=frozenset({role}),
                    owner_id=evaluation.employee_id,
                    participants=participants.get(evaluation.id, {}), now=NOW,
                    deadlines={"appeal_window": due_at} if due_at else {})
                if role == "employee" and person.id != evaluation.employee_id:
                    continue  # nobody plays the employee on someone else's evaluation
                assert spec.check(ctx, arg) == (evaluation.id in selected), (
                    guard, who, role, evaluation.id, evaluation.deadlines)
