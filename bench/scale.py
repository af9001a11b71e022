"""Measure the main pages and API calls with 1k, 100k and 1M evaluations stored in one agency.

Run: ``flock /work/bench.lock .venv/bin/python bench/scale.py [--sizes 1000,100000,1000000]
[--reps 7]``.

For each size a scratch PostgreSQL database is created (``bench/scratch.py``; ``BENCH_PG_URL``
names the server) and dropped afterwards. The agency (Kota Kupang's flow, the national forms
and Kupang's own copies) is seeded in two steps:

1. **Templates, through the real use cases.** The demo's org chart is imported, the 2026
   period opened and the demo's journeys run (``demo.seed``): about 30 evaluations in every
   state, each with the events the engine wrote (draft, returned, rated, team review, accepted,
   appealed, heard, decided, finalized by the system).
2. **Clones, with COPY.** ``size / 10`` further employees (units of 50: a kepala bidang and 49
   staff; every 2 units under a kepala dinas, who reports to the Sekda) get one evaluation per
   annual period 2017–2026. Each is a copy of a template evaluation with its own employee,
   participants (the reporting line: the employee, the kepala bidang, the kepala dinas, with
   their identity), period, times (shifted into its year, jittered by up to ten days) and
   history chain: every event is re-hashed on the clone's chain, with the projection digests
   of the clone's row, so ``audit verify`` passes on the seeded data (checked on a sample at
   the end). The newest period takes every template alike; the older periods only the
   finished ones (accepted, appeal decided, finalized). The dashboard's tallies are rebuilt
   once (``workflow.tallies.rebuild_tallies``), as the CLI job would.

Then every call of ``CALLS`` is made through the Flask test client (the whole app: log-in
session or bearer token, views, templates, JSON), warmed up twice, then timed ``--reps``
times: the median, and the number of SQL statements of one call (an event listener on
``before_cursor_execute``). The summary prints, per call, the median at each size, the
statements, and the ratio of the largest size to the smallest. A new page joins the
benchmark by adding one line to ``CALLS``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scratch import pg_server_url
from scratch import postgres_engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from demo.seed import _run_journeys
from demo.seed import org_csv
from forms import store as form_store
from forms.library import load_form_sources
from forms.store import publish_national_forms
from forms.store import seed_agency_forms
from web import create_app
from web.extensions import db
from workflow import history  # noqa: F401 - registers the PostgreSQL append-only trigger
from workflow import service
from workflow.accounts import issue_token
from workflow.accounts import set_password
from workflow.actors import Actor
from workflow.history import event_hash
from workflow.history import verify_chain
from workflow.models import Agency
from workflow.models import Base
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.models import Participant
from workflow.models import Period
from workflow.models import utcnow
from workflow.projection import field_digest
from workflow.projection import participants_value
from workflow.publishing import publish_definitions
from workflow.tallies import rebuild_tallies

ROOT = Path(__file__).resolve().parents[1]
SLUG = "kota-kupang"
AUDIT_KEY = "bench-scale-audit-key"
PASSWORD = "bench-kinerja-2026"  # noqa: S105 - the scratch database's test users
CHEAP_HASH = "scrypt:1024:8:1"
YEARS = tuple(range(2017, 2027))  # ten annual periods; 2026 is the templates' own
UNIT = 50  # a kepala bidang and 49 staff
UNITS_PER_DINAS = 2  # a kepala dinas over 100 people, at every size
BATCH = 5_000
BASE = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # the demo's clock
FINISHED = ("finalized",)


# --- seeding -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Template:
    """One real evaluation: its final row, its participants' roles and its events."""

    row: dict[str, Any]
    events: list[dict[str, Any]]
    roles: dict[str, int]  # role → template employee id


@dataclass(slots=True)
class Person:
    id: int
    nip: str
    name: str
    unit: str
    superior: int | None
    identity: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Seeded:
    agency_id: int
    version_id: int
    evaluations: int
    users: dict[str, int]  # role in the benchmark → employee id
    unit: str
    sample: list[int]  # submitted evaluations of the appraiser's unit (newest period)
    seconds: float = 0.0


def nip(n: int) -> str:
    """Return a distinct 18-digit NIP for bulk employee ``n``."""
    return f"1990{n:014d}"


def identity(person: Person, jabatan: str) -> dict[str, str]:
    return {"name": person.name, "nip": person.nip, "pangkat_golongan": "Penata Muda (III/a)",
            "jabatan": jabatan, "unit_kerja": person.unit, "asn_type": "PNS",
            "jenis_jabatan": "JA"}


def seed_templates(app: Any, session: Session) -> tuple[int, int, list[Template]]:
    """Run the demo's journeys for Kupang through the real use cases; return the templates."""
    wf = app.extensions["workflow"]
    publish_national_forms(session, load_form_sources(ROOT / "definitions" / "forms"))
    agency = Agency(slug=SLUG, name="Pemerintah Kota Kupang", city="Kupang")
    session.add(agency)
    session.flush()
    from workflow.org import import_org_csv
    import_org_csv(session, wf.audit_key, agency, org_csv(0, True))
    for employee in session.scalars(select(Employee).where(Employee.agency_id == agency.id)):
        set_password(employee, PASSWORD, hash_method=CHEAP_HASH)
    publish_definitions(session, {SLUG: app.extensions["definitions"][SLUG]})
    seed_agency_forms(session, agency.id, load_form_sources(ROOT / "definitions" / "forms" / SLUG))
    _run_journeys(session, wf, agency, "annual", 2026, 1, BASE)
    session.commit()
    templates = []
    table = Evaluation.__table__
    for row in session.execute(select(table).where(table.c.agency_id == agency.id)
                               .order_by(table.c.id)).mappings():
        roles = {p.role: p.employee_id for p in session.scalars(
            select(Participant).where(Participant.evaluation_id == row["id"]))}
        if set(roles) != {"employee", "appraiser", "appeal_reviewer"}:
            continue
        events = [dict(e) for e in session.execute(
            select(HistoryEvent.__table__).where(HistoryEvent.evaluation_id == row["id"])
            .order_by(HistoryEvent.seq)).mappings()]
        # The row's updated_at is its newest event's moment: clones shift both alike.
        assert all(e["projection"]["updated_at"] == field_digest(e["at"]) for e in events)
        templates.append(Template(dict(row), events, roles))
    version_id = templates[0].row["definition_version_id"]
    return agency.id, version_id, templates


def _copy(raw: Any, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    with raw.cursor() as cur, cur.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


EV_COLS = ("id", "agency_id", "employee_id", "period_id", "definition_version_id", "status",
           "lock_version", "deadlines", "data", "form_versions", "rating_hasil_kerja",
           "rating_perilaku_kerja", "predikat", "history_seq", "history_head", "created_at",
           "updated_at")
PA_COLS = ("evaluation_id", "role", "employee_id", "identity")
HE_COLS = ("id", "agency_id", "evaluation_id", "chain", "seq", "at", "kind", "actor_id",
           "actor_nip", "actor_role", "trigger", "source", "dest", "definition_version_id",
           "comment", "data_digest", "payload", "prev_hash", "hash", "hash_version", "projection")
EM_COLS = ("id", "agency_id", "nip", "name", "jabatan", "pangkat", "golongan", "unit_kerja",
           "asn_type", "jenis_jabatan", "superior_id", "session_epoch", "active")


#: The bulk tables: their indexes, keys and foreign keys are dropped during COPY and rebuilt
#: once afterwards (a sort per index instead of 6M random inserts into each).
BULK_TABLES = ("evaluation", "evaluation_participant", "history_event")


def _drop_constraints(engine: Engine) -> list[tuple[str, str]]:
    """Drop the bulk tables' foreign keys, indexes and keys; return how to restore them."""
    tables = ", ".join(f"'{t}'::regclass" for t in BULK_TABLES)
    with engine.begin() as conn:
        fks = conn.execute(text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "  # noqa: S608 - fixed names
            "FROM pg_constraint WHERE contype = 'f' "
            f"AND (conrelid IN ({tables}) OR confrelid IN ({tables}))")).all()
        indexes = conn.execute(text(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "  # noqa: S608 - fixed names
            f"WHERE indrelid IN ({tables}) AND NOT EXISTS ("
            "SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)")).all()
        keys = conn.execute(text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "  # noqa: S608 - fixed names
            "FROM pg_constraint "
            f"WHERE contype IN ('p', 'u') AND conrelid IN ({tables})")).all()
        for table, name, _ in fks:
            conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        for name, _ in indexes:
            conn.execute(text(f"DROP INDEX {name}"))
        for table, name, _ in keys:
            conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    return ([(f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}', n) for t, n, d in keys]
            + [(d, n) for n, d in indexes]
            + [(f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}', n) for t, n, d in fks])


def _restore_constraints(engine: Engine, dropped: list[tuple[str, str]]) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SET maintenance_work_mem = '512MB'"))
        conn.execute(text("SET max_parallel_maintenance_workers = 2"))
        for ddl, _name in dropped:
            conn.execute(text(ddl))


@dataclass(slots=True)
class _CloneJob:
    """What a seeding worker needs (inherited through fork): it hashes and COPYs a share."""

    key: bytes
    agency_id: int
    periods: dict[int, int]
    templates: list[Template]
    evaluated: list[Person]
    by_id: dict[int, Person]
    boss: Person
    plan: list[tuple[int, int, int, int, int, int]]
    url: str

    def run(self, start: int, stop: int) -> None:
        import psycopg
        agency_id, key = self.agency_id, self.key
        ev_rows: list[tuple[Any, ...]] = []
        pa_rows: list[tuple[Any, ...]] = []
        he_rows: list[tuple[Any, ...]] = []
        period_digests = {pid: field_digest(pid) for pid in self.periods.values()}
        with psycopg.connect(self.url) as conn:
            conn.execute("SET synchronous_commit = off")

            def flush() -> None:
                _copy(conn, "evaluation", EV_COLS, ev_rows)
                _copy(conn, "evaluation_participant", PA_COLS, pa_rows)
                _copy(conn, "history_event", HE_COLS, he_rows)
                conn.commit()
                ev_rows.clear()
                pa_rows.clear()
                he_rows.clear()

            for year, index, t_index, jitter, eid, hid in self.plan[start:stop]:
                t = self.templates[t_index]
                person = self.evaluated[index]
                period_id = self.periods[year]
                appraiser = self.by_id.get(person.superior or 0) or self.boss
                reviewer = self.by_id.get(appraiser.superior or 0) or self.boss
                cast = {"employee": (person.id, person.nip, person.identity),
                        "appraiser": (appraiser.id, appraiser.nip, appraiser.identity),
                        "appeal_reviewer": (reviewer.id, reviewer.nip, reviewer.identity)}
                shift = -timedelta(days=365 * (2026 - year)) - timedelta(seconds=jitter)
                created = t.row["created_at"] + shift
                fixed = {"employee_id": field_digest(person.id),
                         "period_id": period_digests[period_id],
                         "created_at": field_digest(created),
                         "participants": field_digest(participants_value(
                             (role, who[0], who[2]) for role, who in cast.items()))}
                chain = f"evaluation:{eid}"
                prev = ""
                for e in t.events:
                    at = e["at"] + shift
                    role = e["actor_role"]
                    actor_id, actor_nip = e["actor_id"], e["actor_nip"]
                    if role in cast:
                        actor_id, actor_nip = cast[role][0], cast[role][1]
                    payload = e["payload"]
                    if e["trigger"] == "open":
                        payload = {**payload, "period": f"Tahunan {year}",
                                   "participants": {r: who[1] for r, who in cast.items()}}
                    projection = {**e["projection"], **fixed, "updated_at": field_digest(at)}
                    fields = {
                        "agency_id": agency_id, "evaluation_id": eid, "chain": chain,
                        "seq": e["seq"], "at": at, "kind": e["kind"], "actor_id": actor_id,
                        "actor_nip": actor_nip, "actor_role": role, "trigger": e["trigger"],
                        "source": e["source"], "dest": e["dest"],
                        "definition_version_id": e["definition_version_id"],
                        "comment": e["comment"], "data_digest": e["data_digest"],
                        "payload": payload, "prev_hash": prev, "hash_version": e["hash_version"],
                        "key_id": "", "request_id": "",  # the installation key; no request
                        "projection": projection}
                    digest = event_hash(key, fields)
                    he_rows.append((hid, agency_id, eid, chain, e["seq"], at, e["kind"],
                                    actor_id, actor_nip, role, e["trigger"], e["source"],
                                    e["dest"], e["definition_version_id"], e["comment"],
                                    e["data_digest"], json.dumps(payload), prev, digest,
                                    e["hash_version"], json.dumps(projection)))
                    prev = digest
                    hid += 1
                r = t.row
                ev_rows.append((eid, agency_id, person.id, period_id, r["definition_version_id"],
                                r["status"], r["lock_version"], json.dumps(r["deadlines"]),
                                json.dumps(r["data"]), json.dumps(r["form_versions"]),
                                r["rating_hasil_kerja"], r["rating_perilaku_kerja"],
                                r["predikat"], t.events[-1]["seq"], prev, created,
                                r["updated_at"] + shift))
                pa_rows.extend((eid, role, who[0], json.dumps(who[2])) for role, who in
                               cast.items())
                if len(ev_rows) >= BATCH:
                    flush()
            if ev_rows:
                flush()


_JOB: _CloneJob | None = None


def _work(start: int, stop: int) -> None:
    assert _JOB is not None
    _JOB.run(start, stop)


def seed(app: Any, engine: Engine, size: int, rng: random.Random, workers: int = 2) -> Seeded:
    """Seed the agency with ``size`` cloned evaluations (plus the ~30 templates)."""
    started = time.perf_counter()
    key = app.extensions["workflow"].audit_key
    with app.app_context():
        session = db.session
        agency_id, version_id, templates = seed_templates(app, session)
        sekda = session.scalar(select(Employee).where(
            Employee.agency_id == agency_id, Employee.superior_id.is_(None),
            Employee.jabatan == "Sekretaris Daerah"))
        assert sekda is not None
        boss = Person(sekda.id, sekda.nip, sekda.name, sekda.unit_kerja, None, sekda.identity())
        next_employee = (session.scalar(select(func.max(Employee.id))) or 0) + 1
        next_evaluation = (session.scalar(select(func.max(Evaluation.id))) or 0) + 1
        next_event = (session.scalar(select(func.max(HistoryEvent.id))) or 0) + 1
        periods = {}
        for year in YEARS:
            period = session.scalar(select(Period).where(Period.agency_id == agency_id,
                                                         Period.year == year))
            if period is None:
                period = Period(agency_id=agency_id, kind="annual", year=year, number=1,
                                label=f"Tahunan {year}", starts_on=date(year, 1, 1),
                                ends_on=date(year, 12, 31))
                session.add(period)
                session.flush()
            periods[year] = period.id
        session.commit()
    finished = [t for t in templates if t.row["status"] in FINISHED]
    assert finished, "no finished template"

    # The org chart: kepala dinas every 20 units (under the Sekda), units of 50.
    per_year = max(1, size // len(YEARS))
    people: list[Person] = []
    evaluated: list[Person] = []
    n = 0
    dinas: Person | None = None
    head: Person | None = None
    while len(evaluated) < per_year:
        unit_no = len(evaluated) // UNIT
        if unit_no % UNITS_PER_DINAS == 0 and len(evaluated) % UNIT == 0:
            n += 1
            dinas = Person(next_employee + n, nip(n), f"Kepala Dinas {unit_no // UNITS_PER_DINAS}",
                           f"Dinas {unit_no // UNITS_PER_DINAS}", boss.id)
            dinas.identity = identity(dinas, "Kepala Dinas")
            people.append(dinas)
        assert dinas is not None
        n += 1
        unit = f"Dinas {unit_no // UNITS_PER_DINAS} Bidang {unit_no % UNITS_PER_DINAS}"
        if len(evaluated) % UNIT == 0:
            head = Person(next_employee + n, nip(n), f"Kepala Bidang {unit_no}", unit, dinas.id)
            head.identity = identity(head, "Kepala Bidang")
            person = head
        else:
            assert head is not None
            person = Person(next_employee + n, nip(n), f"Pegawai {n} {rng.choice(NAMES)}", unit,
                            head.id)
            person.identity = identity(person, "Analis")
        people.append(person)
        evaluated.append(person)
    by_id = {p.id: p for p in people}
    raw = engine.raw_connection()
    try:
        _copy(raw.driver_connection, "employee", EM_COLS, [
            (p.id, agency_id, p.nip, p.name, p.identity["jabatan"], "Penata Muda", "III/a",
             p.unit, "PNS", "JA", p.superior, 0, True) for p in people])
        raw.commit()
    finally:
        raw.close()
    # The plan: every clone's template, jitter and ids, drawn here in one order (so the data
    # do not depend on the number of workers); the workers hash and COPY their share.
    plan: list[tuple[int, int, int, int, int, int]] = []  # year, index, template, jitter, eid, hid
    eid, hid = next_evaluation, next_event
    sample: list[int] = []
    position = {id(t): i for i, t in enumerate(templates)}
    for year in YEARS:
        choices = templates if year == YEARS[-1] else finished
        for index in range(len(evaluated)):
            if index < UNIT * UNITS_PER_DINAS:
                # The measured people (the first dinas) get the same evaluations at every
                # size: each template in turn, so every state is in their inboxes.
                t = choices[(index + year) % len(choices)]
            else:
                t = choices[rng.randrange(len(choices))]
            plan.append((year, index, position[id(t)], rng.randrange(10 * 86400), eid, hid))
            if year == YEARS[-1] and index < UNIT and t.row["status"] == "submitted":
                sample.append(eid)  # waiting for the measured appraiser's rating
            eid += 1
            hid += len(t.events)
    copied = time.perf_counter()
    dropped = _drop_constraints(engine)
    job = _CloneJob(key, agency_id, periods, templates, evaluated, by_id, boss, plan,
                    engine.url.set(drivername="postgresql").render_as_string(
                        hide_password=False))
    share = -(-len(plan) // workers)
    if workers <= 1 or len(plan) < 2 * BATCH:
        job.run(0, len(plan))
    else:
        global _JOB
        _JOB = job
        ctx = multiprocessing.get_context("fork")
        procs = [ctx.Process(target=_work, args=(i * share, min(len(plan), (i + 1) * share)))
                 for i in range(workers)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        _JOB = None
        failed = [proc.exitcode for proc in procs if proc.exitcode]
        assert not failed, f"a seeding worker failed: {failed}"
    hashed = time.perf_counter()
    _restore_constraints(engine, dropped)
    indexed = time.perf_counter()
    print(f"  clones hashed and copied by {workers} processes in {hashed - copied:.1f} s; "
          f"{len(dropped)} indexes and constraints rebuilt in {indexed - hashed:.1f} s",
          flush=True)
    with engine.begin() as conn:
        for name in ("employee", "evaluation", "history_event"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 - fixed table names
                              f"(SELECT max(id) FROM {name}))"))
    with app.app_context():
        rebuild_tallies(db.session, agency_id)
        db.session.commit()
    vacuumed = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"  VACUUM ANALYZE in {time.perf_counter() - vacuumed:.1f} s", flush=True)
    staff = evaluated[1]
    head_of_staff = by_id[staff.superior or 0]
    users = {"employee": staff.id, "appraiser": head_of_staff.id,
             "appeal_reviewer": head_of_staff.superior or 0}
    with app.app_context():
        for group in ("admin", "inspektorat", "tim-penilai-kinerja"):
            users[group] = db.session.scalar(
                select(Employee.id).join(Employee.groups).where(
                    Employee.agency_id == agency_id, text(f"agency_group.slug = '{group}'"))
                .order_by(Employee.id).limit(1))
        for employee_id in users.values():
            person = db.session.get(Employee, employee_id)
            assert person is not None
            set_password(person, PASSWORD, hash_method=CHEAP_HASH)
        db.session.commit()
    return Seeded(agency_id, version_id, eid - next_evaluation, users, staff.unit, sample,
                  time.perf_counter() - started)


NAMES = ("Siti Rahmawati", "Agus Setiawan", "Dewi Lestari", "Yohanes Fanggidae", "Maria Ndoen",
         "Made Saputra", "Ketut Wulandari", "Rina Riwu", "Petrus Manafe", "Yosef Tefa")


def check_sample(app: Any, seeded: Seeded, rng: random.Random) -> str:
    """Verify the chains and rows of 50 random seeded evaluations (as ``audit verify`` does)."""
    with app.app_context():
        ids = list(db.session.scalars(select(Evaluation.id).where(
            Evaluation.agency_id == seeded.agency_id)))
        picked = rng.sample(ids, min(50, len(ids)))
        key = app.extensions["workflow"].audit_key
        bad = [eid for eid in picked
               if not verify_chain(db.session, key, db.session.get_one(Evaluation, eid)).ok]
        db.session.rollback()
    return f"{len(picked) - len(bad)}/{len(picked)} sampled chains verify" + (
        f" (broken: {bad[:5]})" if bad else "")


# --- kept databases ----------------------------------------------------------------------------


@contextmanager
def kept_database(server_url: str, name: str) -> Iterator[tuple[Engine, str] | None]:
    """A database kept between runs (``--keep``): created if missing, never dropped."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    engine = create_engine(make_url(server_url).set(database=name))
    try:
        where = make_url(server_url).set(database=name).render_as_string(hide_password=True)
        yield engine, f"PostgreSQL, kept database {where}"
    finally:
        engine.dispose()


def load_seeded(engine: Engine) -> Seeded | None:
    """Return what a kept database was seeded with, or None (not seeded, or not finished)."""
    with engine.connect() as conn:
        if not conn.scalar(text("SELECT to_regclass('bench_seeded') IS NOT NULL")):
            return None
        data = conn.scalar(text("SELECT data FROM bench_seeded"))
    return Seeded(**data) if data else None


def store_seeded(engine: Engine, seeded: Seeded) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_seeded (data jsonb NOT NULL)"))
        conn.execute(text("INSERT INTO bench_seeded VALUES (CAST(:d AS jsonb))"),
                     {"d": json.dumps(asdict(seeded))})


def upgrade_kept(engine: Engine) -> str:
    """Bring a kept database to the current models: new tables, new indexes (then ANALYZE)."""
    started = time.perf_counter()
    Base.metadata.create_all(engine)
    created = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        conn.execute(text("SET maintenance_work_mem = '512MB'"))
        for table in Base.metadata.sorted_tables:
            if table.name in BULK_TABLES:  # indexes the models no longer have
                for (name,) in conn.execute(text(
                        "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = "
                        "to_regclass(:t) AND NOT EXISTS (SELECT 1 FROM pg_constraint "
                        "WHERE conindid = indexrelid)"), {"t": table.name}):
                    if name not in {index.name for index in table.indexes}:
                        conn.execute(text(f'DROP INDEX "{name}"'))
                        created.append(f"-{name}")
            for index in table.indexes:
                if not conn.scalar(text("SELECT to_regclass(:n) IS NOT NULL"),
                                   {"n": index.name}):
                    index.create(conn)
                    created.append(str(index.name))
        if created:
            conn.execute(text("ANALYZE"))
    took = time.perf_counter() - started
    return (f"indexes added (-: dropped): {', '.join(created)} ({took:.1f} s)"
            if created else "no index to add")


# --- measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Call:
    """One page or API call: who makes it and what it asks (``ctx`` gives ids, NIPs, …)."""

    name: str
    who: str  # a key of Seeded.users; "token:<key>" for the API
    path: Callable[[dict[str, Any]], str]
    #: A streamed download: the user waits for its first row (the browser's download starts,
    #: then grows as it is written); the goal applies to that, the total is printed beside it.
    streamed: bool = False


CALLS: tuple[Call, ...] = (
    Call("inbox, employee", "employee", lambda c: "/evaluasi/"),
    Call("inbox, appraiser", "appraiser", lambda c: "/evaluasi/"),
    Call("inbox, appeal reviewer", "appeal_reviewer", lambda c: "/evaluasi/"),
    Call("inbox, evaluation team", "tim-penilai-kinerja", lambda c: "/evaluasi/"),
    Call("inbox, auditor", "inspektorat", lambda c: "/evaluasi/"),
    Call("inbox, admin", "admin", lambda c: "/evaluasi/"),
    Call("inbox, admin, search", "admin", lambda c: f"/evaluasi/?q={c['name']}"),
    Call("inbox, admin, page 3", "admin", lambda c: "/evaluasi/?hal_visible=3"),
    Call("evaluation page (appraiser)", "appraiser", lambda c: f"/evaluasi/{c['evaluation']}"),
    Call("API list, admin", "token:admin", lambda c: "/api/v1/evaluations"),
    Call("API list, admin, page 3", "token:admin", lambda c: "/api/v1/evaluations?page=3"),
    Call("API list, staff", "token:employee", lambda c: "/api/v1/evaluations"),
    Call("API list, appraiser", "token:appraiser", lambda c: "/api/v1/evaluations"),
    Call("API search, admin", "token:admin", lambda c: f"/api/v1/evaluations?q={c['name']}"),
    Call("API detail, appraiser", "token:appraiser",
         lambda c: f"/api/v1/evaluations/{c['evaluation']}"),
    Call("API history, appraiser", "token:appraiser",
         lambda c: f"/api/v1/evaluations/{c['evaluation']}/history"),
    Call("dashboard", "inspektorat", lambda c: "/dasbor/"),
    Call("audit search", "inspektorat", lambda c: "/audit/"),
    Call("audit search by actor", "inspektorat", lambda c: f"/audit/?actor_nip={c['actor']}"),
    Call("audit search by unit", "inspektorat", lambda c: f"/audit/?unit_kerja={c['unit']}"),
    Call("audit search by date", "inspektorat",
         lambda c: "/audit/?dari=2026-11-10&sampai=2026-11-20"),
    Call("audit search, page 3", "inspektorat", lambda c: "/audit/?halaman=3"),
    Call("audit CSV by unit, 2026", "inspektorat",
         lambda c: f"/audit/ekspor.csv?unit_kerja={c['unit']}&dari=2026-01-01", streamed=True),
    Call("audit CSV by unit, all years", "inspektorat",
         lambda c: f"/audit/ekspor.csv?unit_kerja={c['unit']}", streamed=True),
    Call("audit timeline", "inspektorat", lambda c: f"/audit/evaluasi/{c['evaluation']}"),
    Call("admin evaluation list", "admin", lambda c: "/admin/evaluation/"),
    Call("admin history list", "admin", lambda c: "/admin/history/"),
)


class Counter:
    """Counts statements, and keeps the slowest one of a call (for ``--explain``)."""

    def __init__(self) -> None:
        self.n = 0
        self.slowest: tuple[float, str, Any] = (0.0, "", None)
        self._started = 0.0

    def before(self, *_: Any) -> None:
        self.n += 1
        self._started = time.perf_counter()

    def after(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        took = time.perf_counter() - self._started
        if took > self.slowest[0]:
            self.slowest = (took, statement, parameters)


def explain(engine: Engine, statement: str, parameters: Any) -> str:
    """Return PostgreSQL's plan of a statement as it ran (EXPLAIN ANALYZE, BUFFERS)."""
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
            plan = "\n".join(row[0] for row in cur.fetchall())
        raw.rollback()
    finally:
        raw.close()
    return plan


Result = tuple[float, int, int, float]  # median ms, statements, HTTP status, first row ms


def _read(response: Any, started: float) -> tuple[int, float]:
    """Read a response to its end; return its size and when its first data line arrived
    (after the header line: a CSV's first row; the whole body for anything else)."""
    size = lines = 0
    first = 0.0
    for chunk in response.response:
        data = chunk.encode() if isinstance(chunk, str) else chunk
        size += len(data)
        lines += data.count(b"\n")
        if not first and lines >= 2:
            first = time.perf_counter() - started
    response.close()
    return size, first or time.perf_counter() - started


def measure(app: Any, seeded: Seeded, reps: int, plans: bool = False) -> dict[str, Result]:
    """Return call name → (median ms, statements of one call, status, first row ms)."""
    clients: dict[str, Any] = {}
    tokens: dict[str, str] = {}
    with app.app_context():
        people = {k: db.session.get_one(Employee, v) for k, v in seeded.users.items()}
        for who, person in people.items():
            tokens[who] = issue_token(db.session, app.extensions["workflow"].audit_key,
                                      Actor.system(seeded.agency_id), person, now=utcnow(),
                                      name="bench", scope="read", days=30).token
        db.session.commit()
        nips = {who: person.nip for who, person in people.items()}
        ctx = {"evaluation": seeded.sample[0], "unit": quote_plus(seeded.unit),
               "actor": people["appraiser"].nip,
               "name": people["employee"].name.split()[-1][:5]}
    # Outside any app context: each request gets its own (else they share the logged-in user).
    for who, number in nips.items():
        client = app.test_client()
        response = client.post("/masuk", data={"nip": number, "password": PASSWORD})
        assert response.status_code == 302, (who, response.status_code)
        clients[who] = client
    counter = Counter()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter.before)
    event.listen(engine, "after_cursor_execute", counter.after)
    results = {}
    slowest = {}
    try:
        for call in CALLS:
            path = call.path(ctx)
            if call.who.startswith("token:"):
                client = app.test_client()
                headers = {"Authorization": f"Bearer {tokens[call.who[6:]]}"}
            else:
                client, headers = clients[call.who], {}
            times, firsts = [], []
            statements = status = size = 0
            for rep in range(reps + 2):
                counter.n = 0
                counter.slowest = (0.0, "", None)
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                size, first = _read(response, started)  # a streamed CSV is read to its end
                elapsed = time.perf_counter() - started
                status = response.status_code
                if rep >= 2:
                    times.append(elapsed)
                    firsts.append(first)
                    statements = counter.n
                    slowest[call.name] = counter.slowest
            results[call.name] = (statistics.median(times) * 1000, statements, status,
                                  statistics.median(firsts) * 1000)
            took, statement, _params = slowest[call.name]
            streamed = (f" (first row {results[call.name][3]:.1f} ms)" if call.streamed
                        else "")
            print(f"  {call.name:<34} {results[call.name][0]:9.1f} ms{streamed}  "
                  f"{statements:4d} statements  HTTP {status} {size / 1024:7.1f} KiB  slowest "
                  f"{took * 1000:.1f} ms: {' '.join(statement.split())[:90]}", flush=True)
    finally:
        event.remove(engine, "before_cursor_execute", counter.before)
        event.remove(engine, "after_cursor_execute", counter.after)
    if plans:
        for name, (took, statement, params) in slowest.items():
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                print(f"\n-- {name}: slowest statement ({took * 1000:.1f} ms)\n"
                      f"{explain(engine, statement, params)}")
    return results


def make_app(url: str, tmp: Path) -> Any:
    service.clear_caches()
    form_store.clear_caches()
    return create_app({
        "SECRET_KEY": "bench-scale-secret", "AUDIT_KEY": AUDIT_KEY,
        "SQLALCHEMY_ENGINES": {"default": url}, "PUBLIC_BASE_URL": "http://localhost",
        "PASSWORD_HASH_METHOD": CHEAP_HASH, "SERVER_NAME": "localhost",
        "AUDIT_CHECKPOINT_DIR": str(tmp), "RATELIMIT_ENABLED": False,
        "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": False,
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000",
                        help="evaluations to seed, comma-separated (default 1k, 100k, 1M)")
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--explain", action="store_true",
                        help="print the plan of each call's slowest statement at the largest size")
    parser.add_argument("--keep", metavar="PREFIX", default="",
                        help="keep each size's database as PREFIXscale<size> and reuse it on the "
                             "next run (new tables and indexes are added to it), instead of a "
                             "scratch database dropped afterwards")
    parser.add_argument("--seed-only", action="store_true",
                        help="seed (and with --keep, keep) the databases; measure nothing")
    parser.add_argument("--workers", type=int, default=2,
                        help="processes that hash and COPY the clones (default 2)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(f"bench/scale.py {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python "
          f"{platform.python_version()}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    table: dict[int, dict[str, Result]] = {}
    import tempfile
    for size in sizes:
        rng = random.Random(args.seed)  # noqa: S311 - a seeded sample, not a secret
        database = (kept_database(pg_server_url(), f"{args.keep}scale{size}") if args.keep
                    else postgres_engine(pg_server_url(), f"scale{size}"))
        with database as found, tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            if found is None:
                raise SystemExit("PostgreSQL is needed")
            engine, where = found[0], found[1]
            print(f"\n== {size:,} evaluations: {where}", flush=True)
            url = engine.url.render_as_string(hide_password=False)
            seeded = load_seeded(engine) if args.keep else None
            if seeded is None:
                Base.metadata.create_all(engine)
                app = make_app(url, Path(tmp))
                seeded = seed(app, engine, size, rng, args.workers)
                if args.keep:
                    store_seeded(engine, seeded)
            else:
                print(f"kept database: seeded earlier in {seeded.seconds:.1f} s; "
                      + upgrade_kept(engine), flush=True)
                app = make_app(url, Path(tmp))
            with engine.connect() as conn:
                counts = {name: conn.scalar(text(f"SELECT count(*) FROM {name}"))  # noqa: S608 - fixed names
                          for name in ("employee", "evaluation", "evaluation_participant",
                                       "history_event")}
                db_size = conn.scalar(text("SELECT pg_size_pretty(pg_database_size("
                                           "current_database()))"))
            print(f"seeded in {seeded.seconds:.1f} s: " + ", ".join(
                f"{k} {v:,}" for k, v in counts.items()) + f"; database {db_size}", flush=True)
            print(check_sample(app, seeded, rng), flush=True)
            if args.seed_only:
                continue
            table[size] = measure(app, seeded, args.reps,
                                  plans=args.explain and size == max(sizes))
            with app.app_context():
                db.engine.dispose()
    if args.seed_only:
        return
    small, large = min(sizes), max(sizes)
    print(f"\n== Summary (median ms / statements; ratio {large:,} / {small:,})")
    header = " | ".join(f"{s:,}" for s in sizes)
    print(f"| page / call | {header} | ratio | same statements |")
    print("|---|" + "---|" * len(sizes) + "---|---|")
    for call in CALLS:
        # A streamed download is judged by its first row (the total is shown after it).
        judged = 3 if call.streamed else 0
        cells = [f"{table[s][call.name][judged]:.1f} ms ({table[s][call.name][1]})"
                 + (f", all {table[s][call.name][0]:.0f} ms" if call.streamed else "")
                 for s in sizes]
        ratio = table[large][call.name][judged] / table[small][call.name][judged]
        same = len({table[s][call.name][1] for s in sizes}) == 1
        flag = "" if ratio <= 2 and table[large][call.name][judged] <= 300 else " **"
        print(f"| {call.name}{' (first row)' if call.streamed else ''} | {' | '.join(cells)} "
              f"| {ratio:.2f}{flag} | {'yes' if same else 'NO'} |")
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
