"""The fixed library of guards a definition may name; pure predicates over a context.

A guard returns True to let the transition fire, or records its reason with ``ctx.fail`` and
returns False. Each guard also carries its **inbox filter**: the same rule as an SQL condition
on ``Evaluation`` (``workflow.inbox`` ANDs it into "what waits for me"), or ``unrestricted`` for a
guard about the data the person is about to fill in. Adding a guard means adding a function
and its filter here and a line in docs/definitions.md; definitions cannot name anything that
is not in ``GUARDS``, and the inbox refuses a guard without a filter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import exists
from sqlalchemy import false
from sqlalchemy import or_
from sqlalchemy import true

from .actors import FORMER_MARK
from .actors import base_role
from .context import TransitionContext
from .localtime import format_moment
from .models import Evaluation
from .models import FollowUpAction
from .models import Participant
from .workcalendar import has_passed

GuardFn = Callable[[TransitionContext, str | None], bool]


@dataclass(frozen=True, slots=True)
class InboxQuestion:
    """Whom the inbox asks about: the person, the role she would act in, the guard's argument,
    and now (a UTC ISO string, cut to the second like ``has_passed``)."""

    actor_id: int | None
    role: str
    arg: str | None
    now_iso: str


InboxFilter = Callable[[InboxQuestion], ColumnElement[bool]]


@dataclass(frozen=True, slots=True)
class GuardSpec:
    """A guard, what argument it takes (None, or the name of a deadline), and its inbox filter
    (None only by mistake: the inbox then refuses the guard)."""

    check: GuardFn
    arg: str | None
    doc: str
    inbox: InboxFilter | None = None


def is_participant(actor_id: int | None, role: str) -> ColumnElement[bool]:
    """SQL: the person is frozen on the evaluation in ``role``."""
    return exists().where(Participant.evaluation_id == Evaluation.id,
                          Participant.role == role, Participant.employee_id == actor_id)


def _due(name: str | None) -> ColumnElement[str]:
    # Deadlines are stored as ISO strings of aware UTC datetimes: they compare as text.
    # as_string() comes from the JSON type's comparator, which the annotations cannot see.
    deadline: ColumnElement[str] = Evaluation.deadlines[name or ""].as_string()
    return deadline


def unrestricted(_q: InboxQuestion) -> ColumnElement[bool]:
    """Inbox filter of a guard about the data still to fill in: it restricts nothing."""
    return true()


def _not_own_sql(q: InboxQuestion) -> ColumnElement[bool]:
    return Evaluation.employee_id != q.actor_id


def _not_original_appraiser_sql(q: InboxQuestion) -> ColumnElement[bool]:
    # The appraiser now, or one replaced by a reassignment (``appraiser~<id>``).
    return ~exists().where(Participant.evaluation_id == Evaluation.id,
                           Participant.employee_id == q.actor_id,
                           or_(Participant.role == "appraiser",
                               Participant.role.like(f"appraiser{FORMER_MARK}%")))


def _an_appraiser(ctx: TransitionContext) -> bool:
    """Tell whether the actor is the evaluation's appraiser, now or before a reassignment."""
    return ctx.actor_id is not None and any(
        employee_id == ctx.actor_id for role, employee_id in ctx.participants.items()
        if base_role(role) == "appraiser")


def _independent_sql(q: InboxQuestion) -> ColumnElement[bool]:
    return and_(_not_own_sql(q), _not_original_appraiser_sql(q))


def _window_open_sql(q: InboxQuestion) -> ColumnElement[bool]:
    return and_(_due(q.arg).is_not(None), _due(q.arg) >= q.now_iso)


def _window_closed_sql(q: InboxQuestion) -> ColumnElement[bool]:
    return and_(_due(q.arg).is_not(None), _due(q.arg) < q.now_iso)


def _accepts_or_closed_sql(q: InboxQuestion) -> ColumnElement[bool]:
    if q.role == "employee":
        return Evaluation.employee_id == q.actor_id
    return _window_closed_sql(q)


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
    if _an_appraiser(ctx):
        return ctx.fail(
            "not_original_appraiser",
            "Keberatan harus diputus oleh pejabat selain Pejabat Penilai Kinerja yang menilai.",
            "An appeal must be decided by someone other than the original appraiser.",
        )
    return True


def independent(ctx: TransitionContext, _arg: str | None) -> bool:
    """Pass unless the actor is the employee or the appraiser who rated her (an independent
    reviewer, e.g. the Tim Penilai Kinerja, judges someone else's rating of someone else)."""
    if ctx.actor_id is not None and (ctx.actor_id == ctx.owner_id or _an_appraiser(ctx)):
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


# --- the SKP flow's guards (``workflow.skp_flow``): facts in ``ctx.skp`` -------------------

#: Jenis jabatan whose utama RHK must cascade from (intervene in) an RHK of the appraiser.
CASCADING_JABATAN = ("JA", "JF")


def _never_an_evaluation(_q: InboxQuestion) -> ColumnElement[bool]:
    """Inbox filter of the SKP guards: no evaluation passes them (they carry no SKP facts),
    exactly as their checks refuse on an evaluation."""
    return false()


def _no_skp(ctx: TransitionContext, guard: str) -> bool:
    return ctx.fail(guard, "Guard ini hanya berlaku pada alur SKP.",
                    "This guard only applies to the SKP flow.")


def skp_content_complete(ctx: TransitionContext, _arg: str | None) -> bool:
    """Pass when the SKP has an utama RHK, every RHK an indicator and every indicator a
    target (SKP only)."""
    facts = ctx.skp
    if facts is None:
        return _no_skp(ctx, "skp_content_complete")
    if not facts.utama_count:
        return ctx.fail("skp_content_complete",
                        "SKP belum memuat Rencana Hasil Kerja utama.",
                        "The SKP has no main result (RHK utama) yet.")
    if facts.rhk_without_indicator:
        where = ", ".join(str(n) for n in facts.rhk_without_indicator)
        return ctx.fail("skp_content_complete",
                        f"RHK nomor {where} belum punya indikator kinerja.",
                        f"RHK number {where} has no performance indicator yet.")
    if facts.indicators_without_target:
        where = ", ".join(facts.indicators_without_target)
        return ctx.fail("skp_content_complete",
                        f"Indikator {where} belum punya target.",
                        f"Indicator {where} has no target yet.")
    return True


def skp_parent_rhk(ctx: TransitionContext, _arg: str | None) -> bool:
    """Pass when every utama RHK of a JA/JF SKP names the appraiser's RHK it cascades from
    (PermenPANRB 6/2022: the RHK intervenes in a result of the appraiser) (SKP only)."""
    facts = ctx.skp
    if facts is None:
        return _no_skp(ctx, "skp_parent_rhk")
    if (facts.has_appraiser and facts.jenis_jabatan in CASCADING_JABATAN
            and facts.utama_without_parent):
        where = ", ".join(str(n) for n in facts.utama_without_parent)
        return ctx.fail(
            "skp_parent_rhk",
            f"RHK utama nomor {where} belum menyebut RHK Pejabat Penilai yang diintervensi.",
            f"Main result (RHK utama) number {where} does not name the appraiser's result it "
            "cascades from.")
    return True


def skp_appraiser_set(ctx: TransitionContext, _arg: str | None) -> bool:
    """Pass when the appraiser's SKP for the year is set (or the SKP has no appraiser: the
    top of the agency) (SKP only)."""
    facts = ctx.skp
    if facts is None:
        return _no_skp(ctx, "skp_appraiser_set")
    if facts.has_appraiser and facts.appraiser_skp_status != "ditetapkan":
        return ctx.fail(
            "skp_appraiser_set",
            "SKP belum dapat diajukan: SKP Pejabat Penilai Kinerja Anda untuk tahun ini belum "
            "ditetapkan.",
            "The SKP cannot be submitted yet: your appraiser's SKP for this year is not set.")
    return True


def skp_setter(ctx: TransitionContext, _arg: str | None) -> bool:
    """Pass when the actor may set or return the SKP: its appraiser (never the employee
    herself); for the top of the agency (no appraiser), the leader herself or an admin on her
    behalf (SKP only)."""
    facts = ctx.skp
    if facts is None:
        return _no_skp(ctx, "skp_setter")
    if facts.has_appraiser:
        if ctx.actor_id is not None and ctx.actor_id == ctx.participants.get("penilai") and (
                ctx.actor_id != ctx.owner_id):
            return True
        return ctx.fail("skp_setter",
                        "Hanya Pejabat Penilai Kinerja pegawai ini yang dapat menetapkan atau "
                        "mengembalikan SKP-nya.",
                        "Only this employee's appraiser can set or return her SKP.")
    if ctx.actor_id == ctx.owner_id or "admin" in ctx.actor_roles:
        return True
    return ctx.fail("skp_setter",
                    "SKP pimpinan instansi ditetapkan oleh pimpinan sendiri atau admin atas "
                    "namanya.",
                    "The agency leader's SKP is set by the leader herself or by an admin on her "
                    "behalf.")
# Butuh Perbaikan or worse (``follow_up.LOW``; the core's guards cannot import the use cases).
LOW_PREDIKAT = frozenset({"BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG"})


def coaching_plan_if_low(ctx: TransitionContext, _arg: str | None) -> bool:
    """Pass unless the result is Butuh Perbaikan or worse and no coaching plan (*pembinaan*,
    a follow-up action not cancelled) is recorded yet: such a result is not final without it."""
    if ctx.predikat in LOW_PREDIKAT and not ctx.coaching_planned:
        return ctx.fail(
            "coaching_plan_if_low",
            "Predikat Butuh Perbaikan atau lebih rendah: catat dulu rencana pembinaan (tindak "
            "lanjut) sebelum hasil ini final.",
            "A Needs-improvement-or-worse result needs a coaching plan (follow-up) before it "
            "becomes final.",
        )
    return True


def _coaching_plan_if_low_sql(_q: InboxQuestion) -> ColumnElement[bool]:
    return or_(Evaluation.predikat.is_(None), Evaluation.predikat.not_in(LOW_PREDIKAT),
               exists().where(FollowUpAction.evaluation_id == Evaluation.id,
                              FollowUpAction.kind == "coaching",
                              FollowUpAction.status != "cancelled"))


GUARDS: dict[str, GuardSpec] = {
    "form_complete": GuardSpec(form_complete, None, form_complete.__doc__ or "", unrestricted),
    "not_own_evaluation": GuardSpec(not_own_evaluation, None, not_own_evaluation.__doc__ or "",
                                    _not_own_sql),
    "not_original_appraiser": GuardSpec(
        not_original_appraiser, None, not_original_appraiser.__doc__ or "",
        _not_original_appraiser_sql,
    ),
    "independent": GuardSpec(independent, None, independent.__doc__ or "", _independent_sql),
    "within_deadline": GuardSpec(within_deadline, "deadline", within_deadline.__doc__ or "",
                                 _window_open_sql),
    "after_deadline": GuardSpec(after_deadline, "deadline", after_deadline.__doc__ or "",
                                _window_closed_sql),
    "employee_accepts_or_deadline_passed": GuardSpec(
        employee_accepts_or_deadline_passed,
        "deadline",
        employee_accepts_or_deadline_passed.__doc__ or "",
        _accepts_or_closed_sql,
    ),
    "comment_given": GuardSpec(comment_given, None, comment_given.__doc__ or "", unrestricted),
    # The SKP flow's guards: evaluations never carry SKP facts, so in an evaluation flow they
    # refuse, and their inbox filter selects no evaluation (SKP lists are ``workflow.skp``'s).
    "skp_content_complete": GuardSpec(skp_content_complete, None,
                                      skp_content_complete.__doc__ or "", _never_an_evaluation),
    "skp_parent_rhk": GuardSpec(skp_parent_rhk, None, skp_parent_rhk.__doc__ or "",
                                _never_an_evaluation),
    "skp_appraiser_set": GuardSpec(skp_appraiser_set, None, skp_appraiser_set.__doc__ or "",
                                   _never_an_evaluation),
    "skp_setter": GuardSpec(skp_setter, None, skp_setter.__doc__ or "", _never_an_evaluation),
    "coaching_plan_if_low": GuardSpec(coaching_plan_if_low, None,
                                      coaching_plan_if_low.__doc__ or "",
                                      _coaching_plan_if_low_sql),
}

# Guards that depend only on who acts (not on data or time): opening a period checks them to
# make sure every step of an evaluation has someone who may take it (``periods.open_period``).
ACTOR_GUARDS = frozenset({"not_own_evaluation", "not_original_appraiser", "independent"})
