"""One validator of employees: the CSV import and the admin's employee form refuse the same
things with the same words; the import reads Excel's files (``;``, and names a wrong encoding)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import ORG_HEADER
from tests.conftest import World
from tests.conftest import nip
from tests.conftest import org_rows
from tests.web.conftest import login
from workflow.models import Agency
from workflow.models import Employee

# (what the admin posts besides the person's own values, CSV row columns, expected problem)
CASES = {
    "golongan_not_pns": ({"golongan": "ZZZ"}, {"golongan": "ZZZ"},
                         "golongan 'ZZZ' tidak sah untuk PNS"),
    "pns_golongan_for_pppk": ({"golongan": "III/b", "asn_type": "PPPK"},
                              {"golongan": "III/b", "jenis_asn": "PPPK"},
                              "golongan 'III/b' tidak sah untuk PPPK"),
    "bad_nip": ({"nip": "123"}, {"nip": "123"}, "NIP harus 18 digit"),
}


def _admin_post(person: Employee, superior: Employee | None, **changes: str) -> dict[str, str]:
    data = {"nip": person.nip, "name": person.name, "jabatan": person.jabatan,
            "pangkat": person.pangkat, "golongan": person.golongan,
            "unit_kerja": person.unit_kerja, "asn_type": person.asn_type,
            "superior": str(superior.id) if superior else "__None", "active": "y"}
    return {**data, **changes}


def _csv_row(person: Employee, superior: Employee | None, **changes: str) -> str:
    row = {"nip": person.nip, "nama": person.name, "jabatan": person.jabatan,
           "pangkat": person.pangkat, "golongan": person.golongan,
           "unit_kerja": person.unit_kerja, "jenis_asn": person.asn_type,
           "nip_atasan": superior.nip if superior else "", "grup": ""}
    row.update(changes)
    return ORG_HEADER + ",".join(row[c] for c in ORG_HEADER.strip().split(",")) + "\n"


@pytest.mark.parametrize("case", sorted(CASES))
def test_admin_form_and_csv_refuse_the_same_employee(client: FlaskClient, session: Session,
                                                     two: tuple[World, World],
                                                     case: str) -> None:
    """The admin's employee form applies the import's rules (it saved golongan "ZZZ")."""
    a, _ = two
    login(client, a.people["kepala"])
    person, superior = a.people["pegawai"], a.people["penilai"]
    before = (person.nip, person.name, person.golongan, person.asn_type)
    admin_changes, csv_changes, expected = CASES[case]
    page = client.post(f"/admin/employee/edit/?id={person.id}",
                       data=_admin_post(person, superior, **admin_changes),
                       follow_redirects=True).get_data(as_text=True)
    assert expected.replace("'", "&#39;") in page, page
    session.expire_all()
    row = session.get(Employee, person.id)
    assert row is not None and (row.nip, row.name, row.golongan, row.asn_type) == before
    response = client.post("/admin/impor-pegawai/", data={"file": (io.BytesIO(
        _csv_row(person, superior, **csv_changes).encode()), "o.csv")},
        content_type="multipart/form-data")
    assert expected.replace("'", "&#39;") in response.get_data(as_text=True)


def test_admin_form_accepts_a_pppk_golongan(client: FlaskClient, session: Session,
                                            two: tuple[World, World]) -> None:
    """A PPPK's golongan is I–XVII; the admin saves it."""
    a, _ = two
    login(client, a.people["kepala"])
    person = a.people["pegawai2"]
    response = client.post(f"/admin/employee/edit/?id={person.id}", data=_admin_post(
        person, a.people["penilai"], golongan="XI"))
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Employee, person.id).golongan == "XI"


def test_csv_refuses_text_longer_than_its_column(session: Session, two: tuple[World, World],
                                                 client: FlaskClient) -> None:
    """A 201-character name is a problem of its row (PostgreSQL refused it with a 500)."""
    a, _ = two
    login(client, a.people["kepala"])
    person = a.people["pegawai"]
    page = client.post("/admin/impor-pegawai/", data={"file": (io.BytesIO(_csv_row(
        person, a.people["penilai"], nama="N" * 201, unit_kerja="U" * 201).encode()), "o.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "baris 2: kolom &#39;nama&#39; paling banyak 200 karakter" in page
    assert "baris 2: kolom &#39;unit_kerja&#39; paling banyak 200 karakter" in page


def test_admin_form_refuses_a_reporting_loop(client: FlaskClient, session: Session,
                                             two: tuple[World, World]) -> None:
    """Making the head report to her own subordinate is a loop, named as the import names it."""
    a, _ = two
    login(client, a.people["kepala"])
    head = a.people["kepala"]
    page = client.post(f"/admin/employee/edit/?id={head.id}", data=_admin_post(
        head, a.people["pegawai"]), follow_redirects=True).get_data(as_text=True)
    assert "rantai atasan berputar" in page
    session.expire_all()
    assert session.get(Employee, head.id).superior_id is None


def _excel(text: str) -> str:
    """The same chart as Excel saves it with Indonesian settings: ``;`` between columns."""
    lines = []
    for line in text.splitlines():
        cells = line.split(",")
        lines.append(";".join(f'"{c}"' if ";" in c else c for c in cells))
    return "\r\n".join(lines) + "\r\n"


CP1252 = ORG_HEADER + f"{nip(1)},Kepala Dinas,,,,Sekretariat,PNS,,\n{nip(2)},Andr\xe9,,,,,PNS,,\n"


def test_admin_import_reads_semicolons_and_names_the_encoding(client: FlaskClient,
                                                              session: Session,
                                                              two: tuple[World, World]) -> None:
    """An Excel file with ``;`` imports; a Windows-1252 file is refused naming row and byte."""
    a, _ = two
    login(client, a.people["kepala"])
    rows = org_rows().replace("Analis,", "Analis;Muda,")  # a value holding ';' stays one cell
    rows = rows.replace(",III/d,", ",IV/d,")
    response = client.post("/admin/impor-pegawai/", data={"file": (io.BytesIO(
        ("\ufeff" + _excel(rows)).encode()), "o.csv")}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Employee, a.people["pegawai"].id).jabatan == "Analis;Muda"
    assert session.get(Employee, a.people["penilai"].id).golongan == "IV/d"
    page = client.post("/admin/impor-pegawai/", data={"file": (io.BytesIO(
        CP1252.encode("cp1252")), "o.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "baris 3: berkas bukan UTF-8 (byte 0xE9" in page, page


def test_cli_import_reads_semicolons_and_names_the_encoding(app: Flask, session: Session,
                                                            tmp_path: Path) -> None:
    """The CLI reads the same files the page reads, and says the same, without a traceback."""
    excel = tmp_path / "excel.csv"
    excel.write_text(_excel(org_rows()), encoding="utf-8-sig")
    result = app.test_cli_runner().invoke(args=["org", "import", str(excel), "--agency",
                                                "kota-kupang", "--name", "Kota Kupang"])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count()).select_from(Employee)) == len(
        org_rows().strip().splitlines()) - 1  # every row but the header
    ansi = tmp_path / "ansi.csv"
    ansi.write_bytes(CP1252.encode("cp1252"))
    result = app.test_cli_runner().invoke(args=["org", "import", str(ansi), "--agency",
                                                "kota-kupang"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "baris 3: berkas bukan UTF-8 (byte 0xE9" in result.output
    assert "Traceback" not in result.output
    assert session.scalar(select(func.count()).select_from(Agency)) == 1
