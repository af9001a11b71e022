"""Official documents rendered from real evaluations and read back (WeasyPrint, then pypdf).

Kota Uji runs the national flow plus one step, ``tetapkan_skp``, in which the appraiser
records the SKP plan (the shipped flows have no such step yet). Its org chart has a JPT chain
(Sekda > Asisten > Kepala Dinas), a JA head of division, a JF employee and a PPPK employee.
Each test renders as few documents as it can and reads several things from each.
"""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from forms import authoring
from forms.library import load_form_sources
from forms.store import publish_national_forms
from reports.issuing import PreparedDocument
from reports.issuing import issue_document
from reports.render import render_html
from reports.render import tanggal
from reports.render import tanggal_waktu
from tests.conftest import ROOT
from tests.conftest import nip
from workflow.actors import Actor
from workflow.models import Agency
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.org import import_org_csv
from workflow.periods import ensure_period
from workflow.periods import open_period
from workflow.publishing import publish_definitions
from workflow.rating import BERAKHLAK
from workflow.registry import load_definitions
from workflow.service import Workflow
from workflow.service import apply_transition

WIB = "Asia/Jakarta"  # kota-uji extends the default definition: its documents print WIB

PEOPLE = {  # who: (n, jabatan, pangkat, golongan, jenis_asn, jenis_jabatan, superior, group)
    "sekda": (61, "Sekretaris Daerah", "Pembina Utama Madya", "IV/d", "PNS", "JPT", None,
              "admin"),
    "asisten": (62, "Asisten Pemerintahan", "Pembina Utama Muda", "IV/c", "PNS", "JPT", "sekda",
                ""),
    "kadis": (63, "Kepala Dinas Kominfo", "Pembina Tk. I", "IV/b", "PNS", "JPT", "asisten", ""),
    "kabid": (64, "Kepala Bidang Aplikasi", "Pembina", "IV/a", "PNS", "JA", "kadis", ""),
    "pranata": (65, "Pranata Komputer Ahli Muda", "Penata Tk. I", "III/d", "PNS", "JF", "kabid",
                ""),
    "pppk": (66, "Pengelola Layanan Operasional", "", "IX", "PPPK", "JA", "kabid", ""),
}
FLOW = """agency: kota-uji
name: Penilaian Kinerja Kota Uji
version: 1
extends: default
periods: [annual, quarterly, monthly]
transitions:
  - name: tetapkan_skp
    label: Tetapkan SKP
    label_en: Set the SKP
    from: draft
    to: draft
    by: appraiser
    form: skp
    guards: [form_complete, not_own_evaluation]
"""
EVIDENCE = "https://arsip.uji.go.id/b/1"
FEEDBACK = "Modul perizinan tepat waktu; uji beban sebelum rilis berikutnya."
CATATAN = "Diusulkan mengikuti pelatihan arsitektur SPBE."


def expectation(value: str) -> str:
    return f"Ekspektasi {value}: menjadi teladan tim."


def value_feedback(value: str) -> str:
    return f"Umpan balik {value}: konsisten sepanjang tahun."


def skp(pendekatan: str = "kuantitatif", **extra: Any) -> dict[str, Any]:
    """An SKP plan as the appraiser records it."""
    return {
        "pendekatan": pendekatan,
        "rencana_hasil_kerja": [
            {"jenis": "utama", "rhk_atasan": "Meningkatnya layanan SPBE",
             "rencana_hasil_kerja": "Tersedianya layanan perizinan daring",
             "aspek": "kuantitas", "indikator": "Jumlah modul yang beroperasi",
             "target": "4 modul", "perspektif": "penerima_layanan"},
            {"jenis": "tambahan", "rhk_atasan": "Meningkatnya layanan SPBE",
             "rencana_hasil_kerja": "Terlaksananya pendampingan admin OPD",
             "aspek": "waktu", "indikator": "Pendampingan selesai", "target": "Juni"},
        ],
        **{f"ekspektasi_khusus_{v.key}": expectation(v.name) for v in BERAKHLAK},
        "dukungan_sumber_daya": "Server pusat data\nAkses SIASN",
        "skema_pertanggungjawaban": "Laporan triwulanan kepada Kepala Bidang",
        "konsekuensi": "Predikat menjadi dasar TPP",
        **extra,
    }


ROW = {"rencana_hasil_kerja": "Laporan akhir: layanan perizinan daring",
       "indikator": "Modul beroperasi", "target": "4 modul", "realisasi": "4 modul beroperasi",
       "bukti_dukung": EVIDENCE}
REPORT: dict[str, Any] = {"hasil_kerja": [ROW], "kendala": "Jaringan terputus.",
                          "rencana_perbaikan": "Jadwal unggah sore."}
RATING = {"rating_hasil_kerja": "sesuai", "rating_perilaku_kerja": "di_atas",
          "umpan_balik": FEEDBACK, "catatan_rekomendasi": CATATAN,
          **{f"umpan_balik_{v.key}": value_feedback(v.name) for v in BERAKHLAK}}


def moment(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, 0, tzinfo=UTC)


def at(wf: Workflow, month: int, day: int) -> Workflow:
    when = moment(month, day)
    return replace(wf, clock=lambda: when)


def org_csv() -> str:
    lines = ["nip,nama,jabatan,pangkat,golongan,unit_kerja,jenis_asn,jenis_jabatan,nip_atasan,"
             "grup"]
    for who, (n, jabatan, pangkat, gol, asn, jenis, boss, group) in PEOPLE.items():
        superior = nip(PEOPLE[boss][0]) if boss else ""
        lines.append(f"{nip(n)},{who.title()} Uji,{jabatan},{pangkat},{gol},Dinas Kominfo,"
                     f"{asn},{jenis},{superior},{group}")
    return "\n".join(lines) + "\n"


class Uji:
    """Kota Uji: its people and, per period, the evaluations opened."""

    def __init__(self, session: Session, wf: Workflow, tmp_path: Path) -> None:
        """Create the agency, import the org chart and publish the flow (no period yet)."""
        self.session, self.wf = session, wf
        publish_national_forms(session, load_form_sources(ROOT / "definitions" / "forms"))
        self.agency = Agency(slug="kota-uji", name="Pemerintah Kota Uji", city="Uji")
        session.add(self.agency)
        session.flush()
        import_org_csv(session, wf.audit_key, self.agency, org_csv())
        folder = tmp_path / "definitions"
        folder.mkdir()
        shutil.copy(ROOT / "definitions" / "default.yaml", folder)
        (folder / "kota-uji.yaml").write_text(FLOW, encoding="utf-8")
        publish_definitions(session, {"kota-uji": load_definitions(folder)["kota-uji"]})
        self.people = {who: session.scalar(select(Employee).where(Employee.nip == nip(n)))
                       for who, (n, *_rest) in PEOPLE.items()}
        session.commit()

    def actor(self, who: str) -> Actor:
        return Actor.of(self.people[who])

    def open(self, kind: str, number: int, when: datetime) -> dict[str, Evaluation]:
        """Open one period and return its evaluations by person."""
        period = ensure_period(self.session, self.agency, kind, 2026, number)
        opening = replace(self.wf, clock=lambda: when)
        report = open_period(self.session, opening, self.actor("sekda"), period.id)
        self.session.commit()
        by_nip = {e.employee.nip: e for e in report.evaluations}
        return {who: by_nip[p.nip] for who, p in self.people.items()
                if p.nip in by_nip}

    def fire(self, month: int, day: int, who: str, evaluation: Evaluation, trigger: str,
             data: dict[str, Any] | None = None) -> None:
        apply_transition(self.session, at(self.wf, month, day), self.actor(who), evaluation.id,
                         trigger, data=data)
        self.session.commit()

    def issue(self, who: str, evaluation: Evaluation, kind: str,
              now: datetime) -> tuple[str, PreparedDocument]:
        """Issue one document; return its text (whitespace collapsed) and what it printed."""
        pdf, prepared = issue_document(self.session, self.wf.audit_key, self.actor(who),
                                       evaluation.id, kind, "https://kinerja.uji.go.id", now)
        self.session.commit()
        reader = PdfReader(io.BytesIO(pdf))
        return " ".join(re.sub(r"\s+", " ", p.extract_text() or "") for p in reader.pages), \
            prepared


def event_at(session: Session, evaluation: Evaluation, trigger: str) -> datetime:
    return session.scalars(select(HistoryEvent.at).where(
        HistoryEvent.evaluation_id == evaluation.id, HistoryEvent.trigger == trigger)
        .order_by(HistoryEvent.seq.desc())).first()


class Tables(HTMLParser):
    """Collect the cell texts of each ``<table class=…>`` of a rendered document."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._current: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._current = self.tables.setdefault(dict(attrs).get("class") or "", [])
        elif tag == "tr" and self._current is not None:
            self._current.append([])
        elif tag in ("td", "th") and self._current is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._current:
            self._current[-1].append(" ".join(" ".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables_of(prepared: PreparedDocument) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(render_html(prepared.kind, prepared.snapshot, verification_code=prepared.code,
                            verify_url=prepared.verify_url))
    return parser.tables


def test_evaluation_document_columns_standing_and_signature(
        session: Session, wf: Workflow, client: FlaskClient, tmp_path: Path) -> None:
    """An annual JF evaluation prints each source in its own column, is BELUM FINAL until the
    appeal window's end while it runs (and /verify says so), is signed on the rating's date,
    and once accepted is final and signed on the acceptance's date."""
    uji = Uji(session, wf, tmp_path)
    ev = uji.open("annual", 1, moment(1, 5))["pranata"]
    uji.fire(1, 12, "kabid", ev, "tetapkan_skp", skp())
    uji.fire(2, 2, "pranata", ev, "submit", REPORT)
    uji.fire(2, 3, "kabid", ev, "review", RATING)
    due = datetime.fromisoformat(ev.deadlines["appeal_window"])
    rated = event_at(session, ev, "review")

    text, prepared = uji.issue("pranata", ev, "evaluation", moment(2, 5))
    assert "PERIODE: AKHIR (TAHUNAN)" in text
    assert f"BELUM FINAL — masa keberatan sampai {tanggal_waktu(due, WIB)}" in text
    assert f"Uji, {tanggal(rated, zone=WIB)}" in text
    assert f"Uji, {tanggal(date(2026, 2, 5))}" not in text
    assert "BAGI PEJABAT ADMINISTRASI DAN PEJABAT FUNGSIONAL" in text
    assert "NI PPPK" not in text and f"NIP. {nip(65)}" in text
    assert f"Buktidukung:{EVIDENCE}" in text.replace(" ", "")  # a long link wraps anywhere
    for printed in (FEEDBACK, CATATAN, expectation("Loyal"), value_feedback("Adaptif")):
        assert printed in text, printed
    tables = tables_of(prepared)
    header, *rows = [r for r in tables["hasil-kerja"] if r and r[0] not in ("(1)",)]
    assert header[-2:] == ["REALISASI BERDASARKAN BUKTI DUKUNG",
                           "UMPAN BALIK BERKELANJUTAN BERDASARKAN BUKTI DUKUNG"]
    utama = next(r for r in rows if r[0] == "A.")
    assert utama[-1] == FEEDBACK  # the feedback column holds the appraiser's feedback...
    first = next(r for r in rows if r[0] == "1")
    assert first[-1] == f"4 modul beroperasi Bukti dukung: {EVIDENCE}"  # ...evidence its own
    assert all(EVIDENCE not in cell for cell in utama)
    behaviour_header, *behaviours = tables["perilaku-kerja"]
    assert behaviour_header[2:] == ["EKSPEKTASI KHUSUS PIMPINAN",
                                    "UMPAN BALIK BERKELANJUTAN BERDASARKAN BUKTI DUKUNG"]
    assert [r[2:] for r in behaviours] == [[expectation(v.name), value_feedback(v.name)]
                                          for v in BERAKHLAK]
    page = client.get(f"/verify/{prepared.code}").get_data(as_text=True)
    assert "BELUM FINAL" in page and "masa keberatan sampai" in page

    uji.fire(2, 6, "pranata", ev, "accept")
    accepted = event_at(session, ev, "accept")
    final_text, final = uji.issue("pranata", ev, "evaluation", moment(2, 8))
    assert "BELUM FINAL" not in final_text
    assert f"Uji, {tanggal(accepted, zone=WIB)}" in final_text
    assert f"Uji, {tanggal(rated, zone=WIB)}" not in final_text
    page = client.get(f"/verify/{final.code}").get_data(as_text=True)
    assert "masih berlaku" in page and "BELUM FINAL" not in page
    old = client.get(f"/verify/{prepared.code}").get_data(as_text=True)
    assert "sudah tidak berlaku" in old


def test_pppk_skp_prints_the_plan_qualitatively_with_agency_fields(
        session: Session, wf: Workflow, tmp_path: Path) -> None:
    """A PPPK's SKP shows NI PPPK and golongan IX, the qualitative layout, the plan (not the
    year-end report), the leader's expectations, the lampiran and a field the agency added
    with ``prints:``, signed on the date the plan was recorded."""
    uji = Uji(session, wf, tmp_path)
    admin = uji.actor("sekda")
    draft = authoring.start_draft(session, wf.audit_key, admin, "skp", moment(1, 2))
    authoring.put_field(session, wf.audit_key, admin, draft.id, {
        "name": "kesepakatan", "type": "textarea", "label": "Catatan Kesepakatan",
        "prints": "skp.keterangan_tambahan"}, moment(1, 2))
    authoring.publish(session, wf.audit_key, admin, draft.id, moment(1, 2))
    session.commit()
    ev = uji.open("annual", 1, moment(1, 5))["pppk"]
    uji.fire(1, 14, "kabid", ev, "tetapkan_skp",
             skp("kualitatif", kesepakatan="Disepakati rapat 14 Januari."))
    uji.fire(2, 2, "pppk", ev, "submit", REPORT)
    planned = event_at(session, ev, "tetapkan_skp")

    text, _ = uji.issue("pppk", ev, "skp", moment(3, 1))
    assert f"NI PPPK {nip(66)}" in text and f"NI PPPK. {nip(66)}" in text
    assert "GOLONGAN IX" in text and f"NIP {nip(64)}" in text  # the appraiser is a PNS
    assert "PENDEKATAN HASIL KERJA KUALITATIF" in text
    assert "UKURAN KEBERHASILAN / INDIKATOR KINERJA INDIVIDU" in text and "ASPEK" not in text
    assert "Tersedianya layanan perizinan daring" in text and "Laporan akhir" not in text
    assert "Meningkatnya layanan SPBE" in text and "Pendampingan selesai" in text
    assert all(expectation(v.name) in text for v in BERAKHLAK)
    assert "Server pusat data" in text and "Akses SIASN" in text and "dasar TPP" in text
    assert "KETERANGAN TAMBAHAN CATATAN KESEPAKATAN Disepakati rapat 14 Januari." in text
    assert f"Uji, {tanggal(planned, zone=WIB)}" in text
    assert f"Uji, {tanggal(date(2026, 3, 1))}" not in text


def test_jpt_quarter_documents_and_signature_after_the_window(
        session: Session, wf: Workflow, tmp_path: Path) -> None:
    """A JPT's quarter: PERIODE TRIWULAN II, the JPT heading, columns with the perspective (from
    the SKP row the report names) and no aspect, INSTANSI for the appraiser; finalized after the
    window it is final and signed on the finalizing date."""
    uji = Uji(session, wf, tmp_path)
    ev = uji.open("quarterly", 2, moment(4, 1))["kadis"]
    uji.fire(4, 3, "asisten", ev, "tetapkan_skp", skp())
    as_planned = {**REPORT, "hasil_kerja": [{  # names the SKP's result and indicator
        **ROW, "rencana_hasil_kerja": "Tersedianya layanan perizinan daring",
        "indikator": "Jumlah modul yang beroperasi"}]}
    uji.fire(6, 20, "kadis", ev, "submit", as_planned)
    uji.fire(6, 22, "asisten", ev, "review", RATING)
    uji.fire(7, 8, "asisten", ev, "finalize")
    finalized = event_at(session, ev, "finalize")

    text, _ = uji.issue("kadis", ev, "evaluation", moment(7, 10))
    assert "PERIODE: TRIWULAN II" in text and "BELUM FINAL" not in text
    assert "BAGI PEJABAT PIMPINAN TINGGI DAN PIMPINAN UNIT KERJA MANDIRI" in text
    assert "INSTANSI Pemerintah Kota Uji" in text
    assert "PERSPEKTIF" in text and "ASPEK" not in text
    assert "Jumlah modul yang beroperasi 4 modul Penerima Layanan 4 modul beroperasi" in text
    assert f"Uji, {tanggal(finalized, zone=WIB)}" in text

    plan, _ = uji.issue("kadis", ev, "skp", moment(7, 10))
    assert "RENCANA HASIL KERJA INDIKATOR KINERJA INDIVIDU TARGET PERSPEKTIF" in plan
    assert "Penerima Layanan" in plan and "Meningkatnya layanan SPBE" not in plan


def test_monthly_document_names_the_month_and_prints_agency_fields(
        session: Session, wf: Workflow, tmp_path: Path) -> None:
    """A March evaluation prints PERIODE: BULANAN — MARET, and a field the agency added to the
    rating form with ``prints:`` appears under KETERANGAN TAMBAHAN with its option label."""
    uji = Uji(session, wf, tmp_path)
    admin = uji.actor("sekda")
    draft = authoring.start_draft(session, wf.audit_key, admin, "appraiser-rating", moment(2, 20))
    authoring.put_field(session, wf.audit_key, admin, draft.id, {
        "name": "tindak_lanjut", "type": "choice", "label": "Tindak Lanjut",
        "options": [{"value": "diklat", "label": "Diklat teknis"},
                    {"value": "mentoring", "label": "Mentoring"}],
        "prints": "evaluasi.keterangan_tambahan"}, moment(2, 20))
    authoring.publish(session, wf.audit_key, admin, draft.id, moment(2, 20))
    session.commit()
    ev = uji.open("monthly", 3, moment(3, 1))["pranata"]
    uji.fire(3, 30, "pranata", ev, "submit", REPORT)
    uji.fire(3, 31, "kabid", ev, "review", {**RATING, "tindak_lanjut": "mentoring"})

    text, _ = uji.issue("pranata", ev, "evaluation", moment(4, 2))
    assert "PERIODE: BULANAN — MARET" in text
    assert "6 KETERANGAN TAMBAHAN TINDAK LANJUT Mentoring" in text
    assert "PERIODE PENILAIAN: 1 MARET 2026 SD 31 MARET 2026" in text
