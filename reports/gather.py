"""Build a document snapshot from the database, inside the request's transaction.

Templates never touch the ORM: everything a document prints is copied here into frozen
DTOs (identity blocks from the participants frozen when the evaluation opened, ratings,
the appeal, the history with actor names). Form answers are read by printed slot
(``reports.sources``, table ``forms.slots``), never by field name, and like the ratings only
as the document's reader may see them (``forms.visibility``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.visibility import Visibility
from workflow.appeals import Ratings
from workflow.appeals import appeal_record
from workflow.calendars import agency_zone
from workflow.definition import WorkflowDefinition
from workflow.models import Agency
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.periods import MONTHS
from workflow.positions import acting_label
from workflow.rating import BERAKHLAK
from workflow.rating import CapaianOrganisasi
from workflow.rating import Predikat
from workflow.rating import rating_label
from workflow.rating import rule_lines
from workflow.service import definition_of
from workflow.skp_plan import skp_of
from workflow.unit_achievement import capaian_of

from .finality import standing
from .layout import KUALITATIF
from .layout import KUANTITATIF
from .layout import period_line
from .skp_gather import behaviours as skp_behaviours
from .skp_gather import plan_results as skp_plan_results
from .skp_gather import plan_rows
from .snapshot import AppealSnapshot
from .snapshot import Behaviour
from .snapshot import DocumentSnapshot
from .snapshot import HistoryEntry
from .snapshot import Person
from .snapshot import RatingSet
from .snapshot import WorkResult
from .sources import PrintedData

EMPTY = Person(name="-", nip="-", pangkat_golongan="-", jabatan="-", unit_kerja="-")


def _person(identity: Mapping[str, str] | None) -> Person | None:
    if not identity:
        return None
    return Person(name=identity.get("name", ""), nip=identity.get("nip", ""),
                  pangkat_golongan=identity.get("pangkat_golongan", ""),
                  # An acting official (Plt./Plh.) is printed as such: "Plt. Kepala Bidang".
                  jabatan=acting_label(identity), unit_kerja=identity.get("unit_kerja", ""),
                  asn_type=identity.get("asn_type") or "PNS")


def _label(value: str | None) -> str:
    return rating_label(value) if value else "-"


def _predikat(value: str | None) -> str:
    return Predikat(value).label if value else "-"


def _capaian(value: str | None) -> str | None:
    return CapaianOrganisasi(value).label if value else None


def _pola(capaian: str | None) -> tuple[str, ...]:
    return tuple(str(line) for line in rule_lines(capaian)) if capaian else ()


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _events(session: Session, evaluation: Evaluation) -> list[HistoryEvent]:
    return list(session.scalars(select(HistoryEvent).where(
        HistoryEvent.evaluation_id == evaluation.id).order_by(HistoryEvent.seq)))


def _ratings(values: Ratings) -> RatingSet:
    return RatingSet(hasil_kerja=_label(values.rating_hasil_kerja),
                     perilaku_kerja=_label(values.rating_perilaku_kerja),
                     predikat=_predikat(values.predikat))


def _appeal(definition: WorkflowDefinition, view: Visibility, events: list[HistoryEvent],
            people: Mapping[str, Person | None], data: PrintedData) -> AppealSnapshot | None:
    # The same reading of the history as the evaluation page and the API (workflow.appeals);
    # the ratings in it are shown by the same rule as the evaluation's own (forms.visibility).
    record = appeal_record(events, definition)
    if record is None:
        return None
    if not view.rating_visible:
        record = record.hidden()
    decided = record.decided_at is not None
    keputusan = data.raw("keberatan.keputusan") if decided else None
    rating_after = None
    if record.result is not None and keputusan == "diubah":
        rating_after = _ratings(record.result)
    return AppealSnapshot(
        filed_at=record.filed_at, items=data.labels("keberatan.butir"),
        alasan=data.text("keberatan.alasan"), decided_at=record.decided_at,
        keputusan=keputusan if keputusan in ("dikuatkan", "diubah") else None,
        pertimbangan=data.text("keberatan.pertimbangan") if decided else "",
        decider=people.get("appeal_reviewer") or EMPTY, rating_before=_ratings(record.original),
        rating_after=rating_after, penjelasan_penilai=data.text("keberatan.penjelasan_penilai"),
        penjelasan_pegawai=data.text("keberatan.penjelasan_pegawai"),
    )


def _jenis(value: object) -> Literal["utama", "tambahan"]:
    return "tambahan" if value == "tambahan" else "utama"


def _plan(data: PrintedData, prefix: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """Return the plan columns of one HASIL KERJA row (``prefix``: ``skp`` or ``evaluasi``)."""
    rows = f"{prefix}.hasil_kerja"
    return {"jenis": _jenis(data.cell_value(row, f"{rows}.jenis")),
            **{c: data.cell(row, f"{rows}.{c}") for c in (
                "rhk_atasan", "rencana_hasil_kerja", "aspek", "indikator", "target",
                "perspektif")}}


def _plan_results(data: PrintedData) -> tuple[WorkResult, ...]:
    """The SKP's rows: the plan recorded in the SKP form, never the year-end report."""
    return tuple(WorkResult(**_plan(data, "skp", r)) for r in data.rows("skp.hasil_kerja"))


def _key(result: WorkResult) -> tuple[str, str]:
    return (" ".join(result.rencana_hasil_kerja.lower().split()),
            " ".join(result.indikator.lower().split()))


def _work_results(data: PrintedData, plan: tuple[WorkResult, ...]) -> tuple[WorkResult, ...]:
    """The evaluation's rows: the employee's report with realisation and evidence links.

    A report row naming a result and indicator of the SKP plan takes the plan columns it does
    not carry itself (jenis, RHK atasan, aspek, perspektif) from that plan row.
    """
    planned = {_key(p): p for p in plan}
    rows = []
    for r in data.rows("evaluasi.hasil_kerja"):
        own = _plan(data, "evaluasi", r)
        match = planned.get(_key(WorkResult(**own)))
        if match is not None:
            present = {k for k in ("rhk_atasan", "aspek", "perspektif") if own[k]}
            own.update({k: getattr(match, k) for k in ("rhk_atasan", "aspek", "perspektif")
                        if k not in present})
            if data.cell_value(r, "evaluasi.hasil_kerja.jenis") is None:
                own["jenis"] = match.jenis
        rows.append(WorkResult(**own,
                               realisasi=data.cell(r, "evaluasi.hasil_kerja.realisasi"),
                               bukti_dukung=data.cell(r, "evaluasi.hasil_kerja.bukti_dukung")))
    return tuple(rows)


def _lines(text: str) -> tuple[str, ...]:
    """Split a one-item-per-line answer (the SKP's lampiran) into its items."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _pendekatan(data: PrintedData, name: str) -> str:
    return KUALITATIF if data.raw(name) == "kualitatif" else KUANTITATIF


def _jenis_jabatan(evaluation: Evaluation) -> str:
    """Return the employee's jenis jabatan frozen at opening (older openings: the org chart's)."""
    identity = next((p.identity for p in evaluation.participants if p.role == "employee"), None)
    if identity is not None and "jenis_jabatan" in identity:
        return str(identity["jenis_jabatan"] or "")
    return evaluation.employee.jenis_jabatan or ""


def _skp_recorded_at(evaluation: Evaluation) -> datetime | None:
    """Return when the SKP plan was recorded (its form's last save), if it was."""
    saved = ((evaluation.data or {}).get("skp") or {}).get("saved_at")
    return datetime.fromisoformat(saved) if saved else None


def build_snapshot(session: Session, evaluation: Evaluation, now: datetime,
                   view: Visibility) -> DocumentSnapshot:
    """Copy everything the documents of one evaluation print, as ``view``'s reader may see it,
    into a frozen snapshot."""
    agency = session.get(Agency, evaluation.agency_id)
    assert agency is not None
    definition = definition_of(session, evaluation.definition_version_id)
    people = {p.role: _person(p.identity) for p in evaluation.participants}
    events = _events(session, evaluation)
    names = dict(session.execute(select(Employee.nip, Employee.name).where(
        Employee.nip.in_({e.actor_nip for e in events if e.actor_nip}))).all())
    data = PrintedData(view)
    rating = view.rating()
    behaviours = tuple(
        Behaviour(value=v.name, guides=tuple(v.guides),
                  ekspektasi_khusus=data.text(f"evaluasi.perilaku_kerja.{v.key}.ekspektasi_khusus"),
                  umpan_balik=data.text(f"evaluasi.perilaku_kerja.{v.key}.umpan_balik"))
        for v in BERAKHLAK)
    result = standing(definition, evaluation.status, evaluation.deadlines, events)
    plan = _plan_results(data)
    lampiran = {key: _lines(data.text(f"skp.lampiran.{key}")) for key in (
        "dukungan_sumber_daya", "skema_pertanggungjawaban", "konsekuensi")}
    pendekatan = _pendekatan(data, "evaluasi.pendekatan")
    skp_signed_at = _skp_recorded_at(evaluation)
    skp = skp_of(session, evaluation)
    if skp is not None:
        # The evaluation reads the SKP it is keyed on: its RHK (with the parent RHK), targets,
        # the appraiser's expectations where the rating form left them empty, and the lampiran.
        plan = plan_rows(skp_plan_results(session, skp))
        expected = {b.value: b.ekspektasi_khusus for b in skp_behaviours(skp)}
        behaviours = tuple(b if b.ekspektasi_khusus else dataclasses.replace(
            b, ekspektasi_khusus=expected.get(b.value, "")) for b in behaviours)
        lampiran = {key: tuple(str(v) for v in (skp.lampiran or {}).get(key) or ())
                    for key in lampiran}
        pendekatan = KUALITATIF if skp.pendekatan == "kualitatif" else KUANTITATIF
        skp_signed_at = skp.set_at
    employee = people.get("employee") or EMPTY
    history = tuple(
        HistoryEntry(seq=e.seq, at=e.at, actor_name=names.get(e.actor_nip, "Sistem"),
                     actor_nip=e.actor_nip or "-",
                     role=definition.role_label(e.actor_role) if e.actor_role else "-",
                     action=_action(definition, e), from_state=definition.label(e.source)
                     if e.source else None, to_state=definition.label(e.dest) if e.dest else "",
                     comment=e.comment, hash=e.hash)
        for e in events)
    return DocumentSnapshot(
        evaluation_id=evaluation.id, agency_name=agency.name,
        period_label=evaluation.period.label,
        period_line=period_line(evaluation.period.kind, evaluation.period.number, MONTHS),
        period_start=evaluation.period.starts_on, period_end=evaluation.period.ends_on,
        place=agency.city or agency.name, employee=employee,
        appraiser=people.get("appraiser") or EMPTY,
        appraiser_superior=people.get("appeal_reviewer"),
        capaian_organisasi=_capaian(capaian := capaian_of(session, evaluation.period,
                                                           employee.unit_kerja)),
        pola_distribusi=_pola(capaian),
        rating_hasil_kerja=_label(rating["rating_hasil_kerja"]),
        rating_perilaku_kerja=_label(rating["rating_perilaku_kerja"]),
        predikat=_predikat(rating["predikat"]),
        catatan_rekomendasi=data.text("evaluasi.catatan_rekomendasi"),
        work_results=_work_results(data, plan), behaviours=behaviours,
        appeal=_appeal(definition, view, events, people, data),
        history=history, state=definition.label(evaluation.status), issued_at=now,
        chain_head_hash=evaluation.history_head,
        pendekatan=pendekatan,
        jenis_jabatan=_jenis_jabatan(evaluation),
        lampiran_dukungan=lampiran["dukungan_sumber_daya"],
        lampiran_skema=lampiran["skema_pertanggungjawaban"],
        lampiran_konsekuensi=lampiran["konsekuensi"],
        plan_results=plan,
        umpan_balik_hasil_kerja=data.text("evaluasi.hasil_kerja.umpan_balik"),
        keterangan_tambahan=data.extras("evaluasi.keterangan_tambahan"),
        skp_keterangan_tambahan=data.extras("skp.keterangan_tambahan"),
        final=result.final, appeal_until=result.appeal_until, signed_at=result.result_set_at,
        skp_signed_at=skp_signed_at,
        timezone=agency_zone(session, evaluation.agency_id),
    )


def _action(definition: Any, event: HistoryEvent) -> str:
    if event.kind == "transition" and event.trigger == "open":
        return "Evaluasi dibuka"
    if event.kind == "data":
        return "Draf disimpan"
    if event.kind == "document":
        return f"Dokumen diterbitkan ({event.payload.get('kind', '')})"
    rule = definition.transition(event.trigger)
    return rule.label if rule is not None else event.trigger
