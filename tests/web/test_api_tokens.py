"""API tokens as credentials: scope, expiry, revocation (CLI, admin, password change), the
history of issue and revocation, and a last use written at most every few minutes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import api_token
from tests.web.conftest import PASSWORD
from tests.web.conftest import login
from workflow.history import verify_chain
from workflow.models import ApiToken
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.models import utcnow
from workflow.service import Workflow

NEW_PASSWORD = "kata-sandi-baru-1"


@pytest.fixture(autouse=True)
def _own_contexts(own_contexts: None) -> None:
    """Several clients act in each test here (see ``own_contexts``)."""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def status_of(client: FlaskClient, token: str, path: str = "/api/v1/evaluations") -> int:
    return client.get(path, headers=bearer(token)).status_code


def events(session: Session, trigger: str) -> list[HistoryEvent]:
    session.expire_all()
    return list(session.scalars(select(HistoryEvent).where(HistoryEvent.trigger == trigger)
                                .order_by(HistoryEvent.id)))


@pytest.fixture(name="clock")
def _clock(app: Flask, wf: Workflow) -> list[datetime]:
    moment = [utcnow().replace(microsecond=0)]
    app.extensions["workflow"] = replace(wf, clock=lambda: moment[0])
    return moment


def test_a_token_expires(client: FlaskClient, session: Session, two: tuple[World, World],
                         clock: list[datetime]) -> None:
    a, _ = two
    token = api_token(session, a.people["pegawai"], days=1)
    session.commit()
    clock[0] += timedelta(days=1, seconds=-1)
    assert status_of(client, token) == 200
    clock[0] += timedelta(seconds=2)
    response = client.get("/api/v1/evaluations", headers=bearer(token))
    assert response.status_code == 401 and "kedaluwarsa" in response.get_json()["message"]


def test_a_read_only_token_cannot_act(client: FlaskClient, session: Session,
                                      two: tuple[World, World]) -> None:
    a, _ = two
    evaluation = a.evaluations["pegawai"]
    token = api_token(session, a.people["pegawai"], scope="read")
    session.commit()
    assert status_of(client, token, f"/api/v1/evaluations/{evaluation.id}") == 200
    response = client.post(f"/api/v1/evaluations/{evaluation.id}/transitions/submit",
                           headers=bearer(token),
                           json={"data": SELF, "version": evaluation.lock_version})
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    session.expire_all()
    fresh = session.get(Evaluation, evaluation.id)
    assert fresh is not None and fresh.status == "draft"


def test_a_token_for_one_named_transition_does_only_that(
        client: FlaskClient, session: Session, two: tuple[World, World]) -> None:
    a, _ = two
    evaluation = a.evaluations["pegawai"]
    token = api_token(session, a.people["pegawai"], scope="transition:submit")
    session.commit()
    assert status_of(client, token, f"/api/v1/evaluations/{evaluation.id}") == 403  # no read
    path = f"/api/v1/evaluations/{evaluation.id}/transitions/"
    body = {"data": SELF, "version": evaluation.lock_version}
    assert client.post(path + "appeal", headers=bearer(token), json=body).status_code == 403
    response = client.post(path + "submit", headers=bearer(token), json=body)
    assert response.status_code == 200, response.get_json()


def test_cli_issues_lists_and_revokes_tokens_in_the_history(
        app: Flask, client: FlaskClient, session: Session, wf: Workflow,
        two: tuple[World, World]) -> None:
    a, _ = two
    runner = app.test_cli_runner()
    nip = a.people["pegawai"].nip
    bad = runner.invoke(args=["users", "token", nip, "--scope", "read hapus-semua"])
    assert bad.exit_code == 1 and "hapus-semua" in bad.output
    bad = runner.invoke(args=["users", "token", nip, "--days", "400"])
    assert bad.exit_code == 1 and "1–365" in bad.output
    result = runner.invoke(args=["users", "token", nip, "--name", "sinkron SIASN",
                                 "--scope", "read", "--days", "30"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert status_of(client, token) == 200
    row = session.scalars(select(ApiToken)).one()
    assert row.scope == "read" and row.expires_at - row.created_at == timedelta(days=30)
    listing = runner.invoke(args=["users", "tokens", "--agency", "kota-mataram"])
    assert listing.exit_code == 0 and f"{row.id}\t{nip}\tsinkron SIASN\tread" in listing.output
    assert token not in listing.output
    other = runner.invoke(args=["users", "tokens", "--agency", "kota-kupang"])
    assert nip not in other.output
    revoked = runner.invoke(args=["users", "revoke-token", str(row.id)])
    assert revoked.exit_code == 0, revoked.output
    assert status_of(client, token) == 401
    assert str(row.id) not in runner.invoke(
        args=["users", "tokens", "--agency", "kota-mataram"]).output
    assert "dicabut" in runner.invoke(
        args=["users", "tokens", "--agency", "kota-mataram", "--all"]).output
    (issued,) = events(session, "token_issued")
    (gone,) = events(session, "token_revoked")
    assert issued.payload["nip"] == nip and issued.payload["token_id"] == row.id
    assert issued.payload["scope"] == "read" and issued.actor_role == "system"
    assert gone.payload["token_id"] == row.id
    assert token not in str(issued.payload)
    assert verify_chain(session, wf.audit_key, a.agency).ok


def test_admin_issues_lists_and_revokes_tokens(app: Flask, session: Session,
                                              two: tuple[World, World]) -> None:
    a, b = two
    admin, api = app.test_client(), app.test_client()
    login(admin, a.people["kepala"])
    response = admin.post("/admin/sesi-token/terbitkan", data={
        "nip": a.people["pegawai"].nip, "name": "dasbor", "scope": ["read"], "days": "7"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    token = page.split('id="new-token">')[1].split("<")[0]
    assert token.startswith("pk_") and status_of(api, token) == 200
    row = session.scalars(select(ApiToken)).one()
    listing = admin.get("/admin/sesi-token/").get_data(as_text=True)
    assert "dasbor" in listing and token not in listing
    # Not for another agency's employee, nor with an unknown scope; nothing is issued.
    admin.post("/admin/sesi-token/terbitkan", data={
        "nip": b.people["pegawai"].nip, "scope": ["read"], "days": "7"})
    admin.post("/admin/sesi-token/terbitkan", data={
        "nip": a.people["pegawai"].nip, "scope": ["semua"], "days": "7"})
    assert len(session.scalars(select(ApiToken)).all()) == 1
    # Another agency's admin cannot revoke it.
    other = app.test_client()
    login(other, b.people["kepala"])
    other.post(f"/admin/sesi-token/cabut/{row.id}")
    assert status_of(api, token) == 200
    assert admin.post(f"/admin/sesi-token/cabut/{row.id}").status_code == 302
    assert status_of(api, token) == 401
    (gone,) = events(session, "token_revoked")
    assert gone.actor_nip == a.people["kepala"].nip and gone.actor_role == "admin"
    # Issuing needs the admin.
    employee = app.test_client()
    login(employee, a.people["pegawai"])
    assert employee.post("/admin/sesi-token/terbitkan", data={
        "nip": a.people["pegawai"].nip, "scope": ["read"], "days": "7"}).status_code == 403


def test_a_password_change_offers_to_revoke_the_tokens(
        app: Flask, session: Session, two: tuple[World, World]) -> None:
    a, _ = two
    pegawai = a.people["pegawai"]
    kept, revoked = (api_token(session, pegawai, name=n) for n in ("kept", "revoked"))
    session.commit()
    client, api = app.test_client(), app.test_client()
    login(client, pegawai)
    form = client.get("/akun/kata-sandi").get_data(as_text=True)
    assert 'name="revoke_tokens"' in form and "checked" in form  # offered, ticked
    assert client.post("/akun/kata-sandi", data={  # box unticked: tokens stay
        "current_password": PASSWORD, "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD}).status_code == 302
    assert status_of(api, kept) == 200 and status_of(api, revoked) == 200
    response = client.post("/akun/kata-sandi", data={
        "current_password": NEW_PASSWORD, "password": PASSWORD, "password_again": PASSWORD,
        "revoke_tokens": "y"}, follow_redirects=True)
    assert "2 token API akun ini dicabut" in response.get_data(as_text=True)
    assert status_of(api, kept) == 401 and status_of(api, revoked) == 401
    assert len(events(session, "token_revoked")) == 2
    assert 'name="revoke_tokens"' not in client.get("/akun/kata-sandi").get_data(as_text=True)


def test_the_last_use_is_written_at_most_every_five_minutes(
        client: FlaskClient, session: Session, two: tuple[World, World],
        clock: list[datetime]) -> None:
    a, _ = two
    token = api_token(session, a.people["pegawai"])
    session.commit()
    first = clock[0]
    assert status_of(client, token) == 200
    for _ in range(4):
        clock[0] += timedelta(minutes=1)
        assert status_of(client, token) == 200
    session.expire_all()
    assert session.scalars(select(ApiToken.last_used_at)).one() == first  # reads, no writes
    clock[0] += timedelta(minutes=1)
    assert status_of(client, token) == 200
    session.expire_all()
    assert session.scalars(select(ApiToken.last_used_at)).one() == clock[0]
