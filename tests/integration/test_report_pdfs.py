"""The PDF documents as WeasyPrint renders them: content read back, escaping, pagination,
fonts, the QR code, rasterising and the bulk export.

Rendering is the slow part (about a second a document), so each document that several tests
read is rendered once per module (``rendered``); a test that needs its own rendering (e.g.
with the network refused) still renders it itself.
"""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import socket
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from weasyprint.urls import FatalURLFetchingError

from reports import bulk
from reports import render
from reports.snapshot import DocumentSnapshot
from reports.verification import qr_svg
from tests.report_samples import SITI
from tests.report_samples import VERIFY_URL
from tests.report_samples import code_for
from tests.report_samples import make_appeal
from tests.report_samples import make_snapshot
from tests.report_samples import make_work_results
from tests.report_samples import pdf_for

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pdf"

Render = Callable[[str, DocumentSnapshot], bytes]


@pytest.fixture(name="rendered", scope="module")
def _rendered() -> Render:
    """Return ``pdf_for`` remembering its results for the module: equal snapshots of one kind
    are rendered once and the tests read the same bytes."""
    done: dict[tuple[str, DocumentSnapshot], bytes] = {}

    def render_once(kind: str, snapshot: DocumentSnapshot) -> bytes:
        if (kind, snapshot) not in done:
            done[kind, snapshot] = pdf_for(kind, snapshot)
        return done[kind, snapshot]

    return render_once


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


def test_evaluation_document_shows_identities_ratings_and_code(rendered: Render,
                                                               tmp_path: Path) -> None:
    """The evaluation PDF prints all three identity blocks, ratings, predikat and the code."""
    snapshot = make_snapshot()
    pdf = rendered("evaluation", snapshot)
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
    rendered: Render, appeal_snapshot: DocumentSnapshot,
) -> None:
    """The superior's signature caption appears with an appeal and is absent without one."""
    without = doc_text(rendered("evaluation", make_snapshot()))
    with_appeal = doc_text(rendered("evaluation", appeal_snapshot))
    caption = "Atasan Pejabat Penilai Kinerja,"
    assert caption not in without
    assert "ATASAN PEJABAT PENILAI KINERJA" in without  # identity block stays
    assert caption in with_appeal


def test_skp_document_has_plan_tables_and_lampiran(rendered: Render) -> None:
    """The SKP PDF shows the plan, BerAKHLAK guides and the three Lampiran headings."""
    snapshot = make_snapshot()
    text = doc_text(rendered("skp", snapshot))
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
    rendered: Render, appeal_snapshot: DocumentSnapshot,
) -> None:
    """The decision letter has the three blocks, before/after ratings and the finality clause."""
    text = doc_text(rendered("appeal-decision", appeal_snapshot))
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


def test_audit_trail_lists_every_event_with_hashes(rendered: Render) -> None:
    """The audit-trail PDF lists each history entry, its hash and the chain head."""
    snapshot = make_snapshot()
    text = doc_text(rendered("audit-trail", snapshot))
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


def test_long_work_results_table_repeats_header_on_next_page() -> None:
    """A 60-row work-results table spans pages and repeats its column headers."""
    snapshot = make_snapshot(plan_results=make_work_results(60))
    pages = pages_text(pdf_for("skp", snapshot))
    assert len(pages) > 2
    assert "INDIKATOR KINERJA INDIVIDU" in pages[0]
    assert "INDIKATOR KINERJA INDIVIDU" in pages[1]
    assert "(baris 60)" in " ".join(pages)


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
def test_every_kind_rasterises_to_png(kind: str, rendered: Render,
                                      appeal_snapshot: DocumentSnapshot) -> None:
    """Each document kind rasterises with pdftoppm into non-trivial PNGs for visual review."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTIFACTS / kind
    for old in ARTIFACTS.glob(f"{kind}-*.png"):
        old.unlink()
    pdf = ARTIFACTS / f"{kind}.pdf"
    pdf.write_bytes(rendered(kind, appeal_snapshot))
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(stem)], check=True)
    pngs = sorted(ARTIFACTS.glob(f"{kind}-*.png"))
    assert pngs
    assert all(p.stat().st_size > 10_000 for p in pngs)


def test_pdf_embeds_no_serif_font(rendered: Render, tmp_path: Path) -> None:
    """The footer margin boxes use DejaVu Sans, so no Serif face is embedded."""
    assert shutil.which("pdffonts"), "poppler-utils is missing: `make test` installs it"
    source = tmp_path / "e.pdf"
    source.write_bytes(rendered("evaluation", make_snapshot()))
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
