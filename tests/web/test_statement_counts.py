"""Every listed page and API call runs as many SQL statements for a larger agency as for a
small one: a query per row (an N+1) cannot come back unnoticed.

The agency grows between the two measurements by employees in another unit kerja, with
evaluations in this period and an earlier one, some submitted, rated and appealed; every
list then holds more rows than one page, while what each call is about (the evaluation, the
unit kerja "Bidang A", the actor) stays the same. ``bench/scale.py`` times the same calls at
1k, 100k and 1M evaluations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import ORG_HEADER
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import api_token
from tests.conftest import nip
from tests.conftest import sql_statements as counting
from workflow.accounts import set_password
from workflow.actors import Actor
from workflow.models import Employee
from workflow.org import import_org_csv
from workflow.periods import ensure_period
from workflow.periods import open_period
from workflow.service import Workflow
from workflow.service import apply_transition

PASSWORD = "rahasia-kinerja-123"
GOOD = {"rating_hasil_kerja": "sesuai", "rating_perilaku_kerja": "sesuai",
        "umpan_balik": "Baik."}
LOW = {"rating_hasil_kerja": "di_bawah", "rating_perilaku_kerja": "sesuai",
       "umpan_balik": "Perlu perbaikan.", "justifikasi": "Target tidak tercapai."}
APPEAL = {"butir_keberatan": ["rating_hasil_kerja"],
          "alasan": "Gangguan sistem yang sudah dilaporkan."}
WHEN = datetime(2026, 2, 3, 9, tzinfo=UTC)

# (name, who, path): who is a person of the world; "token:" calls the API with her token.
CALLS: tuple[tuple[str, str, Callable[[dict[str, Any]], str]], ...] = (
    ("inbox, employee", "pegawai", lambda c: "/evaluasi/"),
    ("inbox, appraiser", "penilai", lambda c: "/evaluasi/"),
    ("inbox, appeal reviewer", "atasan", lambda c: "/evaluasi/"),
    ("inbox, auditor", "auditor", lambda c: "/evaluasi/"),
    ("inbox, admin", "kepala", lambda c: "/evaluasi/"),
    ("inbox, admin, search", "kepala", lambda c: "/evaluasi/?q=Pegawai"),
    ("evaluation page", "penilai", lambda c: f"/evaluasi/{c['evaluation']}"),
    ("API list, admin", "token:kepala", lambda c: "/api/v1/evaluations"),
    ("API list, admin, page 2", "token:kepala",
     lambda c: "/api/v1/evaluations?page=2&per_page=5"),
    ("API list, staff", "token:pegawai", lambda c: "/api/v1/evaluations"),
    ("API list, appraiser", "token:penilai", lambda c: "/api/v1/evaluations?role=appraiser"),
    ("API search", "token:kepala", lambda c: "/api/v1/evaluations?q=pegawai"),
    ("API detail", "token:penilai", lambda c: f"/api/v1/evaluations/{c['evaluation']}"),
    ("API history", "token:penilai",
     lambda c: f"/api/v1/evaluations/{c['evaluation']}/history"),
    ("dashboard", "auditor", lambda c: "/dasbor/"),
    ("audit search", "auditor", lambda c: "/audit/"),
    ("audit search by actor", "auditor", lambda c: f"/audit/?actor_nip={c['actor']}"),
    ("audit search by unit", "auditor", lambda c: "/audit/?unit_kerja=Bidang+A"),
    ("audit search by date", "auditor", lambda c: "/audit/?dari=2026-01-01&sampai=2026-12-31"),
    ("audit CSV by unit", "auditor", lambda c: "/audit/ekspor.csv?unit_kerja=Bidang+A"),
    ("audit timeline", "auditor", lambda c: f"/audit/evaluasi/{c['evaluation']}"),
    ("admin evaluation list", "kepala", lambda c: "/admin/evaluation/"),
    ("admin history list", "kepala", lambda c: "/admin/history/"),
)


def measure(app: Flask, clients: dict[str, FlaskClient], tokens: dict[str, str],
            ctx: dict[str, Any]) -> dict[str, int]:
    """Return call name → statements of one call (after one warm-up call)."""
    counts = {}
    for name, who, path in CALLS:
        if who.startswith("token:"):
            client, headers = clients["api"], {"Authorization": f"Bearer {tokens[who[6:]]}"}
        else:
            client, headers = clients[who], {}
        url = path(ctx)
        warm = client.get(url, headers=headers)
        assert warm.status_code == 200, (name, warm.status_code)
        warm.get_data()
        with counting(app) as seen:
            response = client.get(url, headers=headers)
            response.get_data()  # a streamed CSV runs its queries while it is read
        counts[name] = len(seen)
    return counts


def grow(session: Session, wf: Workflow, world: World, people: int) -> None:
    """Add ``people`` employees (unit kerja "Bidang B", rated by the world's appraiser) with
    evaluations in 2026 and 2025, a half submitted, a quarter rated, an eighth appealed."""
    boss = world.people["penilai"]
    rows = [f"{nip(200 + i)},Pegawai Tambahan {i},Analis,Penata Muda,III/a,Bidang B,PNS,"
            f"{boss.nip}," for i in range(people)]
    import_org_csv(session, wf.audit_key, world.agency, ORG_HEADER + "\n".join(rows) + "\n")
    at = replace(wf, clock=lambda: WHEN)
    admin = world.actor("kepala")
    opened = []
    for year in (2026, 2025):
        period = ensure_period(session, world.agency, "annual", year)
        opened += open_period(session, at, admin, period.id).evaluations
    session.commit()
    added = set(session.scalars(select(Employee.id).where(Employee.unit_kerja == "Bidang B")))
    for i, evaluation in enumerate(e for e in opened if e.employee_id in added):
        if i % 2:
            continue
        owner = Actor.of(session.get_one(Employee, evaluation.employee_id))
        apply_transition(session, at, owner, evaluation.id, "submit", data=SELF)
        if i % 4 == 0:
            apply_transition(session, at, world.actor("penilai"), evaluation.id, "review",
                             data=LOW if i % 8 == 0 else GOOD)
        if i % 8 == 0:
            apply_transition(session, at, owner, evaluation.id, "appeal", data=APPEAL)
    session.commit()


@pytest.mark.usefixtures("own_contexts")
def test_each_page_runs_the_same_statements_for_a_larger_agency(
        app: Flask, session: Session, wf: Workflow, mataram: World) -> None:
    """Inbox (each role), evaluation page, API list/search/detail/history, dashboard, audit
    search (by actor, unit, date), audit CSV and timeline, admin lists: same count."""
    world = mataram
    at = replace(wf, clock=lambda: WHEN)
    ev = world.evaluations
    # The small agency already has work in every section it will have when larger.
    apply_transition(session, at, world.actor("pegawai"), ev["pegawai"].id, "submit", data=SELF)
    apply_transition(session, at, world.actor("penilai"), ev["pegawai"].id, "review", data=LOW)
    apply_transition(session, at, world.actor("pegawai"), ev["pegawai"].id, "appeal",
                     data=APPEAL)
    apply_transition(session, at, world.actor("pegawai2"), ev["pegawai2"].id, "submit",
                     data=SELF)
    for person in world.people.values():
        set_password(person, PASSWORD, hash_method=CHEAP_HASH)
    tokens = {who: api_token(session, world.people[who]) for who in ("kepala", "pegawai",
                                                                      "penilai")}
    session.commit()
    clients = {"api": app.test_client()}
    for who in {who for _n, who, _p in CALLS if not who.startswith("token:")}:
        clients[who] = app.test_client()
        assert clients[who].post("/masuk", data={"nip": world.people[who].nip,
                                                 "password": PASSWORD}).status_code == 302
    ctx = {"evaluation": ev["pegawai"].id, "actor": world.people["penilai"].nip}

    small = measure(app, clients, tokens, ctx)
    grow(session, wf, world, 60)
    assert len(session.scalars(select(Employee.id)).all()) > 60
    large = measure(app, clients, tokens, ctx)

    assert {k: (small[k], large[k]) for k in small if small[k] != large[k]} == {}
