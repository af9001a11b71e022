"""Seed believable demo data: two agencies, ~56 employees, evaluations in every state.

Runs the real use cases (org import, publishing, opening a period, transitions) with a
clock set in the past, so the history is exactly what real use would have produced.
Idempotent: agencies that already exist are left alone.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.accounts import PASSWORD_HASH_METHOD
from workflow.accounts import set_password
from workflow.actors import Actor
from workflow.definition import WorkflowDefinition
from workflow.models import Agency
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.org import import_org_csv
from workflow.periods import ensure_period
from workflow.periods import open_period
from workflow.periods import set_capaian
from workflow.publishing import publish_definitions
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.service import run_due_transitions
from workflow.service import save_draft
from workflow.skp_plan import PlannedRow
from workflow.skp_plan import planned_rows
from workflow.skp_plan import skp_of

from .feedback import give_feedback
from .planning import plan_year

AGENCIES = (
    ("kota-kupang", "Pemerintah Kota Kupang", "Kupang", "annual", 2026, 1),
    ("kota-mataram", "Pemerintah Kota Mataram", "Mataram", "monthly", 2026, 10),
)
UNITS = (
    ("Dinas Pendidikan dan Kebudayaan", ("Bidang Pembinaan SD", "Bidang Pembinaan SMP")),
    ("Badan Kepegawaian dan Pengembangan SDM", ("Bidang Mutasi dan Promosi",
                                                "Bidang Penilaian Kinerja Aparatur")),
    ("Dinas Kependudukan dan Pencatatan Sipil", ("Bidang Pelayanan Pendaftaran Penduduk",
                                                 "Bidang Pencatatan Sipil")),
)
FIRST = ("Siti", "Agus", "Dewi", "Yohanes", "Maria", "Fransiskus", "Nur", "Made", "Ketut",
         "Rina", "Bambang", "Lestari", "Petrus", "Ani", "Yosef", "Wayan", "Sri", "Hendrik",
         "Putu", "Lalu", "Baiq", "Ahmad", "Fitri", "Daniel", "Theresia", "Imam", "Yuliana", "Eko")
LAST = ("Rahmawati", "Setiawan", "Lestari", "Fanggidae", "Ndoen", "Hidayat", "Saputra",
        "Wulandari", "Riwu", "Manafe", "Suryani", "Pratama", "Kurniawan", "Tefa", "Lay",
        "Amalia", "Hamzah", "Anggraini", "Mbura", "Sinaga")
TITLES = ("S.Kom.", "S.E.", "S.Pd.", "S.H.", "S.Sos.", "M.Si.", "S.T.", "A.Md.")


def _names() -> Iterator[str]:
    i = 0
    while True:
        yield (f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}, "
               f"{TITLES[(i * 3) % len(TITLES)]}")
        i += 1


def _nip(i: int, agency_index: int) -> str:
    born = date(1968 + (i * 5) % 30, 1 + i % 12, 1 + (i * 3) % 27)
    hired = 1992 + (i * 3) % 30
    return (f"{born:%Y%m%d}{hired}{1 + i % 12:02d}{1 + (i + agency_index) % 2}"
            f"{agency_index * 100 + i:03d}")


def org_csv(agency_index: int, with_team: bool) -> str:
    """Return the demo org chart of one agency as import CSV (real reporting lines)."""
    names = _names()
    for _ in range(agency_index * 9):
        next(names)
    rows: list[dict[str, str]] = []
    counter = iter(range(1, 200))

    def add(jabatan: str, pangkat: str, golongan: str, unit: str, boss: str,
            groups: str = "", kind: str = "PNS", position: str = "JA") -> str:
        nip = _nip(next(counter), agency_index)
        rows.append({"nip": nip, "nama": next(names), "jabatan": jabatan, "pangkat": pangkat,
                     "golongan": golongan, "unit_kerja": unit, "jenis_asn": kind,
                     "jenis_jabatan": position, "nip_atasan": boss, "grup": groups})
        return nip

    sekda = add("Sekretaris Daerah", "Pembina Utama Madya", "IV/d", "Sekretariat Daerah", "",
                "tim-penilai-kinerja" if with_team else "", position="JPT")
    inspektur = add("Inspektur", "Pembina Utama Muda", "IV/c", "Inspektorat", sekda,
                    "inspektorat;tim-penilai-kinerja" if with_team else "inspektorat",
                    position="JPT")
    add("Auditor Ahli Muda", "Penata Tk. I", "III/d", "Inspektorat", inspektur, "inspektorat",
        position="JF")
    for u, (unit, fields) in enumerate(UNITS):
        head = add(f"Kepala {unit}", "Pembina Utama Muda", "IV/c", unit, sekda,
                   "tim-penilai-kinerja" if with_team and u == 1 else "", position="JPT")
        for b, bidang in enumerate(fields):
            kabid = add(f"Kepala {bidang}", "Pembina", "IV/a", unit, head)
            for s in range(3):
                if u == 1 and b == 1 and s == 0:
                    add("Analis SDM Aparatur Ahli Muda", "Penata Tk. I", "III/d", unit, kabid,
                        "admin", position="JF")
                elif s == 2:
                    add("Pengelola Layanan Operasional", "", "VII", unit, kabid, kind="PPPK")
                else:
                    add(("Analis Kebijakan Ahli Pertama", "Pranata Komputer Ahli Pertama")[s],
                        ("Penata Muda", "Penata Muda Tk. I")[s], ("III/a", "III/b")[s], unit,
                        kabid, position="JF")
    # The Wali Kota is the PPK (Pejabat Pembina Kepegawaian): group 'ppk' decides the appeals
    # of those the Sekda rates (the Sekda has no superior here; definitions' fallback).
    add("Wali Kota (Pejabat Pembina Kepegawaian)", "", "", "Pemerintah Kota", "", "ppk",
        position="")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


SELF_ASSESSMENT = {
    "hasil_kerja": [
        {"rencana_hasil_kerja": "Terlaksananya layanan administrasi kepegawaian tepat waktu",
         "indikator": "Persentase layanan selesai sesuai SOP", "target": "95%",
         "realisasi": "97%", "bukti_dukung": "https://arsip.example.go.id/laporan-layanan"},
        {"rencana_hasil_kerja": "Tersusunnya laporan kinerja triwulanan unit",
         "indikator": "Jumlah laporan tepat waktu", "target": "4 laporan",
         "realisasi": "4 laporan", "bukti_dukung": "https://arsip.example.go.id/lkj"},
    ],
    "kendala": "Jaringan internet kantor sering terputus pada jam sibuk layanan.",
    "rencana_perbaikan": "Menyiapkan formulir luring dan jadwal unggah ulang setiap sore.",
}


def self_assessment(plan: list[PlannedRow]) -> dict[str, Any]:
    """The employee's report: the realisation of each indicator of her SKP (as planned, never
    retyped), or the example rows when the evaluation reads no SKP."""
    if not plan:
        return SELF_ASSESSMENT
    rows = [{"rencana_hasil_kerja": p.rencana_hasil_kerja, "indikator": p.indikator,
             "target": p.target, "realisasi": f"Tercapai: {p.target}",
             "bukti_dukung": f"https://arsip.example.go.id/bukti/{n + 1}"}
            for n, p in enumerate(plan)]
    return {**SELF_ASSESSMENT, "hasil_kerja": rows}


def _rating(hk: str, pk: str) -> dict[str, str]:
    data = {"rating_hasil_kerja": hk, "rating_perilaku_kerja": pk,
            "umpan_balik": "Target utama tercapai; koordinasi dengan bidang lain perlu "
                           "ditingkatkan.",
            "catatan_rekomendasi": "Diikutsertakan pelatihan manajemen layanan publik."}
    if "di_bawah" in (hk, pk):
        data["justifikasi"] = ("Dua dari lima laporan terlambat lebih dari dua minggu dan "
                               "bukti dukung tidak lengkap.")
    return data


APPEAL = {"butir_keberatan": ["rating_hasil_kerja"],
          "alasan": "Keterlambatan laporan disebabkan gangguan sistem yang sudah dilaporkan "
                    "ke Diskominfo; bukti tiket gangguan terlampir."}
HEARING = {"pertanyaan_penilai": "Jelaskan apakah gangguan sistem sudah Anda pertimbangkan saat "
                                  "menilai ketepatan waktu laporan.",
           "pertanyaan_pegawai": "Lampirkan nomor tiket gangguan dan tanggal laporan yang "
                                 "terlambat."}
EXPLANATION_APPRAISER = {"penjelasan": "Tiket gangguan belum saya terima saat menilai; dua "
                                       "laporan terlambat lebih dari dua minggu."}
EXPLANATION_EMPLOYEE = {"penjelasan": "Tiket DISKOMINFO-0412 dan 0419; laporan triwulan II dan "
                                      "III terlambat karena sistem tidak dapat diakses."}
DECISION = {"keputusan": "diubah", "rating_hasil_kerja_baru": "sesuai",
            "rating_perilaku_kerja_baru": "sesuai",
            "pertimbangan": "Bukti tiket gangguan sistem sah; keterlambatan bukan kelalaian "
                            "pegawai."}

# The journey each evaluation takes, by position in the agency (cycled).
SCRIPTS = (
    "draft", "draft_saved", "submitted", "returned", "reviewed", "reviewed_low", "appealed",
    "accepted", "appeal_decided", "auto_finalized", "appeal_heard",
)


def seed_demo(
    session: Session, wf: Workflow, definitions: dict[str, WorkflowDefinition],
    *, password: str, prepare_agency: Callable[[Agency], object] = lambda agency: None,
    hash_method: str = PASSWORD_HASH_METHOD,
) -> list[str]:
    """Create the demo agencies (if missing) and return one line per demo user to print.

    ``prepare_agency`` runs once a new agency exists and before its period opens (the CLI
    uses it to seed the agency's own form copies); ``hash_method`` is the app's password
    hashing method.
    """
    lines: list[str] = []
    base = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    for index, (slug, name, city, kind, year, number) in enumerate(AGENCIES):
        agency = session.scalar(select(Agency).where(Agency.slug == slug))
        if agency is None:
            agency = Agency(slug=slug, name=name, city=city)
            session.add(agency)
            session.flush()
            import_org_csv(session, wf.audit_key, agency, org_csv(index, slug == "kota-kupang"))
            for employee in session.scalars(select(Employee).where(
                    Employee.agency_id == agency.id)):
                set_password(employee, password, hash_method=hash_method)
            publish_definitions(session, {slug: definitions[slug]})
            prepare_agency(agency)
            plan_year(session, wf, agency, year)
            give_feedback(session, wf, agency, year)
            _run_journeys(session, wf, agency, kind, year, number, base)
        lines.extend(_user_lines(session, agency))
    return lines


def _at(wf: Workflow, moment: datetime) -> Workflow:
    return dataclasses.replace(wf, clock=lambda: moment)


def _run_journeys(session: Session, wf: Workflow, agency: Agency, kind: str, year: int,
                  number: int, base: datetime) -> None:
    admin = next(e for e in session.scalars(select(Employee).where(
        Employee.agency_id == agency.id)) if any(g.slug == "admin" for g in e.groups))
    period = ensure_period(session, agency, kind, year, number)
    report = open_period(session, _at(wf, base), Actor.of(admin), period.id)
    if report.blocked:  # the demo's org chart must let every evaluation finish
        raise RuntimeError("; ".join(f"{e.name}: {why}" for e, why in report.blocked))
    set_capaian(session, _at(wf, base), Actor.of(admin), period.id, "BAIK",
                f"Keputusan Wali Kota {agency.city} Nomor 800/{period.id:03d}/BKPSDM/{year} "
                "tentang Penetapan Predikat Kinerja Organisasi")
    team = [e for e in session.scalars(select(Employee).where(Employee.agency_id == agency.id))
            if any(g.slug == "tim-penilai-kinerja" for g in e.groups)]
    for i, evaluation in enumerate(report.evaluations):
        # Without an SKP (planning still under way there) the self-assessment waits for it.
        script = SCRIPTS[i % len(SCRIPTS)] if skp_of(session, evaluation) else "draft"
        _journey(session, wf, evaluation, script, base, team)
    run_due_transitions(session, _at(wf, base + timedelta(days=19)), agency.id)


def _journey(session: Session, wf: Workflow, ev: Evaluation, script: str, base: datetime,
             team: list[Employee]) -> None:
    people = {p.role: session.get_one(Employee, p.employee_id) for p in ev.participants}
    me = Actor.of(people["employee"])
    boss = Actor.of(people["appraiser"])
    reviewer = people.get("appeal_reviewer")
    # Most journeys run in the last ten days, so their appeal windows are still open "today";
    # the auto-finalized one runs early so that its window has closed.
    day = iter(range(0 if script == "auto_finalized" else 10, 40))

    def t() -> Workflow:
        return _at(wf, base + timedelta(days=next(day), hours=2))

    def fire(actor: Actor, trigger: str, *, data: Mapping[str, Any] | None = None,
             comment: str | None = None) -> None:
        apply_transition(session, t(), actor, ev.id, trigger, data=data, comment=comment)

    if script == "draft":
        return
    report = self_assessment(planned_rows(skp_of(session, ev)))
    if script == "draft_saved":
        save_draft(session, t(), me, ev.id, "self-assessment",
                   {"kendala": SELF_ASSESSMENT["kendala"]})
        return
    fire(me, "submit", data=report)
    if script == "submitted":
        return
    if script == "returned":
        fire(boss, "return_for_revision",
             comment="Bukti dukung realisasi layanan belum dilampirkan; mohon dilengkapi.")
        fire(me, "submit", data=report, comment="Bukti dukung sudah dilengkapi.")
        return
    low = script in ("reviewed_low", "appealed", "appeal_decided", "appeal_heard")
    rating = _rating("di_bawah", "sesuai") if low else _rating(
        "di_atas" if script == "accepted" else "sesuai", "sesuai")
    if "team_review" in ev.definition_version.source.get("states", []) and team:
        fire(boss, "send_to_team", data=rating)
        member = next(m for m in team if m.id not in (ev.employee_id, boss.employee_id))
        fire(Actor.of(member), "team_review",
             data={"pendapat_tim": "Penilaian sesuai bukti dukung dan pola distribusi unit.",
                   "rekomendasi": "setuju"})
    else:
        fire(boss, "review", data=rating)
    if script in ("reviewed", "reviewed_low", "auto_finalized"):
        return
    if script == "accepted":
        fire(me, "accept", comment="Saya menerima hasil penilaian.")
        return
    fire(me, "appeal", data=APPEAL)
    if script == "appeal_heard" and reviewer is not None:
        # The decider hears both parties before deciding (PP 30/2019 Ps 59(3)).
        fire(Actor.of(reviewer), "ask_explanations", data=HEARING)
        fire(boss, "explain_appraiser", data=EXPLANATION_APPRAISER)
        fire(me, "explain_employee", data=EXPLANATION_EMPLOYEE)
    if script in ("appeal_decided", "appeal_heard") and reviewer is not None:
        fire(Actor.of(reviewer), "decide_appeal", data=DECISION)


def _user_lines(session: Session, agency: Agency) -> list[str]:
    employees = list(session.scalars(select(Employee).where(Employee.agency_id == agency.id)))
    by_groups = {g: next((e for e in employees if any(x.slug == g for x in e.groups)), None)
                 for g in ("admin", "inspektorat", "tim-penilai-kinerja", "ppk")}
    staff = next(e for e in employees if e.jabatan.startswith("Analis Kebijakan"))
    lines = [f"[{agency.name}]"]
    lines.append(f"  {staff.nip}  pegawai / employee: {staff.name}")
    if staff.superior is not None:
        lines.append(f"  {staff.superior.nip}  pejabat penilai / appraiser: "
                     f"{staff.superior.name}")
        if staff.superior.superior is not None:
            lines.append(f"  {staff.superior.superior.nip}  atasan pejabat penilai / appeal "
                         f"decider: {staff.superior.superior.name}")
    labels = {"admin": "admin instansi / agency admin", "inspektorat": "auditor (inspektorat)",
              "tim-penilai-kinerja": "tim penilai kinerja / evaluation team",
              "ppk": "PPK, memutus keberatan bila penilai tanpa atasan / appeal decider when "
                     "the appraiser has no superior"}
    for group, person in by_groups.items():
        if person is not None:
            lines.append(f"  {person.nip}  {labels[group]}: {person.name}")
    return lines
