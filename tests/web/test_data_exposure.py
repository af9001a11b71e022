"""Personal data where it belongs only: no-store on every dynamic response, every CSV safe to
open in a spreadsheet, the public address from configuration (never the Host header), export
files readable by their owner only."""

from __future__ import annotations

import ast
import csv
import io
import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import ROOT
from tests.conftest import api_token
from tests.web.conftest import login
from web import create_app
from web.config import DEVELOPMENT_BASE_URL
from web.documents import public_base_url
from workflow.spreadsheets import FORMULA_START
from workflow.spreadsheets import csv_writer
from workflow.spreadsheets import safe_cell

FORMULA = '=HYPERLINK("http://evil.example/x","Klik")'


# --- Cache-Control ----------------------------------------------------------------------------


def test_pages_with_personal_data_are_not_stored(client: FlaskClient, two: Any,
                                                 session: Session) -> None:
    """Pages, the admin, the audit CSV, API answers and errors: ``no-store``."""
    a, _b = two
    ev = a.evaluations["pegawai"]
    login(client, a.people["kepala"])
    for path in ("/evaluasi/", f"/evaluasi/{ev.id}", "/audit/", f"/audit/evaluasi/{ev.id}",
                 "/audit/ekspor.csv", "/dasbor/", "/admin/", "/admin/employee/",
                 "/evaluasi/999999"):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert "no-store" in response.headers.get("Cache-Control", ""), path
    token = api_token(session, a.people["pegawai"], "t")
    session.commit()
    response = client.get(f"/api/v1/evaluations/{ev.id}",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(client: FlaskClient) -> None:
    """Only CSS, scripts and fonts may be cached."""
    response = client.get("/static/app.css")
    response.close()
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


# --- CSV --------------------------------------------------------------------------------------


@pytest.mark.parametrize("start", FORMULA_START)
def test_formula_leading_cells_are_neutralised(start: str) -> None:
    """Every formula start becomes text; other cells and non-strings are unchanged."""
    assert safe_cell(f"{start}1+1") == f"'{start}1+1"
    assert safe_cell("Pegawai Satu") == "Pegawai Satu"
    assert safe_cell(5) == 5
    out = io.StringIO()
    csv_writer(out).writerow([f"{start}cmd", "ok"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [f"'{start}cmd", "ok"]


def test_activation_codes_csv_neutralises_names(app: Flask, session: Session,
                                                two: Any, tmp_path: Path) -> None:
    """An imported name that is a formula is written as text in the codes file."""
    a, _b = two
    person = a.people["pegawai"]
    person.name = FORMULA
    person.unit_kerja = "@SUM(A1)"
    session.commit()
    out = tmp_path / "kode.csv"
    result = app.test_cli_runner().invoke(args=[
        "users", "activation-codes", "--agency", a.agency.slug, "--nip", person.nip,
        "--out", str(out)])
    assert result.exit_code == 0, result.output
    [row] = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert row["nama"] == "'" + FORMULA
    assert row["unit_kerja"] == "'@SUM(A1)"


def test_audit_csv_neutralises_names(client: FlaskClient, session: Session, two: Any) -> None:
    """The audit export: an actor or employee named like a formula is text."""
    a, _b = two
    a.people["kepala"].name = FORMULA
    session.commit()
    login(client, a.people["kepala"])
    raw = client.get("/audit/ekspor.csv").get_data().decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(raw)) for cell in row]
    assert not any(cell.startswith(FORMULA_START) for cell in cells)


def test_every_csv_writer_is_the_safe_one() -> None:
    """No application module builds a ``csv.writer``/``DictWriter`` itself: all go through
    ``workflow.spreadsheets.csv_writer``. (``demo/seed.py`` writes the org chart the demo
    imports in memory, and ``workflow/org_files.py`` turns an uploaded XLSX into the CSV text
    the import reads, in memory too: neither is a file anyone opens.)"""
    allowed = {ROOT / "workflow" / "spreadsheets.py", ROOT / "demo" / "seed.py",
               ROOT / "workflow" / "org_files.py"}
    offenders = []
    for package in ("workflow", "forms", "reports", "admin", "web", "l10n", "demo"):
        for path in (ROOT / package).rglob("*.py"):
            if path in allowed:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Attribute) and node.attr in ("writer", "DictWriter")
                        and isinstance(node.value, ast.Name) and node.value.id == "csv"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


# --- the public address -----------------------------------------------------------------------


def _production_app(**config: Any) -> Flask:
    return create_app({"SECRET_KEY": "k", "AUDIT_KEY": "a",
                       "SQLALCHEMY_ENGINES": {"default": "sqlite://"}, **config})


@pytest.mark.parametrize("url", ["", "kinerja.example.go.id", "ftp://kinerja.example.go.id"])
def test_production_refuses_to_start_without_public_base_url(url: str) -> None:
    """Neither DEBUG nor TESTING: no app without an absolute http(s) PUBLIC_BASE_URL."""
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        _production_app(PUBLIC_BASE_URL=url)


def test_production_starts_with_public_base_url() -> None:
    app = _production_app(PUBLIC_BASE_URL="https://kinerja.example.go.id")
    with app.test_request_context("/", base_url="http://evil.example"):
        assert public_base_url() == "https://kinerja.example.go.id"
    assert _production_app(DEBUG=True).debug  # development may leave it out


def test_the_host_header_never_becomes_the_public_address(app: Flask, client: FlaskClient,
                                                          two: Any) -> None:
    """Without PUBLIC_BASE_URL (tests, development) the fixed development address is used,
    not the Host the client sent — on the activation slips too."""
    app.config["PUBLIC_BASE_URL"] = ""
    with app.test_request_context("/", base_url="http://evil.example"):
        assert public_base_url() == DEVELOPMENT_BASE_URL
    a, _b = two
    login(client, a.people["kepala"])
    page = client.post("/admin/akses-akun/kode", data={
        "employee": [str(a.people["pegawai"].id)], "days": "7"},
        headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" not in page
    assert DEVELOPMENT_BASE_URL in page


# --- files ------------------------------------------------------------------------------------


def test_export_zip_is_owner_only(tmp_path: Path) -> None:
    """The export ZIP is created 0600, even over an older world-readable file."""
    from reports.bulk import export_zip  # here: it loads WeasyPrint

    path = tmp_path / "ekspor.zip"
    path.write_bytes(b"")
    path.chmod(0o644)
    export_zip([], path, workers=1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_activation_codes_csv_is_owner_only(app: Flask, two: Any, tmp_path: Path) -> None:
    a, _b = two
    out = tmp_path / "kode.csv"
    result = app.test_cli_runner().invoke(args=[
        "users", "activation-codes", "--agency", a.agency.slug, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

