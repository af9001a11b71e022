"""Role x endpoint x agency: nobody reads or writes what their role and agency do not allow.

Agency A (kota-mataram) and agency B (kota-kupang) are built side by side. Every actor is from
agency A; the target is the evaluation of ``pegawai`` in A or in B. Each cell is one test id
and checks the status code, that a refused response leaks none of the target's data, and that
neither evaluation changed unless the cell is an allowed write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import api_token
from tests.conftest import build_world
from workflow.accounts import set_password
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.service import Workflow

PASSWORD = "rahasia-kinerja-123"
# Who is who in build_world, by their role on A's ``pegawai`` evaluation.
ACTORS = {
    "employee": "pegawai",        # the evaluated employee
    "appraiser": "penilai",       # Pejabat Penilai Kinerja
    "decider": "atasan",          # appeal_reviewer: Atasan Pejabat Penilai Kinerja
    "colleague": "pegawai2",      # same agency, no role on it
    "auditor": "auditor",         # group inspektorat
    "admin": "kepala",            # group admin
}
READERS = {"employee", "appraiser", "decider", "auditor", "admin"}
AUDIT_ROLES = {"auditor", "admin"}


@dataclass(frozen=True)
class Setup:
    """Both agencies, the acting person, and the target evaluation."""

    a: World
    b: World
    who: str
    target: Evaluation


def _api(client: FlaskClient, session: Session, s: Setup, method: str, path: str,
         body: Any = None) -> Any:
    token = api_token(session, s.a.people[s.who], "matrix")
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    if method == "POST":
        return client.post(f"/api/v1{path}", headers=headers, json=body)
    return client.get(f"/api/v1{path}", headers=headers)


def _html(client: FlaskClient, session: Session, s: Setup, path: str) -> Any:
    employee = s.a.people[s.who]
    set_password(employee, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    assert client.post("/masuk", data={"nip": employee.nip,
                                       "password": PASSWORD}).status_code == 302
    return client.get(path)


ENDPOINTS: dict[str, Callable[[FlaskClient, Session, Setup], Any]] = {
    "api-get": lambda c, db, s: _api(c, db, s, "GET", f"/evaluations/{s.target.id}"),
    "api-history": lambda c, db, s: _api(c, db, s, "GET", f"/evaluations/{s.target.id}/history"),
    "api-verify": lambda c, db, s: _api(c, db, s, "GET", f"/evaluations/{s.target.id}/verify"),
    "api-submit": lambda c, db, s: _api(
        c, db, s, "POST", f"/evaluations/{s.target.id}/transitions/submit",
        {"data": SELF, "version": s.target.lock_version}),
    "page-evaluasi": lambda c, db, s: _html(c, db, s, f"/evaluasi/{s.target.id}"),
    "page-audit-evaluasi": lambda c, db, s: _html(c, db, s, f"/audit/evaluasi/{s.target.id}"),
    "page-dasbor": lambda c, db, s: _html(c, db, s, f"/dasbor/?periode={s.target.period_id}"),
}


def expected(endpoint: str, role: str, agency: str) -> int:
    """Return the status code the matrix allows for one cell."""
    same = agency == "A"
    # An evaluation the reader may not read does not exist for her: 404 on the page and the
    # API alike (workflow.actors.may_read).
    if endpoint in ("api-get", "api-history", "api-verify", "page-evaluasi"):
        return 200 if same and role in READERS else 404
    if endpoint == "api-submit":
        if not same or role not in READERS:
            return 404
        return 200 if role == "employee" else 403
    if endpoint == "page-audit-evaluasi":
        if role not in AUDIT_ROLES:
            return 403
        return 200 if same else 404
    assert endpoint == "page-dasbor"
    return 200 if role in AUDIT_ROLES else 403


CELLS = [
    pytest.param(endpoint, role, agency, id=f"{endpoint}-{role}-{agency}")
    for endpoint in ENDPOINTS
    for role in ACTORS
    for agency in ("A", "B")
]


def _state(session: Session, *worlds: World) -> list[tuple[int, str, int, int, int]]:
    session.expire_all()
    rows = []
    for world in worlds:
        for ev in world.evaluations.values():
            fresh = session.get(Evaluation, ev.id)
            assert fresh is not None
            count = session.scalar(select(func.count()).select_from(HistoryEvent).where(
                HistoryEvent.evaluation_id == ev.id)) or 0
            rows.append((fresh.id, fresh.status, fresh.lock_version, fresh.history_seq, count))
    return rows


@pytest.mark.parametrize(("endpoint", "role", "agency"), CELLS)
def test_cell(client: FlaskClient, session: Session, wf: Workflow, endpoint: str, role: str,
              agency: str) -> None:
    """Each role gets exactly its allowed status; refusals leak and change nothing."""
    a = build_world(session, wf, "kota-mataram")
    b = build_world(session, wf, "kota-kupang", offset=50)
    target = (a if agency == "A" else b).evaluations["pegawai"]
    setup = Setup(a, b, ACTORS[role], target)
    before = _state(session, a, b)
    target_nip = target.employee.nip

    response = ENDPOINTS[endpoint](client, session, setup)

    want = expected(endpoint, role, agency)
    assert response.status_code == want, response.get_data(as_text=True)[:500]
    after = _state(session, a, b)
    if endpoint == "api-submit" and want == 200:
        changed = [row for row, old in zip(after, before, strict=True) if row != old]
        assert [row[0] for row in changed] == [target.id]
        assert changed[0][1] == "submitted"
    else:
        assert after == before
    if want >= 400:
        assert target_nip not in response.get_data(as_text=True)
    if endpoint == "page-dasbor" and want == 200:
        page = response.get_data(as_text=True)
        # Only A's figures: B's period id falls back to A's newest period and A's totals.
        assert b.agency.name not in page
        assert f">{len(a.evaluations)}</td>" in page
