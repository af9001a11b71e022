"""The rating history of an appeal, read from the evaluation's history: one answer for all.

The evaluation page, the API and the *Keputusan atas Keberatan* PDF all ask the same
question — what was appealed, and what did the decision make of it — and all get it here:

* the appeal is the latest step **into** the states of the decision step (the transition
  whose effect is ``apply_appeal_decision``; ``appealed`` and the hearing in the national
  flow), its decision the following firing of that step;
* the **original** is the rating in force when the appeal was filed (replayed from the
  events' recorded changes up to that step) — never a rating withdrawn before it, such as
  one a team returned and the appraiser then replaced: re-rating is not an appeal revision;
* the **result** is the rating in force after the decision; ``revised`` says it differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime

from .definition import WorkflowDefinition
from .models import HistoryEvent

RATING_FIELDS = ("rating_hasil_kerja", "rating_perilaku_kerja", "predikat")
DECISION_EFFECT = "apply_appeal_decision"


@dataclass(frozen=True, slots=True)
class Ratings:
    """Both ratings and the predikat (codes, None where not given)."""

    rating_hasil_kerja: str | None
    rating_perilaku_kerja: str | None
    predikat: str | None

    def as_dict(self) -> dict[str, str | None]:
        """Return the three values by field name."""
        return {name: getattr(self, name) for name in RATING_FIELDS}


@dataclass(frozen=True, slots=True)
class AppealRecord:
    """One appeal: when filed, the rating it contested, and the decision's outcome."""

    filed_at: datetime
    original: Ratings
    decided_at: datetime | None
    result: Ratings | None

    @property
    def revised(self) -> bool:
        """Tell whether the decision changed the rating."""
        return self.result is not None and self.result != self.original

    def hidden(self) -> AppealRecord:
        """Return the same appeal with its ratings withheld, for a reader who may not see them."""
        withheld = Ratings(None, None, None)
        return replace(self, original=withheld,
                       result=withheld if self.result is not None else None)


def _decision_states(definition: WorkflowDefinition) -> tuple[set[str], set[str]]:
    """Return the states an appeal waits in, and the decision steps' names."""
    rules = [r for r in definition.transitions
             if any(e.name == DECISION_EFFECT for e in r.effects)]
    return {s for r in rules for s in r.sources}, {r.name for r in rules}


def awaiting_decision(definition: WorkflowDefinition, state: str) -> bool:
    """Tell whether an evaluation in ``state`` waits for its appeal decision (or hearing)."""
    return state in _decision_states(definition)[0]


def appeal_record(events: Iterable[HistoryEvent],
                  definition: WorkflowDefinition) -> AppealRecord | None:
    """Return the latest appeal of an evaluation from its events (in order), or None."""
    waiting, deciding = _decision_states(definition)
    current: dict[str, str | None] = dict.fromkeys(RATING_FIELDS)
    record: AppealRecord | None = None
    for event in events:
        if event.kind != "transition":
            continue
        filed = event.dest in waiting and event.source not in waiting
        if filed:
            record = AppealRecord(event.at, Ratings(**current), None, None)
        changes = (event.payload or {}).get("changes") or {}
        current.update({k: changes[k][1] for k in RATING_FIELDS if k in changes})
        if record is not None and record.decided_at is None and event.trigger in deciding:
            record = AppealRecord(record.filed_at, record.original, event.at,
                                  Ratings(**current))
    return record
