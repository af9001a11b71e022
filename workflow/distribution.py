"""Predikat counts per unit kerja, and the caps that ``rating.distribution: block`` enforces.

The SE MenPANRB 3/2023 pattern applies to "the employees under the leader"; the unit kerja is
the closest thing the org chart has, so counts are per unit kerja (the employee's current
one) and per period. With ``distribution: block`` in the flow's ``rating``, a step that gives
or changes a predikat is refused when it would break a cap of the pattern of the period's
recorded organisation achievement (the unit's own when recorded:
``unit_achievement.capaian_of``); ``warn`` only shows the problems on the dashboard. Unless
the mode is ``off``, whoever is about to give a predikat sees the unit's pattern and where each
quota stands (``unit_guidance``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from .definition import WorkflowDefinition
from .errors import GuardFailed
from .models import Employee
from .models import EvaluationTally
from .models import Period
from .rating import DISTRIBUTION_RULES
from .rating import RATING_LEVELS
from .rating import CapaianOrganisasi
from .rating import Predikat
from .rating import Rounding
from .rating import cap_problems
from .rating import count_text
from .rating import is_rounding
from .rating import quota_threshold
from .snapshot import EvaluationLike
from .snapshot import EvaluationSnapshot
from .texts import Text
from .unit_achievement import achievements
from .unit_achievement import capaian_of
from .unit_achievement import leader_default

NO_UNIT = "(tanpa unit kerja)"
_TALLY = EvaluationTally.__table__


def predikat_counts(
    session: Session, agency_id: int, period_id: int | None = None, unit: str | None = None,
    units: Sequence[str] | None = None,
) -> dict[str, dict[Predikat, int]]:
    """Return, per unit kerja, how many evaluations hold each predikat (rated ones only).

    Read from the tallies (``workflow.tallies``), kept in the transaction of every change:
    one grouped read, whatever the number of evaluations. ``units`` keeps only those units.
    """
    query = (select(_TALLY.c.unit_kerja, _TALLY.c.predikat, func.sum(_TALLY.c.n))
             .where(_TALLY.c.agency_id == agency_id, _TALLY.c.predikat != "")
             .group_by(_TALLY.c.unit_kerja, _TALLY.c.predikat))
    if period_id is not None:
        query = query.where(_TALLY.c.period_id == period_id)
    if unit is not None:
        query = query.where(_TALLY.c.unit_kerja == unit)
    if units is not None:
        query = query.where(_TALLY.c.unit_kerja.in_(list(units)))
    per_unit: dict[str, dict[Predikat, int]] = {}
    for name, value, n in session.execute(query):
        if not n:
            continue
        counts = per_unit.setdefault(name or NO_UNIT, dict.fromkeys(Predikat, 0))
        counts[Predikat(value)] += int(n)
    return per_unit


def population(session: Session, agency_id: int, period_id: int, unit: str) -> int:
    """Return how many evaluations the unit kerja has in the period (rated or not)."""
    return int(session.scalar(select(func.coalesce(func.sum(_TALLY.c.n), 0)).where(
        _TALLY.c.agency_id == agency_id, _TALLY.c.period_id == period_id,
        _TALLY.c.unit_kerja == unit)) or 0)


def enforce_caps(
    session: Session, definition: WorkflowDefinition, evaluation: EvaluationSnapshot,
    new_predikat: str | None,
) -> None:
    """Refuse a predikat that breaks a cap of the pattern, when the flow says ``block``.

    Nothing is checked unless the flow's ``rating.distribution`` is ``block`` and the step
    changes the predikat. The period row is locked first (``SELECT … FOR UPDATE`` on
    PostgreSQL), so two ratings in one period cannot both slip under a cap.

    :raises GuardFailed: (``distribution``) the cap would be broken, or the period's
        organisation achievement has not been recorded.
    """
    if definition.rating.get("distribution") != "block" or new_predikat is None or (
            new_predikat == evaluation.predikat):
        return
    period = session.get(Period, evaluation.period_id, with_for_update=True)
    assert period is not None
    unit, counts, population = _standing(session, evaluation, period.id)
    capaian = capaian_of(session, period, unit)
    if not capaian:
        raise GuardFailed(
            "distribution",
            f"Capaian organisasi periode {period.label} belum dicatat; alur instansi ini "
            "memblokir predikat di luar pola distribusi, jadi admin instansi harus "
            "mencatatnya lebih dulu.",
            f"The organisation achievement of {period.label} has not been recorded; this "
            "agency's flow blocks predikat outside the distribution pattern, so the agency "
            "admin must record it first.",
        )
    if evaluation.predikat:
        counts[Predikat(evaluation.predikat)] -= 1
    counts[Predikat(new_predikat)] += 1
    problems = cap_problems(capaian, counts, population, new_predikat,
                            rounding_of(definition))
    if problems:
        raise GuardFailed("distribution", " ".join(problems),
                          " ".join(p.en for p in problems))


def _standing(session: Session, evaluation: EvaluationLike,
              period_id: int) -> tuple[str, dict[Predikat, int], int]:
    """Return the evaluation's unit kerja, its predikat counts and how many evaluations it
    has in the period (rated or not)."""
    unit = session.scalar(select(Employee.unit_kerja).where(
        Employee.id == evaluation.employee_id)) or ""
    counts = predikat_counts(session, evaluation.agency_id, period_id, unit).get(
        unit or NO_UNIT, dict.fromkeys(Predikat, 0))
    people = population(session, evaluation.agency_id, period_id, unit)
    return unit, counts, people


def rounding_of(definition: WorkflowDefinition) -> Rounding:
    """Return the flow's rounding rule for quota shares (``floor`` unless it says otherwise)."""
    rounding = definition.rating.get("rounding", "floor")
    return rounding if is_rounding(rounding) else "floor"


@dataclass(frozen=True, slots=True)
class Guidance:
    """The pattern as it stands for one unit kerja, shown to whoever is about to rate."""

    unit: str
    mode: str
    capaian: CapaianOrganisasi | None
    population: int
    lines: list[tuple[Text, bool]]  # each quota of the pattern, and whether it holds now
    # The evaluee heads her unit: the results rating her unit's achievement maps to (the
    # leader rule, ``unit_achievement.leader_default``); None otherwise.
    leader_rating: str | None = None
    leader_text: Text | None = None  # that rule, to show above the form


def unit_guidance(session: Session, definition: WorkflowDefinition,
                  evaluation: EvaluationLike) -> Guidance | None:
    """Describe the distribution pattern of the evaluation's unit kerja in its period.

    ``None`` when the flow does not check the distribution (``off``). Without a recorded
    organisation achievement there are no quota lines (the pattern is not known).
    """
    mode = str(definition.rating.get("distribution", "warn"))
    if mode == "off":
        return None
    period = session.get(Period, evaluation.period_id)
    assert period is not None
    unit, counts, population = _standing(session, evaluation, period.id)
    capaian = capaian_of(session, period, unit)
    if not capaian:
        return Guidance(unit, mode, None, population, [])
    leader = leader_default(session, definition, evaluation)
    org = CapaianOrganisasi(capaian)
    lines: list[tuple[Text, bool]] = []
    for quota in DISTRIBUTION_RULES[org]:
        names, names_en = quota.names()
        have = sum(counts.get(p, 0) for p in quota.predikats)
        if quota.kind == "present":
            lines.append((Text(f"{names}: harus ada; sekarang {have}",
                               f"{names_en}: at least one; now {have}"), have > 0))
            continue
        bound = quota_threshold(quota.percent, population, rounding_of(definition))
        word, word_en = (("paling banyak", "at most") if quota.kind == "max"
                         else ("paling sedikit", "at least"))
        lines.append((Text(
            f"{names}: {word} {quota.percent}% = {count_text(bound)} dari {population}; "
            f"sekarang {have}",
            f"{names_en}: {word_en} {quota.percent}% = {count_text(bound, 'en')} of "
            f"{population}; now {have}"),
            have <= bound if quota.kind == "max" else have >= bound))
    if leader is None:
        return Guidance(unit, mode, org, population, lines)
    level = next(v for v in RATING_LEVELS if v.value == leader[1])
    return Guidance(unit, mode, org, population, lines, leader[1], Text(
        f"Pegawai ini kepala unit: rating hasil kerjanya mengikuti capaian unit "
        f"({org.label} → {level.label}). Rating lain perlu alasan di catatan untuk riwayat.",
        f"This employee heads her unit: her results rating follows the unit's achievement "
        f"({org.label_en} → {level.label_en}). Another rating needs a reason in the note for "
        "the history."))


@dataclass(frozen=True, slots=True)
class PenetapanRow:
    """One unit kerja on the *penetapan predikat kinerja*: its achievement (its own, else the
    agency's), the basis, and how many of its employees hold each predikat."""

    unit: str
    capaian: CapaianOrganisasi | None
    dasar: str
    own: bool  # the unit's own achievement (not the agency-wide one)
    counts: dict[Predikat, int]
    population: int


def penetapan(session: Session, agency_id: int, period_id: int) -> list[PenetapanRow]:
    """Return the *penetapan predikat kinerja* of a period: per unit kerja with evaluations
    or a recorded achievement, the achievement and the employee distribution (SE MenPANRB
    3/2023 step 3), by unit name."""
    period = session.get(Period, period_id)
    if period is None or period.agency_id != agency_id:
        return []
    own = {a.unit_kerja: a for a in achievements(session, agency_id, period_id)}
    counts = predikat_counts(session, agency_id, period_id)
    people = dict(session.execute(
        select(_TALLY.c.unit_kerja, func.sum(_TALLY.c.n))
        .where(_TALLY.c.agency_id == agency_id, _TALLY.c.period_id == period_id)
        .group_by(_TALLY.c.unit_kerja)).all())
    units = sorted({*(u or NO_UNIT for u in people), *own})
    rows = []
    for unit in units:
        recorded = own.get(unit)
        capaian = recorded.capaian if recorded is not None else period.capaian_organisasi
        rows.append(PenetapanRow(
            unit=unit, capaian=CapaianOrganisasi(capaian) if capaian else None,
            dasar=recorded.dasar if recorded is not None else (period.capaian_dasar or ""),
            own=recorded is not None,
            counts=counts.get(unit, dict.fromkeys(Predikat, 0)),
            population=int(people.get(unit if unit != NO_UNIT else "", 0) or 0)))
    return rows
