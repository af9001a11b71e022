"""Benchmark ``audit verify`` at scale: full, parallel and incremental runs, and the page.

Run: ``flock /work/bench.lock .venv/bin/python bench/verify.py [--events 100000]
[--per-chain 4] [--new 1000] [--jobs 2] [--pages 5]``.

On a scratch PostgreSQL database (``BENCH_PG_URL``, see bench/scratch.py; dropped afterwards)
it seeds one agency (bench/engine.py's ``seed_base``: the published flow, 1,003 employees)
with ``--events`` real hash-chained events by COPY: evaluations of ``--per-chain`` events each
(open → submit → review → accept, each event carrying the projection of the row after it, so
the rows verify against their history), and a few hundred events in the agency chain. Then,
each measurement in a fresh process (so its peak RSS is its own):

1. a full run (``run_verification``, one process): seconds, events/s, peak RSS, the CPU time
   of the verifying process (the machine is shared: CPU time does not depend on the load);
2. the same with ``--jobs`` processes;
3. an incremental run with nothing new (from the watermark the full runs left);
4. ``--new`` events appended to as many random evaluations (rows moved with them), then an
   incremental run;
5. the auditor's ``/audit/verifikasi`` page (Flask test client, logged in): the process's
   first request and ``--pages`` more with nothing new (median time and statements per
   request), then, warm, with ``--new`` more events waiting (the page verifies them); then
   again with a checkpoint log of every chain head (one checkpoint, written by
   ``write_checkpoint``) that the page checks too.

Prints the load average at the start and the end.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from functools import cache
from multiprocessing import get_context
from pathlib import Path
from typing import Any

# The benchmarks' own modules (engine, scratch) and the project. (Run as a script,
# sys.path[0] is this directory; in a spawned worker, the parent's first entry, put back.)
sys.path.append(str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import AUDIT_KEY
from engine import EMPLOYEES
from engine import OPENED_AT
from engine import SELF
from engine import Store
from engine import identity
from engine import seed_base
from scratch import pg_server_url
from scratch import postgres_engine
from sqlalchemy import bindparam
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from workflow.accounts import set_password
from workflow.history import HASH_VERSION
from workflow.history import digest
from workflow.history import event_hash
from workflow.models import Agency
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import Group
from workflow.models import GroupMember
from workflow.models import HistoryEvent
from workflow.models import Period
from workflow.projection import FIXED_FIELDS
from workflow.projection import MUTABLE_FIELDS
from workflow.projection import participants_value
from workflow.projection import project
from workflow.verification import run_verification

PASSWORD = "Bench-Verifikasi-2026!"  # noqa: S105 - the scratch database's auditor
CHEAP_HASH = "scrypt:1024:8:1"
CHUNK = 5_000  # evaluations per COPY transaction
AGENCY_EVENTS = 300

# What each event of a chain does to the row: (trigger, source, dest, row changes).
STEPS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("open", "", "draft", {"status": "draft", "data": {}}),
    ("submit", "draft", "submitted", {"status": "submitted",
                                      "data": {"self-assessment": {"values": SELF}}}),
    ("review", "submitted", "rated", {
        "status": "rated", "rating_hasil_kerja": "SESUAI", "rating_perilaku_kerja": "SESUAI",
        "predikat": "BAIK", "data": {"self-assessment": {"values": SELF},
                                     "review": {"values": {"catatan": "Baik."}}}}),
    ("accept", "rated", "finalized", {"status": "finalized"}),
]


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def step(i: int) -> tuple[str, str, str, dict[str, Any]]:
    """The ``i``-th event (1-based) of every chain; past the fourth, a comment on a final row."""
    if i <= len(STEPS):
        return STEPS[i - 1]
    return ("comment", "finalized", "finalized", {"status": "finalized"})


@cache
def row_after(i: int) -> dict[str, Any]:
    """The mutable columns of a row after its ``i``-th event (the same for every chain)."""
    values: dict[str, Any] = {"deadlines": {}, "rating_hasil_kerja": None,
                              "rating_perilaku_kerja": None, "predikat": None}
    for k in range(1, i + 1):
        values.update(step(k)[3])
    values["lock_version"] = i
    values["updated_at"] = OPENED_AT + timedelta(days=i - 1)
    return values


@cache
def mutable_digests(i: int) -> dict[str, str]:
    return project(row_after(i), MUTABLE_FIELDS)


@cache
def people_of(employee_id: int) -> list[tuple[str, int, dict[str, str]]]:
    """The reporting line frozen on each evaluation of an employee (as bench/engine.py)."""
    return [("employee", employee_id, _identity(employee_id)), ("appraiser", 3, _identity(3)),
            ("appeal_reviewer", 2, _identity(2))]


_STORE: list[Store] = []


def _identity(employee_id: int) -> dict[str, str]:
    return identity(_STORE[0].actors[employee_id])


def fixed_values(store: Store, employee_id: int, period_id: int) -> dict[str, Any]:
    return {"agency_id": store.agency_id, "employee_id": employee_id, "period_id": period_id,
            "definition_version_id": store.version_id, "form_versions": store.pins,
            "created_at": OPENED_AT,
            "participants": participants_value(people_of(employee_id))}


@cache
def fixed_digests_of(employee_id: int, period_id: int) -> dict[str, str]:
    return project(fixed_values(_STORE[0], employee_id, period_id), FIXED_FIELDS)


def event_row(store: Store, eid: int, i: int, prev: str, employee_id: int,
              period_id: int) -> dict[str, Any]:
    trigger, source, dest, changes = step(i)
    fields: dict[str, Any] = {
        "agency_id": store.agency_id, "evaluation_id": eid, "chain": f"evaluation:{eid}",
        "seq": i, "at": OPENED_AT + timedelta(days=i - 1), "kind": "transition",
        "actor_nip": store.actors[employee_id if i == 2 else 3].nip,
        "actor_role": "employee" if i == 2 else "appraiser", "trigger": trigger,
        "source": source, "dest": dest, "definition_version_id": store.version_id,
        "comment": "", "data_digest": digest(changes["data"]) if "data" in changes else "",
        "payload": {"step": trigger}, "prev_hash": prev,
        "actor_id": employee_id if i == 2 else 3, "hash_version": HASH_VERSION,
        "key_id": "", "request_id": "",  # the installation key; no request
        "projection": {**mutable_digests(i), **fixed_digests_of(employee_id, period_id)},
    }
    fields["hash"] = event_hash(AUDIT_KEY, fields)
    return fields


EVENT_COLUMNS = ("agency_id", "evaluation_id", "chain", "seq", "at", "kind", "actor_id",
                 "actor_nip", "actor_role", "trigger", "source", "dest", "definition_version_id",
                 "comment", "data_digest", "payload", "prev_hash", "hash", "hash_version",
                 "projection")
EVALUATION_COLUMNS = ("id", "agency_id", "employee_id", "period_id", "definition_version_id",
                      "status", "lock_version", "deadlines", "data", "form_versions",
                      "rating_hasil_kerja", "rating_perilaku_kerja", "predikat", "history_seq",
                      "history_head", "created_at", "updated_at")
JSON_COLUMNS = {"payload", "projection", "deadlines", "data", "form_versions", "identity"}


def _cells(row: dict[str, Any], columns: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(json.dumps(row[c]) if c in JSON_COLUMNS else row[c] for c in columns)


def seed(engine: Engine, store: Store, events: int, per_chain: int) -> tuple[int, float]:
    """Seed ``events`` evaluation events (``per_chain`` per evaluation) and the agency chain
    by COPY; return the number of evaluations and the seconds it took."""
    started = time.perf_counter()
    _STORE[:] = [store]
    evaluations = events // per_chain
    periods = -(-evaluations // EMPLOYEES)
    with engine.begin() as conn:
        period_ids = [conn.execute(insert(Period).returning(Period.id), {
            "agency_id": store.agency_id, "kind": "monthly", "year": 1900 + k // 12,
            "number": k % 12 + 1, "label": f"Bulan {k}", "starts_on": date(1900 + k // 12, 1, 1),
            "ends_on": date(1900 + k // 12, 12, 31)}).scalar_one() for k in range(periods)]
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection
        assert pg is not None
        for start in range(0, evaluations, CHUNK):
            evs, rows, people = [], [], []
            for k in range(start, min(start + CHUNK, evaluations)):
                eid, employee_id = k + 1, 4 + k % EMPLOYEES
                period_id = period_ids[k // EMPLOYEES]
                prev = ""
                for i in range(1, per_chain + 1):
                    fields = event_row(store, eid, i, prev, employee_id, period_id)
                    prev = fields["hash"]
                    evs.append(_cells(fields, EVENT_COLUMNS))
                row = {"id": eid, **fixed_values(store, employee_id, period_id),
                       **row_after(per_chain), "history_seq": per_chain, "history_head": prev}
                rows.append(_cells(row, EVALUATION_COLUMNS))
                people.extend((eid, role, pid, json.dumps(ident))
                              for role, pid, ident in people_of(employee_id))
            with pg.cursor() as cur:
                for table, columns, data in (
                        ("evaluation", EVALUATION_COLUMNS, rows),
                        ("evaluation_participant",
                         ("evaluation_id", "role", "employee_id", "identity"), people),
                        ("history_event", EVENT_COLUMNS, evs)):
                    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for cells in data:
                            copy.write_row(cells)
            pg.commit()
    finally:
        raw.close()
    with Session(engine) as s:
        agency = s.get(Agency, store.agency_id)
        assert agency is not None
        prev = ""
        for i in range(1, AGENCY_EVENTS + 1):
            fields = {"agency_id": agency.id, "evaluation_id": None, "chain": f"agency:{agency.id}",
                      "seq": i, "at": OPENED_AT + timedelta(minutes=i), "kind": "login",
                      "actor_nip": store.actors[4 + i % EMPLOYEES].nip, "actor_role": "",
                      "trigger": "login", "source": "", "dest": "", "definition_version_id": None,
                      "comment": "", "data_digest": "", "payload": {}, "prev_hash": prev,
                      "actor_id": 4 + i % EMPLOYEES, "hash_version": HASH_VERSION,
                      "key_id": "", "request_id": "",  # the installation key; no request
                      "projection": {}}
            fields["hash"] = prev = event_hash(AUDIT_KEY, fields)
            s.add(HistoryEvent(**fields))
        agency.history_seq, agency.history_head = AGENCY_EVENTS, prev
        group = Group(agency_id=agency.id, slug="inspektorat", name="Inspektorat")
        s.add(group)
        s.flush()
        s.add(GroupMember(group_id=group.id, employee_id=1))
        kepala = s.get(Employee, 1)
        assert kepala is not None
        set_password(kepala, PASSWORD, hash_method=CHEAP_HASH)
        s.commit()
    with engine.begin() as conn:
        conn.execute(select(func.setval(func.pg_get_serial_sequence("evaluation", "id"),
                                        evaluations)))
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return evaluations, time.perf_counter() - started


def append_events(engine: Engine, store: Store, evaluations: int, per_chain: int, count: int,
                  rng: random.Random) -> None:
    """Append one event to ``count`` random evaluations and move their rows (as a step does)."""
    _STORE[:] = [store]
    ids = rng.sample(range(1, evaluations + 1), count)
    with Session(engine) as s:
        heads = dict(s.execute(select(Evaluation.id, Evaluation.history_seq)
                               .where(Evaluation.id.in_(ids))).all())
        owners = {eid: (employee_id, period_id) for eid, employee_id, period_id in s.execute(
            select(Evaluation.id, Evaluation.employee_id, Evaluation.period_id)
            .where(Evaluation.id.in_(ids)))}
        prevs = dict(s.execute(select(Evaluation.id, Evaluation.history_head)
                               .where(Evaluation.id.in_(ids))).all())
        events, moves = [], []
        for eid in ids:
            i = heads[eid] + 1
            fields = event_row(store, eid, i, prevs[eid], *owners[eid])
            events.append(fields)
            after = row_after(i)
            moves.append({"b_id": eid, "lock_version": i, "updated_at": after["updated_at"],
                          "status": after["status"], "history_seq": i,
                          "history_head": fields["hash"]})
        s.execute(insert(HistoryEvent), events)
        table = Evaluation.__table__
        s.connection().execute(
            update(table).where(table.c.id == bindparam("b_id")).values(
                lock_version=bindparam("lock_version"), updated_at=bindparam("updated_at"),
                status=bindparam("status"), history_seq=bindparam("history_seq"),
                history_head=bindparam("history_head")), moves)
        s.commit()


# --- measurements, each in a fresh process --------------------------------------------------


def _rss_mib() -> float:
    """Peak RSS of this process (VmHWM: ``ru_maxrss`` would carry the parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_run(url: str, incremental: bool, jobs: int) -> dict[str, Any]:
    engine = create_engine(url)
    base = _rss_mib()
    with Session(engine) as s:
        backend = s.scalar(text("SELECT pg_backend_pid()"))
        server = _cpu_of(backend)
        started = time.perf_counter()
        cpu = time.process_time()
        profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") and jobs == 1 else None
        if profile:
            profile.enable()
        result = run_verification(s, AUDIT_KEY, incremental=incremental, jobs=jobs)
        if profile:
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        figures = {"events": result.run.events, "chains": result.run.chains,
                   "broken": len(result.broken), "watermark": result.run.watermark}
        s.commit()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        after = _cpu_of(backend)
    engine.dispose()
    return {"seconds": seconds, "cpu": cpu, **figures, "rss_start": base,
            "rss_peak": _rss_mib(),
            "server_cpu": after - server if after is not None and server is not None else None}


def _cpu_of(pid: int | None) -> float | None:
    """CPU seconds a local process has used (the PostgreSQL backend serving a session);
    ``None`` if it is not on this machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_log(url: str, directory: str) -> dict[str, Any]:
    """Write one signed checkpoint of every chain head (as cron would)."""
    from workflow.checkpoints import verify_checkpoints
    from workflow.checkpoints import write_checkpoint
    from workflow.verification import record_checkpoints

    engine = create_engine(url)
    with Session(engine) as s:
        started = time.perf_counter()
        checkpoint = write_checkpoint(s, AUDIT_KEY, directory, datetime.now(UTC), "bench")
        s.commit()
        seconds = time.perf_counter() - started
        started = time.perf_counter()  # what `audit verify` adds: the log against the chains
        report = verify_checkpoints(s, AUDIT_KEY, directory)
        check = time.perf_counter() - started
        assert report.ok, report.problems[:3]
        record_checkpoints(run_verification(s, AUDIT_KEY, incremental=True).run, report)
        s.commit()
    engine.dispose()
    return {"seconds": seconds, "chains": checkpoint.chains, "check": check}


def measure_page(url: str, reps: int, checkpoints: str | None = None,
                 then_append: tuple[Store, int, int, int, int] | None = None) -> dict[str, Any]:
    """Time the page: the process's first request, then ``reps`` more (median); with
    ``then_append`` (store, evaluations, events per chain, count, seed) that many events are
    appended afterwards and one more request, warm, checks them."""
    from web import create_app
    from web.extensions import db

    app = create_app({"SECRET_KEY": "bench", "AUDIT_KEY": AUDIT_KEY.decode(),
                      "SQLALCHEMY_ENGINES": {"default": url}, "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": CHEAP_HASH,
                      "PUBLIC_BASE_URL": "http://localhost", "AUDIT_CHECKPOINT_DIR": checkpoints,
                      "RATELIMIT_ENABLED": False})
    statements = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *_: statements.__setitem__(0, statements[0] + 1))
    client = app.test_client()
    with app.app_context():
        nip = db.session.scalar(select(Employee.nip).where(Employee.id == 1))
    assert client.post("/masuk", data={"nip": nip, "password": PASSWORD}).status_code == 302
    times, counts, sizes = [], [], []
    for _ in range(reps + 1):
        statements[0] = 0
        started = time.perf_counter()
        response = client.get("/audit/verifikasi")
        times.append(time.perf_counter() - started)
        counts.append(statements[0])
        sizes.append(len(response.get_data()))
        assert response.status_code == 200, response.status_code
    result = {"first": times[0], "first_statements": counts[0], "median": statistics.median(
        times[1:]), "statements": counts[1], "bytes": sizes[-1]}
    if then_append is not None:
        store, evaluations, per_chain, count, seed = then_append
        engine = create_engine(url)
        append_events(engine, store, evaluations, per_chain, count,
                      random.Random(seed))  # noqa: S311 - a seeded sample, not a secret
        engine.dispose()
        statements[0] = 0
        started = time.perf_counter()
        response = client.get("/audit/verifikasi")
        result["waiting"] = time.perf_counter() - started
        result["waiting_statements"] = statements[0]
        assert response.status_code == 200, response.status_code
    return result


def in_child(function: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--per-chain", type=int, default=4)
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pages", type=int, default=5)
    parser.add_argument("--skip-parallel", action="store_true",
                        help="leave out the run with --jobs processes")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    print(f"load average at start: {loadavg()}")
    rng = random.Random(15)  # noqa: S311 - a seeded sample, not a secret
    with postgres_engine(pg_server_url(), "verify") as pg:
        if pg is None:
            raise SystemExit("PostgreSQL is needed")
        engine, description = pg
        print(description)
        url = engine.url.render_as_string(hide_password=False)
        store = seed_base(engine)
        evaluations, seconds = seed(engine, store, args.events, args.per_chain)
        total = args.events + AGENCY_EVENTS
        print(f"seeded {evaluations:,} evaluations x {args.per_chain} events + "
              f"{AGENCY_EVENTS} agency events = {total:,} events in {seconds:.1f} s (COPY)")

        def show(label: str, r: dict[str, Any]) -> None:
            rate = r["events"] / r["seconds"] if r["seconds"] else 0
            print(f"{label:<34} {r['seconds']:8.2f} s  {r['events']:>9,} events  "
                  f"{r['chains']:>8,} chains  {rate:>9,.0f} events/s  broken {r['broken']}  "
                  f"peak RSS {r['rss_peak']:.0f} MiB (at start {r['rss_start']:.0f})  "
                  f"CPU of the calling process {r['cpu']:.2f} s"
                  + (f" (its PostgreSQL backend {r['server_cpu']:.2f} s)"
                     if r["server_cpu"] is not None else "")
                  + f"  watermark {r['watermark']}  "
                  f"load {loadavg()}", flush=True)

        full = in_child(measure_run, url, False, 1)
        show("full, 1 process", full)
        if args.skip_parallel:
            parallel = full
        else:
            parallel = in_child(measure_run, url, False, args.jobs)
            show(f"full, {args.jobs} processes", parallel)
        idle = in_child(measure_run, url, True, 1)
        show("incremental, nothing new", idle)
        append_events(engine, store, evaluations, args.per_chain, args.new, rng)
        incremental = in_child(measure_run, url, True, 1)
        show(f"incremental after {args.new:,} new events", incremental)
        page = in_child(measure_page, url, args.pages, None,
                        (store, evaluations, args.per_chain, args.new, rng.randrange(2**31)))
        print(f"page /audit/verifikasi, the process's first request (nothing new): "
              f"{page['first'] * 1000:.0f} ms ({page['first_statements']} statements)")
        print(f"page /audit/verifikasi, nothing new: median of {args.pages} "
              f"{page['median'] * 1000:.0f} ms ({page['statements']} statements, "
              f"{page['bytes']:,} bytes)")
        print(f"page /audit/verifikasi with {args.new:,} new events waiting (checked in the "
              f"request): {page['waiting'] * 1000:.0f} ms ({page['waiting_statements']} "
              f"statements)  load {loadavg()}")
        with tempfile.TemporaryDirectory(prefix="bench-checkpoints-") as directory:
            log = in_child(write_log, url, directory)
            print(f"one checkpoint of {log['chains']:,} chain heads written in "
                  f"{log['seconds']:.1f} s; checked against the chains (as audit verify does) "
                  f"in {log['check']:.1f} s")
            anchored = in_child(measure_page, url, args.pages, directory)
        print(f"page /audit/verifikasi, nothing new, with checkpoints configured: median of "
              f"{args.pages} {anchored['median'] * 1000:.0f} ms ({anchored['statements']} "
              "statements)")
        print(f"ratio full 1 process / {args.jobs} processes: "
              f"{full['seconds'] / parallel['seconds']:.2f}x; full / incremental after "
              f"{args.new:,} new: {full['seconds'] / incremental['seconds']:.0f}x")
    print(f"load average at end: {loadavg()}")


if __name__ == "__main__":
    main()
