"""Believable report snapshots (an annual evaluation of Siti, rated by Budi, appealed to
Hendra) and their verification codes, shared by the unit and integration report tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from reports import render
from reports.snapshot import AppealSnapshot
from reports.snapshot import Behaviour
from reports.snapshot import DocumentSnapshot
from reports.snapshot import HistoryEntry
from reports.snapshot import Person
from reports.snapshot import RatingSet
from reports.snapshot import WorkResult
from reports.snapshot import snapshot_digest
from reports.verification import make_code

SECRET = b"rahasia-uji-verifikasi"
VERIFY_URL = "https://kinerja.bandung.go.id/verifikasi"
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")

SITI = Person(
    name="Siti Rahmawati, S.Kom.",
    nip="198703152010012003",
    pangkat_golongan="Penata Tk. I (III/d)",
    jabatan="Analis Kepegawaian Ahli Muda",
    unit_kerja="Bagian Organisasi",
)
BUDI = Person(
    name="Drs. Budi Santoso, M.Si.",
    nip="197504122000031002",
    pangkat_golongan="Pembina (IV/a)",
    jabatan="Kepala Bagian Organisasi",
    unit_kerja="Sekretariat Daerah",
)
HENDRA = Person(
    name="Dr. Hendra Wijaya, S.H., M.H.",
    nip="196811051994031004",
    pangkat_golongan="Pembina Utama Muda (IV/c)",
    jabatan="Asisten Administrasi Umum",
    unit_kerja="Sekretariat Daerah",
)

BERAKHLAK = (
    (
        "Berorientasi Pelayanan",
        (
            "Memahami dan memenuhi kebutuhan masyarakat",
            "Ramah, cekatan, solutif, dan dapat diandalkan",
            "Melakukan perbaikan tiada henti",
        ),
    ),
    (
        "Akuntabel",
        (
            "Melaksanakan tugas dengan jujur, bertanggung jawab, cermat, disiplin dan "
            "berintegritas tinggi",
            "Menggunakan kekayaan dan barang milik negara secara bertanggung jawab, efektif, "
            "dan efisien",
            "Tidak menyalahgunakan kewenangan jabatan",
        ),
    ),
    (
        "Kompeten",
        (
            "Meningkatkan kompetensi diri untuk menjawab tantangan yang selalu berubah",
            "Membantu orang lain belajar",
            "Melaksanakan tugas dengan kualitas terbaik",
        ),
    ),
    (
        "Harmonis",
        (
            "Menghargai setiap orang apapun latar belakangnya",
            "Suka menolong orang lain",
            "Membangun lingkungan kerja yang kondusif",
        ),
    ),
    (
        "Loyal",
        (
            "Memegang teguh ideologi Pancasila, UUD 1945, setia kepada NKRI serta pemerintahan "
            "yang sah",
            "Menjaga nama baik sesama ASN, Pimpinan, Instansi, dan Negara",
            "Menjaga rahasia jabatan dan negara",
        ),
    ),
    (
        "Adaptif",
        (
            "Cepat menyesuaikan diri menghadapi perubahan",
            "Terus berinovasi dan mengembangkan kreativitas",
            "Bertindak proaktif",
        ),
    ),
    (
        "Kolaboratif",
        (
            "Memberi kesempatan kepada berbagai pihak untuk berkontribusi",
            "Terbuka dalam bekerja sama untuk menghasilkan nilai tambah",
            "Menggerakkan pemanfaatan berbagai sumberdaya untuk tujuan bersama",
        ),
    ),
)


def make_work_results(count: int = 4) -> tuple[WorkResult, ...]:
    """Build *count* believable indicator rows, the last quarter of them 'tambahan'."""
    aspects = ("Kuantitas", "Kualitas", "Waktu")
    rows = []
    for i in range(count):
        tambahan = i >= count - max(1, count // 4)
        rows.append(
            WorkResult(
                jenis="tambahan" if tambahan else "utama",
                rhk_atasan="Terwujudnya tata kelola kelembagaan perangkat daerah yang efektif",
                rencana_hasil_kerja=(
                    f"Tersusunnya analisis jabatan dan beban kerja unit {i + 1}"
                    if not tambahan
                    else f"Terlaksananya pendampingan reformasi birokrasi tahap {i + 1}"
                ),
                aspek=aspects[i % 3],
                indikator=f"Jumlah dokumen anjab-ABK yang diselesaikan (baris {i + 1})",
                target=f"{4 + i % 5} dokumen",
                realisasi=f"{4 + i % 5} dokumen telah ditetapkan",
                bukti_dukung=f"https://arsip.bandung.go.id/anjab/{i + 1}",
            )
        )
    return tuple(rows)


def make_history() -> tuple[HistoryEntry, ...]:
    """Build a short hash chain from draft to a decided appeal."""
    steps = [
        (SITI, "Pegawai", "ajukan", None, "submitted", "Realisasi dan bukti dukung lengkap."),
        (BUDI, "Pejabat Penilai Kinerja", "nilai", "submitted", "reviewed", ""),
        (SITI, "Pegawai", "ajukan_keberatan", "reviewed", "appealed", "Keberatan atas predikat"),
        (HENDRA, "Atasan Pejabat Penilai", "putuskan", "appealed", "finalized", "Diubah."),
    ]
    entries = []
    for seq, (who, role, action, src, dst, comment) in enumerate(steps, start=1):
        entries.append(
            HistoryEntry(
                seq=seq,
                at=dt.datetime(2027, 1, 5 + seq * 3, 9, 30, tzinfo=WIB),
                actor_name=who.name,
                actor_nip=who.nip,
                role=role,
                action=action,
                from_state=src,
                to_state=dst,
                comment=comment,
                hash=f"{seq:02x}" * 32,
            )
        )
    return tuple(entries)


def make_appeal() -> AppealSnapshot:
    """Build a decided objection whose predicate went from Butuh Perbaikan to Baik."""
    return AppealSnapshot(
        filed_at=dt.datetime(2027, 1, 12, 10, 0, tzinfo=WIB),
        items=("Rating Hasil Kerja", "Predikat Kinerja Pegawai"),
        alasan="Realisasi penyusunan anjab-ABK 6 dari 6 dokumen belum diperhitungkan.",
        penjelasan_penilai="Bukti dukung dokumen ke-6 baru diunggah setelah penilaian.",
        penjelasan_pegawai="Dokumen ke-6 ditetapkan 20 Desember 2026, sebelum batas waktu.",
        decided_at=dt.datetime(2027, 1, 20, 15, 0, tzinfo=WIB),
        keputusan="diubah",
        pertimbangan="Bukti dukung sah dan bertanggal dalam periode penilaian.",
        decider=HENDRA,
        rating_before=RatingSet(
            hasil_kerja="Di bawah ekspektasi",
            perilaku_kerja="Sesuai ekspektasi",
            predikat="Butuh Perbaikan",
        ),
        rating_after=RatingSet(
            hasil_kerja="Sesuai ekspektasi",
            perilaku_kerja="Sesuai ekspektasi",
            predikat="Baik",
        ),
    )


def make_snapshot(**changes: Any) -> DocumentSnapshot:
    """Build a realistic annual evaluation snapshot; keyword arguments replace fields."""
    base = DocumentSnapshot(
        evaluation_id=4217,
        agency_name="Pemerintah Kota Bandung",
        period_label="Tahun 2026",
        period_line="AKHIR (TAHUNAN)",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        place="Bandung",
        employee=SITI,
        appraiser=BUDI,
        appraiser_superior=HENDRA,
        capaian_organisasi="Baik",
        rating_hasil_kerja="Sesuai ekspektasi",
        rating_perilaku_kerja="Di atas ekspektasi",
        predikat="Baik",
        catatan_rekomendasi="Ikut pelatihan analisis beban kerja tingkat lanjut pada 2027.",
        work_results=make_work_results(),
        behaviours=tuple(
            Behaviour(
                value=value,
                guides=guides,
                ekspektasi_khusus="Menjadi rujukan rekan kerja dalam penyusunan anjab.",
                umpan_balik="Sudah konsisten sepanjang tahun.",
            )
            for value, guides in BERAKHLAK
        ),
        appeal=None,
        history=make_history(),
        state="finalized",
        issued_at=dt.datetime(2026, 11, 23, 8, 0, tzinfo=WIB),
        chain_head_hash="04" * 32,
        lampiran_dukungan=("Akses aplikasi SIASN", "Pelatihan anjab-ABK"),
        lampiran_skema=("Laporan triwulanan kepada Kepala Bagian Organisasi",),
        lampiran_konsekuensi=("Predikat kinerja menjadi dasar tunjangan kinerja",),
        plan_results=make_work_results(),
        umpan_balik_hasil_kerja="Pimpinan: hasil sudah sesuai, pertahankan ketepatan waktu.",
        signed_at=dt.datetime(2026, 11, 20, 9, 0, tzinfo=WIB),
        skp_signed_at=dt.datetime(2026, 1, 12, 9, 0, tzinfo=WIB),
    )
    return dataclasses.replace(base, **changes)


def code_for(kind: str, snapshot: DocumentSnapshot) -> str:
    """Return the verification code a document of *kind* would carry."""
    return make_code(kind, snapshot_digest(snapshot, kind), snapshot.chain_head_hash, SECRET)


def pdf_for(kind: str, snapshot: DocumentSnapshot) -> bytes:
    """Render *kind* for *snapshot* with its own verification code."""
    return render.render_pdf(
        kind, snapshot, verification_code=code_for(kind, snapshot), verify_url=VERIFY_URL
    )
