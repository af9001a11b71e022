"""Role names are data: an agency's ``role_labels`` reach the page, the API, the audit pages and
the PDF history alike (all through ``WorkflowDefinition.role_label``)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.visibility import Visibility
from reports.gather import build_snapshot
from tests.conftest import CHEAP_HASH
from tests.conftest import ROOT
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import api_token
from tests.integration.test_service import at
from tests.web.conftest import login
from workflow.accounts import set_password
from workflow.actors import Actor
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import Group
from workflow.periods import ensure_period
from workflow.periods import open_period
from workflow.publishing import publish_definitions
from workflow.registry import load_definitions
from workflow.service import Workflow
from workflow.service import apply_transition

OVERRIDE = "role_labels:\n  appraiser: {id: Kepala Sekolah, en: School principal}\n"


@pytest.fixture(name="returned")
def _returned(session: Session, wf: Workflow, mataram: World, tmp_path: Path) -> Evaluation:
    """Mataram publishes a flow naming the appraiser *Kepala Sekolah*; the appraiser returns
    an evaluation opened under it."""
    (tmp_path / "default.yaml").write_text((ROOT / "definitions" / "default.yaml").read_text())
    text = (ROOT / "definitions" / "kota-mataram.yaml").read_text()
    (tmp_path / "kota-mataram.yaml").write_text(
        text.replace("version: 5", "version: 6") + OVERRIDE)
    publish_definitions(session, load_definitions(tmp_path))
    period = ensure_period(session, mataram.agency, "monthly", 2026, 3)
    report = open_period(session, at(wf, 1, 3), mataram.actor("kepala"), period.id)
    ev = next(e for e in report.evaluations if e.employee_id == mataram.people["pegawai"].id)
    apply_transition(session, at(wf, 2, 3), mataram.actor("pegawai"), ev.id, "submit",
                     data=SELF)
    apply_transition(session, at(wf, 3, 3), mataram.actor("penilai"), ev.id,
                     "return_for_revision", comment="Lengkapi bukti dukung.")
    for person in mataram.people.values():
        set_password(person, "rahasia-kinerja-123", hash_method=CHEAP_HASH)
    session.commit()
    return ev


def test_evaluation_page_names_roles_by_the_agency_labels(
        client: FlaskClient, mataram: World, returned: Evaluation) -> None:
    """The evaluation page calls the appraiser what the agency's flow calls them."""
    login(client, mataram.people["pegawai"])
    page = client.get(f"/evaluasi/{returned.id}").get_data(as_text=True)
    assert page.count("Kepala Sekolah") >= 2  # the participant and the returning step
    client.get("/bahasa/en")
    refresh()  # the fixtures keep one app context open: reset Flask-Babel's cached locale
    assert "School principal" in client.get(f"/evaluasi/{returned.id}").get_data(as_text=True)


def test_api_gives_role_labels_in_the_callers_language(
        client: FlaskClient, session: Session, mataram: World, returned: Evaluation) -> None:
    """Participants and history events carry ``role_label`` beside the role key."""
    headers = {"Authorization": "Bearer " + api_token(session, mataram.people["pegawai"], "t")}
    session.commit()
    body = client.get(f"/api/v1/evaluations/{returned.id}", headers=headers).get_json()
    participants = {p["role"]: p["role_label"] for p in body["participants"]}
    assert participants["appraiser"] == "Kepala Sekolah"
    assert participants["employee"] == "Pegawai yang Dinilai"
    client.get("/bahasa/en")
    refresh()
    history = client.get(f"/api/v1/evaluations/{returned.id}/history",
                         headers=headers).get_json()["events"]
    returning = next(e for e in history if e["trigger"] == "return_for_revision")
    assert (returning["role"], returning["role_label"]) == ("appraiser", "School principal")


def test_audit_pages_name_roles_by_the_recorded_flow_version(
        client: FlaskClient, mataram: World, returned: Evaluation) -> None:
    """The auditor's search and timeline name each event's role by its flow version."""
    login(client, mataram.people["auditor"])
    search = client.get(f"/audit/?evaluasi={returned.id}").get_data(as_text=True)
    assert "Kepala Sekolah" in search and "Pegawai yang Dinilai" in search
    timeline = client.get(f"/audit/evaluasi/{returned.id}").get_data(as_text=True)
    assert "Kepala Sekolah" in timeline and "Admin Instansi" in timeline  # who opened it


def test_pdf_history_names_roles_by_the_agency_labels(session: Session,
                                                      returned: Evaluation) -> None:
    """The audit-trail document's history prints the flow's role names."""
    auditor = Actor.of(session.scalar(select(Employee).join(Employee.groups).where(
        Group.slug == "inspektorat", Employee.agency_id == returned.agency_id)))
    snapshot = build_snapshot(session, returned, datetime(2026, 3, 4, tzinfo=UTC),
                              Visibility.for_actor(session, auditor, returned))
    roles = {entry.action: entry.role for entry in snapshot.history}
    assert roles["Kembalikan untuk perbaikan"] == "Kepala Sekolah"
    assert roles["Evaluasi dibuka"] == "Admin Instansi"
