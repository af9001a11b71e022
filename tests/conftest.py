"""Shared fixtures: an app on an isolated database per test, and a small real org chart.

SQLite (default): a new in-memory database per test. PostgreSQL (``TEST_DATABASE_URL``): one
schema created once per run, every table truncated before each test (in replica mode, which
skips the history table's triggers: it refuses TRUNCATE, UPDATE and DELETE). Under
pytest-xdist each worker has its own database, ``<name>_<worker>`` (e.g. ``test_gw0``),
created when missing.
"""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask import current_app
from flask.testing import FlaskClient
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import make_url
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from forms import store as form_store
from forms.library import load_form_sources
from forms.store import publish_national_forms
from forms.store import seed_agency_forms
from tests.xdist_scheduling import SuiteScheduling
from web import create_app
from web.config import sqlalchemy_url
from web.extensions import db
from workflow import history  # noqa: F401 - registers the PostgreSQL trigger DDL
from workflow import service
from workflow.accounts import issue_token
from workflow.actors import Actor
from workflow.definition import WorkflowDefinition
from workflow.models import Agency
from workflow.models import Base
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import utcnow
from workflow.org import import_org_csv
from workflow.periods import ensure_period
from workflow.periods import open_period
from workflow.publishing import publish_definitions
from workflow.registry import load_definitions
from workflow.service import Workflow

ROOT = Path(__file__).resolve().parent.parent


def worker_database_url(url: str | None, worker: str | None) -> str | None:
    """Return the PostgreSQL URL of an xdist worker (``gw0``…): the database name suffixed with
    the worker id, so parallel workers never truncate each other's tables."""
    if not url or not worker:
        return url
    parsed = make_url(sqlalchemy_url(url))
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(
        hide_password=False)


PG_URL = worker_database_url(os.environ.get("TEST_DATABASE_URL"),
                             os.environ.get("PYTEST_XDIST_WORKER"))
ARTIFACTS = ROOT / "test-artifacts"
# Werkzeug's scrypt at N=2^10 instead of production's 2^15: the same code path, ~30x cheaper.
# Tests hash ~14 passwords per fixture; the app under test is configured with it too.
CHEAP_HASH = "scrypt:1024:8:1"


class LazyBuilderRule(Rule):
    """A URL rule that compiles its URL builder when ``url_for`` first needs it.

    Werkzeug compiles two builder functions (``compile()`` of generated code) for every rule
    as it is added; with Flask-Admin's views that is about 240 rules and a third of the time
    it takes to create an app. The suite creates an app per test, and most tests build few
    URLs. Matching and building are Werkzeug's own code, unchanged; only the moment the
    builder is compiled moves. Production apps (one per process) keep Werkzeug's rule class.
    """

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compiled: list[Callable[..., tuple[str, str]]] = []

        def build(rule: Rule, **values: Any) -> tuple[str, str]:
            if not compiled:
                compiled.append(Rule._compile_builder(rule, append_unknown))
            return compiled[0](rule, **values)

        return build


Flask.url_rule_class = LazyBuilderRule


def pytest_report_header() -> str:
    """Say which database the run uses."""
    return f"database: {PG_URL or 'sqlite (in-memory, one per test)'}"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Share the suite among xdist workers as ``tests/xdist_scheduling.py`` says (for the
    default ``--dist load``; another ``--dist`` gets xdist's own scheduler)."""
    if config.getvalue("dist") != "load":
        return None
    return SuiteScheduling(config, log)


@pytest.fixture(name="database_url", scope="session")
def _database_url() -> Iterator[str]:
    if not PG_URL:
        yield "sqlite://"
        return
    url = sqlalchemy_url(PG_URL)
    _create_database_if_missing(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        Base.metadata.create_all(conn)
    engine.dispose()
    yield url


def _create_database_if_missing(url: str) -> None:
    """Create a worker's database, connected to the one ``TEST_DATABASE_URL`` names."""
    base = sqlalchemy_url(os.environ["TEST_DATABASE_URL"])
    name = make_url(url).database
    if name == make_url(base).database:
        return
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                           {"name": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def empty_tables(engine: Engine) -> None:
    """Empty every table of a PostgreSQL test database (ids restart at 1)."""
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        # The history refuses TRUNCATE; the superuser's replica mode skips its trigger.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(name="app")
def _app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    service.clear_caches()
    form_store.clear_caches()
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "AUDIT_KEY": "test-audit-key",
        "SQLALCHEMY_ENGINES": {"default": database_url},
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "localhost",
        "PASSWORD_HASH_METHOD": CHEAP_HASH,
        "PUBLIC_BASE_URL": "http://localhost",  # printed on documents and slips
        "AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
        "QUEUE_IMMEDIATE": True,  # each job runs where it is enqueued (Huey's immediate mode)
        "STORAGE_URL": f"file://{tmp_path / 'storage'}",
    })
    with app.app_context():
        if database_url.startswith("sqlite"):
            Base.metadata.create_all(db.engine)
        else:
            empty_tables(db.engine)
    yield app
    with app.app_context():
        db.engine.dispose()


@contextmanager
def sql_statements(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL text of every statement the app's engine sends inside the block."""
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture(name="client")
def _client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(name="session")
def _session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session


@pytest.fixture(name="wf")
def _wf(app: Flask) -> Workflow:
    wf: Workflow = app.extensions["workflow"]
    return wf


# A complete self-assessment that passes the national form's validation.
SELF = {"hasil_kerja": [{"rencana_hasil_kerja": "Layanan", "indikator": "Persentase",
                         "target": "95%", "realisasi": "96%", "bukti_dukung": "https://x.id/b"}],
        "kendala": "Jaringan terputus.", "rencana_perbaikan": "Formulir luring."}

ORG_HEADER = "nip,nama,jabatan,pangkat,golongan,unit_kerja,jenis_asn,nip_atasan,grup\n"


def nip(n: int) -> str:
    """Return a valid, distinct test NIP."""
    return f"19800101200501{1 + n % 2}{n:03d}"


def org_rows(offset: int = 0) -> str:
    """Return a small org chart: kepala > atasan > penilai > 2 pegawai, plus team, auditor and
    the PPK (group ``ppk``, deciding the appeals of those the kepala rates)."""
    o = offset
    rows = [
        (nip(o + 1), "Kepala Dinas", "Kepala Dinas", "Pembina Utama Muda", "IV/c", "Sekretariat",
         "PNS", "", "admin"),
        (nip(o + 2), "Atasan Penilai", "Kepala Bidang", "Pembina", "IV/a", "Bidang A", "PNS",
         nip(o + 1), ""),
        (nip(o + 3), "Pejabat Penilai", "Kepala Seksi", "Penata Tk. I", "III/d", "Bidang A",
         "PNS", nip(o + 2), ""),
        (nip(o + 4), "Pegawai Satu", "Analis", "Penata Muda", "III/a", "Bidang A", "PNS",
         nip(o + 3), ""),
        (nip(o + 5), "Pegawai Dua", "Pengelola", "", "IX", "Bidang A", "PPPK", nip(o + 3), ""),
        (nip(o + 6), "Anggota Tim", "Analis SDM", "Penata", "III/c", "BKPSDM", "PNS", nip(o + 1),
         "tim-penilai-kinerja"),
        (nip(o + 7), "Auditor Inspektorat", "Auditor", "Penata", "III/c", "Inspektorat", "PNS",
         nip(o + 1), "inspektorat"),
        # Decides the appeals of those the Kepala Dinas (who has no superior) rates: the
        # definitions' fallback for the appraiser's superior is group 'ppk'. Also on the
        # team, so that the team member's own evaluation has an independent reviewer.
        (nip(o + 8), "Pejabat Pembina", "Wali Kota", "", "", "Pemerintah Kota", "PNS", "",
         "ppk;tim-penilai-kinerja"),
    ]
    return ORG_HEADER + "\n".join(",".join(r) for r in rows) + "\n"


@dataclass
class World:
    """One agency with a real reporting line and an opened annual period."""

    agency: Agency
    people: dict[str, Employee]
    evaluations: dict[str, Evaluation]

    def actor(self, who: str) -> Actor:
        """Return the actor for a named person of the org chart."""
        return Actor.of(self.people[who])


PEOPLE = ("kepala", "atasan", "penilai", "pegawai", "pegawai2", "tim", "auditor", "ppk")


@functools.cache
def _parsed_forms(directory: Path) -> dict[str, dict[str, object]]:
    return load_form_sources(directory)


def shipped_forms(directory: Path) -> dict[str, dict[str, object]]:
    """Return the form specs shipped in ``directory``: parsed once per run (the files do not
    change during it), a fresh copy each call (stored specs must not share their dicts)."""
    return copy.deepcopy(_parsed_forms(directory))


@functools.cache
def shipped_definitions() -> dict[str, WorkflowDefinition]:
    """Return the shipped flow definitions, parsed once per run (they are immutable)."""
    return load_definitions(ROOT / "definitions")


def build_world(session: Session, wf: Workflow, slug: str = "kota-kupang", offset: int = 0,
                now: datetime | None = None) -> World:
    """Create an agency from ``org_rows``, publish its definition and open 2026's period."""
    publish_national_forms(session, shipped_forms(ROOT / "definitions" / "forms"))
    agency = Agency(slug=slug, name=f"Pemerintah {slug}", city="Kupang")
    session.add(agency)
    session.flush()
    import_org_csv(session, wf.audit_key, agency, org_rows(offset))
    own_forms = ROOT / "definitions" / "forms" / slug
    if own_forms.is_dir():
        seed_agency_forms(session, agency.id, shipped_forms(own_forms))
    publish_definitions(session, {slug: shipped_definitions()[slug]})
    people = {
        name: session.scalar(select(Employee).where(Employee.nip == nip(offset + i + 1)))
        for i, name in enumerate(PEOPLE)
    }
    period = ensure_period(session, agency, "annual", 2026)
    opening = Workflow(wf.audit_key, wf.forms, lambda: now or datetime(2026, 1, 5, tzinfo=UTC))
    report = open_period(session, opening, Actor.of(people["kepala"]), period.id)
    evaluations = {e.employee.nip: e for e in report.evaluations}
    session.commit()
    return World(agency, people,
                 {name: evaluations[people[name].nip] for name in PEOPLE
                  if people[name].nip in evaluations})


def api_token(session: Session, person: Employee, name: str = "test",
              scope: str = "read transition", days: int = 90) -> str:
    """Issue an API token for ``person`` (by the system, as the CLI does); the caller commits."""
    key = current_app.extensions["workflow"].audit_key
    return issue_token(session, key, Actor.system(person.agency_id), person, now=utcnow(),
                       name=name, scope=scope, days=days).token


@contextmanager
def tampering(session: Session) -> Iterator[None]:
    """Let a test edit the history behind the app's back, as an attacker with DB access would.

    On PostgreSQL the append-only trigger is bypassed for this session only (superuser
    ``session_replication_role = replica``); pending ORM edits are flushed before it is reset.
    """
    if PG_URL:
        session.execute(text("SET session_replication_role = replica"))
    yield
    session.flush()
    if PG_URL:
        session.execute(text("SET session_replication_role = DEFAULT"))
    session.commit()
    session.expire_all()


@pytest.fixture(name="world")
def _world(session: Session, wf: Workflow) -> World:
    """Kota Kupang (with the Tim Penilai Kinerja step), period opened."""
    return build_world(session, wf)


@pytest.fixture(name="mataram")
def _mataram(session: Session, wf: Workflow) -> World:
    """Kota Mataram (the national flow), period opened. Modules may extend it by overriding."""
    return build_world(session, wf, "kota-mataram")
