"""Whether the result a document prints is final, until when it can be appealed, and its date.

An evaluation's result is final once the evaluation is in a final state of its flow. Before
that a printed result is *BELUM FINAL*; while a step guarded by ``within_deadline`` (the
appeal, in the shipped flows) can still be taken, the document names the end of that window.
The date the officials sign is the date the result was set: the event that finalized the
evaluation, or, before that, the newest event that recorded the ratings (``record_rating``,
``apply_appeal_decision``) — never the print date. Everything here is read from the state, the
deadlines and the events, all inside the hash chain, so printing the same evaluation twice
gives the same content.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from workflow.definition import WorkflowDefinition
from workflow.models import HistoryEvent

RATING_EFFECTS = ("record_rating", "apply_appeal_decision")


@dataclass(frozen=True, slots=True)
class Standing:
    """The standing of an evaluation's result, as its documents print it."""

    final: bool
    appeal_until: datetime | None
    result_set_at: datetime | None


def appeal_until(definition: WorkflowDefinition, status: str,
                 deadlines: Mapping[str, str] | None) -> datetime | None:
    """Return when the window of a deadline-bound step from ``status`` ends (None: none runs)."""
    ends = [
        datetime.fromisoformat(raw)
        for rule in definition.transitions_from(status)
        for call in rule.guards
        if call.name == "within_deadline" and call.arg
        and (raw := (deadlines or {}).get(call.arg))
    ]
    return max(ends, default=None)


def standing(definition: WorkflowDefinition, status: str, deadlines: Mapping[str, str] | None,
             events: Sequence[HistoryEvent]) -> Standing:
    """Return whether the result is final, the open appeal window, and when it was set."""
    final = status in definition.final
    rating_steps = {rule.name for rule in definition.transitions
                    if any(e.name in RATING_EFFECTS for e in rule.effects)}
    transitions = [e for e in events if e.kind == "transition"]
    if final:
        setting = next((e for e in reversed(transitions) if e.dest in definition.final), None)
    else:
        setting = next((e for e in reversed(transitions) if e.trigger in rating_steps), None)
    return Standing(
        final=final,
        appeal_until=None if final else appeal_until(definition, status, deadlines),
        result_set_at=setting.at if setting is not None else None,
    )
