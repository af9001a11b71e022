"""The organisation's achievement per unit kerja (OPD) per period, and the leader rule.

SE MenPANRB 3/2023: the next-higher leader sets the achievement (*capaian kinerja
organisasi*) of an organisation unit; it picks the distribution pattern of the predikat of
the employees under its leader (``distribution``) and, when the evaluee heads the unit, it
is taken as her *rating hasil kerja* (domain.md §5.3, §12.6E). A unit's recorded achievement
takes precedence over the agency-wide ``Period.capaian_organisasi``, which stays the value
for units without their own.

The leader rule: a unit head's results rating defaults to her unit's achievement through a
mapping (``DEFAULT_LEADER_MAPPING``; a flow may set its own as ``rating.leader_mapping``);
a rating that deviates from it needs a reason (the step's comment), else the step is refused
(``GuardFailed``, guard ``leader_rule``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from .actors import Actor
from .definition import WorkflowDefinition
from .errors import GuardFailed
from .errors import InvalidData
from .errors import NotFound
from .errors import NotPermitted
from .history import append_event
from .models import Agency
from .models import Employee
from .models import Period
from .models import UnitAchievement
from .positions import ReportingLine
from .positions import unit_head_on
from .rating import DI_ATAS
from .rating import DI_BAWAH
from .rating import RATING_LEVELS
from .rating import SESUAI
from .rating import CapaianOrganisasi
from .snapshot import EvaluationLike

if TYPE_CHECKING:  # service imports this module (the leader rule of a rating step)
    from .service import Workflow


CAPAIAN_DASAR_MAX = 200


def checked_capaian(capaian: str, dasar: str | None) -> str:
    """Check an achievement decision (*capaian kinerja organisasi*, of the agency or of one
    unit: ``unit_achievement``) and return its basis, trimmed.

    :raises InvalidData: an unknown achievement, or no (or too long a) basis.
    """
    problems: dict[str, tuple[str, str]] = {}
    if capaian not in CapaianOrganisasi.__members__:
        problems["capaian"] = ("Pilih salah satu dari lima capaian organisasi.",
                               "Choose one of the five achievement levels.")
    dasar = (dasar or "").strip()
    if not dasar:
        problems["dasar"] = ("Dasar penetapan (nomor dan tanggal keputusan) wajib diisi.",
                             "The basis (number and date of the decision) is required.")
    elif len(dasar) > CAPAIAN_DASAR_MAX:
        problems["dasar"] = (f"Dasar penetapan paling panjang {CAPAIAN_DASAR_MAX} karakter.",
                             f"The basis may be at most {CAPAIAN_DASAR_MAX} characters long.")
    if problems:
        raise InvalidData.of(problems)
    return dasar


# Our assumption (domain.md §12.6E, "U"): Istimewa → above, Baik → meets, lower → below.
DEFAULT_LEADER_MAPPING: Mapping[str, str] = {
    CapaianOrganisasi.ISTIMEWA: DI_ATAS,
    CapaianOrganisasi.BAIK: SESUAI,
    CapaianOrganisasi.BUTUH_PERBAIKAN: DI_BAWAH,
    CapaianOrganisasi.KURANG: DI_BAWAH,
    CapaianOrganisasi.SANGAT_KURANG: DI_BAWAH,
}


def capaian_of(session: Session, period: Period, unit_kerja: str) -> str | None:
    """Return the achievement that applies to a unit kerja in a period: its own when
    recorded, else the agency-wide one of the period (None: neither is recorded)."""
    own = session.scalar(select(UnitAchievement.capaian).where(
        UnitAchievement.period_id == period.id, UnitAchievement.unit_kerja == unit_kerja))
    return own or period.capaian_organisasi


def achievements(session: Session, agency_id: int, period_id: int) -> list[UnitAchievement]:
    """Return the units' recorded achievements of a period, by unit kerja."""
    return list(session.scalars(select(UnitAchievement).where(
        UnitAchievement.agency_id == agency_id, UnitAchievement.period_id == period_id)
        .order_by(UnitAchievement.unit_kerja)))


def set_unit_capaian(
    session: Session, wf: Workflow, actor: Actor, period_id: int, unit_kerja: str,
    capaian: str, dasar: str,
) -> UnitAchievement:
    """Record a unit's achievement for a period, with its basis (decision number and date).

    Set by the official above the unit's head (her appraiser on the period's last day:
    ``positions.ReportingLine``), or by the agency admin on her behalf. Appended to the
    agency's history chain in the caller's transaction; nothing changes on bad input.

    :raises NotFound: no such period in the actor's agency, or no such unit kerja.
    :raises NotPermitted: the actor is neither the admin nor the official above the head.
    :raises InvalidData: an unknown achievement, or no (or too long a) basis.
    """
    period = session.get(Period, period_id)
    if period is None or period.agency_id != actor.agency_id:
        raise NotFound("Periode tidak ditemukan.", "Period not found.")
    unit_kerja = (unit_kerja or "").strip()
    if not unit_kerja or session.scalar(select(Employee.id).where(
            Employee.agency_id == actor.agency_id, Employee.unit_kerja == unit_kerja)
            .limit(1)) is None:
        raise NotFound("Unit kerja tidak ditemukan.", "Unit not found.")
    line = ReportingLine(session, actor.agency_id, period.ends_on)
    head = line.unit_head(unit_kerja)
    above = line.superior(head) if head is not None else None
    on_behalf = not (above is not None and actor.employee_id == above.id)
    if on_behalf and not actor.is_admin:
        raise NotPermitted(
            "Capaian unit ditetapkan oleh pimpinan di atas kepala unit, atau admin instansi "
            "atas namanya.",
            "A unit's achievement is set by the leader above the unit's head, or by the "
            "agency admin on her behalf.")
    dasar = checked_capaian(capaian, dasar)
    row = session.scalar(select(UnitAchievement).where(
        UnitAchievement.period_id == period.id, UnitAchievement.unit_kerja == unit_kerja))
    old = (row.capaian, row.dasar) if row is not None else (None, None)
    now = wf.clock()
    if row is None:
        row = UnitAchievement(agency_id=actor.agency_id, period_id=period.id,
                              unit_kerja=unit_kerja, capaian=capaian, dasar=dasar)
        session.add(row)
    row.capaian, row.dasar, row.set_by_nip, row.set_at = capaian, dasar, actor.nip, now
    agency = session.get(Agency, actor.agency_id)
    assert agency is not None
    append_event(
        session, wf.audit_key, agency, kind="admin", at=now, actor_id=actor.employee_id,
        actor_nip=actor.nip, actor_role="admin" if on_behalf else "org_leader",
        trigger="unit_capaian",
        payload={"table": "unit_achievement", "period": period.label, "unit_kerja": unit_kerja,
                 "on_behalf_of": above.nip if on_behalf and above is not None else "",
                 "changes": {name: [was, new] for name, was, new in (
                     ("capaian", old[0], capaian), ("dasar", old[1], dasar)) if was != new}},
    )
    session.flush()
    return row


def leader_mapping(definition: WorkflowDefinition) -> Mapping[str, str]:
    """Return the flow's capaian → rating hasil kerja mapping (the default where unset)."""
    own = definition.rating.get("leader_mapping") or {}
    return {**DEFAULT_LEADER_MAPPING, **own}


def leader_default(session: Session, definition: WorkflowDefinition,
                   evaluation: EvaluationLike) -> tuple[str, str] | None:
    """Return (unit achievement, rating hasil kerja it maps to) when the evaluee heads her
    unit kerja at the end of the period and the unit's achievement is recorded; else None."""
    period = session.get(Period, evaluation.period_id)
    employee = session.get(Employee, evaluation.employee_id)
    assert period is not None and employee is not None
    if unit_head_on(session, evaluation.agency_id, employee.unit_kerja,
                    period.ends_on) != employee.id:
        return None
    capaian = capaian_of(session, period, employee.unit_kerja)
    if capaian is None:
        return None
    return capaian, leader_mapping(definition)[capaian]


def enforce_leader_rule(
    session: Session, definition: WorkflowDefinition, evaluation: EvaluationLike,
    new_rating: str | None, reason: str | None,
) -> None:
    """Refuse a unit head's results rating that deviates from her unit's achievement
    without a reason. Nothing is checked unless the step changes the rating.

    :raises GuardFailed: (``leader_rule``) it deviates and no reason was given.
    """
    if new_rating is None or new_rating == evaluation.rating_hasil_kerja:
        return
    default = leader_default(session, definition, evaluation)
    if default is None or default[1] == new_rating or (reason or "").strip():
        return
    capaian, expected = default
    label = {level.value: (level.label, level.label_en) for level in RATING_LEVELS}
    org = CapaianOrganisasi(capaian)
    raise GuardFailed(
        "leader_rule",
        f"Pegawai ini kepala unit; capaian unitnya {org.label}, jadi rating hasil kerjanya "
        f"'{label[expected][0]}' (SE MenPANRB 3/2023). Rating lain perlu alasan di komentar.",
        f"This employee heads her unit; its achievement is {org.label}, so her results "
        f"rating is '{label[expected][1]}' (SE MenPANRB 3/2023). Another rating needs a "
        "reason in the comment.")
