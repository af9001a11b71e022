"""Log-in, log-out, throttling and the history of both."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import World
from workflow.accounts import set_password
from workflow.models import HistoryEvent
from workflow.models import utcnow
from workflow.service import Workflow

PASSWORD = "rahasia-kinerja-123"


def login(client: FlaskClient, nip: str, password: str = PASSWORD) -> int:
    return client.post("/masuk", data={"nip": nip, "password": password}).status_code


def test_login_logout_are_recorded(client: FlaskClient, session: Session, world: World) -> None:
    """A successful log-in and a log-out each append an auth event to the agency chain."""
    employee = world.people["pegawai"]
    set_password(employee, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    assert login(client, employee.nip) == 302
    assert client.get("/evaluasi/").status_code == 200
    assert client.post("/keluar").status_code == 302
    assert client.get("/evaluasi/").status_code == 302  # back to the log-in page
    triggers = session.scalars(select(HistoryEvent.trigger).where(
        HistoryEvent.kind == "auth").order_by(HistoryEvent.id)).all()
    assert triggers == ["login", "logout"]


def test_wrong_password_is_refused_and_recorded(client: FlaskClient, session: Session,
                                                world: World) -> None:
    """A wrong password gives 401 with a message that does not reveal which part was wrong."""
    employee = world.people["pegawai"]
    set_password(employee, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    response = client.post("/masuk", data={"nip": employee.nip, "password": "salah-sekali"})
    assert response.status_code == 401
    assert "NIP atau kata sandi salah" in response.get_data(as_text=True)
    assert session.scalar(select(HistoryEvent.trigger).where(
        HistoryEvent.trigger == "login_failed")) == "login_failed"


def test_repeated_failures_lock_the_nip(app: Flask, client: FlaskClient, session: Session,
                                        world: World) -> None:
    """After five failures from one address even the right password is refused there for a
    while (other addresses: tests/web/test_throttling.py)."""
    employee = world.people["pegawai"]
    set_password(employee, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, employee.nip, "salah-sekali") == 401
    response = client.post("/masuk", data={"nip": employee.nip, "password": PASSWORD})
    assert response.status_code == 401
    assert "Terlalu banyak percobaan" in response.get_data(as_text=True)


def test_unknown_nip_gets_the_same_message(client: FlaskClient, world: World) -> None:
    """An unknown NIP is refused exactly like a wrong password."""
    response = client.post("/masuk", data={"nip": "199901012020011001", "password": "x" * 9})
    assert response.status_code == 401
    assert "NIP atau kata sandi salah" in response.get_data(as_text=True)


def test_malformed_nip_is_a_form_error(client: FlaskClient) -> None:
    """A NIP that is not 18 digits is refused by the form."""
    response = client.post("/masuk", data={"nip": "12ab", "password": "whatever1"})
    assert response.status_code == 400
    assert "18 digit" in response.get_data(as_text=True)


def test_open_redirect_is_refused(client: FlaskClient, session: Session, world: World) -> None:
    """A `next` pointing to another site is ignored after log-in."""
    employee = world.people["pegawai"]
    set_password(employee, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    response = client.post("/masuk?next=//evil.example/x",
                           data={"nip": employee.nip, "password": PASSWORD})
    assert response.headers["Location"].endswith("/evaluasi/")


def test_csrf_is_enforced(app: Flask, world: World) -> None:
    """With CSRF on (as in production) a log-in post without the token is refused."""
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post("/masuk", data={"nip": world.people["pegawai"].nip,
                                                      "password": PASSWORD})
    assert response.status_code == 400


def test_an_idle_session_ends(app: Flask, session: Session, wf: Workflow, world: World,
                              own_contexts: None) -> None:
    """After the idle lifetime without a page view the session cookie is refused (server-side
    check of the signed cookie's age, by the app's clock), and each page view restarts it."""
    employee = world.people["pegawai"]
    set_password(employee, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=30)
    # From the real now on (the test client drops cookies whose Expires has passed for real).
    moment = [utcnow().replace(microsecond=0)]
    app.extensions["workflow"] = replace(wf, clock=lambda: moment[0])
    client = app.test_client()
    assert login(client, employee.nip) == 302
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None  # not a browser-session cookie
    assert cookie.expires == moment[0] + timedelta(minutes=30)
    for _ in range(3):  # active use: 87 minutes in all, never 30 idle
        moment[0] += timedelta(minutes=29)
        assert client.get("/evaluasi/").status_code == 200
    moment[0] += timedelta(minutes=29, seconds=59)
    assert client.get("/evaluasi/").status_code == 200  # one second short of the limit
    moment[0] += timedelta(minutes=30, seconds=1)
    response = client.get("/evaluasi/")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]


def test_only_page_views_renew_the_session(app: Flask, session: Session, world: World,
                                           own_contexts: None) -> None:
    """A page view renews the cookie; a 404 or a file does not, so a response to a request
    sent before log-out cannot set the old session again."""
    employee = world.people["pegawai"]
    set_password(employee, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    client = app.test_client()
    assert login(client, employee.nip) == 302
    page = client.get("/evaluasi/")
    assert page.status_code == 200 and "session=" in page.headers.get("Set-Cookie", "")
    for path in ("/tidak-ada", "/static/app.css"):
        response = client.get(path)
        response.close()  # a static file is streamed from disk
        assert "Set-Cookie" not in response.headers, path
