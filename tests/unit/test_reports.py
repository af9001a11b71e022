"""Tests of the PDF reports: content, escaping, pagination, verification codes, bulk export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from weasyprint.urls import FatalURLFetchingError

from reports import bulk
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
from reports.verification import normalize_code
from reports.verification import qr_svg

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "pdf"
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


def doc_text(pdf: bytes) -> str:
    """Extract the whole document's text with pypdf, whitespace collapsed."""
    return " ".join(pages_text(pdf))


def pages_text(pdf: bytes) -> list[str]:
    """Extract each page's text with pypdf, whitespace collapsed."""
    reader = PdfReader(io.BytesIO(pdf))
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in reader.pages]


def layout_text(pdf: bytes, tmp_path: Path) -> str:
    """Extract text with ``pdftotext -layout``, whitespace collapsed."""
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True, text=True
    ).stdout
    return re.sub(r"\s+", " ", out)


@pytest.fixture(name="appeal_snapshot")
def _appeal_snapshot() -> DocumentSnapshot:
    """Return a snapshot whose evaluation went through a decided appeal."""
    after = make_appeal().rating_after
    assert after is not None
    return make_snapshot(
        appeal=make_appeal(),
        rating_hasil_kerja=after.hasil_kerja,
        rating_perilaku_kerja=after.perilaku_kerja,
        predikat=after.predikat,
    )


def test_evaluation_document_shows_identities_ratings_and_code(tmp_path: Path) -> None:
    """The evaluation PDF prints all three identity blocks, ratings, predikat and the code."""
    snapshot = make_snapshot()
    pdf = pdf_for("evaluation", snapshot)
    text = doc_text(pdf)
    for expected in (
        "DOKUMEN EVALUASI KINERJA PEGAWAI",
        "PERIODE: AKHIR (TAHUNAN)",
        "PERIODE PENILAIAN: 1 JANUARI 2026 SD 31 DESEMBER 2026",
        "Siti Rahmawati, S.Kom.",
        "198703152010012003",
        "Penata Tk. I (III/d)",
        "Analis Kepegawaian Ahli Muda",
        "Drs. Budi Santoso, M.Si.",
        "ATASAN PEJABAT PENILAI KINERJA",
        "Dr. Hendra Wijaya, S.H., M.H.",
        "RATING HASIL KERJA SESUAI EKSPEKTASI",
        "RATING PERILAKU KERJA DI ATAS EKSPEKTASI",
        "PREDIKAT KINERJA PEGAWAI BAIK",
        "Pegawai yang Dinilai,",
        "Pejabat Penilai Kinerja,",
        "Bandung, 20 November 2026",
        code_for("evaluation", snapshot),
    ):
        assert expected in text
    assert re.search(r"Halaman 1 dari [2-9]", text)
    assert "Pegawai yang Dinilai, Pejabat Penilai Kinerja," in layout_text(pdf, tmp_path)


def test_superior_signs_only_when_an_appeal_exists(
    appeal_snapshot: DocumentSnapshot,
) -> None:
    """The superior's signature caption appears with an appeal and is absent without one."""
    without = doc_text(pdf_for("evaluation", make_snapshot()))
    with_appeal = doc_text(pdf_for("evaluation", appeal_snapshot))
    caption = "Atasan Pejabat Penilai Kinerja,"
    assert caption not in without
    assert "ATASAN PEJABAT PENILAI KINERJA" in without  # identity block stays
    assert caption in with_appeal


def test_skp_document_has_plan_tables_and_lampiran() -> None:
    """The SKP PDF shows the plan, BerAKHLAK guides and the three Lampiran headings."""
    snapshot = make_snapshot()
    text = doc_text(pdf_for("skp", snapshot))
    for expected in (
        "SASARAN KINERJA PEGAWAI",
        "PENDEKATAN HASIL KERJA KUANTITATIF",
        "RENCANA HASIL KERJA ATASAN YANG DIINTERVENSI",
        "INDIKATOR KINERJA INDIVIDU",
        "A. UTAMA",
        "B. TAMBAHAN",
        "Berorientasi Pelayanan",
        "Tidak menyalahgunakan kewenangan jabatan",
        "EKSPEKTASI KHUSUS PIMPINAN",
        "LAMPIRAN SASARAN KINERJA PEGAWAI",
        "DUKUNGAN SUMBER DAYA",
        "SKEMA PERTANGGUNGJAWABAN",
        "KONSEKUENSI",
        "198703152010012003",
        "Pegawai yang Dinilai,",
        "Pejabat Penilai Kinerja,",
        code_for("skp", snapshot),
    ):
        assert expected in text
    assert "REALISASI" not in text
    assert "Atasan Pejabat Penilai Kinerja," not in text


def test_appeal_decision_shows_blocks_ratings_and_finality(
    appeal_snapshot: DocumentSnapshot,
) -> None:
    """The decision letter has the three blocks, before/after ratings and the finality clause."""
    text = doc_text(pdf_for("appeal-decision", appeal_snapshot))
    for expected in (
        "KEPUTUSAN ATASAN PEJABAT PENILAI KINERJA",
        "KEBERATAN",
        "PENJELASAN PEJABAT PENILAI KINERJA ATAS KEBERATAN",
        "HASIL EVALUASI KINERJA DIUBAH",
        "SEBELUM KEBERATAN",
        "SETELAH KEPUTUSAN",
        "BUTUH PERBAIKAN",
        "Di bawah ekspektasi",
        "Siti Rahmawati, S.Kom.",
        "Dr. Hendra Wijaya, S.H., M.H.",
        "196811051994031004",
        "Atasan Pejabat Penilai Kinerja,",
        "Bandung, 20 Januari 2027",
        "bersifat final",
        "Pasal 59 ayat (4)",
        code_for("appeal-decision", appeal_snapshot),
    ):
        assert expected in text


def test_appeal_decision_requires_an_appeal() -> None:
    """Rendering a decision letter for an evaluation without an appeal is refused."""
    with pytest.raises(ValueError, match="appeal"):
        pdf_for("appeal-decision", make_snapshot())


def test_audit_trail_lists_every_event_with_hashes() -> None:
    """The audit-trail PDF lists each history entry, its hash and the chain head."""
    snapshot = make_snapshot()
    text = doc_text(pdf_for("audit-trail", snapshot))
    compact = text.replace(" ", "")
    assert "JEJAK AUDIT EVALUASI KINERJA PEGAWAI" in text
    for entry in snapshot.history:
        assert entry.action in text
        assert entry.hash in compact
    assert "ajukan_keberatan" in text
    assert "HASH KEPALA RANTAI" in text
    assert snapshot.chain_head_hash in compact
    assert code_for("audit-trail", snapshot) in text


def test_user_text_is_escaped_and_never_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Markup in a name prints literally and the renderer opens no network connection."""
    connections: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        connections.append(args)
        raise OSError("network disabled in test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    evil = "<b>x</b><img src=http://evil>"
    snapshot = make_snapshot(employee=dataclasses.replace(SITI, name=evil))
    html = render.render_html("evaluation", snapshot, verification_code="X", verify_url=VERIFY_URL)
    assert "<img src=http://evil>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;&lt;img src=http://evil&gt;" in html
    text = doc_text(render.write_pdf_from_html(html))
    assert evil in text
    assert connections == []


def test_fetcher_refuses_remote_and_foreign_files() -> None:
    """A template referencing a remote or non-static file aborts the rendering."""
    for url in ("http://evil.example/x.png", "https://evil.example/x.png", "file:///etc/passwd"):
        with pytest.raises(FatalURLFetchingError) as caught:
            render.write_pdf_from_html(f'<p>a</p><img src="{url}">')
        assert isinstance(caught.value.__cause__, render.ForbiddenResourceError)


def test_fetcher_serves_static_files_and_data_uris() -> None:
    """Files under reports/static and data: URIs are served by the restricted fetcher."""
    fetcher = render.StaticOnlyFetcher()
    css = fetcher.fetch((render.STATIC_DIR / "print.css").as_uri())
    assert b"@page" in css.read()
    data = fetcher.fetch("data:text/plain;base64,aGFsbw==")
    assert data.read() == b"halo"
    with pytest.raises(render.ForbiddenResourceError):
        fetcher.fetch((render.STATIC_DIR / ".." / "render.py").as_uri())


def test_long_work_results_table_repeats_header_on_next_page() -> None:
    """A 60-row work-results table spans pages and repeats its column headers."""
    snapshot = make_snapshot(plan_results=make_work_results(60))
    pages = pages_text(pdf_for("skp", snapshot))
    assert len(pages) > 2
    assert "INDIKATOR KINERJA INDIVIDU" in pages[0]
    assert "INDIKATOR KINERJA INDIVIDU" in pages[1]
    assert "(baris 60)" in " ".join(pages)


def test_digest_and_code_follow_printed_content() -> None:
    """Changing a printed field changes digest and code; changing issued_at changes neither."""
    snapshot = make_snapshot()
    renamed = make_snapshot(employee=dataclasses.replace(SITI, nip="198703152010012004"))
    reissued = make_snapshot(issued_at=dt.datetime(2027, 2, 1, tzinfo=WIB))
    assert snapshot_digest(snapshot, "evaluation") != snapshot_digest(renamed, "evaluation")
    assert code_for("evaluation", snapshot) != code_for("evaluation", renamed)
    assert snapshot_digest(snapshot, "evaluation") == snapshot_digest(reissued, "evaluation")
    assert code_for("evaluation", snapshot) != code_for("skp", snapshot)


def test_skp_digest_ignores_realisation() -> None:
    """The SKP digest ignores realisation, which the SKP does not print."""
    snapshot = make_snapshot()
    realised = make_snapshot(
        work_results=tuple(
            dataclasses.replace(w, realisasi="0 dokumen") for w in snapshot.work_results
        )
    )
    assert snapshot_digest(snapshot, "skp") == snapshot_digest(realised, "skp")
    assert snapshot_digest(snapshot, "evaluation") != snapshot_digest(realised, "evaluation")


def test_code_is_short_typable_and_checkable() -> None:
    """The code has four groups of four unambiguous characters and survives retyping."""
    code = code_for("evaluation", make_snapshot())
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)
    digest = snapshot_digest(make_snapshot(), "evaluation")
    head = make_snapshot().chain_head_hash
    assert normalize_code(code.lower().replace("-", " ").replace("0", "O")) == code
    assert make_code("evaluation", digest, head, SECRET) == code
    assert make_code("evaluation", digest, head, b"other-secret") != code


def test_qr_code_is_drawn_in_the_pdf(tmp_path: Path) -> None:
    """The QR data URI renders as dark modules in the rasterised PDF."""
    html = f'<img src="{qr_svg(VERIFY_URL)}" style="width:60mm;height:60mm">'
    source = tmp_path / "qr.pdf"
    source.write_bytes(render.write_pdf_from_html(html))
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(source), str(tmp_path / "q")], check=True)
    (image,) = tmp_path.glob("q*.png")
    with Image.open(image) as picture:
        histogram = picture.convert("L").histogram()
    assert sum(histogram[:100]) > 1000


@pytest.mark.parametrize("kind", ["evaluation", "skp", "appeal-decision", "audit-trail"])
def test_every_kind_rasterises_to_png(kind: str, appeal_snapshot: DocumentSnapshot) -> None:
    """Each document kind rasterises with pdftoppm into non-trivial PNGs for visual review."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTIFACTS / kind
    for old in ARTIFACTS.glob(f"{kind}-*.png"):
        old.unlink()
    pdf = ARTIFACTS / f"{kind}.pdf"
    pdf.write_bytes(pdf_for(kind, appeal_snapshot))
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(stem)], check=True)
    pngs = sorted(ARTIFACTS.glob(f"{kind}-*.png"))
    assert pngs
    assert all(p.stat().st_size > 10_000 for p in pngs)


def test_pdf_embeds_no_serif_font(tmp_path: Path) -> None:
    """The footer margin boxes use DejaVu Sans, so no Serif face is embedded."""
    assert shutil.which("pdffonts"), "poppler-utils is missing: `make test` installs it"
    source = tmp_path / "e.pdf"
    source.write_bytes(pdf_for("evaluation", make_snapshot()))
    fonts = subprocess.run(
        ["pdffonts", str(source)], check=True, capture_output=True, text=True
    ).stdout
    assert "DejaVu-Sans" in fonts
    assert "Serif" not in fonts


def test_bulk_export_keeps_going_after_a_failure(tmp_path: Path) -> None:
    """Six jobs on two workers, one broken, give a ZIP of five PDFs and one error."""
    snapshot = make_snapshot()
    jobs: list[tuple[str, str, Any, str, str]] = [
        (f"evaluasi-{i}.pdf", "evaluation", snapshot, code_for("evaluation", snapshot), VERIFY_URL)
        for i in range(5)
    ]
    jobs.insert(2, ("rusak.pdf", "evaluation", {"not": "a snapshot"}, "X", VERIFY_URL))
    seen: list[tuple[int, int, str | None]] = []
    out = tmp_path / "ekspor.zip"
    result = bulk.export_zip(
        jobs, out, workers=2, progress=lambda done, total, err: seen.append((done, total, err))
    )
    assert result.ok_count == 5
    assert [name for name, _ in result.errors] == ["rusak.pdf"]
    assert "DocumentSnapshot" in result.errors[0][1]
    with zipfile.ZipFile(out) as archive:
        names = sorted(archive.namelist())
        assert names == [f"evaluasi-{i}.pdf" for i in range(5)]
        assert all(archive.read(n).startswith(b"%PDF-") for n in names)
    assert [done for done, _, _ in seen] == [1, 2, 3, 4, 5, 6]
    assert {total for _, total, _ in seen} == {6}
    assert sum(err is not None for _, _, err in seen) == 1


def test_importing_snapshots_does_not_load_weasyprint() -> None:
    """Code that only builds snapshots or checks codes does not pay for WeasyPrint."""
    probe = (
        "import sys, reports, reports.snapshot, reports.verification; "
        "print('weasyprint' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "False"


def test_unknown_kind_is_rejected() -> None:
    """Asking for a document kind that does not exist fails loudly in digest and render."""
    with pytest.raises(ValueError, match="kind"):
        snapshot_digest(make_snapshot(), "sertifikat")
    with pytest.raises(ValueError, match="kind"):
        render.render_pdf("sertifikat", make_snapshot(), verification_code="X", verify_url="u")
