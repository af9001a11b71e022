"""Sessions that end on the server: log-out, password change, the admin's and the CLI's "end all
sessions", and the absolute lifetime (by the app's injected clock, no sleeping)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.web.conftest import login
from workflow.models import HistoryEvent
from workflow.models import utcnow
from workflow.service import Workflow


@pytest.fixture(autouse=True)
def _own_contexts(own_contexts: None) -> None:
    """Several clients act in each test here (see ``own_contexts``)."""


def replay(app: Flask, cookie: str) -> FlaskClient:
    """Return a new client (another machine) carrying a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie, domain="localhost")
    return thief


def on_login_page(client: FlaskClient, path: str = "/evaluasi/") -> bool:
    response = client.get(path)
    return response.status_code == 302 and "/masuk" in response.headers["Location"]


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session", domain="localhost")
    assert cookie is not None
    return cookie.value


def test_a_replayed_cookie_after_logout_gets_the_login_page(
        app: Flask, two: tuple[World, World]) -> None:
    a, _ = two
    client = app.test_client()
    login(client, a.people["pegawai"])
    assert client.get("/evaluasi/").status_code == 200
    copied = session_cookie(client)
    assert replay(app, copied).get("/evaluasi/").status_code == 200  # the copy works now
    assert client.post("/keluar").status_code == 302
    assert on_login_page(replay(app, copied))  # ... and not after log-out
    assert on_login_page(replay(app, copied), "/akun/kata-sandi")


def test_logging_out_ends_the_accounts_other_sessions_too(
        app: Flask, two: tuple[World, World]) -> None:
    a, _ = two
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, a.people["pegawai"])
    login(phone, a.people["pegawai"])
    assert laptop.post("/keluar").status_code == 302
    assert on_login_page(phone)
    login(phone, a.people["pegawai"])  # a new log-in starts a valid session again
    assert phone.get("/evaluasi/").status_code == 200


def test_the_admin_ends_all_sessions_of_one_employee(
        app: Flask, session: Session, two: tuple[World, World]) -> None:
    a, b = two
    admin, laptop, phone, other = (app.test_client() for _ in range(4))
    login(admin, a.people["kepala"])
    login(laptop, a.people["pegawai"])
    login(phone, a.people["pegawai"])
    login(other, a.people["pegawai2"])
    page = admin.get("/admin/sesi-token/")
    assert page.status_code == 200 and "Akhiri semua sesi" in page.get_data(as_text=True)
    response = admin.post("/admin/sesi-token/akhiri-sesi",
                          data={"nip": a.people["pegawai"].nip})
    assert response.status_code == 302
    assert on_login_page(laptop) and on_login_page(phone)
    assert other.get("/evaluasi/").status_code == 200  # someone else's session goes on
    assert admin.get("/admin/").status_code == 200
    event = session.scalars(select(HistoryEvent).where(
        HistoryEvent.trigger == "sessions_ended")).one()
    assert event.actor_nip == a.people["kepala"].nip and event.payload["nip"] == (
        a.people["pegawai"].nip)
    # Another agency's employee is "not found", and nothing changes.
    login(laptop, a.people["pegawai"])
    admin.post("/admin/sesi-token/akhiri-sesi", data={"nip": b.people["pegawai"].nip})
    assert laptop.get("/evaluasi/").status_code == 200
    # Only an admin may do it.
    assert laptop.post("/admin/sesi-token/akhiri-sesi",
                       data={"nip": a.people["pegawai2"].nip}).status_code == 403
    assert other.get("/evaluasi/").status_code == 200


def test_the_cli_ends_all_sessions(app: Flask, session: Session,
                                   two: tuple[World, World]) -> None:
    a, _ = two
    client = app.test_client()
    login(client, a.people["pegawai"])
    result = app.test_cli_runner().invoke(args=["users", "end-sessions", a.people["pegawai"].nip])
    assert result.exit_code == 0, result.output
    assert on_login_page(client)
    event = session.scalars(select(HistoryEvent).where(
        HistoryEvent.trigger == "sessions_ended")).one()
    assert event.actor_role == "system"


def test_a_session_ends_at_its_absolute_lifetime_however_active(
        app: Flask, wf: Workflow, two: tuple[World, World]) -> None:
    """Page views every 20 minutes keep the idle clock fresh, but 12 hours after log-in the
    session is over (by the app's clock)."""
    a, _ = two
    assert app.config["SESSION_ABSOLUTE_LIFETIME"] == timedelta(hours=12)  # the default
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=30)
    # Within a day of the real now: the test client drops cookies whose Expires has passed.
    moment = [utcnow().replace(microsecond=0)]
    app.extensions["workflow"] = replace(wf, clock=lambda: moment[0])
    client = app.test_client()
    login(client, a.people["pegawai"])
    for _ in range(35):  # 11 h 40 min of steady use
        moment[0] += timedelta(minutes=20)
        assert client.get("/evaluasi/").status_code == 200
    moment[0] += timedelta(minutes=19, seconds=59)
    assert client.get("/evaluasi/").status_code == 200  # one second short of 12 hours
    moment[0] += timedelta(seconds=2)
    assert on_login_page(client)
    login(client, a.people["pegawai"])  # logging in again starts a new 12 hours
    assert client.get("/evaluasi/").status_code == 200
