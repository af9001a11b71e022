"""The API's transition and detail answers send a fixed, small number of statements.

Counted with a ``before_cursor_execute`` listener on the app's engine, per request, each
request in its own app context (as in production). The budgets are what the code reaches
today: a re-read of the evaluation after the commit, a separate query for the token's
employee or her groups, or a query per event or per participant exceeds them. The same
request on an evaluation in the same state with a longer history, in a database with a second
agency, costs the same.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import api_token
from tests.conftest import build_world
from tests.conftest import sql_statements as statements
from web.extensions import db
from workflow.service import Workflow
from workflow.service import save_draft

pytestmark = pytest.mark.usefixtures("own_contexts")

# Statements per request (COMMIT not counted), with the token's last use already stamped.
# The transition: the token with its employee and groups (1), the evaluation with its
# participants and its newest event's projection (1), the row update and the event insert
# (1 on PostgreSQL, a data-modifying WITH; 2 on SQLite), the dashboard's tally moved in
# the same transaction (1, ``workflow.tallies.move``), for a step whose form reports on the
# plan, the SKP the evaluation reads (1, ``workflow.skp_plan.skp_of``: the plan's columns are
# written from it, never as posted), and the step's notifications (1, one ``INSERT …
# SELECT``, ``workflow.notifications``; one more per channel when e-mail or a gateway is
# configured, not here).
TRANSITION = {"postgresql": 6, "sqlite": 7}
# The detail: the token (1), the evaluation with its employee and period (1), its
# participants (1), the agency's zone (1), the history, for the appeal (1).
DETAIL = 5


def _dialect(app: Flask) -> str:
    with app.app_context():
        return db.engine.dialect.name


class Caller:
    """Sends one person's bearer token; her first call stamps the token's last use."""

    def __init__(self, client: FlaskClient, session: Session, world: World, who: str) -> None:
        self.client = client
        self.headers = {"Authorization": "Bearer " + api_token(session, world.people[who])}
        session.commit()
        assert self.get(world.evaluations[who].id).status_code == 200  # stamped, caches warm

    def get(self, evaluation_id: int) -> Any:
        return self.client.get(f"/api/v1/evaluations/{evaluation_id}", headers=self.headers)

    def fire(self, evaluation_id: int, name: str, data: Any, version: int) -> Any:
        return self.client.post(f"/api/v1/evaluations/{evaluation_id}/transitions/{name}",
                                json={"data": data, "version": version},
                                headers=self.headers)


def lengthen_history(session: Session, wf: Workflow, world: World, who: str,
                     drafts: int = 5) -> int:
    """Save ``drafts`` drafts of the person's self-assessment (one event each, same state);
    return the evaluation's version after them."""
    ev = world.evaluations[who]
    for n in range(drafts):
        save_draft(session, wf, world.actor(who), ev.id, "self-assessment",
                   {"kendala": f"Catatan ke-{n}."})
        session.commit()
    session.refresh(ev)
    return ev.lock_version


def test_transition_statements(app: Flask, client: FlaskClient, session: Session,
                               wf: Workflow, mataram: World) -> None:
    """Submitting costs the budget, the same with a longer history and a second agency; the
    answer is built from what was written (state, version) without reading the row again."""
    ids = {who: ev.id for who, ev in mataram.evaluations.items()}
    version = mataram.evaluations["pegawai"].lock_version
    pegawai = Caller(client, session, mataram, "pegawai")
    with statements(app) as sent:
        response = pegawai.fire(ids["pegawai"], "submit", SELF, version)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["evaluation"]["state"] == "submitted"
    assert body["evaluation"]["version"] == version + 1
    assert len(sent) <= TRANSITION[_dialect(app)], sent

    build_world(session, wf, "kota-kupang", offset=50)
    longer = lengthen_history(session, wf, mataram, "pegawai2")
    pegawai2 = Caller(client, session, mataram, "pegawai2")
    with statements(app) as again:
        assert pegawai2.fire(ids["pegawai2"], "submit", SELF, longer).status_code == 200
    assert len(again) == len(sent), (sent, again)


def test_detail_statements(app: Flask, client: FlaskClient, session: Session, wf: Workflow,
                           mataram: World) -> None:
    """Reading one evaluation costs the budget, however long its history."""
    eid = mataram.evaluations["pegawai"].id
    pegawai = Caller(client, session, mataram, "pegawai")
    with statements(app) as short:
        assert pegawai.get(eid).status_code == 200
    assert len(short) <= DETAIL, short
    build_world(session, wf, "kota-kupang", offset=50)
    lengthen_history(session, wf, mataram, "pegawai")
    with statements(app) as longer:
        response = pegawai.get(eid)
    assert response.status_code == 200
    assert response.get_json()["data"]["self-assessment"]["values"]["kendala"] == "Catatan ke-4."
    assert len(longer) == len(short), (short, longer)
