"""Log-in time of one agency, idle and while a bulk export of its documents runs.

Run (PostgreSQL; the database is emptied and seeded):
``flock /work/bench.lock .venv/bin/python bench/login_during_export.py [--url URL] [--n 300]``.

Seeds one agency with ``--n`` finalized evaluations, then times ``POST /masuk`` (scrypt at
production cost, the log-in's history event, the session) through the app's test client:
idle, then during an export of every document run by a separate process, as a queue worker
would (``reports.export.run_export``, renderer processes = ``--workers``). The export runs
twice: with the shipped batches (documents issued and committed ``BATCH`` at a time) and with
one batch for all documents (one transaction for the whole preparation: every snapshot read
first, then every issue event appended, then one commit), so the two figures are from one run.
The code before batching appended each event right after reading its evaluation, holding the
chain head for the whole preparation; the second mode is not that code.
Log-ins and log-outs append to the agency's history chain, whose head the export's issue
events lock until they commit.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from sqlalchemy import create_engine
from sqlalchemy import make_url
from sqlalchemy import select
from sqlalchemy import text

from bench.open_period import nip
from bench.open_period import org_csv
from tests.conftest import SELF
from tests.conftest import shipped_definitions
from tests.conftest import shipped_forms
from tests.integration.test_service import RATING_LOW
from web import create_app
from web.extensions import db
from workflow.accounts import set_password
from workflow.actors import Actor
from workflow.models import Agency
from workflow.models import Base
from workflow.models import Employee
from workflow.models import Job
from workflow.org import import_org_csv
from workflow.periods import ensure_period
from workflow.periods import open_period
from workflow.publishing import publish_definitions
from workflow.service import Workflow
from workflow.service import apply_transition

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_login_export"
SLUG = "kota-mataram"
PASSWORD = "rahasia-kinerja-bench-123"  # noqa: S105 - the benchmark's own account
CONFIG = {"SECRET_KEY": "bench-secret", "AUDIT_KEY": "bench-audit",
          "PUBLIC_BASE_URL": "http://localhost", "WTF_CSRF_ENABLED": False,
          "AUDIT_CHECKPOINT_DIR": "", "QUEUE_IMMEDIATE": True}


def reset(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(database="postgres", drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            (parsed.database,)).fetchone():
            conn.execute(f'CREATE DATABASE "{parsed.database}"')
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    engine.dispose()


def at(wf: Workflow, day: int) -> Workflow:
    moment = datetime(2026, 2, day, 9, 0, tzinfo=UTC)
    return replace(wf, clock=lambda: moment)


def seed(app, n: int) -> str:
    """One agency of ``n`` finalized staff evaluations; return the log-in NIP."""
    from forms.store import publish_national_forms
    from forms.store import seed_agency_forms

    with app.app_context():
        session = db.session
        wf = app.extensions["workflow"]
        publish_national_forms(session, shipped_forms(ROOT / "definitions" / "forms"))
        agency = Agency(slug=SLUG, name="Pemerintah Kota Mataram", city="Mataram")
        session.add(agency)
        session.flush()
        import_org_csv(session, wf.audit_key, agency, org_csv(50 * (n // 49 + 1) + 1))
        own = ROOT / "definitions" / "forms" / SLUG
        if own.is_dir():
            seed_agency_forms(session, agency.id, shipped_forms(own))
        publish_definitions(session, {SLUG: shipped_definitions()[SLUG]})
        period = ensure_period(session, agency, "annual", 2026)
        opening = replace(wf, clock=lambda: datetime(2026, 1, 5, tzinfo=UTC))
        report = open_period(session, opening, Actor.of(session.scalar(
            select(Employee).where(Employee.nip == nip(1)))), period.id)
        session.commit()
        if not report.evaluations:
            raise SystemExit(f"nothing opened: {report.skipped[:3]} {report.blocked[:3]}")
        staff = [e for e in report.evaluations if e.employee.superior_id is not None
                 and e.employee.superior.superior_id is not None][:n]
        for done, evaluation in enumerate(staff, 1):
            employee = Actor.of(evaluation.employee)
            appraiser = Actor.of(evaluation.employee.superior)
            apply_transition(session, at(wf, 2), employee, evaluation.id, "submit", data=SELF)
            apply_transition(session, at(wf, 3), appraiser, evaluation.id, "review",
                             data=RATING_LOW)
            apply_transition(session, at(wf, 4), employee, evaluation.id, "accept")
            if done % 50 == 0:
                session.commit()
        session.commit()
        user = staff[0].employee
        set_password(user, PASSWORD)  # production scrypt: the log-in as people see it
        session.commit()
        print(f"seeded {len(staff)} finalized evaluations", flush=True)
        return user.nip


def export_child(url: str, batch: int, workers: int, storage: str) -> None:
    """In its own process, as a queue worker would: one export job, run to the end."""
    import logging

    import reports.export as export
    from workflow.storage import LocalStorage

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    export.BATCH = batch
    os.environ["DATABASE_URL"] = url
    app = create_app(CONFIG)
    with app.app_context():
        kepala = db.session.scalar(select(Employee).where(Employee.nip == nip(1)))
        job = export.start_export(db.session, Actor.of(kepala), None, "",
                                  datetime.now(UTC))
        db.session.commit()
        done = export.run_export(db.engine, app.extensions["workflow"].audit_key, job.id,
                                 LocalStorage(storage), "http://localhost", workers=workers)
        assert done is not None and done.status == "done", done


def login_times(client, who: str, stop: threading.Event | None, count: int) -> list[float]:
    times: list[float] = []
    while (stop is None and len(times) < count) or (stop is not None and not stop.is_set()):
        began = time.perf_counter()
        response = client.post("/masuk", data={"nip": who, "password": PASSWORD})
        times.append(time.perf_counter() - began)
        assert response.status_code == 302, response.status_code
        client.post("/keluar")
    return times


def during(url: str, client, who: str, batch: int, workers: int) -> tuple[list[float], float]:
    stop = threading.Event()
    with tempfile.TemporaryDirectory() as storage:
        child = subprocess.Popen([sys.executable, __file__, "--url", url,  # noqa: S603 - ours
                                  "--export-child", str(batch), "--workers", str(workers),
                                  "--storage", storage])
        began = time.perf_counter()
        # Start timing once the child is preparing documents (its job is running).
        engine = create_engine(url)
        while child.poll() is None:
            with engine.connect() as conn:
                if conn.scalar(select(Job.id).where(Job.status == "running").limit(1)):
                    break
            time.sleep(0.05)
        result: list[float] = []
        timer = threading.Thread(target=lambda: result.extend(
            login_times(client, who, stop, 0)))
        timer.start()
        child.wait()
        stop.set()
        timer.join()
        engine.dispose()
        assert child.returncode == 0, child.returncode
        return result, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--seed-only", action="store_true",
                        help="Only seed the database (no timing: run it outside the bench lock).")
    parser.add_argument("--no-seed", action="store_true",
                        help="Time against the database a --seed-only run left.")
    parser.add_argument("--export-child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--storage", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child is not None:
        export_child(args.url, args.export_child, args.workers, args.storage)
        return
    os.environ["DATABASE_URL"] = args.url
    if args.no_seed:
        app = create_app(CONFIG)
        with app.app_context():
            who = db.session.scalar(select(Employee.nip).where(
                Employee.password_hash.is_not(None)).order_by(Employee.id))
            assert who, "seed first: --seed-only"
    else:
        reset(args.url)
        app = create_app(CONFIG)
        who = seed(app, args.n)
    if args.seed_only:
        return
    import reports.export as export

    client = app.test_client()
    login_times(client, who, None, 3)  # warm up
    idle = login_times(client, who, None, 10)
    rows = [("idle", idle, 0.0)]
    for label, batch in ((f"export, batches of {export.BATCH}", export.BATCH),
                         ("export, one transaction (before)", 1_000_000)):
        times, seconds = during(args.url, client, who, batch, args.workers)
        rows.append((label, times, seconds))
    base = statistics.median(idle)
    print(f"\nlog-in (POST /masuk), {args.n} documents, {args.workers} renderer processes, "
          f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} at the end")
    print(f"{'':36} {'n':>4} {'median':>9} {'p90':>9} {'max':>9} {'median/idle':>12} "
          f"{'export s':>9}")
    for label, times, seconds in rows:
        ordered = sorted(times)
        p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
        print(f"{label:36} {len(times):>4} {statistics.median(times):>8.3f}s {p90:>8.3f}s "
              f"{max(times):>8.3f}s {statistics.median(times) / base:>11.2f}x "
              f"{seconds:>8.1f}")


if __name__ == "__main__":
    main()
