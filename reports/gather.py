"""Build a document snapshot from the database, inside the request's transaction.

Templates never touch the ORM: everything a document prints is copied here into frozen
DTOs (identity blocks from the participants frozen when the evaluation opened, ratings,
the appeal, the history with actor names).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.models import Agency
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.rating import BERAKHLAK
from workflow.rating import CapaianOrganisasi
from workflow.rating import Predikat
from workflow.rating import rating_label
from workflow.rating import rule_lines
from workflow.service import definition_of

from .snapshot import AppealSnapshot
from .snapshot import Behaviour
from .snapshot import DocumentSnapshot
from .snapshot import HistoryEntry
from .snapshot import Person
from .snapshot import RatingSet
from .snapshot import WorkResult

PERIOD_KINDS = {"annual": "TAHUNAN", "semester": "SEMESTER", "quarterly": "TRIWULAN",
                "monthly": "BULANAN"}
EMPTY = Person(name="-", nip="-", pangkat_golongan="-", jabatan="-", unit_kerja="-")


def _person(identity: Mapping[str, str] | None) -> Person | None:
    if not identity:
        return None
    return Person(name=identity.get("name", ""), nip=identity.get("nip", ""),
                  pangkat_golongan=identity.get("pangkat_golongan", ""),
                  jabatan=identity.get("jabatan", ""), unit_kerja=identity.get("unit_kerja", ""))


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


def _appeal(evaluation: Evaluation, events: list[HistoryEvent],
            people: Mapping[str, Person | None]) -> AppealSnapshot | None:
    filed = next((e for e in reversed(events) if e.trigger == "appeal"), None)
    if filed is None:
        return None
    decided = next((e for e in reversed(events) if e.trigger == "decide_appeal"), None)
    appeal = evaluation.values("appeal")
    decision = evaluation.values("appeal-decision") if decided else {}
    changes = (decided.payload.get("changes", {}) if decided else {}) or {}

    def before(attr: str) -> str | None:
        return changes[attr][0] if attr in changes else getattr(evaluation, attr)

    rating_before = RatingSet(hasil_kerja=_label(before("rating_hasil_kerja")),
                              perilaku_kerja=_label(before("rating_perilaku_kerja")),
                              predikat=_predikat(before("predikat")))
    rating_after = None
    if decided is not None and decision.get("keputusan") == "diubah":
        rating_after = RatingSet(hasil_kerja=_label(evaluation.rating_hasil_kerja),
                                 perilaku_kerja=_label(evaluation.rating_perilaku_kerja),
                                 predikat=_predikat(evaluation.predikat))
    labels = {"rating_hasil_kerja": "Rating Hasil Kerja",
              "rating_perilaku_kerja": "Rating Perilaku Kerja"}
    return AppealSnapshot(
        filed_at=filed.at, items=tuple(labels.get(i, i) for i in appeal.get("butir_keberatan",
                                                                            [])),
        alasan=_text(appeal.get("alasan")), decided_at=decided.at if decided else None,
        keputusan=decision.get("keputusan"), pertimbangan=_text(decision.get("pertimbangan")),
        decider=people.get("appeal_reviewer") or EMPTY, rating_before=rating_before,
        rating_after=rating_after,
        penjelasan_penilai=_text(evaluation.values("appraiser-rating").get("justifikasi")),
    )


def build_snapshot(session: Session, evaluation: Evaluation, now: datetime) -> DocumentSnapshot:
    """Copy everything the documents of one evaluation print into a frozen snapshot."""
    agency = session.get(Agency, evaluation.agency_id)
    assert agency is not None
    definition = definition_of(session, evaluation.definition_version_id)
    people = {p.role: _person(p.identity) for p in evaluation.participants}
    events = _events(session, evaluation)
    names = dict(session.execute(select(Employee.nip, Employee.name).where(
        Employee.nip.in_({e.actor_nip for e in events if e.actor_nip}))).all())
    rating = evaluation.values("appraiser-rating")
    plan = evaluation.values("skp")
    rows = evaluation.values("self-assessment").get("hasil_kerja") or plan.get(
        "rencana_hasil_kerja") or []
    work = tuple(
        WorkResult(jenis="tambahan" if r.get("jenis") == "tambahan" else "utama",
                   rhk_atasan=_text(r.get("rhk_atasan")),
                   rencana_hasil_kerja=_text(r.get("rencana_hasil_kerja")),
                   aspek=_text(r.get("aspek")).capitalize(), indikator=_text(r.get("indikator")),
                   target=_text(r.get("target")), realisasi=_text(r.get("realisasi")),
                   umpan_balik=_text(r.get("bukti_dukung")))
        for r in rows if isinstance(r, Mapping))
    behaviours = tuple(
        Behaviour(value=v.name, guides=tuple(v.guides),
                  ekspektasi_khusus=_text(plan.get(f"ekspektasi_{v.key}")),
                  umpan_balik="")
        for v in BERAKHLAK)
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
        period_kind=PERIOD_KINDS.get(evaluation.period.kind, evaluation.period.kind.upper()),
        period_start=evaluation.period.starts_on, period_end=evaluation.period.ends_on,
        place=agency.city or agency.name, employee=people.get("employee") or EMPTY,
        appraiser=people.get("appraiser") or EMPTY,
        appraiser_superior=people.get("appeal_reviewer"),
        capaian_organisasi=_capaian(evaluation.period.capaian_organisasi),
        pola_distribusi=_pola(evaluation.period.capaian_organisasi),
        rating_hasil_kerja=_label(evaluation.rating_hasil_kerja),
        rating_perilaku_kerja=_label(evaluation.rating_perilaku_kerja),
        predikat=_predikat(evaluation.predikat),
        catatan_rekomendasi=_text(rating.get("catatan_rekomendasi")) or _text(
            rating.get("umpan_balik")),
        work_results=work, behaviours=behaviours, appeal=_appeal(evaluation, events, people),
        history=history, state=definition.label(evaluation.status), issued_at=now,
        chain_head_hash=evaluation.history_head,
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
