"""The fixed library of guards a definition may name; pure predicates over a context.

A guard returns True to let the transition fire, or records its reason with ``ctx.fail`` and
returns False. Adding a guard means adding a function here and a line in docs/definitions.md;
definitions cannot name anything that is not in ``GUARDS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .context import TransitionContext
from .localtime import format_moment
from .workcalendar import has_passed

GuardFn = Callable[[TransitionContext, str | None], bool]


@dataclass(frozen=True, slots=True)
class GuardSpec:
    """A guard and what argument it takes (None, or the name of a deadline)."""

    check: GuardFn
    arg: str | None
    doc: str


def _when(ctx: TransitionContext, moment: datetime) -> tuple[str, str]:
    """Write a due time in the agency's zone, in Indonesian and in English."""
    zone = ctx.calendar.zone
    return format_moment(moment, zone, "id", "long"), format_moment(moment, zone, "en", "long")


def form_complete(ctx: TransitionContext, _arg: str | None) -> bool:
    """Pass when the step's form validated without errors."""
    if ctx.form_errors is None or ctx.form_errors:
        return ctx.fail(
            "form_complete",
            "Formulir belum lengkap atau tidak valid.",
            "The form is incomplete or invalid.",
        )
    return True


def not_own_evaluation(ctx: TransitionContext, _arg: str | None) -> bool:
    """Pass unless the actor is the employee being evaluated."""
    if ctx.actor_id == ctx.owner_id:
        return ctx.fail(
            "not_own_evaluation",
            "Anda tidak boleh melakukan langkah ini pada evaluasi Anda sendiri.",
            "You may not take this step on your own evaluation.",
        )
    return True


def not_original_appraiser(ctx: TransitionContext, _arg: str | None) -> bool:
    """Pass unless the actor is the appraiser who gave the rating (appeals need another person)."""
    if ctx.actor_id is not None and ctx.actor_id == ctx.participants.get("appraiser"):
        return ctx.fail(
            "not_original_appraiser",
            "Keberatan harus diputus oleh pejabat selain Pejabat Penilai Kinerja yang menilai.",
            "An appeal must be decided by someone other than the original appraiser.",
        )
    return True


def independent(ctx: TransitionContext, _arg: str | None) -> bool:
    """Pass unless the actor is the employee or the appraiser who rated her (an independent
    reviewer, e.g. the Tim Penilai Kinerja, judges someone else's rating of someone else)."""
    if ctx.actor_id is not None and ctx.actor_id in (ctx.owner_id,
                                                     ctx.participants.get("appraiser")):
        return ctx.fail(
            "independent",
            "Anda tidak boleh bertindak sebagai penelaah independen pada evaluasi yang Anda "
            "nilai sendiri atau evaluasi Anda sendiri.",
            "You may not act as the independent reviewer on an evaluation you rated or on "
            "your own evaluation.",
        )
    return True


def within_deadline(ctx: TransitionContext, name: str | None) -> bool:
    """Pass while the named window is open (started and not yet past)."""
    due = ctx.deadlines.get(name or "")
    if due is None:
        return ctx.fail("within_deadline", f"Tenggat '{name}' belum dimulai.",
                        f"The '{name}' window has not started.")
    if has_passed(due, ctx.now):
        when_id, when_en = _when(ctx, due)
        return ctx.fail(
            "within_deadline",
            f"Batas waktu telah lewat (berakhir {when_id}).",
            f"The deadline has passed (it ended {when_en}).",
        )
    return True


def after_deadline(ctx: TransitionContext, name: str | None) -> bool:
    """Pass once the named window has closed."""
    due = ctx.deadlines.get(name or "")
    if due is None:
        return ctx.fail(
            "after_deadline",
            f"Langkah ini baru dapat dilakukan setelah tenggat '{name}' dimulai dan berakhir.",
            f"This step is only possible once the '{name}' window has opened and closed.",
        )
    if not has_passed(due, ctx.now):
        when_id, when_en = _when(ctx, due)
        return ctx.fail(
            "after_deadline",
            f"Langkah ini baru dapat dilakukan setelah tenggat berakhir ({when_id}).",
            f"This step is only possible after the window closes ({when_en}).",
        )
    return True


def employee_accepts_or_deadline_passed(ctx: TransitionContext, name: str | None) -> bool:
    """Pass when the employee acts (accepts), or anyone else once the window has closed."""
    if "employee" in ctx.actor_roles and ctx.actor_id == ctx.owner_id:
        return True
    if after_deadline(ctx, name):
        return True
    ctx.failures[-1] = (
        "employee_accepts_or_deadline_passed",
        ctx.failures[-1][1],
        ctx.failures[-1][2],
    )
    return False


def comment_given(ctx: TransitionContext, _arg: str | None) -> bool:
    """Pass when a non-empty comment accompanies the transition."""
    if not (ctx.comment or "").strip():
        return ctx.fail("comment_given", "Catatan wajib diisi untuk langkah ini.",
                        "A comment is required for this step.")
    return True


GUARDS: dict[str, GuardSpec] = {
    "form_complete": GuardSpec(form_complete, None, form_complete.__doc__ or ""),
    "not_own_evaluation": GuardSpec(not_own_evaluation, None, not_own_evaluation.__doc__ or ""),
    "not_original_appraiser": GuardSpec(
        not_original_appraiser, None, not_original_appraiser.__doc__ or ""
    ),
    "independent": GuardSpec(independent, None, independent.__doc__ or ""),
    "within_deadline": GuardSpec(within_deadline, "deadline", within_deadline.__doc__ or ""),
    "after_deadline": GuardSpec(after_deadline, "deadline", after_deadline.__doc__ or ""),
    "employee_accepts_or_deadline_passed": GuardSpec(
        employee_accepts_or_deadline_passed,
        "deadline",
        employee_accepts_or_deadline_passed.__doc__ or "",
    ),
    "comment_given": GuardSpec(comment_given, None, comment_given.__doc__ or ""),
}

# Guards that depend only on who acts (not on data or time): opening a period checks them to
# make sure every step of an evaluation has someone who may take it (``periods.open_period``).
ACTOR_GUARDS = frozenset({"not_own_evaluation", "not_original_appraiser", "independent"})
