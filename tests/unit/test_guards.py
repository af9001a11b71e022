"""Each guard of the library, on hand-made contexts (no app, no database)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from workflow.context import TransitionContext
from workflow.guards import GUARDS

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def ctx(**kw: object) -> TransitionContext:
    """Return a context where employee 1 is evaluated, appraised by 2, reviewed by 3."""
    values: dict[str, object] = {
        "actor_id": 1, "actor_roles": frozenset({"employee"}), "owner_id": 1,
        "participants": {"employee": 1, "appraiser": 2, "appeal_reviewer": 3}, "now": NOW,
    }
    values.update(kw)
    return TransitionContext(**values)


def check(name: str, context: TransitionContext, arg: str | None = None) -> bool:
    return GUARDS[name].check(context, arg)


def test_form_complete() -> None:
    """form_complete passes only when the form validated with no errors."""
    assert check("form_complete", ctx(form_errors={}))
    failing = ctx(form_errors={"alasan": ["Wajib diisi."]})
    assert not check("form_complete", failing)
    assert failing.failures[0][0] == "form_complete"
    assert not check("form_complete", ctx(form_errors=None))


def test_not_own_evaluation() -> None:
    """not_own_evaluation refuses the evaluated employee and lets anyone else through."""
    assert not check("not_own_evaluation", ctx(actor_id=1))
    assert check("not_own_evaluation", ctx(actor_id=2))


def test_not_original_appraiser() -> None:
    """not_original_appraiser refuses the appraiser who gave the rating."""
    assert not check("not_original_appraiser", ctx(actor_id=2))
    assert check("not_original_appraiser", ctx(actor_id=3))


@pytest.mark.parametrize(("due_offset", "within", "after"), [
    (timedelta(days=1), True, False),
    (timedelta(0), True, False),          # the last moment of the window still counts
    (-timedelta(seconds=1), False, True),
])
def test_deadline_guards(due_offset: timedelta, within: bool, after: bool) -> None:
    """within_deadline and after_deadline split time at the due moment."""
    deadlines = {"appeal_window": NOW + due_offset}
    assert check("within_deadline", ctx(deadlines=deadlines), "appeal_window") is within
    assert check("after_deadline", ctx(deadlines=deadlines), "appeal_window") is after


def test_deadline_not_started() -> None:
    """A window that never opened is neither open nor closed."""
    context = ctx()
    assert not check("within_deadline", context, "appeal_window")
    assert not check("after_deadline", context, "appeal_window")
    assert "belum dimulai" in context.failures[0][1]


def test_employee_accepts_or_deadline_passed() -> None:
    """The employee may always accept; others only after the window closed."""
    open_window = {"appeal_window": NOW + timedelta(days=3)}
    closed = {"appeal_window": NOW - timedelta(days=3)}
    guard = "employee_accepts_or_deadline_passed"
    assert check(guard, ctx(deadlines=open_window), "appeal_window")
    system = {"actor_id": None, "actor_roles": frozenset({"system"})}
    refused = ctx(deadlines=open_window, **system)
    assert not check(guard, refused, "appeal_window")
    assert refused.failures[-1][0] == guard
    assert check(guard, ctx(deadlines=closed, **system), "appeal_window")


def test_comment_given() -> None:
    """comment_given refuses blank comments."""
    assert not check("comment_given", ctx(comment="   "))
    assert check("comment_given", ctx(comment="Bukti kurang"))


def test_every_guard_is_documented() -> None:
    """Every guard in the library appears in docs/definitions.md."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "definitions.md").read_text()
    missing = [name for name in GUARDS if f"`{name}`" not in doc]
    assert not missing
