"""The admin records a period's organisation achievement: form, errors, isolation, CSRF."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.web.conftest import admin_events
from tests.web.conftest import login
from workflow.models import Period

DASAR = "Keputusan Wali Kota Nomor 800/12/2026 tanggal 5 Januari 2026"


def period_of(world: World) -> Period:
    return world.evaluations["pegawai"].period


def test_admin_records_the_achievement(client: FlaskClient, session: Session,
                                       two: tuple[World, World]) -> None:
    a, _ = two
    login(client, a.people["kepala"])
    period = period_of(a)
    form = client.get(f"/admin/capaian-organisasi/{period.id}").get_data(as_text=True)
    assert 'name="capaian"' in form and 'value="ISTIMEWA"' in form and 'name="dasar"' in form
    response = client.post(f"/admin/capaian-organisasi/{period.id}",
                           data={"capaian": "ISTIMEWA", "dasar": DASAR})
    assert response.status_code == 302
    session.expire_all()
    stored = session.get(Period, period.id)
    assert stored is not None
    assert (stored.capaian_organisasi, stored.capaian_dasar) == ("ISTIMEWA", DASAR)
    assert admin_events(session, "period_capaian") == 1
    listing = client.get("/admin/period/").get_data(as_text=True)
    assert "Istimewa" in listing and "Catat…" in listing
    assert "annual" not in listing  # the period kind is shown by its label (Tahunan)


def test_bad_input_shows_errors_and_changes_nothing(client: FlaskClient, session: Session,
                                                    two: tuple[World, World]) -> None:
    a, _ = two
    login(client, a.people["kepala"])
    period = period_of(a)
    for data, message in (
            ({"capaian": "LUAR_BIASA", "dasar": DASAR},
             "Pilih salah satu dari lima capaian organisasi."),
            ({"capaian": "BAIK", "dasar": "   "}, "Dasar penetapan (nomor dan tanggal"),
            ({"capaian": "BAIK", "dasar": "x" * 201}, "paling panjang 200 karakter")):
        response = client.post(f"/admin/capaian-organisasi/{period.id}", data=data)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    client.get("/bahasa/en")
    refresh()  # the fixtures keep one app context open: reset Flask-Babel's locale cache
    english = client.post(f"/admin/capaian-organisasi/{period.id}",
                          data={"capaian": "BAIK", "dasar": ""})
    assert english.status_code == 200
    assert "The basis (number and date of the decision) is required." in english.get_data(
        as_text=True)
    session.expire_all()
    stored = session.get(Period, period.id)
    assert stored is not None and stored.capaian_organisasi is None
    assert admin_events(session, "period_capaian") == 0


def test_other_agency_and_non_admin_are_refused(client: FlaskClient, session: Session,
                                                two: tuple[World, World]) -> None:
    a, b = two
    login(client, a.people["kepala"])
    theirs = period_of(b)
    assert client.get(f"/admin/capaian-organisasi/{theirs.id}").status_code == 404
    assert client.post(f"/admin/capaian-organisasi/{theirs.id}",
                       data={"capaian": "BAIK", "dasar": DASAR}).status_code == 404
    client.post("/keluar")
    login(client, a.people["pegawai"])
    assert client.post(f"/admin/capaian-organisasi/{period_of(a).id}",
                       data={"capaian": "BAIK", "dasar": DASAR}).status_code == 403
    session.expire_all()
    assert session.get(Period, theirs.id).capaian_organisasi is None
    assert session.get(Period, period_of(a).id).capaian_organisasi is None
    assert admin_events(session, "period_capaian") == 0


def test_csrf_is_required(app: Flask, session: Session, two: tuple[World, World]) -> None:
    a, _ = two
    client = app.test_client()
    login(client, a.people["kepala"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/admin/capaian-organisasi/{period_of(a).id}",
                               data={"capaian": "BAIK", "dasar": DASAR})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert admin_events(session, "period_capaian") == 0


def test_admin_records_a_units_achievement_and_sees_the_penetapan(
        client: FlaskClient, session: Session, two: tuple[World, World]) -> None:
    a, b = two
    login(client, a.people["kepala"])
    period = period_of(a)
    page = client.get(f"/admin/capaian-organisasi/{period.id}").get_data(as_text=True)
    assert 'name="unit_kerja"' in page and '<option value="Bidang A"' in page
    assert "Penetapan predikat kinerja" in page
    bad = client.post(f"/admin/capaian-organisasi/{period.id}/unit",
                      data={"unit_kerja": "Bidang A", "capaian": "BAIK", "dasar": " "})
    assert bad.status_code == 200 and "Dasar penetapan (nomor dan tanggal" in bad.get_data(
        as_text=True)
    assert admin_events(session, "unit_capaian") == 0
    response = client.post(f"/admin/capaian-organisasi/{period.id}/unit",
                           data={"unit_kerja": "Bidang A", "capaian": "KURANG", "dasar": DASAR})
    assert response.status_code == 302
    assert admin_events(session, "unit_capaian") == 1
    page = client.get(f"/admin/capaian-organisasi/{period.id}").get_data(as_text=True)
    row = page[page.index('<th scope="row">Bidang A</th>'):]
    row = row[:row.index("</tr>")]
    assert "Kurang" in row and DASAR in row
    # Another agency's period, or a unit without employees: nothing recorded.
    assert client.post(f"/admin/capaian-organisasi/{period_of(b).id}/unit",
                       data={"unit_kerja": "Bidang A", "capaian": "BAIK",
                             "dasar": DASAR}).status_code == 404
    client.post(f"/admin/capaian-organisasi/{period.id}/unit",
                data={"unit_kerja": "Tidak Ada", "capaian": "BAIK", "dasar": DASAR})
    assert admin_events(session, "unit_capaian") == 1
