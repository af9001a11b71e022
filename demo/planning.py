"""The demo year starts with SKPs: results cascade from the top of each agency to the staff.

Runs the real planning use cases (``workflow.skp``, ``workflow.cascade``) with the clock in
early January, top down: the Sekretaris Daerah drafts her SKP and it is set (by the agency
admin on her behalf, as the rules allow for the top of the agency); each leader whose SKP is
set shares her results out on the Matriks Peran Hasil; each subordinate refines the assigned
RHK with indicators and targets, adds a result of her own, and submits; the appraiser writes
her expectation per BerAKHLAK value and sets it. One bidang per agency is left where
planning is still under way (its head's SKP is set, her staff have none yet), for the
browser journey and for anyone trying the Matriks Peran Hasil.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.actors import Actor
from workflow.cascade import assign_result
from workflow.models import Agency
from workflow.models import Employee
from workflow.models import Skp
from workflow.service import Workflow
from workflow.skp import create_skp
from workflow.skp import fire_skp_transition
from workflow.skp import save_content
from workflow.skp_content import content_of

#: The bidang whose staff have no SKP yet (their head's is set): planning under way.
UNDER_WAY = "Kepala Bidang Pencatatan Sipil"

TOP_RESULTS = (
    ("Meningkatnya kualitas pelayanan publik Pemerintah Kota {city}",
     "Indeks kepuasan masyarakat atas layanan perangkat daerah", 85, None, "poin",
     "penerima_layanan"),
    ("Meningkatnya akuntabilitas kinerja perangkat daerah",
     "Nilai evaluasi SAKIP Pemerintah Kota", 70, 75, "nilai", "proses_bisnis"),
    ("Terwujudnya aparatur sipil negara yang profesional",
     "Indeks profesionalitas ASN", 75, None, "poin", "penguatan_internal"),
)
#: How each level words the two results it receives (k = 0, 1), and its indicators: "JPT"
#: (Kepala Dinas, Inspektur), "JA" (a head of bidang), "JF" (staff, PPPK included).
LEVELS: dict[str, tuple[tuple[str, str], list[tuple[str, str, float, float | None, str]]]] = {
    "JPT": (("Meningkatnya kualitas layanan {unit}",
             "Meningkatnya akuntabilitas kinerja {unit}"),
            [("kuantitas", "Persentase layanan {unit} yang memenuhi standar pelayanan", 90, 95,
              "%"),
             ("waktu", "Laporan kinerja {unit} disampaikan tepat waktu", 4, None, "laporan")]),
    "JA": (("Terlaksananya layanan {bidang} sesuai standar pelayanan",
            "Tersusunnya laporan kinerja {bidang} tepat waktu"),
           [("kuantitas", "Jumlah layanan {bidang} yang diselesaikan", 400, 450, "layanan"),
            ("kualitas", "Persentase layanan tanpa pengaduan", 95, None, "%"),
            ("waktu", "Waktu penyelesaian laporan", 12, None, "bulan")]),
    "JF": (("Terselesaikannya berkas layanan {bidang} sesuai SOP",
            "Tersusunnya bahan laporan kinerja {bidang}"),
           [("kuantitas", "Jumlah berkas yang diselesaikan", 120, 150, "berkas"),
            ("kualitas", "Persentase berkas tanpa koreksi", 95, None, "%")]),
}
OWN_RESULT = ("Menjadi narasumber atau fasilitator kegiatan {unit}",
              "Jumlah kegiatan sebagai narasumber", 2, None, "kegiatan")
EXPECTATIONS = {
    "berorientasi_pelayanan": "Menanggapi setiap pengaduan layanan paling lambat 1×24 jam.",
    "akuntabel": "Melaporkan capaian setiap bulan dengan bukti dukung yang lengkap.",
    "kompeten": "Mengikuti paling sedikit satu pelatihan teknis dan berbagi hasilnya.",
    "harmonis": "Menjaga kerja sama yang baik dengan semua bidang.",
    "loyal": "Menjaga kerahasiaan data pribadi penduduk dan pegawai.",
    "adaptif": "Mengusulkan satu perbaikan proses layanan setiap semester.",
    "kolaboratif": "Melibatkan bidang lain dalam penyusunan laporan kinerja.",
}
LAMPIRAN = {
    "dukungan_sumber_daya": ["Anggaran DPA {unit} tahun {year}",
                             "Aplikasi layanan daring dan jaringan internet kantor"],
    "skema_pertanggungjawaban": ["Laporan capaian bulanan kepada atasan langsung",
                                 "Evaluasi triwulanan bersama Pejabat Penilai Kinerja"],
    "konsekuensi": ["Capaian di bawah target menjadi bahan bimbingan kinerja",
                    "Capaian di atas target menjadi pertimbangan penghargaan"],
}


def _at(wf: Workflow, moment: datetime) -> Workflow:
    return dataclasses.replace(wf, clock=lambda: moment)


def _bidang(employee: Employee) -> str:
    title = employee.superior.jabatan if employee.superior is not None else ""
    for name in (employee.jabatan, title):
        if name.startswith("Kepala Bidang "):
            return name.removeprefix("Kepala ")
    return employee.unit_kerja


def _fill(text: str, employee: Employee, year: int, city: str) -> str:
    return text.format(unit=employee.unit_kerja, bidang=_bidang(employee), year=year, city=city)


def _indicators(level: str, employee: Employee, year: int, city: str,
                perspektif: str = "") -> list[dict[str, Any]]:
    return [{"aspek": aspek if level != "JPT" else "kuantitas",
             "text": _fill(text, employee, year, city), "target_min": low, "target_max": high,
             "target_text": "", "satuan": unit,
             "perspektif": perspektif if level == "JPT" else ""}
            for aspek, text, low, high, unit in LEVELS[level][1]]


def _lampiran(employee: Employee, year: int, city: str) -> dict[str, list[str]]:
    return {key: [_fill(item, employee, year, city) for item in items]
            for key, items in LAMPIRAN.items()}


class _Clock:
    """Moments a few hours apart from early January on, so the history reads in order."""

    def __init__(self, wf: Workflow, year: int) -> None:
        self._wf = wf
        self._moments: Iterator[datetime] = (
            datetime(year, 1, 2, 1, 0, tzinfo=UTC) + timedelta(minutes=20 * i)
            for i in range(100_000))

    def __call__(self) -> Workflow:
        return _at(self._wf, next(self._moments))


def plan_year(session: Session, wf: Workflow, agency: Agency, year: int) -> None:
    """Create and set the agency's SKPs for ``year``, cascading from its top down."""
    people = list(session.scalars(select(Employee).where(Employee.agency_id == agency.id,
                                                         Employee.active)))
    below: dict[int, list[Employee]] = {}
    for person in people:
        if person.superior_id is not None:
            below.setdefault(person.superior_id, []).append(person)
    admin = next(e for e in people if any(g.slug == "admin" for g in e.groups))
    top = next(e for e in people if e.superior_id is None and below.get(e.id))
    city = agency.city or agency.name
    t = _Clock(wf, year)

    # The top of the agency: her own results, set by the admin on her behalf.
    me = Actor.of(top)
    skp = create_skp(session, t(), me, year=year, pendekatan="kuantitatif",
                     jenis_jabatan="JPT")
    save_content(session, t(), me, skp.id, {
        "rhk": [{"jenis": "utama", "text": text.format(city=city), "parent_id": None,
                 "klasifikasi": "", "perspektif": perspektif,
                 "indicators": [{"aspek": "kuantitas", "text": indicator, "target_min": low,
                                 "target_max": high, "target_text": "", "satuan": unit,
                                 "perspektif": perspektif}]}
                for text, indicator, low, high, unit, perspektif in TOP_RESULTS],
        "lampiran": _lampiran(top, year, city)}, None)
    save_content(session, t(), me, skp.id, {"expectations": EXPECTATIONS}, None)
    fire_skp_transition(session, t(), me, skp.id, "ajukan")
    fire_skp_transition(session, t(), Actor.of(admin), skp.id, "tetapkan",
                        "Ditetapkan atas nama pimpinan instansi.")
    _cascade(session, t, top, skp, below, year, city)


def _cascade(session: Session, t: _Clock, leader: Employee, leader_skp: Skp,
             below: dict[int, list[Employee]], year: int, city: str) -> None:
    """Share the leader's set results out to her subordinates, then plan each of theirs."""
    if leader.jabatan == UNDER_WAY:
        return  # planning still under way: her staff have no SKP yet
    boss = Actor.of(leader)
    results = sorted((r for r in leader_skp.rhk if r.jenis == "utama"),
                     key=lambda r: r.position)[:2]
    staff = sorted(below.get(leader.id, []), key=lambda e: e.id)
    for n, subordinate in enumerate(staff):
        # Leaders carry both results down; staff one each, in turn.
        given = results if below.get(subordinate.id) else [results[n % len(results)]]
        for rhk in given:
            assign_result(session, t(), boss, rhk.id, subordinate.id)
        skp = session.scalar(select(Skp).where(Skp.employee_id == subordinate.id,
                                               Skp.year == year))
        assert skp is not None
        # Each level words a result by which of the leader's two it cascades from.
        order = {r.id: k for k, r in enumerate(results)}
        level = ("JPT" if subordinate.jenis_jabatan == "JPT" else
                 "JA" if below.get(subordinate.id) else "JF")
        _refine(session, t, subordinate, skp, level, order, year, city)
        save_content(session, t(), boss, skp.id, {"expectations": EXPECTATIONS}, None)
        fire_skp_transition(session, t(), boss, skp.id, "tetapkan")
        if below.get(subordinate.id):
            _cascade(session, t, subordinate, skp, below, year, city)


def _refine(session: Session, t: _Clock, employee: Employee, skp: Skp, level: str,
            order: dict[int, int], year: int, city: str) -> None:
    """The subordinate words the assigned results her way (``level``: a JPT, a head of bidang
    or staff; ``order``: which of the leader's results each parent is), adds indicators and
    targets and a result of her own (tambahan), and submits."""
    me = Actor.of(employee)
    document = content_of(skp)
    wording = LEVELS[level][0]
    rhk = []
    for item in document["rhk"]:
        k = order.get(item.get("parent_id") or 0, 0)
        rhk.append({**item, "text": _fill(wording[k % 2], employee, year, city),
                    "perspektif": "", "indicators": _indicators(
                        level, employee, year, city,
                        ("penerima_layanan", "proses_bisnis")[k % 2])})
    text, indicator, low, high, unit = OWN_RESULT
    rhk.append({"jenis": "tambahan", "text": _fill(text, employee, year, city),
                "parent_id": None, "klasifikasi": "", "perspektif": "",
                "indicators": [{"aspek": "kuantitas", "text": indicator, "target_min": low,
                                "target_max": high, "target_text": "", "satuan": unit,
                                "perspektif": ""}]})
    save_content(session, t(), me, skp.id, {"rhk": rhk, "lampiran": _lampiran(
        employee, year, city)}, None)
    fire_skp_transition(session, t(), me, skp.id, "ajukan")
