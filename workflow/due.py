"""When the deadline runner should next look at an evaluation (``Evaluation.due_at``).

Written with every change of state or deadlines (a transition, a period opening) and by the
runner after a look that fired nothing, so the runner finds its work through one index range
(``due_at <= now``) instead of reading every waiting evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from datetime import timedelta

from .definition import SYSTEM_ROLE
from .definition import WorkflowDefinition
from .guards import GUARDS


def next_due(definition: WorkflowDefinition, status: str, deadlines: Mapping[str, str],
             now: datetime, *, after_look: bool = False) -> datetime | None:
    """Return the earliest moment a transition the system fires from ``status`` could pass.

    A system transition whose guards name a deadline is due when that deadline is (a deadline
    not started yet: not due); one naming none is due at once (``now``). ``after_look``: the
    runner just looked at ``now`` and fired nothing, so only moments from ``now`` on count
    (``None``: nothing the system could fire until the evaluation changes again).
    """
    moments: list[datetime] = []
    for rule in definition.transitions_from(status):
        if SYSTEM_ROLE not in rule.by:
            continue
        names = [call.arg for call in rule.guards if GUARDS[call.name].arg == "deadline"]
        if not names and not after_look:
            moments.append(now)
        moments.extend(moment for name in names if name and deadlines.get(name)
                       if (moment := closes(deadlines[name])) > now or not after_look)
    return min(moments, default=None)


def closes(due: str) -> datetime:
    """Return the first moment a window ending at ``due`` has closed (``has_passed``: the due
    second counts in full)."""
    return datetime.fromisoformat(due).replace(microsecond=0) + timedelta(seconds=1)
