"""The engine on a real definition, without a database: firing, refusals, allowed lists."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from workflow.context import TransitionContext
from workflow.engine import compile_flow
from workflow.engine import flow_for
from workflow.errors import GuardFailed
from workflow.errors import InvalidData
from workflow.errors import NotPermitted
from workflow.errors import TransitionNotAllowed
from workflow.registry import load_definitions

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = load_definitions(ROOT / "definitions")["kota-mataram"]
NOW = datetime(2026, 3, 10, tzinfo=UTC)
PEOPLE = {"employee": 1, "appraiser": 2, "appeal_reviewer": 3}


def ctx(actor: str, **kw: object) -> TransitionContext:
    values: dict[str, object] = {
        "actor_id": PEOPLE[actor], "actor_roles": frozenset({actor}), "owner_id": 1,
        "participants": PEOPLE, "now": NOW, "form_errors": {},
    }
    values.update(kw)
    return TransitionContext(**values)


def test_fire_returns_the_rule_with_its_destination() -> None:
    """The employee submits a complete draft and it becomes submitted."""
    rule = flow_for(DEFINITION).fire("draft", "submit", ctx("employee"))
    assert rule.dest == "submitted"


def test_wrong_state_is_not_allowed() -> None:
    """Submitting an evaluation that is already reviewed is refused."""
    with pytest.raises(TransitionNotAllowed):
        flow_for(DEFINITION).fire("reviewed", "submit", ctx("employee"))


def test_unknown_transition_is_not_allowed() -> None:
    """A step the flow does not define is refused."""
    with pytest.raises(TransitionNotAllowed):
        flow_for(DEFINITION).fire("draft", "to_finalized", ctx("employee"))


def test_wrong_role_is_not_permitted() -> None:
    """The appraiser cannot submit the employee's self-assessment."""
    with pytest.raises(NotPermitted):
        flow_for(DEFINITION).fire("draft", "submit", ctx("appraiser"))


def test_incomplete_form_is_invalid_data() -> None:
    """A form with errors stops the transition and reports the field errors."""
    with pytest.raises(InvalidData) as caught:
        flow_for(DEFINITION).fire("draft", "submit",
                                  ctx("employee", form_errors={"kendala": ["Wajib diisi."]}))
    assert caught.value.errors == {"kendala": ["Wajib diisi."]}


def test_required_comment() -> None:
    """Returning for revision needs a comment."""
    flow = flow_for(DEFINITION)
    with pytest.raises(InvalidData) as caught:
        flow.fire("submitted", "return_for_revision", ctx("appraiser", comment=" "))
    assert "comment" in caught.value.errors
    assert flow.fire("submitted", "return_for_revision",
                     ctx("appraiser", comment="Lengkapi bukti")).dest == "draft"


def test_guard_failure_names_the_guard() -> None:
    """A late appeal is refused by within_deadline."""
    late = ctx("employee", deadlines={"appeal_window": NOW - timedelta(days=1)})
    with pytest.raises(GuardFailed) as caught:
        flow_for(DEFINITION).fire("reviewed", "appeal", late)
    assert caught.value.guard == "within_deadline"


def test_allowed_lists_only_what_the_actor_may_fire() -> None:
    """The employee of a reviewed evaluation may appeal or accept while the window is open."""
    flow = flow_for(DEFINITION)
    window = {"appeal_window": NOW + timedelta(days=2)}
    assert [r.name for r in flow.allowed("reviewed", ctx("employee", deadlines=window))] == [
        "appeal", "accept"]
    assert [r.name for r in flow.allowed("reviewed", ctx("appraiser", deadlines=window))] == []
    closed = {"appeal_window": NOW - timedelta(days=2)}
    assert [r.name for r in flow.allowed("reviewed", ctx("appraiser", deadlines=closed))] == [
        "finalize"]


def test_machine_is_shared_per_version() -> None:
    """One compiled machine serves every evaluation of a definition version."""
    assert flow_for(DEFINITION) is flow_for(DEFINITION)
    assert compile_flow(DEFINITION) is not flow_for(DEFINITION)


def test_no_auto_transitions() -> None:
    """The machine has no to_<state> shortcuts that would bypass the guards."""
    assert not any(name.startswith("to_") for name in flow_for(DEFINITION).machine.events)
