"""Audit keys per agency: a rotated key signs the new events, the old events keep verifying
with the key that signed them, and existing chains keep their hashes."""

from __future__ import annotations

import json
import pickle
from dataclasses import replace
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import SELF
from tests.conftest import World
from tests.integration.test_service import RATING_LOW
from tests.integration.test_service import at
from workflow.auditkeys import AuditKeys
from workflow.auditkeys import load_keys
from workflow.history import verify_chain
from workflow.models import HistoryEvent
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.verification import run_verification


def _cli(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def _restart(app: Flask, wf: Workflow) -> Workflow:
    """What a restart of the app does: read the key file again."""
    keys = load_keys(bytes(wf.audit_key), Path(app.config["AUDIT_KEYRING"]))
    app.extensions["workflow"] = replace(wf, audit_key=keys)
    return app.extensions["workflow"]


def test_rotated_key_signs_new_events_and_old_ones_still_verify(
        app: Flask, session: Session, wf: Workflow, world: World) -> None:
    ev = world.evaluations["pegawai"]
    apply_transition(session, at(wf, 2), world.actor("pegawai"), ev.id, "submit", data=SELF)
    session.commit()
    before = {row.id: (row.hash, row.hash_version, row.key_id)
              for row in session.scalars(select(HistoryEvent))}
    assert {key_id for _h, _v, key_id in before.values()} == {""}  # the installation key

    code, out = _cli(app, "audit", "rotate-key", "--agency", world.agency.slug)
    assert code == 0, out
    keyring = Path(app.config["AUDIT_KEYRING"])
    assert keyring.stat().st_mode & 0o077 == 0  # readable by its owner only
    (entry,) = json.loads(keyring.read_text())["keys"]
    assert entry["id"] in out and entry["agency_id"] == world.agency.id

    wf = _restart(app, wf)
    apply_transition(session, at(wf, 3), world.actor("penilai"), ev.id, "send_to_team",
                     data=RATING_LOW)
    session.commit()
    rows = {row.id: row for row in session.scalars(select(HistoryEvent))}
    # Events written before the rotation are untouched (same hash, version, key).
    assert {i: (rows[i].hash, rows[i].hash_version, rows[i].key_id) for i in before} == before
    new = [row for i, row in rows.items() if i not in before]
    assert new and {row.key_id for row in new} == {entry["id"]}  # rotation event + transition
    assert {row.hash_version for row in new} == {3}
    assert {row.trigger for row in new} >= {"audit_key_rotated", "send_to_team"}

    assert verify_chain(session, wf.audit_key, ev).ok
    assert verify_chain(session, wf.audit_key, world.agency).ok
    result = run_verification(session, wf.audit_key)
    assert result.broken == []
    code, out = _cli(app, "audit", "verify")
    assert code == 0 and "utuh" in out, out

    # Without the agency's key (the file lost) the new events cannot verify: the key matters.
    without = AuditKeys(bytes(wf.audit_key))
    report = verify_chain(session, without, ev)
    assert not report.ok and report.broken_seq == 3
    # A second rotation: events of both agency keys and of the installation key all verify.
    code, out = _cli(app, "audit", "rotate-key", "--agency", world.agency.slug)
    assert code == 0, out
    wf = _restart(app, wf)
    assert len(wf.audit_key.keys) == 2
    apply_transition(session, at(wf, 4), world.actor("tim"), ev.id, "team_review",
                     data={"pendapat_tim": "Sesuai.", "rekomendasi": "setuju"})
    session.commit()
    assert len(set(session.scalars(select(HistoryEvent.key_id)))) == 3
    assert run_verification(session, wf.audit_key, jobs=1).broken == []


def test_keys_survive_pickling_for_parallel_verification() -> None:
    keys = AuditKeys(b"installation", [{"id": "a1-k1", "agency_id": 1, "secret": "ab" * 32}])
    copy = pickle.loads(pickle.dumps(keys))  # noqa: S301 - our own bytes, as --jobs sends them
    assert bytes(copy) == b"installation" and copy.keys == keys.keys
    assert copy.current == {1: "a1-k1"}


def test_unknown_agency_is_refused(app: Flask, world: World) -> None:
    code, out = _cli(app, "audit", "rotate-key", "--agency", "tidak-ada")
    assert code == 2 and "tidak ada" in out
