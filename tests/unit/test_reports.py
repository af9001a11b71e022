"""Tests of the reports that render no PDF: digests, verification codes, the resource fetcher,
refusals and import cost. The rendered documents are tested in
``tests/integration/test_report_pdfs.py``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reports import render
from reports.snapshot import snapshot_digest
from reports.verification import make_code
from reports.verification import normalize_code
from tests.report_samples import SECRET
from tests.report_samples import SITI
from tests.report_samples import WIB
from tests.report_samples import code_for
from tests.report_samples import make_snapshot
from tests.report_samples import pdf_for

REPO = Path(__file__).resolve().parents[2]


def test_appeal_decision_requires_an_appeal() -> None:
    """Rendering a decision letter for an evaluation without an appeal is refused."""
    with pytest.raises(ValueError, match="appeal"):
        pdf_for("appeal-decision", make_snapshot())


def test_fetcher_serves_static_files_and_data_uris() -> None:
    """Files under reports/static and data: URIs are served by the restricted fetcher."""
    fetcher = render.StaticOnlyFetcher()
    css = fetcher.fetch((render.STATIC_DIR / "print.css").as_uri())
    assert b"@page" in css.read()
    data = fetcher.fetch("data:text/plain;base64,aGFsbw==")
    assert data.read() == b"halo"
    with pytest.raises(render.ForbiddenResourceError):
        fetcher.fetch((render.STATIC_DIR / ".." / "render.py").as_uri())


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
