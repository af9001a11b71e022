"""The fixed library of effects a transition may apply to its evaluation.

Effects run after the guards passed and before the state is written, inside the same database
transaction as the state change and its history event: if anything fails, all of it rolls back.
Each effect returns the changes it made (``{field: [old, new]}``) so the history records them.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from typing import Protocol

from .context import TransitionContext
from .errors import InvalidData

if TYPE_CHECKING:
    from .definition import Deadline


class EffectTarget(Protocol):
    """What effects may change on an evaluation (never its state)."""

    deadlines: dict[str, str]
    rating_hasil_kerja: str | None
    rating_perilaku_kerja: str | None
    predikat: str | None


Changes = dict[str, list[Any]]
EffectFn = Callable[
    [EffectTarget, TransitionContext, str | None, Mapping[str, "Deadline"]], Changes
]


@dataclass(frozen=True, slots=True)
class EffectSpec:
    """An effect and what argument it takes (None, or the name of a deadline)."""

    apply: EffectFn
    arg: str | None
    doc: str


def start_deadline(
    target: EffectTarget, ctx: TransitionContext, name: str | None,
    deadlines: Mapping[str, Deadline],
) -> Changes:
    """Open the named window now; it closes at the end of its last day in the agency's time."""
    assert name is not None  # the definition validator guarantees a known deadline name
    due = deadlines[name].due(ctx.now, ctx.calendar).isoformat()
    old = dict(target.deadlines or {})
    target.deadlines = {**old, name: due}  # reassign: JSON columns do not track in-place edits
    return {f"deadline.{name}": [old.get(name), due]}


def clear_deadline(
    target: EffectTarget, ctx: TransitionContext, name: str | None,
    deadlines: Mapping[str, Deadline],
) -> Changes:
    """Forget the named window (e.g. when an evaluation goes back to draft)."""
    old = dict(target.deadlines or {})
    if name not in old:
        return {}
    previous = old.pop(name or "")
    target.deadlines = old
    return {f"deadline.{name}": [previous, None]}


def _require(ctx: TransitionContext, *names: str) -> None:
    missing = {n: ["Wajib diisi."] for n in names if not ctx.data.get(n)}
    if missing:
        raise InvalidData(missing)


def _set_rating(target: EffectTarget, hk: str, pk: str) -> Changes:
    from .rating import predikat  # pure domain table (PermenPANRB 6/2022 matrix)

    result = predikat(hk, pk).value
    changes: Changes = {}
    for attr, new in (("rating_hasil_kerja", hk), ("rating_perilaku_kerja", pk),
                      ("predikat", result)):
        old = getattr(target, attr)
        if old != new:
            changes[attr] = [old, new]
            setattr(target, attr, new)
    return changes


def record_rating(
    target: EffectTarget, ctx: TransitionContext, _arg: str | None,
    _deadlines: Mapping[str, Deadline],
) -> Changes:
    """Store the appraiser's two ratings and the predikat computed from the national matrix."""
    _require(ctx, "rating_hasil_kerja", "rating_perilaku_kerja")
    return _set_rating(
        target, str(ctx.data["rating_hasil_kerja"]), str(ctx.data["rating_perilaku_kerja"])
    )


def apply_appeal_decision(
    target: EffectTarget, ctx: TransitionContext, _arg: str | None,
    _deadlines: Mapping[str, Deadline],
) -> Changes:
    """Replace the ratings when the decider revised them; the originals stay in the history."""
    if ctx.data.get("keputusan") != "diubah":
        return {}
    _require(ctx, "rating_hasil_kerja_baru", "rating_perilaku_kerja_baru")
    return _set_rating(
        target,
        str(ctx.data["rating_hasil_kerja_baru"]),
        str(ctx.data["rating_perilaku_kerja_baru"]),
    )


EFFECTS: dict[str, EffectSpec] = {
    "start_deadline": EffectSpec(start_deadline, "deadline", start_deadline.__doc__ or ""),
    "clear_deadline": EffectSpec(clear_deadline, "deadline", clear_deadline.__doc__ or ""),
    "record_rating": EffectSpec(record_rating, None, record_rating.__doc__ or ""),
    "apply_appeal_decision": EffectSpec(
        apply_appeal_decision, None, apply_appeal_decision.__doc__ or ""
    ),
}
