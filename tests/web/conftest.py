"""Shared by the web tests: two agencies with passwords, logging in, counting admin events."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.conftest import build_world
from workflow.accounts import set_password
from workflow.models import Employee
from workflow.models import HistoryEvent
from workflow.service import Workflow

PASSWORD = "rahasia-123"


@pytest.fixture(name="two")
def _two(session: Session, wf: Workflow) -> tuple[World, World]:
    """Mataram and Kupang, everyone with the password ``PASSWORD``."""
    a = build_world(session, wf, "kota-mataram")
    b = build_world(session, wf, "kota-kupang", offset=50)
    for person in (*a.people.values(), *b.people.values()):
        set_password(person, PASSWORD)
    session.commit()
    return a, b


def login(client: FlaskClient, person: Employee) -> None:
    """Log ``person`` in (``PASSWORD``)."""
    assert client.post("/masuk", data={"nip": person.nip, "password": PASSWORD}).status_code == 302


def admin_events(session: Session, trigger: str) -> int:
    """Count the agency-chain ``admin`` events with this trigger."""
    return session.scalar(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.kind == "admin", HistoryEvent.trigger == trigger)) or 0
