"""The recap for payroll and SIASN (issue 16 item 6): CSV, XLSX and the API read one rule
(``reports.recap``); the API takes only an agency's integration token, which expires and can be
revoked; another agency's recap is not reachable."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.recap import RECAP_COLUMNS
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import api_token
from tests.web.conftest import login
from workflow.actors import Actor
from workflow.integration_tokens import issue_integration_token
from workflow.integration_tokens import revoke_integration_token
from workflow.localtime import local_date
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.models import IntegrationToken
from workflow.models import Period
from workflow.models import utcnow
from workflow.rating import Predikat
from workflow.rating import rating_label
from workflow.service import Workflow
from workflow.service import apply_transition

RATING = {"rating_hasil_kerja": "sesuai", "rating_perilaku_kerja": "di_atas",
          "umpan_balik": "Baik.", "justifikasi": "Target tercapai sesuai rencana."}


def at(wf: Workflow, day: int) -> Workflow:
    moment = datetime(2026, 2, day, 9, 0, tzinfo=UTC)
    return replace(wf, clock=lambda: moment)


def _rate(session: Session, wf: Workflow, w: World, who: str = "pegawai") -> Evaluation:
    ev = w.evaluations[who]
    apply_transition(session, at(wf, 2), w.actor(who), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, 3), w.actor("penilai"), ev.id, "review", data=RATING)
    session.commit()
    return ev


def _integration(session: Session, wf: Workflow, w: World, days: int = 30) -> str:
    issued = issue_integration_token(session, wf.audit_key, Actor.system(w.agency.id),
                                     w.agency, now=utcnow(), name="TPP BPKAD", days=days)
    session.commit()
    return issued.token


def test_recap_csv_and_xlsx_read_back_match_the_database(
        client: FlaskClient, session: Session, wf: Workflow, two: tuple[World, World]) -> None:
    """The admin's CSV and XLSX hold the rated evaluations (not the unrated ones), with the
    database's values; a name that looks like a formula stays text."""
    a, _ = two
    rated = _rate(session, wf, a)
    a.people["pegawai"].name = "=HYPERLINK(\"http://x\",\"klik\")"
    session.commit()
    login(client, a.people["kepala"])
    period = rated.period
    page = client.get(f"/admin/rekap/?period_id={period.id}").get_data(as_text=True)
    assert 'id="rekap"' in page and a.people["pegawai"].nip in page
    assert a.people["pegawai2"].nip not in page  # not rated: not in the recap

    raw = client.get(f"/admin/rekap/{period.id}.csv")
    assert raw.status_code == 200 and raw.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(raw.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == list(RECAP_COLUMNS)
    assert len(rows) == 2
    book = load_workbook(io.BytesIO(client.get(f"/admin/rekap/{period.id}.xlsx").data))
    sheet = book.worksheets[0]
    xlsx_rows = [[c if c is not None else "" for c in r] for r in sheet.iter_rows(values_only=True)]
    assert xlsx_rows[0] == list(RECAP_COLUMNS)
    assert len(xlsx_rows) == 2

    session.refresh(rated)
    person = rated.employee
    set_event = session.scalars(select(HistoryEvent).where(
        HistoryEvent.evaluation_id == rated.id, HistoryEvent.trigger == "review")).one()
    expected = {
        "nip": person.nip, "jenis_asn": person.asn_type, "unit_kerja": person.unit_kerja,
        "jabatan": person.jabatan, "periode": period.label,
        "rating_hasil_kerja": rating_label(str(rated.rating_hasil_kerja)),
        "rating_perilaku_kerja": rating_label(str(rated.rating_perilaku_kerja)),
        "predikat": Predikat(rated.predikat).label, "final": "tidak",
        "tanggal_ditetapkan": local_date(set_event.at, "Asia/Makassar").isoformat(),
    }
    by_csv = dict(zip(rows[0], rows[1], strict=True))
    by_xlsx = dict(zip(xlsx_rows[0], xlsx_rows[1], strict=True))
    for column, value in expected.items():
        assert by_csv[column] == value, column
        assert by_xlsx[column] == value, column
    # A formula-looking name: neutralised in the CSV, a plain text cell in the XLSX.
    assert by_csv["nama"] == "'" + person.name
    assert by_xlsx["nama"] == person.name
    assert sheet.cell(row=2, column=2).data_type == "s"


def test_recap_api_needs_a_live_integration_token(
        app: Flask, client: FlaskClient, session: Session, wf: Workflow,
        two: tuple[World, World]) -> None:
    """An integration token reads its agency's recap; revoked or expired it gets 401; an
    employee's token (even the admin's) and another agency's period are refused."""
    a, b = two
    rated = _rate(session, wf, a)
    token = _integration(session, wf, a)
    auth = {"Authorization": f"Bearer {token}"}
    response = client.get(f"/api/v1/rekap?period_id={rated.period_id}", headers=auth)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [i["nip"] for i in body["items"]] == [rated.employee.nip]
    assert body["items"][0]["predikat"]["value"] == rated.predikat
    periods = client.get("/api/v1/rekap/periode", headers=auth).get_json()["items"]
    assert [p["id"] for p in periods] == [rated.period_id]

    other_period = session.scalar(select(Period).where(Period.agency_id == b.agency.id))
    assert other_period is not None
    assert client.get(f"/api/v1/rekap?period_id={other_period.id}",
                      headers=auth).status_code == 404
    # The integration token reads nothing else.
    assert client.get("/api/v1/evaluations", headers=auth).status_code == 403
    # An employee's token, the admin's included, does not read the recap.
    admin_token = api_token(session, a.people["kepala"])
    session.commit()
    assert client.get(f"/api/v1/rekap?period_id={rated.period_id}", headers={
        "Authorization": f"Bearer {admin_token}"}).status_code == 403

    # Expired: the app's clock moves past its expiry.
    short = _integration(session, wf, a, days=1)
    assert client.get(f"/api/v1/rekap?period_id={rated.period_id}", headers={
        "Authorization": f"Bearer {short}"}).status_code == 200
    wf.clock = lambda: utcnow() + timedelta(days=2)
    try:
        assert client.get(f"/api/v1/rekap?period_id={rated.period_id}", headers={
            "Authorization": f"Bearer {short}"}).status_code == 401
    finally:
        wf.clock = utcnow
    # Revoked.
    row = session.scalars(select(IntegrationToken).where(
        IntegrationToken.agency_id == a.agency.id).order_by(IntegrationToken.id)).first()
    assert row is not None
    revoke_integration_token(session, wf.audit_key, Actor.system(a.agency.id), row.id,
                             now=utcnow())
    session.commit()
    response = client.get(f"/api/v1/rekap?period_id={rated.period_id}", headers=auth)
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_another_agencys_recap_is_not_reachable_in_the_admin(
        client: FlaskClient, session: Session, wf: Workflow, two: tuple[World, World]) -> None:
    a, b = two
    other = b.evaluations["pegawai"]
    login(client, a.people["kepala"])
    assert client.get(f"/admin/rekap/{other.period_id}.csv").status_code == 404
    assert client.get(f"/admin/rekap/{other.period_id}.xlsx").status_code == 404
    assert client.get(f"/admin/rekap/?period_id={other.period_id}").status_code == 404


def test_integration_tokens_from_the_command_line(app: Flask, session: Session,
                                                  two: tuple[World, World]) -> None:
    """`users integration-token` prints a token once; `users tokens` lists it; `users
    revoke-token --integration` revokes it; each recorded in the agency's history."""
    a, _ = two
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "integration-token", "--agency", a.agency.slug,
                                 "--name", "SIASN"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().startswith("pki_")
    listing = runner.invoke(args=["users", "tokens", "--agency", a.agency.slug])
    line = next(x for x in listing.output.splitlines() if "integrasi" in x)
    token_id = line.split("\t")[0]
    assert "SIASN" in line and "recap" in line and "aktif" in line
    result = runner.invoke(args=["users", "revoke-token", "--integration", token_id])
    assert result.exit_code == 0, result.output
    session.expire_all()
    triggers = set(session.scalars(select(HistoryEvent.trigger).where(
        HistoryEvent.agency_id == a.agency.id, HistoryEvent.kind == "auth")))
    assert {"integration_token_issued", "integration_token_revoked"} <= triggers
    assert "integrasi" not in runner.invoke(
        args=["users", "tokens", "--agency", a.agency.slug]).output
    bad = runner.invoke(args=["users", "integration-token", "--agency", a.agency.slug,
                              "--name", "x", "--scope", "read"])
    assert bad.exit_code == 1 and "Cakupan" in bad.output


def test_admin_issues_and_revokes_an_integration_token_in_the_browser(
        client: FlaskClient, session: Session, wf: Workflow, two: tuple[World, World]) -> None:
    a, b = two
    rated = _rate(session, wf, a)
    login(client, a.people["kepala"])
    page = client.post("/admin/token-integrasi/terbitkan", data={"name": "TPP BPKAD",
                                                                 "days": "30"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    match = re.search(r'id="new-token">(pki_[\w-]+)<', page.get_data(as_text=True))
    assert match is not None
    token = match.group(1)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/rekap?period_id={rated.period_id}",
                      headers=auth).status_code == 200
    listing = client.get("/admin/token-integrasi/").get_data(as_text=True)
    assert "TPP BPKAD" in listing and token not in listing  # shown once, never listed
    row = session.scalars(select(IntegrationToken).where(
        IntegrationToken.agency_id == a.agency.id)).one()
    # Another agency's admin cannot revoke it.
    client.post("/keluar")
    login(client, b.people["kepala"])
    client.post(f"/admin/token-integrasi/cabut/{row.id}")
    assert client.get(f"/api/v1/rekap?period_id={rated.period_id}",
                      headers=auth).status_code == 200
    client.post("/keluar")
    login(client, a.people["kepala"])
    assert client.post(f"/admin/token-integrasi/cabut/{row.id}").status_code == 302
    assert client.get(f"/api/v1/rekap?period_id={rated.period_id}",
                      headers=auth).status_code == 401
    # No name: refused, nothing issued.
    client.post("/admin/token-integrasi/terbitkan", data={"name": " ", "days": "30"})
    session.expire_all()
    assert len(session.scalars(select(IntegrationToken)).all()) == 1
