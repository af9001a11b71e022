"""Build the set SKP's snapshot from its own tables, inside the request's transaction.

The SKP document (domain.md §9.1) prints the SKP as agreed: the identities frozen on it, every
RHK with the text of the leader's RHK it cascades from, the indicators and targets (the one
target writer, ``reports.layout.target_text``), the appraiser's expectation per BerAKHLAK value
and the lampiran. The evaluation documents read the same rows (``plan_rows``), so what the
employee reports against is what was agreed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.skp_fields import agency_spec
from forms.skp_fields import printed
from workflow.calendars import agency_zone
from workflow.models import Agency
from workflow.models import Employee
from workflow.models import Skp
from workflow.models import SkpRhk
from workflow.rating import BERAKHLAK
from workflow.skp_plan import target_text

from .layout import ASPEK_LABELS
from .layout import KUALITATIF
from .layout import KUANTITATIF
from .layout import PERSPEKTIF_LABELS
from .layout import label_of
from .snapshot import Behaviour
from .snapshot import Person
from .snapshot import PlanIndicator
from .snapshot import PlanResult
from .snapshot import PrintedItem
from .snapshot import SkpSnapshot
from .snapshot import WorkResult
from .sources import display

# The SKP flow's states as printed (the pages show the definition's own labels).
STATE_LABELS = {"draft": "Draf", "diajukan": "Diajukan", "dikembalikan": "Dikembalikan",
                "ditetapkan": "Ditetapkan", "ditutup": "Ditutup", "diganti": "Diganti"}
SET = "ditetapkan"


def _person(identity: Mapping[str, Any] | None) -> Person | None:
    if not identity:
        return None
    return Person(name=str(identity.get("name", "")), nip=str(identity.get("nip", "")),
                  pangkat_golongan=str(identity.get("pangkat_golongan", "")),
                  jabatan=str(identity.get("jabatan", "")),
                  unit_kerja=str(identity.get("unit_kerja", "")),
                  asn_type=str(identity.get("asn_type") or "PNS"))


def _employee_person(employee: Employee) -> Person:
    person = _person(employee.identity())
    assert person is not None
    return person


def parent_texts(session: Session, rhks: Iterable[SkpRhk]) -> dict[int, str]:
    """Return the text of each parent RHK the given RHKs cascade from, by parent id."""
    ids = {r.parent_id for r in rhks if r.parent_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(SkpRhk.id, SkpRhk.text).where(SkpRhk.id.in_(ids))).all())


def plan_results(session: Session, skp: Skp) -> tuple[PlanResult, ...]:
    """Return the SKP's results as printed: RHK, parent RHK text, indicators and targets."""
    parents = parent_texts(session, skp.rhk)
    return tuple(
        PlanResult(
            jenis="tambahan" if r.jenis == "tambahan" else "utama",
            rhk_atasan=parents.get(r.parent_id, "") if r.parent_id is not None else "",
            rencana_hasil_kerja=r.text, klasifikasi=r.klasifikasi or "",
            perspektif=label_of(PERSPEKTIF_LABELS, r.perspektif or ""),
            indicators=tuple(
                PlanIndicator(aspek=label_of(ASPEK_LABELS, i.aspek), indikator=i.text,
                              target=target_text(i.target_min, i.target_max,
                                                 i.target_text or "", i.satuan or ""),
                              perspektif=label_of(PERSPEKTIF_LABELS, i.perspektif or ""))
                for i in r.indicators))
        for r in skp.rhk)


def plan_rows(results: Iterable[PlanResult]) -> tuple[WorkResult, ...]:
    """Flatten results into the one-row-per-indicator rows the evaluation documents print."""
    rows = []
    for r in results:
        for i in r.indicators or (PlanIndicator(aspek="", indikator="", target=""),):
            rows.append(WorkResult(jenis=r.jenis, rhk_atasan=r.rhk_atasan,
                                   rencana_hasil_kerja=r.rencana_hasil_kerja, aspek=i.aspek,
                                   indikator=i.indikator, target=i.target,
                                   perspektif=i.perspektif or r.perspektif))
    return tuple(rows)


def behaviours(skp: Skp) -> tuple[Behaviour, ...]:
    """Return the seven BerAKHLAK values with the appraiser's expectation for each."""
    expected = {e.value: e.text for e in skp.expectations}
    return tuple(Behaviour(value=v.name, guides=tuple(v.guides),
                           ekspektasi_khusus=expected.get(v.key, "") or "")
                 for v in BERAKHLAK)


def _items(lampiran: Mapping[str, Any] | None, key: str) -> tuple[str, ...]:
    value = (lampiran or {}).get(key) or []
    if isinstance(value, str):
        value = value.splitlines()
    return tuple(str(v).strip() for v in value if str(v).strip())


def agency_items(session: Session, skp: Skp) -> tuple[PrintedItem, ...]:
    """Return the agency's own SKP fields the PDF prints (``forms.skp_fields.printed``),
    filled ones only, in form order."""
    data = skp.data or {}
    items = []
    for field in printed(agency_spec(session, skp.agency_id)):
        value = data.get(field.name)
        if value is None or value == "":
            continue
        if field.type == "date":
            items.append(PrintedItem(label=field.label, date=dt.date.fromisoformat(str(value))))
        else:
            items.append(PrintedItem(label=field.label, text=display(field, value)))
    return tuple(items)


def build_skp_snapshot(session: Session, skp: Skp, now: datetime) -> SkpSnapshot:
    """Copy everything the SKP document prints about ``skp`` into a frozen snapshot."""
    agency = session.get(Agency, skp.agency_id)
    assert agency is not None
    set_by = session.get(Employee, skp.set_by_id) if skp.set_by_id is not None else None
    employee = _person(skp.employee_identity) or _employee_person(skp.employee)
    appraiser = _person(skp.appraiser_identity)
    if appraiser is None and skp.appraiser is not None:
        appraiser = _employee_person(skp.appraiser)
    return SkpSnapshot(
        skp_id=skp.id, agency_name=agency.name, place=agency.city or agency.name,
        timezone=agency_zone(session, skp.agency_id), year=skp.year, version=skp.version,
        period_start=skp.starts_on, period_end=skp.ends_on, employee=employee,
        appraiser=appraiser,
        pendekatan=KUALITATIF if skp.pendekatan == "kualitatif" else KUANTITATIF,
        jenis_jabatan=skp.jenis_jabatan or "", results=plan_results(session, skp),
        behaviours=behaviours(skp),
        lampiran_dukungan=_items(skp.lampiran, "dukungan_sumber_daya"),
        lampiran_skema=_items(skp.lampiran, "skema_pertanggungjawaban"),
        lampiran_konsekuensi=_items(skp.lampiran, "konsekuensi"),
        keterangan_tambahan=agency_items(session, skp),
        state=STATE_LABELS.get(skp.status, skp.status), signed_at=skp.submitted_at,
        set_at=skp.set_at if skp.status in (SET, "diganti", "ditutup") else None,
        set_by=_employee_person(set_by) if set_by is not None else None,
        final=skp.set_at is not None and skp.status in (SET, "diganti", "ditutup"),
        change_reason=skp.change_reason or "", closed_reason=skp.closed_reason or "",
        issued_at=now, history_head=skp.history_head or "",
    )
