"""A new agency from the browser (issue 16 item 7): the super-admin (created by the CLI)
creates the agency and its first admin; the flow editor starts from ``extends: default`` and
publishes overlays; the org chart is imported from ``;`` CSV or XLSX."""

from __future__ import annotations

import html
import io
import re

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.conftest import nip
from tests.web.conftest import PASSWORD
from tests.web.conftest import login
from workflow.models import Agency
from workflow.models import DefinitionVersion
from workflow.models import Employee
from workflow.models import HistoryEvent
from workflow.service import definition_of

SUPER_NIP = "197001012000011001"
ADMIN_NIP = "198502022010012002"


def _superadmin(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=[
        "users", "create-superadmin", SUPER_NIP, "--name", "Pengelola Sistem",
        "--password", PASSWORD])
    assert result.exit_code == 0, result.output


def _create(client: FlaskClient, **changes: str) -> tuple[int, str]:
    data = {"name": "Pemerintah Kabupaten Contoh", "slug": "kab-contoh", "city": "Contoh",
            "timezone": "Asia/Jayapura", "admin_nip": ADMIN_NIP, "admin_name": "Admin Contoh",
            "admin_jabatan": "Analis SDM", "admin_unit_kerja": "BKPSDM", **changes}
    response = client.post("/admin/instansi-baru/", data=data)
    return response.status_code, response.get_data(as_text=True)


def test_superadmin_creates_an_agency_and_its_first_admin(
        app: Flask, client: FlaskClient, session: Session, two: tuple[World, World]) -> None:
    a, _ = two
    _superadmin(app)
    # An agency admin is not a super-admin.
    login(client, a.people["kepala"])
    assert client.get("/admin/instansi-baru/").status_code == 403
    client.post("/keluar")
    assert client.get("/admin/instansi-baru/").status_code == 302  # anonymous: log in

    assert client.post("/masuk", data={"nip": SUPER_NIP,
                                       "password": PASSWORD}).status_code == 302
    assert "instansi-baru" in client.get("/admin/").get_data(as_text=True)
    assert "instansi-baru" in client.get("/evaluasi/").get_data(as_text=True)  # app menu
    status, page = _create(client, slug="kota-mataram")
    assert status == 400 and "sudah dipakai" in page
    status, page = _create(client, admin_nip="123")
    assert status == 400 and "18 digit" in page
    assert session.scalar(select(func.count()).select_from(Agency).where(
        Agency.name == "Pemerintah Kabupaten Contoh")) == 0

    status, page = _create(client)
    assert status == 200, page
    code = re.search(r'id="admin-code" data-nip="\d+"[^>]*>([A-Z0-9-]+)<', page)
    assert code is not None, page
    session.expire_all()
    agency = session.scalars(select(Agency).where(Agency.slug == "kab-contoh")).one()
    admin = session.scalars(select(Employee).where(Employee.nip == ADMIN_NIP)).one()
    assert admin.agency_id == agency.id and [g.slug for g in admin.groups] == ["admin"]
    version = session.scalars(select(DefinitionVersion).where(
        DefinitionVersion.agency_id == agency.id)).one()
    definition = definition_of(session, version.id)
    assert definition.timezone == "Asia/Jayapura"
    assert "review" in [t.name for t in definition.transitions]  # the national flow
    triggers = list(session.scalars(select(HistoryEvent.trigger).where(
        HistoryEvent.agency_id == agency.id).order_by(HistoryEvent.seq)))
    assert triggers == ["agency_created", "definition_published", "activation_issued"]
    client.post("/keluar")

    # The first admin activates her account with the code and gets into her admin.
    response = client.post("/aktivasi", data={"nip": ADMIN_NIP, "code": code.group(1),
                                              "password": PASSWORD, "password_again": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    client.post("/keluar")
    login(client, admin)
    page = client.get("/admin/definition/ubah/").get_data(as_text=True)
    textarea = html.unescape(page.split('spellcheck="false">')[1].split("</textarea>")[0])
    assert textarea.startswith("extends: default\nagency: kab-contoh\n")


def test_flow_editor_publishes_an_overlay_on_the_national_flow(
        client: FlaskClient, session: Session, two: tuple[World, World]) -> None:
    """``extends: default`` plus one step: published merged, shown again as the overlay."""
    a, _ = two
    login(client, a.people["kepala"])
    overlay = (
        "extends: default\nagency: kota-mataram\ntimezone: Asia/Jayapura\n"
        "states: [draft, submitted, verified, reviewed, appealed, appeal_hearing, finalized]\n"
        "transitions:\n"
        "  - name: verify\n    label: Verifikasi bukti dukung\n    from: submitted\n"
        "    to: verified\n    by: appraiser\n"
        "  - name: review\n    label: Nilai\n    from: verified\n    to: reviewed\n"
        "    by: appraiser\n    form: appraiser-rating\n"
        "    guards: [form_complete, not_own_evaluation]\n"
        "    effects: [record_rating, {start_deadline: appeal_window}]\n")
    unknown = overlay.replace("extends: default", "extends: nasional-lama")
    response = client.post("/admin/definition/ubah/", data={"source": unknown})
    assert response.status_code == 400
    assert "nasional-lama" in response.get_data(as_text=True)

    response = client.post("/admin/definition/ubah/", data={"source": overlay})
    assert response.status_code == 302, response.get_data(as_text=True)
    newest = session.scalars(select(DefinitionVersion).where(
        DefinitionVersion.agency_id == a.agency.id).order_by(
        DefinitionVersion.version.desc())).first()
    assert newest is not None
    definition = definition_of(session, newest.id)
    assert "verified" in definition.states and definition.timezone == "Asia/Jayapura"
    assert "appeal" in [t.name for t in definition.transitions]  # kept from default
    page = client.get("/admin/definition/ubah/").get_data(as_text=True)
    assert html.escape("extends: default") in page and "name: verify" in page


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_org_chart_from_xlsx_and_semicolon_csv(client: FlaskClient, session: Session,
                                               two: tuple[World, World]) -> None:
    a, _ = two
    login(client, a.people["kepala"])
    header = ["nip", "nama", "jabatan", "unit_kerja", "nip_atasan"]
    book = _xlsx([header, [nip(301), "Pegawai Excel", "Analis", "Bidang B",
                           a.people["kepala"].nip],
                  [nip(302), "Pegawai Excel Dua", "Pengelola", "Bidang B", nip(301)]])
    response = client.post("/admin/impor-pegawai/", data={
        "file": (io.BytesIO(book), "pegawai.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    excel = session.scalars(select(Employee).where(Employee.nip == nip(302))).one()
    assert excel.superior is not None and excel.superior.nip == nip(301)

    # A NIP stored as a number (Excel keeps 15 digits): refused, nothing imported.
    numeric = _xlsx([header, [int(nip(303)), "Angka", "", "", ""]])
    response = client.post("/admin/impor-pegawai/", data={
        "file": (io.BytesIO(numeric), "angka.xlsx")}, content_type="multipart/form-data")
    assert "tersimpan sebagai angka" in response.get_data(as_text=True)
    assert session.scalar(select(Employee).where(Employee.name == "Angka")) is None

    semicolon = ("nip;nama;jabatan;unit_kerja;nip_atasan\n"
                 f"{nip(304)};Pegawai Titik Koma;Analis;Bidang C;{a.people['kepala'].nip}\n")
    response = client.post("/admin/impor-pegawai/", data={
        "file": (io.BytesIO(semicolon.encode()), "pegawai.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert session.scalar(select(Employee).where(Employee.nip == nip(304))) is not None

    garbage = b"PK\x03\x04 not really a workbook"
    response = client.post("/admin/impor-pegawai/", data={
        "file": (io.BytesIO(garbage), "rusak.xlsx")}, content_type="multipart/form-data")
    assert "tidak terbaca" in response.get_data(as_text=True)
