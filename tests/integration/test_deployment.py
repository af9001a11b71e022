"""What an operator does on PostgreSQL: two hosts upgrading the schema at once, and a restore
drill (dump, restore into a new database and storage directory with the escrowed audit keys:
`audit verify` passes and every issued document still verifies)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url

from reports.issuing import issue_document
from reports.issuing import verify_code
from tests.conftest import PG_URL
from tests.conftest import ROOT
from web import create_app
from web.cli import MIGRATION_LOCK
from web.config import sqlalchemy_url
from web.extensions import db
from web.health import expected_revision
from workflow.actors import Actor
from workflow.models import Document
from workflow.models import Evaluation
from workflow.models import utcnow

pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only (set TEST_DATABASE_URL)")

AUDIT_KEY = "kunci-audit-latihan-pemulihan"


def _admin_url() -> str:
    return sqlalchemy_url(os.environ["TEST_DATABASE_URL"])


def _scratch(suffix: str) -> str:
    """Create an empty database named after this worker's and return its URL."""
    base = make_url(sqlalchemy_url(PG_URL or ""))
    name = f"{base.database}_{suffix}"
    engine = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop(url: str) -> None:
    engine = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def _env(url: str, storage: Path, keyring: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "x" * 32, "AUDIT_KEY": AUDIT_KEY,
            "PUBLIC_BASE_URL": "https://kinerja.example.go.id",
            "AUDIT_CHECKPOINT_DIR": str(storage / "checkpoints"),
            "AUDIT_KEYRING": str(keyring), "LOG_LEVEL": "WARNING"}


def _flask(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _run(env: dict[str, str], *args: str) -> tuple[int, str]:
    process = _flask(env, *args)
    out, _ = process.communicate(timeout=300)
    return process.returncode, out


@pytest.fixture(name="scratch")
def _scratch_databases() -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for url in made:
        _drop(url)


def test_two_init_db_at_once_both_succeed(scratch: list[str], tmp_path: Path) -> None:
    """Two hosts deploying at once: the second waits for the first's advisory lock, then finds
    the schema current. Held by the test first, the lock shows that both really wait on it."""
    url = _scratch("initdb")
    scratch.append(url)
    env = _env(url, tmp_path, tmp_path / "keys.json")
    engine = create_engine(sqlalchemy_url(url))
    with engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        first, second = _flask(env, "init-db"), _flask(env, "init-db")
        time.sleep(8)  # both started (app start takes ~2 s) and are blocked on the lock
        assert first.poll() is None and second.poll() is None
        holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
        holder.commit()
    outputs = [p.communicate(timeout=300)[0] for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == (
            expected_revision())
    engine.dispose()
    # And without anyone holding it, at the same moment:
    url2 = _scratch("initdb2")
    scratch.append(url2)
    env2 = _env(url2, tmp_path, tmp_path / "keys.json")
    racing = [_flask(env2, "init-db"), _flask(env2, "init-db")]
    outputs = [p.communicate(timeout=300)[0] for p in racing]
    assert [p.returncode for p in racing] == [0, 0], outputs


def test_restore_drill(scratch: list[str], tmp_path: Path) -> None:
    """Dump, restore into a new database and storage directory with the keys from escrow:
    `audit verify` passes and every issued document still verifies."""
    live_storage, escrow = tmp_path / "live", tmp_path / "escrow"
    escrow.mkdir()
    keyring = escrow / "audit_keys.json"  # kept apart from the database and its dumps
    source = _scratch("live")
    scratch.append(source)
    env = _env(source, live_storage, keyring)
    for command in (("init-db",), ("demo",), ("audit", "rotate-key", "--agency", "kota-kupang")):
        code, out = _run(env, *command)
        assert code == 0, (command, out)

    # Issue documents (the evaluations of the finalized ones, as their employees).
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "AUDIT_KEY": AUDIT_KEY,
                      "SQLALCHEMY_ENGINES": {"default": sqlalchemy_url(source)},
                      "PUBLIC_BASE_URL": "https://kinerja.example.go.id",
                      "AUDIT_CHECKPOINT_DIR": str(live_storage / "checkpoints"),
                      "AUDIT_KEYRING": str(keyring)})
    with app.app_context():
        keys = app.extensions["workflow"].audit_key
        finalized = db.session.scalars(select(Evaluation).where(
            Evaluation.status == "finalized").order_by(Evaluation.id)).all()
        assert len({ev.agency_id for ev in finalized}) == 2  # both agencies, one rotated key
        per_agency = {ev.agency_id: ev for ev in finalized}  # one of each
        for ev in [*finalized[:2], *per_agency.values()]:
            issue_document(db.session, keys, Actor.of(ev.employee), ev.id, "skp",
                           "https://kinerja.example.go.id/verify", utcnow())
        db.session.commit()
        codes = list(db.session.scalars(select(Document.code)))
        assert len(codes) >= 4
    with app.app_context():
        db.engine.dispose()
    code, out = _run(env, "audit", "checkpoint")
    assert code == 0, out

    # Back up: the database (pg_dump) and the storage directory; the key stays in escrow.
    dump = tmp_path / "penilaian.dump"
    subprocess.run(["pg_dump", "--format=custom", "--file", str(dump),
                    make_url(source).set(drivername="postgresql").render_as_string(False)],
                   check=True, timeout=300)
    backup = tmp_path / "backup-storage"
    shutil.copytree(live_storage, backup)

    # Restore into a new database and a new storage directory.
    target = _scratch("restored")
    scratch.append(target)
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname",
                    make_url(target).set(drivername="postgresql").render_as_string(False),
                    str(dump)], check=True, timeout=300)
    restored_storage = tmp_path / "restored-storage"
    shutil.copytree(backup, restored_storage)
    restored = _env(target, restored_storage, keyring)
    code, out = _run(restored, "audit", "verify")
    assert code == 0 and "utuh" in out and "checkpoint cocok" in out, out

    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "AUDIT_KEY": AUDIT_KEY,
                      "SQLALCHEMY_ENGINES": {"default": sqlalchemy_url(target)},
                      "PUBLIC_BASE_URL": "https://kinerja.example.go.id",
                      "AUDIT_CHECKPOINT_DIR": str(restored_storage / "checkpoints"),
                      "AUDIT_KEYRING": str(keyring)})
    with app.app_context():
        keys = app.extensions["workflow"].audit_key
        for document_code in codes:
            result = verify_code(db.session, keys, document_code, utcnow())
            assert result is not None and not result.refused and not result.superseded, (
                document_code, result)
        db.session.rollback()
    with app.app_context():
        db.engine.dispose()

    # The drill fails without the escrowed agency key: the restored chains do not verify.
    code, out = _run(_env(target, restored_storage, tmp_path / "lost.json"), "audit", "verify")
    assert code == 1 and "RUSAK" in out, out
