"""Shared by the web tests: two agencies with passwords, logging in, counting admin events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import World
from tests.conftest import build_world
from workflow.accounts import set_password
from workflow.models import Employee
from workflow.models import HistoryEvent
from workflow.service import Workflow

PASSWORD = "rahasia-kinerja-123"


@pytest.fixture(name="two")
def _two(session: Session, wf: Workflow) -> tuple[World, World]:
    """Mataram and Kupang, everyone with the password ``PASSWORD``."""
    a = build_world(session, wf, "kota-mataram")
    b = build_world(session, wf, "kota-kupang", offset=50)
    for person in (*a.people.values(), *b.people.values()):
        set_password(person, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    return a, b


def login(client: FlaskClient, person: Employee) -> None:
    """Log ``person`` in (``PASSWORD``)."""
    assert client.post("/masuk", data={"nip": person.nip, "password": PASSWORD}).status_code == 302


def admin_events(session: Session, trigger: str) -> int:
    """Count the agency-chain ``admin`` events with this trigger."""
    return session.scalar(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.kind == "admin", HistoryEvent.trigger == trigger)) or 0


class OwnContextClient(FlaskClient):
    """A client whose every request runs in its own app context, as in production.

    The ``session`` fixture keeps one app context open for the whole test, and a request
    reuses an open context; several people acting in one test would then share ``g`` (the
    logged-in user) and the database session.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(name="own_contexts")
def _own_contexts(app: Flask) -> Iterator[None]:
    """Make ``app.test_client()`` give ``OwnContextClient``s for the test."""
    app.test_client_class = OwnContextClient
    yield
    app.test_client_class = None
