"""Account access in the browser: the admin's codes page, activation, changing the password."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import World
from tests.web.conftest import PASSWORD
from tests.web.conftest import login
from workflow.accounts import password_matches
from workflow.models import ActivationCode
from workflow.models import Employee
from workflow.models import HistoryEvent

NEW_PASSWORD = "kata-sandi-baru-1"
CODE = re.compile(r'data-nip="(\d{18})">([A-Z2-9-]{14})<')


@pytest.fixture(autouse=True)
def _own_contexts(own_contexts: None) -> None:
    """Several people act in each test here (see ``own_contexts``)."""


def issue_codes(client: FlaskClient, *people: Employee, days: str = "7") -> dict[str, str]:
    """Post the admin's form; return NIP → code read off the slips page."""
    response = client.post("/admin/akses-akun/kode",
                           data={"employee": [str(p.id) for p in people], "days": days})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Cache-Control"] == "no-store"
    assert "http://localhost/aktivasi" in response.get_data(as_text=True)  # where to use it
    return dict(CODE.findall(response.get_data(as_text=True)))


def code_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ActivationCode)) or 0


def test_admin_issues_a_code_and_the_employee_activates_her_account(
        app: Flask, session: Session, two: tuple[World, World]) -> None:
    a, _ = two
    pegawai = a.people["pegawai"]
    pegawai.password_hash = None
    session.commit()
    admin = app.test_client()
    login(admin, a.people["kepala"])
    page = admin.get("/admin/akses-akun/").get_data(as_text=True)
    assert pegawai.nip in page and "Belum punya akses" in page
    codes = issue_codes(admin, pegawai)
    assert list(codes) == [pegawai.nip]
    slips = admin.get("/admin/akses-akun/?state=code").get_data(as_text=True)
    assert pegawai.nip in slips and codes[pegawai.nip] not in slips  # shown once only

    phone = app.test_client()
    assert "Aktifkan akun" in phone.get("/masuk").get_data(as_text=True)
    assert phone.get("/aktivasi").status_code == 200
    response = phone.post("/aktivasi", data={
        "nip": pegawai.nip, "code": codes[pegawai.nip].lower(), "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/masuk")
    session.expire_all()
    activated = session.get(Employee, pegawai.id)
    assert activated is not None and password_matches(activated, NEW_PASSWORD)
    # Hashed with the app's configured method (the tests' cheap scrypt), not a built-in one.
    assert (activated.password_hash or "").startswith(f"{CHEAP_HASH}$")
    assert phone.post("/masuk", data={"nip": pegawai.nip,
                                      "password": NEW_PASSWORD}).status_code == 302
    assert phone.get("/evaluasi/").status_code == 200


def test_activation_form_errors_change_nothing(app: Flask, session: Session,
                                               two: tuple[World, World]) -> None:
    a, _ = two
    pegawai = a.people["pegawai"]
    admin = app.test_client()
    login(admin, a.people["kepala"])
    code = issue_codes(admin, pegawai)[pegawai.nip]
    client = app.test_client()
    cases = [
        ({"nip": "123", "code": code, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
         400, "18 digit"),
        ({"nip": pegawai.nip, "code": code, "password": NEW_PASSWORD,
          "password_again": "lain-sekali-1"}, 400, "tidak sama"),
        ({"nip": pegawai.nip, "code": code, "password": f"a{pegawai.nip}",
          "password_again": f"a{pegawai.nip}"}, 400, "tidak boleh memuat NIP"),
        ({"nip": pegawai.nip, "code": "AAAA-BBBB-CCCC", "password": NEW_PASSWORD,
          "password_again": NEW_PASSWORD}, 401, "kode aktivasi salah"),
    ]
    for data, status, message in cases:
        response = client.post("/aktivasi", data=data)
        assert response.status_code == status, data
        assert message in response.get_data(as_text=True)
    session.expire_all()
    assert password_matches(session.get(Employee, pegawai.id), PASSWORD)
    assert code_count(session) == 1


def test_codes_page_is_for_the_own_agency_admin_only(app: Flask, session: Session,
                                                    two: tuple[World, World]) -> None:
    a, b = two
    admin = app.test_client()
    login(admin, a.people["kepala"])
    page = admin.get("/admin/akses-akun/").get_data(as_text=True)
    assert a.people["pegawai"].nip in page and b.people["pegawai"].nip not in page
    # Another agency's id, alone or mixed in: refused, nothing issued.
    for ids in ([b.people["pegawai"].id], [a.people["pegawai"].id, b.people["pegawai"].id]):
        response = admin.post("/admin/akses-akun/kode",
                              data={"employee": [str(i) for i in ids], "days": "7"})
        assert response.status_code == 302
    for data in ({"employee": [str(a.people["pegawai"].id)], "days": "500"}, {"days": "7"}):
        assert admin.post("/admin/akses-akun/kode", data=data).status_code == 302
    # Not an id at all: refused before the view by the input rules (web/inputs.py).
    assert admin.post("/admin/akses-akun/kode", data={"employee": ["x"],
                                                      "days": "7"}).status_code == 400
    assert code_count(session) == 0
    clerk = app.test_client()
    login(clerk, a.people["penilai"])
    assert clerk.get("/admin/akses-akun/").status_code == 403
    assert clerk.post("/admin/akses-akun/kode", data={
        "employee": [str(a.people["pegawai"].id)]}).status_code == 403
    assert code_count(session) == 0


def test_forms_need_csrf(app: Flask, session: Session, two: tuple[World, World]) -> None:
    a, _ = two
    admin = app.test_client()
    login(admin, a.people["kepala"])
    employee = app.test_client()
    login(employee, a.people["pegawai"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        issued = admin.post("/admin/akses-akun/kode",
                            data={"employee": [str(a.people["pegawai"].id)], "days": "7"})
        activated = app.test_client().post("/aktivasi", data={
            "nip": a.people["pegawai"].nip, "code": "AAAA-BBBB-CCCC",
            "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
        changed = employee.post("/akun/kata-sandi", data={
            "current_password": PASSWORD, "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert issued.status_code == 400
    assert activated.status_code == 400 and changed.status_code == 400
    assert code_count(session) == 0
    session.expire_all()
    assert password_matches(session.get(Employee, a.people["pegawai"].id), PASSWORD)


def test_changing_the_password_ends_other_sessions(app: Flask, session: Session,
                                                   two: tuple[World, World]) -> None:
    a, _ = two
    pegawai = a.people["pegawai"]
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, pegawai)
    login(phone, pegawai)
    wrong = phone.post("/akun/kata-sandi", data={
        "current_password": "salah-sekali", "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD})
    assert wrong.status_code == 400 and "Kata sandi saat ini salah" in wrong.get_data(
        as_text=True)
    response = phone.post("/akun/kata-sandi", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 302
    assert phone.get("/evaluasi/").status_code == 200  # this session goes on
    assert laptop.get("/evaluasi/").status_code == 302  # the other one has ended
    assert session.scalars(select(HistoryEvent.trigger).where(
        HistoryEvent.actor_nip == pegawai.nip, HistoryEvent.kind == "auth").order_by(
            HistoryEvent.id)).all()[-1] == (
        "password_changed")


def test_pages_in_english(app: Flask, two: tuple[World, World]) -> None:
    a, _ = two
    client = app.test_client()
    client.set_cookie("lang", "en")
    response = client.post("/aktivasi", data={
        "nip": a.people["pegawai"].nip, "code": "AAAA-BBBB-CCCC", "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD})
    assert response.status_code == 401
    assert "Wrong NIP or activation code" in response.get_data(as_text=True)
