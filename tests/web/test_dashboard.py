"""The agency dashboard: states per unit, overdue, the predikat chart with warnings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import build_world
from workflow.accounts import set_password
from workflow.periods import set_capaian
from workflow.service import Workflow
from workflow.service import apply_transition

PASSWORD = "rahasia-kinerja-123"
GOOD = {"rating_hasil_kerja": "sesuai", "rating_perilaku_kerja": "sesuai",
        "umpan_balik": "Baik."}


@pytest.fixture(name="mataram")
def _mataram(mataram: World, session: Session, wf: Workflow) -> World:
    """Mataram with the employee's evaluation submitted and rated."""
    world = mataram
    ev = world.evaluations["pegawai"]
    rated = replace(wf, clock=lambda: datetime(2026, 2, 3, 9, tzinfo=UTC))
    apply_transition(session, rated, world.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, rated, world.actor("penilai"), ev.id, "review", data=GOOD)
    session.commit()
    return world


@pytest.fixture(name="clock")
def _clock(app: Flask, wf: Workflow) -> Iterator[None]:
    """Pretend it is 1 March 2026: the appeal window of the rating has closed."""
    app.extensions["workflow"] = replace(wf, clock=lambda: datetime(2026, 3, 1, tzinfo=UTC))
    yield
    app.extensions["workflow"] = wf


def login(client: FlaskClient, session: Session, world: World, who: str) -> None:
    employee = world.people[who]
    set_password(employee, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    assert client.post("/masuk", data={"nip": employee.nip,
                                       "password": PASSWORD}).status_code == 302


def test_dashboard_shows_states_overdue_and_chart(client: FlaskClient, session: Session,
                                                  mataram: World, clock: None) -> None:
    """The admin sees counts per unit, the overdue evaluation and an SVG bar chart."""
    login(client, session, mataram, "kepala")
    response = client.get("/dasbor/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Evaluasi per status dan unit kerja" in page
    assert "Bidang A" in page and "Dinilai" in page
    assert "tenggat terlewati" in page and "appeal_window" in page
    assert page.count("<svg") == 1 and "<rect" in page
    for label in ("Sangat Kurang", "Kurang/Misconduct", "Butuh Perbaikan", "Baik",
                  "Sangat Baik"):
        assert label in page
    # One employee, rated Baik, under an organisation rated Baik: both rules are broken.
    assert "paling banyak 70%" in page
    assert "harus ada pegawai dengan predikat Butuh Perbaikan dan/atau Kurang/Misconduct" in page


def test_capaian_changes_the_rule(client: FlaskClient, session: Session, mataram: World,
                                  clock: None) -> None:
    """Picking another organisation achievement checks against its pattern."""
    login(client, session, mataram, "auditor")
    page = client.get("/dasbor/?capaian=SANGAT_KURANG").get_data(as_text=True)
    assert 'value="SANGAT_KURANG" selected' in page
    assert "tidak boleh ada pegawai dengan predikat Sangat Baik" in page
    assert "paling sedikit 60%" in page
    fallback = client.get("/dasbor/?capaian=<script>").get_data(as_text=True)
    assert 'value="" selected' in fallback and 'data-capaian="BAIK"' in fallback
    assert "<script>" not in fallback.split("<main")[1]


def test_recorded_capaian_is_the_default(client: FlaskClient, session: Session, wf: Workflow,
                                         mataram: World, clock: None) -> None:
    """Once the admin recorded the period's achievement, the dashboard checks against it
    (its basis shown, escaped); picking another one is labelled a what-if."""
    period = mataram.evaluations["pegawai"].period
    set_capaian(session, wf, mataram.actor("kepala"), period.id, "SANGAT_KURANG",
                "Keputusan No. 1 <script>alert(1)</script>")
    session.commit()
    login(client, session, mataram, "auditor")
    page = client.get("/dasbor/").get_data(as_text=True)
    assert 'data-capaian="SANGAT_KURANG"' in page and 'value="" selected' in page
    assert "Capaian organisasi periode ini: <strong>Sangat Kurang</strong>" in page
    assert "Keputusan No. 1 &lt;script&gt;" in page and "<script>alert" not in page
    assert "tidak boleh ada pegawai dengan predikat Sangat Baik" in page
    what_if = client.get("/dasbor/?capaian=BAIK").get_data(as_text=True)
    assert 'data-capaian="BAIK"' in what_if and "Simulasi dengan capaian Baik" in what_if


def test_employee_gets_403(client: FlaskClient, session: Session, mataram: World) -> None:
    """An ordinary employee or appraiser cannot open the dashboard."""
    login(client, session, mataram, "penilai")
    assert client.get("/dasbor/").status_code == 403


def test_only_own_agency_is_counted(client: FlaskClient, session: Session, wf: Workflow,
                                    mataram: World) -> None:
    """Another agency's period id falls back to the own agency's figures."""
    other = build_world(session, wf, "kota-kupang", offset=50)
    login(client, session, mataram, "auditor")
    period = other.evaluations["pegawai"].period_id
    page = client.get(f"/dasbor/?periode={period}").get_data(as_text=True)
    assert f">{len(mataram.evaluations)}</td>" in page
    assert "Telaah Tim" not in page  # Kupang's own state never shows up


def test_warnings_in_english(client: FlaskClient, session: Session, mataram: World,
                             clock: None) -> None:
    """With the English cookie the distribution warnings come from the core in English."""
    login(client, session, mataram, "auditor")
    client.get("/bahasa/en")
    refresh()  # the fixtures keep one app context open: reset Flask-Babel's locale cache
    page = client.get("/dasbor/").get_data(as_text=True)
    assert "Organisation achievement Baik: at most 70% rated Baik" in page
    assert "paling banyak 70%" not in page.split('id="h-status"')[1]
