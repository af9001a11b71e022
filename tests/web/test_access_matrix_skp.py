"""Role x SKP endpoint x agency: nobody reads or writes an SKP their role and agency do not
allow (issue 13).

Agency A (kota-mataram) and agency B (kota-kupang) are built side by side, each with the SKP
chain Kepala Dinas (set) → Kepala Bidang (set) → Kepala Seksi (submitted: the target). Every
actor is from agency A. Each cell checks the status code, that a refused response leaks none of
the target's data, and that no SKP changed unless the cell is an allowed write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.conftest import api_token
from tests.conftest import build_world
from workflow.models import HistoryEvent
from workflow.models import Skp
from workflow.service import Workflow
from workflow.skp import create_skp
from workflow.skp import fire_skp_transition
from workflow.skp import save_content

YEAR = 2027
# Who is who, by their place around the target SKP (the Kepala Seksi's).
ACTORS = {
    "employee": "penilai",        # the SKP's employee (Kepala Seksi)
    "appraiser": "atasan",        # its Pejabat Penilai Kinerja (Kepala Bidang)
    "leader": "kepala",           # the appraiser's superior, also an agency admin
    "subordinate": "pegawai",     # below the SKP's employee: no right to read it
    "colleague": "tim",           # same agency, no part in it
    "auditor": "auditor",         # group inspektorat
}
READERS = {"employee", "appraiser", "leader", "auditor"}


@dataclass(frozen=True)
class Setup:
    """Both agencies, the acting person, and the target SKP with its first RHK."""

    a: World
    who: str
    target: Skp
    rhk_id: int


def _rhk(parent: int | None) -> dict[str, Any]:
    return {"jenis": "utama", "text": "Hasil", "parent_id": parent,
            "indicators": [{"aspek": "kuantitas", "text": "Jumlah", "target_min": 10,
                            "satuan": "dokumen"}]}


def _chain(session: Session, wf: Workflow, world: World) -> Skp:
    """Kepala (set) → Atasan (set) → Penilai (submitted); returns the Penilai's SKP."""
    parent = None
    skp = None
    for who, by in (("kepala", "kepala"), ("atasan", "kepala"), ("penilai", "atasan")):
        actor = world.actor(who)
        skp = create_skp(session, wf, actor, year=YEAR, pendekatan="kuantitatif",
                         jenis_jabatan="JPT" if who == "kepala" else "JA")
        save_content(session, wf, actor, skp.id, {"rhk": [_rhk(parent)]}, None)
        fire_skp_transition(session, wf, actor, skp.id, "ajukan")
        if who != "penilai":
            fire_skp_transition(session, wf, world.actor(by), skp.id, "tetapkan")
        parent = skp.rhk[0].id
    session.commit()
    assert skp is not None
    return skp


def _api(client: FlaskClient, session: Session, s: Setup, method: str, path: str,
         body: Any = None) -> Any:
    token = api_token(session, s.a.people[s.who], "matrix", scope="read transition skp")
    session.commit()
    return client.open(f"/api/v1{path}", method=method, json=body,
                       headers={"Authorization": f"Bearer {token}"})


def _v(s: Setup) -> int:
    return s.target.lock_version


ENDPOINTS: dict[str, Callable[[FlaskClient, Session, Setup], Any]] = {
    "skp-get": lambda c, db, s: _api(c, db, s, "GET", f"/skp/{s.target.id}"),
    "skp-save-expectations": lambda c, db, s: _api(
        c, db, s, "PUT", f"/skp/{s.target.id}",
        {"content": {"expectations": {"akuntabel": "Tepat waktu"}}, "version": _v(s)}),
    "skp-save-rhk": lambda c, db, s: _api(
        c, db, s, "PUT", f"/skp/{s.target.id}", {"content": {"rhk": []}, "version": _v(s)}),
    "skp-tetapkan": lambda c, db, s: _api(
        c, db, s, "POST", f"/skp/{s.target.id}/transitions/tetapkan", {"version": _v(s)}),
    "skp-kembalikan": lambda c, db, s: _api(
        c, db, s, "POST", f"/skp/{s.target.id}/transitions/kembalikan",
        {"comment": "Perbaiki.", "version": _v(s)}),
    "skp-perubahan": lambda c, db, s: _api(
        c, db, s, "POST", f"/skp/{s.target.id}/perubahan", {"reason": "x", "version": _v(s)}),
    "skp-matriks": lambda c, db, s: _api(c, db, s, "GET", f"/skp/{s.target.id}/matriks"),
    "skp-assign": lambda c, db, s: _api(
        c, db, s, "POST", f"/skp/{s.target.id}/matriks",
        {"rhk_id": s.rhk_id, "subordinate_id": s.a.people["pegawai"].id}),
    "skp-pohon": lambda c, db, s: _api(c, db, s, "GET", f"/skp/rhk/{s.rhk_id}/pohon"),
    "skp-list": lambda c, db, s: _api(c, db, s, "GET", f"/skp?year={YEAR}"),
    "skp-mutasi": lambda c, db, s: _api(
        c, db, s, "POST", "/skp/mutasi",
        {"employee_id": s.target.employee_id, "on_date": f"{YEAR}-07-01",
         "new_appraiser_id": s.a.people["kepala"].id, "reason": "Mutasi"}),
    # Continuous feedback and dialog (workflow/feedback.py): only on a set SKP, the target is
    # submitted, so the parties get 409 and nothing is written.
    "skp-umpan-balik": lambda c, db, s: _api(c, db, s, "GET", f"/skp/{s.target.id}/umpan-balik"),
    "skp-umpan-balik-post": lambda c, db, s: _api(
        c, db, s, "POST", f"/skp/{s.target.id}/umpan-balik",
        {"topic": "rhk", "rhk_id": s.rhk_id, "text": "Umpan balik"}),
    "skp-dialog": lambda c, db, s: _api(c, db, s, "GET", f"/skp/{s.target.id}/dialog"),
    "skp-dialog-post": lambda c, db, s: _api(
        c, db, s, "POST", f"/skp/{s.target.id}/dialog",
        {"held_on": f"{YEAR}-01-05", "topics": "Topik", "agreed_actions": "Tindak lanjut"}),
}
WRITES = {"skp-save-expectations", "skp-save-rhk", "skp-tetapkan", "skp-kembalikan",
          "skp-perubahan", "skp-assign", "skp-mutasi", "skp-umpan-balik-post",
          "skp-dialog-post"}


def expected(endpoint: str, role: str, agency: str) -> int:
    """Return the status code the matrix allows for one cell (the target is submitted)."""
    if endpoint == "skp-list":
        return 200  # everybody lists her own; the leak check below covers the rest
    if endpoint == "skp-mutasi":
        # Admins only (the Kepala Dinas); another agency's employee does not exist for them.
        if role != "leader":
            return 403
        return 201 if agency == "A" else 404
    if agency == "B" or role not in READERS:
        return 404  # an SKP the reader may not read does not exist for her
    if endpoint in ("skp-get", "skp-matriks", "skp-pohon", "skp-umpan-balik", "skp-dialog"):
        return 200
    if endpoint == "skp-umpan-balik-post":
        # The appraiser starts threads (409 here: not set yet); the employee only replies.
        return 409 if role == "appraiser" else 403
    if endpoint == "skp-dialog-post":
        return 409 if role in ("appraiser", "employee") else 403
    if endpoint == "skp-save-expectations":
        return 200 if role == "appraiser" else 403
    if endpoint == "skp-save-rhk":
        return 403  # submitted: nobody edits the employee's part
    if endpoint in ("skp-tetapkan", "skp-kembalikan"):
        if role == "appraiser":
            return 200
        # The employee and an admin are named by the step but refused by skp_setter (409);
        # the auditor plays no role on it (403).
        return 409 if role in ("employee", "leader") else 403
    if endpoint == "skp-perubahan":
        return 403 if role == "auditor" else 409  # not set yet: the step is not possible
    assert endpoint == "skp-assign"
    # Only the SKP's employee assigns, and only once her SKP is set.
    return 409 if role == "employee" else 403


CELLS = [
    pytest.param(endpoint, role, agency, id=f"{endpoint}-{role}-{agency}")
    for endpoint in ENDPOINTS
    for role in ACTORS
    for agency in ("A", "B")
]


def _state(session: Session) -> list[tuple[int, str, int, int, int]]:
    session.expire_all()
    rows = []
    for skp in session.scalars(select(Skp).order_by(Skp.id)):
        count = session.scalar(select(func.count()).select_from(HistoryEvent).where(
            HistoryEvent.chain == f"skp:{skp.id}")) or 0
        rows.append((skp.id, skp.status, skp.lock_version, skp.history_seq, count))
    return rows


@pytest.mark.parametrize(("endpoint", "role", "agency"), CELLS)
def test_cell(client: FlaskClient, session: Session, wf: Workflow, endpoint: str, role: str,
              agency: str) -> None:
    """Each role gets exactly its allowed status; refusals leak and change nothing."""
    opening = datetime(2026, 1, 5, tzinfo=UTC)
    a = build_world(session, wf, "kota-mataram", now=opening)
    b = build_world(session, wf, "kota-kupang", offset=50, now=opening)
    target_a, target_b = _chain(session, wf, a), _chain(session, wf, b)
    target = target_a if agency == "A" else target_b
    setup = Setup(a, ACTORS[role], target, target.rhk[0].id)
    before = _state(session)
    target_nip = target.employee_identity["nip"]

    response = ENDPOINTS[endpoint](client, session, setup)

    want = expected(endpoint, role, agency)
    assert response.status_code == want, response.get_data(as_text=True)[:500]
    after = _state(session)
    if endpoint in WRITES and want in (200, 201):
        if endpoint == "skp-mutasi":  # the target closed, one new SKP opened
            assert len(after) == len(before) + 1
            after = after[:len(before)]
        changed = [row for row, old in zip(after, before, strict=True) if row != old]
        assert [row[0] for row in changed] == [target.id]
    else:
        assert after == before
    text = response.get_data(as_text=True)
    if want >= 400:
        assert target_nip not in text
    if endpoint == "skp-list":
        # Only the employee herself and her appraiser see the target in their lists.
        assert (target_nip in text) == (agency == "A" and role in ("employee", "appraiser"))
