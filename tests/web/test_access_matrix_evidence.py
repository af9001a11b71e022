"""Role x realisation/evidence endpoint x agency: nobody reads or writes realisation or
evidence files their role and agency do not allow (issue 14).

Same shape as the SKP matrix (``test_access_matrix_skp.py``): two agencies side by side, each
with the chain Kepala Dinas → Kepala Bidang → Kepala Seksi, whose SKP (the target) is set and
has one realisation with one evidence file. Every actor is from agency A. Each cell checks the
status code, that a refused response leaks none of the target's data, and that nothing changed
unless the cell is an allowed write.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.conftest import api_token
from tests.conftest import build_world
from tests.web.test_access_matrix_skp import ACTORS
from tests.web.test_access_matrix_skp import READERS
from tests.web.test_evidence import PDF
from web import tasks
from workflow.evidence import EvidenceLimits
from workflow.evidence import upload_evidence
from workflow.models import HistoryEvent
from workflow.models import Skp
from workflow.models import SkpEvidence
from workflow.models import SkpPeriod
from workflow.models import SkpRealisation
from workflow.service import Workflow
from workflow.skp import create_skp
from workflow.skp import fire_skp_transition
from workflow.skp import save_content

YEAR = 2027
PERIOD = f"{YEAR}-01"  # both shipped agencies' SKPs: Mataram monthly, Kupang quarterly
FILENAME = "rahasia-bukti-sasaran.pdf"


@dataclass(frozen=True)
class Setup:
    a: World
    who: str
    target: Skp
    period: str
    indicator_id: int
    evidence_id: int


def _chain(session: Session, wf: Workflow, world: World, app: Flask) -> tuple[Skp, str, int]:
    """Kepala → Atasan → Penilai, all set; the Penilai's SKP gets a realisation and a file."""
    parent = None
    skp = None
    for who, by in (("kepala", "kepala"), ("atasan", "kepala"), ("penilai", "atasan")):
        actor = world.actor(who)
        skp = create_skp(session, wf, actor, year=YEAR, pendekatan="kuantitatif",
                         jenis_jabatan="JPT" if who == "kepala" else "JA")
        save_content(session, wf, actor, skp.id, {"rhk": [{
            "jenis": "utama", "text": "Hasil", "parent_id": parent,
            "indicators": [{"aspek": "kuantitas", "text": "Jumlah", "target_min": 10}]}]},
            None)
        fire_skp_transition(session, wf, actor, skp.id, "ajukan")
        fire_skp_transition(session, wf, world.actor(by), skp.id, "tetapkan")
        parent = skp.rhk[0].id
    assert skp is not None
    from workflow.realisation import skp_periods

    period = skp_periods(session, skp)[0]
    evidence = upload_evidence(session, wf, world.actor("penilai"), tasks.storage(app), skp.id,
                               period, skp.rhk[0].indicators[0].id, io.BytesIO(PDF), FILENAME,
                               EvidenceLimits())
    session.commit()
    return skp, period, evidence.id


def _api(client: FlaskClient, session: Session, s: Setup, method: str, path: str,
         body: Any = None, data: Any = None) -> Any:
    token = api_token(session, s.a.people[s.who], "matrix", scope="read transition skp")
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    if data is not None:
        return client.open(f"/api/v1{path}", method=method, data=data, headers=headers,
                           content_type="multipart/form-data")
    return client.open(f"/api/v1{path}", method=method, json=body, headers=headers)


def _base(s: Setup) -> str:
    return f"/skp/{s.target.id}/realisasi/{s.period}"


ENDPOINTS: dict[str, Callable[[FlaskClient, Session, Setup], Any]] = {
    "realisasi-get": lambda c, db, s: _api(c, db, s, "GET", _base(s)),
    "realisasi-put": lambda c, db, s: _api(c, db, s, "PUT", _base(s), {
        "version": s.target.lock_version,
        "realisasi": [{"indicator_id": s.indicator_id, "value": 7}]}),
    "realisasi-kirim": lambda c, db, s: _api(c, db, s, "POST", _base(s) + "/kirim",
                                             {"version": s.target.lock_version}),
    "bukti-unggah": lambda c, db, s: _api(c, db, s, "POST", _base(s) + "/bukti", data={
        "indicator_id": str(s.indicator_id), "file": (io.BytesIO(PDF), "baru.pdf")}),
    "bukti-daftar": lambda c, db, s: _api(c, db, s, "GET", f"/skp/{s.target.id}/bukti"),
    "bukti-data": lambda c, db, s: _api(c, db, s, "GET", f"/bukti/{s.evidence_id}"),
    "bukti-unduh": lambda c, db, s: _api(c, db, s, "GET", f"/bukti/{s.evidence_id}/unduh"),
}
WRITES = {"realisasi-put": 200, "realisasi-kirim": 200, "bukti-unggah": 201}


def expected(endpoint: str, role: str, agency: str) -> int:
    if agency == "B" or role not in READERS:
        return 404
    if endpoint in WRITES:
        return WRITES[endpoint] if role == "employee" else 403
    return 200


CELLS = [pytest.param(endpoint, role, agency, id=f"{endpoint}-{role}-{agency}")
         for endpoint in ENDPOINTS for role in ACTORS for agency in ("A", "B")]


def _state(session: Session) -> list[Any]:
    session.expire_all()
    rows: list[Any] = [(s.id, s.lock_version, s.history_seq)
                       for s in session.scalars(select(Skp).order_by(Skp.id))]
    for model in (SkpEvidence, SkpRealisation, SkpPeriod):
        rows.append(session.scalar(select(func.count()).select_from(model)))
    rows.append(session.scalar(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.chain.startswith("skp:"))))
    rows.append([(r.id, r.value) for r in session.scalars(select(SkpRealisation))])
    return rows


@pytest.mark.parametrize(("endpoint", "role", "agency"), CELLS)
def test_cell(app: Flask, client: FlaskClient, session: Session, wf: Workflow, endpoint: str,
              role: str, agency: str) -> None:
    opening = datetime(2026, 1, 5, tzinfo=UTC)
    a = build_world(session, wf, "kota-mataram", now=opening)
    b = build_world(session, wf, "kota-kupang", offset=50, now=opening)
    chain_a, chain_b = _chain(session, wf, a, app), _chain(session, wf, b, app)
    target, period, evidence_id = chain_a if agency == "A" else chain_b
    setup = Setup(a, ACTORS[role], target, period, target.rhk[0].indicators[0].id,
                  evidence_id)
    before = _state(session)
    response = ENDPOINTS[endpoint](client, session, setup)
    want = expected(endpoint, role, agency)
    assert response.status_code == want, response.get_data(as_text=True)[:500]
    after = _state(session)
    if endpoint in WRITES and want < 400:
        assert after != before
    else:
        assert after == before
    if want >= 400:
        text = response.get_data(as_text=True)
        assert FILENAME not in text and target.employee_identity["nip"] not in text
    elif endpoint == "bukti-unduh":
        assert response.data == PDF
