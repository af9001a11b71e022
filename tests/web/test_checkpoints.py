"""History anchored outside the database (issue 12, item 1).

Signed checkpoints of every chain head are appended to a log outside the database; `audit
verify` reports a truncated history, a deleted tail and a rolled-back head against the newest
checkpoint, and a log that was edited, cut or disowned. On PostgreSQL the history refuses
TRUNCATE, and the app's runtime role can neither truncate it nor disable its triggers.
Run on SQLite and, with ``TEST_DATABASE_URL``, on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine
from sqlalchemy import make_url
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import PG_URL
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import tampering
from tests.integration.test_service import RATING_LOW
from tests.integration.test_service import at
from tests.web.conftest import PASSWORD
from tests.web.test_cli import run
from web import create_app
from web.extensions import db
from workflow.accounts import set_password
from workflow.checkpoints import CheckpointError
from workflow.checkpoints import log_path
from workflow.checkpoints import verify_checkpoints
from workflow.checkpoints import write_checkpoint
from workflow.history import verify_all
from workflow.models import AuditCheckpoint
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.models import Period
from workflow.models import utcnow
from workflow.periods import set_capaian
from workflow.service import Workflow
from workflow.service import apply_transition

pg_only = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only")


def _submitted(session: Session, wf: Workflow, w: World) -> Evaluation:
    ev = w.evaluations["pegawai"]
    apply_transition(session, at(wf, 2), w.actor("pegawai"), ev.id, "submit", data=SELF)
    session.commit()
    return ev


def _row(session: Session, evaluation_id: int) -> dict[str, Any]:
    """The evaluation row as stored (what an attacker would put back)."""
    row = session.execute(text("SELECT * FROM evaluation WHERE id = :id"),
                          {"id": evaluation_id}).mappings().one()
    return {k: (json.dumps(v) if isinstance(v, dict) else v) for k, v in row.items()
            if k != "id"}


def _verify(app: Flask) -> tuple[int, str]:
    return run(app, "audit", "verify")


def test_checkpoint_command_and_clean_verify(app: Flask, session: Session, wf: Workflow,
                                             mataram: World) -> None:
    """`audit checkpoint` appends a signed line and records it; verify agrees with it."""
    code, out = run(app, "audit", "checkpoint")
    assert code == 0 and "Checkpoint #1" in out, out
    assert wf.checkpoint_dir is not None
    lines = log_path(wf.checkpoint_dir).read_text().splitlines()
    record = json.loads(lines[0])
    assert record["number"] == 1 and record["sig"] and f"agency:{mataram.agency.id}" in (
        record["heads"])
    _submitted(session, wf, mataram)
    code, out = run(app, "audit", "checkpoint")
    assert code == 0 and "Checkpoint #2" in out and "1 berubah" in out, out
    assert session.scalar(select(AuditCheckpoint.digest).where(AuditCheckpoint.number == 2))
    code, out = _verify(app)
    assert code == 0 and "2 checkpoint cocok" in out, out


def test_truncated_history_is_reported(app: Flask, session: Session, wf: Workflow,
                                       mataram: World) -> None:
    """Emptying the history and resetting every head verifies as "0 events" without a
    checkpoint; against one it is reported chain by chain."""
    _submitted(session, wf, mataram)
    assert run(app, "audit", "checkpoint")[0] == 0
    with tampering(session):
        session.execute(text("DELETE FROM history_event"))
        session.execute(text("UPDATE evaluation SET history_seq = 0, history_head = ''"))
        session.execute(text("UPDATE agency SET history_seq = 0, history_head = ''"))
    assert all(r.ok for r in verify_all(session, wf.audit_key))  # the chains alone: fine
    code, out = _verify(app)
    assert code == 1, out
    ev = mataram.evaluations["pegawai"]
    assert f"rantai evaluation:{ev.id}: checkpoint mencatat 2 peristiwa, basis data kini 0" in out
    assert f"rantai agency:{mataram.agency.id}" in out


def test_auditor_page_shows_the_checkpoints(client: FlaskClient, session: Session, wf: Workflow,
                                            mataram: World) -> None:
    """The auditor's verification page says whether the history agrees with the log."""
    auditor = mataram.people["auditor"]
    set_password(auditor, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    client.post("/masuk", data={"nip": auditor.nip, "password": PASSWORD})
    assert "Belum ada checkpoint" in client.get("/audit/verifikasi").get_data(as_text=True)
    assert wf.checkpoint_dir is not None
    write_checkpoint(session, wf.audit_key, wf.checkpoint_dir, utcnow())
    session.commit()
    assert "Sesuai dengan 1 checkpoint" in client.get("/audit/verifikasi").get_data(as_text=True)
    with tampering(session):
        session.execute(text("UPDATE agency SET history_seq = history_seq - 1"))
    page = client.get("/audit/verifikasi").get_data(as_text=True)
    assert "tidak sesuai dengan checkpoint" in page and f"agency:{mataram.agency.id}" in page


def test_deleted_tail_with_rolled_back_row_is_reported(app: Flask, session: Session,
                                                       wf: Workflow, mataram: World) -> None:
    """Deleting the newest event and putting back the row and head it had before verifies
    on its own; the checkpoint written after that event reports it."""
    ev = _submitted(session, wf, mataram)
    before = _row(session, ev.id)
    apply_transition(session, at(wf, 3), mataram.actor("penilai"), ev.id, "review",
                     data=RATING_LOW)
    session.commit()
    assert run(app, "audit", "checkpoint")[0] == 0
    with tampering(session):
        session.execute(text("DELETE FROM history_event WHERE evaluation_id = :id AND seq = 3"),
                        {"id": ev.id})
        columns = ", ".join(f"{name} = :{name}" for name in before)
        session.execute(text(f"UPDATE evaluation SET {columns} WHERE id = :id"),  # noqa: S608 - the table's own column names
                        {**before, "id": ev.id})
    assert all(r.ok for r in verify_all(session, wf.audit_key))
    code, out = _verify(app)
    assert code == 1
    assert f"rantai evaluation:{ev.id}: checkpoint mencatat 3 peristiwa, basis data kini 2" in out


def test_rolled_back_agency_head_is_reported(app: Flask, session: Session, wf: Workflow,
                                             mataram: World) -> None:
    """The agency chain (log-ins, documents, admin changes) rolled back two events."""
    agency = mataram.agency
    period = mataram.evaluations["pegawai"].period_id
    for capaian in ("BAIK", "ISTIMEWA"):  # two admin changes in the agency's chain
        set_capaian(session, wf, mataram.actor("kepala"), period, capaian, "SK 1/2026")
    session.commit()
    seq = agency.history_seq
    older = session.scalar(select(HistoryEvent.hash).where(
        HistoryEvent.chain == f"agency:{agency.id}", HistoryEvent.seq == seq - 2))
    assert run(app, "audit", "checkpoint")[0] == 0
    with tampering(session):
        session.execute(text("DELETE FROM history_event WHERE chain = :c AND seq > :s"),
                        {"c": f"agency:{agency.id}", "s": seq - 2})
        session.execute(text("UPDATE agency SET history_seq = :s, history_head = :h "
                             "WHERE id = :id"), {"s": seq - 2, "h": older, "id": agency.id})
    assert all(r.ok for r in verify_all(session, wf.audit_key))
    code, out = _verify(app)
    assert code == 1
    assert (f"rantai agency:{agency.id}: checkpoint mencatat {seq} peristiwa, "
            f"basis data kini {seq - 2}") in out


def test_a_checkpoint_never_blesses_a_rewound_history(session: Session, wf: Workflow,
                                                      mataram: World) -> None:
    """Once a head is in the log, writing a checkpoint over a database behind it is refused."""
    assert wf.checkpoint_dir is not None
    write_checkpoint(session, wf.audit_key, wf.checkpoint_dir, utcnow())
    session.commit()
    with tampering(session):
        session.execute(text("UPDATE agency SET history_seq = history_seq - 1"))
    with pytest.raises(CheckpointError) as caught:
        write_checkpoint(session, wf.audit_key, wf.checkpoint_dir, utcnow())
    assert f"agency:{mataram.agency.id}" in caught.value.message


def test_edited_cut_or_disowned_log_is_reported(session: Session, wf: Workflow,
                                                mataram: World) -> None:
    """A rewritten line fails its signature; a cut log misses what the database recorded;
    a line the database never recorded is named."""
    assert wf.checkpoint_dir is not None
    for _ in range(2):
        write_checkpoint(session, wf.audit_key, wf.checkpoint_dir, utcnow())
        session.commit()
    path = log_path(wf.checkpoint_dir)
    first, second = path.read_text().splitlines()
    assert verify_checkpoints(session, wf.audit_key, wf.checkpoint_dir).ok

    forged = json.loads(first)
    forged["reason"] = "forged"
    path.write_text(json.dumps(forged) + "\n" + second + "\n")
    problems = verify_checkpoints(session, wf.audit_key, wf.checkpoint_dir).problems
    assert any("#1: tanda tangan tidak sah" in p for p in problems)

    path.write_text(first + "\n")
    problems = verify_checkpoints(session, wf.audit_key, wf.checkpoint_dir).problems
    assert any("checkpoint #2 tercatat di basis data tetapi tidak ada di berkas" in p
               for p in problems)

    path.write_text(first + "\n" + second + "\n")
    session.execute(text("DELETE FROM audit_checkpoint WHERE number = 2"))
    session.commit()
    problems = verify_checkpoints(session, wf.audit_key, wf.checkpoint_dir).problems
    assert problems == ["checkpoint #2 tidak tercatat di basis data / checkpoint #2 is not "
                        "recorded in the database"]


def test_bulk_jobs_write_a_checkpoint(app: Flask, session: Session, wf: Workflow,
                                      mataram: World) -> None:
    """`workflow tick` is followed by a checkpoint, so what it finalized is anchored."""
    assert wf.checkpoint_dir is not None
    assert run(app, "workflow", "tick")[0] == 0
    record = json.loads(log_path(wf.checkpoint_dir).read_text().splitlines()[-1])
    assert record["reason"] == "tick"


def test_opening_a_period_writes_a_checkpoint(client: FlaskClient, session: Session,
                                              wf: Workflow, mataram: World) -> None:
    """The admin's period opening (a bulk job) is anchored right after its commit."""
    admin = mataram.people["kepala"]
    set_password(admin, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    client.post("/masuk", data={"nip": admin.nip, "password": PASSWORD})
    client.post("/admin/period/new/", data={"kind": "monthly", "year": "2026", "number": "7"})
    period = session.scalar(select(Period).where(Period.number == 7))
    assert period is not None
    client.post(f"/admin/buka-periode/{period.id}", data={"unit": ""})
    assert session.scalar(select(Evaluation.id).where(Evaluation.period_id == period.id))
    assert wf.checkpoint_dir is not None
    record = json.loads(log_path(wf.checkpoint_dir).read_text().splitlines()[-1])
    assert record["reason"] == "period_open"
    assert verify_checkpoints(session, wf.audit_key, wf.checkpoint_dir).ok


# --- PostgreSQL: TRUNCATE trigger and the runtime role -----------------------------------


@pg_only
def test_truncate_is_refused(session: Session, mataram: World) -> None:
    """TRUNCATE history_event fails even for the owner (the statement trigger)."""
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("TRUNCATE history_event CASCADE"))
    session.rollback()


@pytest.fixture(name="runtime_url")
def _runtime_url(app: Flask, database_url: str) -> Iterator[str]:
    """A runtime role created by `db-roles runtime` in the test database; dropped after."""
    url = make_url(database_url)
    role = f"rt_{url.database}"[:60]
    code, out = run(app, "db-roles", "runtime", role)
    assert code == 0, out
    yield url.set(username=role, password=None).render_as_string(hide_password=False)
    owner = create_engine(database_url)
    with owner.begin() as conn:
        conn.execute(text(f'DROP OWNED BY "{role}"'))
        conn.execute(text(f'DROP ROLE "{role}"'))
    owner.dispose()


@pg_only
@pytest.mark.parametrize("statement", [
    "TRUNCATE history_event CASCADE",
    "ALTER TABLE history_event DISABLE TRIGGER ALL",
    "ALTER TABLE history_event DISABLE TRIGGER history_event_append_only",
    "DELETE FROM history_event",
    "UPDATE history_event SET comment = 'x'",
    "SET session_replication_role = replica",
    "DELETE FROM audit_checkpoint",
    "DROP TRIGGER history_event_no_truncate ON history_event",
])
def test_runtime_role_cannot_rewind_the_history(runtime_url: str, mataram: World,
                                                statement: str) -> None:
    """The app's role can neither truncate nor edit the history, nor switch its triggers off."""
    engine = create_engine(runtime_url)
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError) as caught:
            conn.execute(text(statement))
        assert any(word in str(caught.value) for word in (
            "permission denied", "must be owner", "append-only"))
    finally:
        engine.dispose()


@pg_only
def test_roles_are_granted_by_the_owner_only(runtime_url: str, database_url: str,
                                            tmp_path: Path) -> None:
    """`db-roles` (and `init-db`) connect as MIGRATION_DATABASE_URL; the runtime role itself
    cannot grant anything, and says so. The app's audit commands run as the runtime role.

    (No fixture here may push the test app's context: the CLI would run in it instead.)"""
    role = make_url(runtime_url).username
    assert role is not None
    config = {"TESTING": True, "SECRET_KEY": "k", "AUDIT_KEY": "test-audit-key",
              "SQLALCHEMY_ENGINES": {"default": runtime_url},
              "AUDIT_CHECKPOINT_DIR": str(tmp_path / "runtime-checkpoints")}
    for migration_url, commands in (
            ("", [(("db-roles", "runtime", role), 1, "pemilik tabel")]),
            (database_url, [(("db-roles", "runtime", role), 0, "diberi hak aplikasi"),
                            (("audit", "checkpoint"), 0, "Checkpoint #1"),
                            (("workflow", "tick"), 0, "transisi otomatis"),
                            (("audit", "verify"), 0, "2 checkpoint cocok")])):
        other = create_app({**config, "MIGRATION_DATABASE_URL": migration_url})
        try:
            for args, status, said in commands:
                code, out = run(other, *args)
                assert code == status and said in out, (args, out)
        finally:
            with other.app_context():
                db.engine.dispose()


@pg_only
def test_app_runs_as_the_runtime_role(runtime_url: str, wf: Workflow, mataram: World) -> None:
    """A transition, its history and a checkpoint are written with the runtime role."""
    engine = create_engine(runtime_url)
    try:
        with Session(engine) as session:
            ev = mataram.evaluations["pegawai"]
            apply_transition(session, at(wf, 2), mataram.actor("pegawai"), ev.id, "submit",
                             data=SELF)
            session.commit()
            assert wf.checkpoint_dir is not None
            write_checkpoint(session, wf.audit_key, wf.checkpoint_dir, utcnow())
            session.commit()
            assert all(r.ok for r in verify_all(session, wf.audit_key))
            assert verify_checkpoints(session, wf.audit_key, wf.checkpoint_dir).ok
    finally:
        engine.dispose()


def test_log_lines_are_small_when_little_moved(session: Session, wf: Workflow,
                                               mataram: World) -> None:
    """A checkpoint holds only the heads that moved since the previous one."""
    assert wf.checkpoint_dir is not None
    first = write_checkpoint(session, wf.audit_key, wf.checkpoint_dir, utcnow())
    session.commit()
    second = write_checkpoint(session, wf.audit_key, wf.checkpoint_dir, utcnow())
    session.commit()
    assert first.moved == first.chains > 1 and second.moved == 0
    assert Path(log_path(wf.checkpoint_dir)).stat().st_size > 0
