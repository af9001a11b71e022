"""Benchmark the HTTP write path: API transitions through gunicorn vs the raw UPDATE + INSERT.

Run (one benchmark at a time on the machine)::

    flock /work/bench.lock .venv/bin/python bench/http_write.py [--requests 400]
        [--evaluations 10000]
        [--clients 1,8] [--workers 2,4] [--kinds sync,gthread] [--threads 4] [--reps 2]
        [--profile K] [--profile-only]

On a scratch PostgreSQL database (``BENCH_PG_URL`` names the server, default
``postgresql+psycopg://root@127.0.0.1:5432/postgres``; created and dropped here) it seeds the
national flow, 1,003 employees with an API token each (scope ``read transition``) and
``--evaluations`` draft evaluations with their participants and hash-chained ``open`` events
(Core executemany, as bench/engine.py). Then, for every gunicorn configuration (``--workers``
× ``--kinds``; ``gthread`` with ``--threads`` threads per worker) and every number of client
threads N (``--clients``), in turn, ``--reps`` times:

1. app: N client threads, each with its own keep-alive HTTP connection (``http.client``),
   fire ``POST /api/v1/evaluations/<id>/transitions/submit`` with the self-assessment form
   (``{"data": …, "version": 1}``, the owner's bearer token), each on a distinct draft;
2. raw: the same N threads, each with its own database connection, commit the same number of
   raw transactions: one ``UPDATE evaluation … WHERE id AND lock_version`` (row count
   checked) + one ``INSERT history_event`` (bench/engine.py's floor: no reads, no hashing).

It prints throughput, p50/p95/p99 latency of each, the ratio app/raw (median of the
per-repetition ratios), and the CPU the gunicorn workers spent per request. ``--profile K``
first runs K transitions in this process through the same app (Flask's test client, no
gunicorn) under cProfile and prints the statements per request and where the time goes.
The load average is printed at the start and the end. After the run a sample of the
evaluations the app moved is checked with ``verify_chain`` (2 events, intact chain).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import cProfile
import hashlib
import http.client
import io
import json
import platform
import pstats
import random
import secrets
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import psycopg
import sqlalchemy
from engine import AUDIT_KEY
from engine import OPENED_AT
from engine import RAW_INSERT
from engine import RAW_UPDATE
from engine import SELF
from engine import Store
from engine import add_evaluations
from engine import seed_base
from engine import take
from scratch import pg_server_url
from scratch import postgres_engine
from sqlalchemy import event
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from workflow import service
from workflow.history import verify_chain
from workflow.models import ApiToken
from workflow.models import Evaluation
from workflow.projection import PROJECTED_FIELDS

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"
PATH = "/api/v1/evaluations/{}/transitions/submit"
BODY = {"data": SELF, "version": 1}


# ------------------------------------------------------------------------------------------
# seeding


def seed_tokens(engine: Engine, store: Store) -> dict[int, str]:
    """Give every employee of the store one live API token; return employee id → token."""
    tokens = {employee_id: f"pk_bench_{employee_id}_{secrets.token_urlsafe(24)}"
              for employee_id in store.actors}
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(insert(ApiToken), [
            {"employee_id": employee_id, "digest": hashlib.sha256(token.encode()).hexdigest(),
             "name": "bench", "scope": "read transition", "created_at": now,
             "expires_at": now + timedelta(days=30)}
            for employee_id, token in tokens.items()])
    return tokens


def stamp_tokens(engine: Engine) -> None:
    """Mark every token as used just now, as a client that keeps calling with its token finds
    it: within ``TOKEN_USE_RESOLUTION`` of its last stamp a request writes nothing for it.
    (Each seeded employee's token is used for only a few transitions of a run; without this
    every one of them would also write ``last_used_at``.)"""
    with engine.begin() as conn:
        conn.execute(update(ApiToken).values(last_used_at=datetime.now(UTC)))


# ------------------------------------------------------------------------------------------
# measuring


@dataclass
class Run:
    """One measured run: how many transactions, how long, each one's latency."""

    count: int
    seconds: float
    latencies: list[float]
    errors: list[str] = field(default_factory=list)
    cpu_seconds: float | None = None  # the gunicorn workers' CPU time during the run

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def threaded(clients: int, ids: list[int], setup: Callable[[], Any],
             one: Callable[[Any, int], str | None], teardown: Callable[[Any], None]) -> Run:
    """Share ``ids`` among ``clients`` threads; each sets up its connection, then runs ``one``
    per id (returning an error text or None); time from the common start to the last end."""
    shares = [ids[i::clients] for i in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    ready = threading.Barrier(clients + 1)

    def work(k: int) -> None:
        handle = setup()
        try:
            ready.wait()
            for eid in shares[k]:
                started = time.perf_counter()
                problem = one(handle, eid)
                latencies[k].append(time.perf_counter() - started)
                if problem:
                    errors.append(problem)
        finally:
            teardown(handle)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    ready.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    return Run(len(ids), seconds, [x for part in latencies for x in part], errors)


class Client:
    """One keep-alive HTTP connection (reconnects when a sync worker closes it)."""

    def __init__(self, port: int, tokens: dict[int, str], owner: dict[int, int]) -> None:
        self.port, self.tokens, self.owner = port, tokens, owner
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.body = json.dumps(BODY).encode()

    def transition(self, eid: int) -> str | None:
        headers = {"Authorization": f"Bearer {self.tokens[self.owner[eid]]}",
                   "Content-Type": "application/json", "Connection": "keep-alive"}
        for attempt in (1, 2):
            try:
                self.conn.request("POST", PATH.format(eid), body=self.body, headers=headers)
                response = self.conn.getresponse()
                text = response.read()
                if response.will_close:
                    self.conn.close()
                break
            except (http.client.RemoteDisconnected, ConnectionError, BrokenPipeError):
                self.conn.close()  # a kept-alive connection the server dropped: once more
                if attempt == 2:
                    raise
        if response.status != 200:
            return f"{eid}: {response.status} {text[:200]!r}"
        return None

    def close(self) -> None:
        self.conn.close()


def run_app(engine: Engine, port: int, store: Store, tokens: dict[int, str], clients: int,
            ids: list[int], workers: list[int]) -> Run:
    """N client threads fire one API transition per id through gunicorn."""
    store.fired.update(ids)
    stamp_tokens(engine)
    cpu_before = cpu_seconds(workers)
    result = threaded(clients, ids, lambda: Client(port, tokens, store.owner),
                      lambda client, eid: client.transition(eid), lambda client: client.close())
    result.cpu_seconds = cpu_seconds(workers) - cpu_before
    return result


def run_raw(url: str, store: Store, clients: int, ids: list[int]) -> Run:
    """N client threads commit one raw UPDATE + INSERT per id, each on its own connection."""
    data = json.dumps({"self-assessment": {"values": SELF, "form_version_id": None,
                                           "saved_at": OPENED_AT.isoformat(),
                                           "saved_by": "x" * 18}})
    payload = json.dumps({"changes": {f"self-assessment.{k}": [None, v] for k, v in SELF.items()},
                          "form": "self-assessment", "form_version_id": None})
    digest, head = "d" * 64, "h" * 64
    projection = json.dumps(dict.fromkeys(PROJECTED_FIELDS, digest))
    engine = sqlalchemy.create_engine(url, pool_size=clients, max_overflow=0)

    def one(conn: sqlalchemy.Connection, eid: int) -> str | None:
        actor = store.actors[store.owner[eid]]
        now = datetime.now(UTC)
        with conn.begin():
            done = conn.execute(RAW_UPDATE, {
                "status": "submitted", "new_version": 2, "data": data, "at": now,
                "seq": 2, "head": head, "id": eid, "old_version": 1})
            if done.rowcount != 1:
                return f"raw update of evaluation {eid} matched no row"
            conn.execute(RAW_INSERT, {
                "agency_id": store.agency_id, "evaluation_id": eid,
                "chain": f"evaluation:{eid}", "seq": 2, "at": now,
                "actor_id": actor.employee_id, "actor_nip": actor.nip,
                "definition_version_id": store.version_id, "data_digest": digest,
                "payload": payload, "prev_hash": "p" * 64, "hash": head,
                "projection": projection})
        return None

    try:
        return threaded(clients, ids, engine.connect, one, lambda conn: conn.close())
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------------
# gunicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    """Return the ids of the processes whose parent is ``pid`` (the gunicorn workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """Return the user + system CPU seconds the processes have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


def app_environment(url: str, checkpoints: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key",
            "AUDIT_KEY": AUDIT_KEY.decode(), "PUBLIC_BASE_URL": "http://127.0.0.1",
            "AUDIT_CHECKPOINT_DIR": checkpoints}


@contextmanager
def gunicorn(url: str, workers: int, kind: str, threads: int, checkpoints: str,
             extra: list[str]) -> Iterator[tuple[int, list[int]]]:
    """Start gunicorn on a free port; yield the port and the worker pids; stop it."""
    port = free_port()
    command = [str(GUNICORN), "--chdir", str(ROOT), "-b", f"127.0.0.1:{port}", "-w",
               str(workers), "-k", kind, "--log-level", "warning"]
    if kind == "gthread":
        command += ["--threads", str(threads)]
    command += extra
    process = subprocess.Popen([*command, "wsgi:app"],  # noqa: S603 - our own command line
                               env=app_environment(url, checkpoints))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/v1/openapi.json")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start: {' '.join(command)}")
            time.sleep(0.2)
        pids = children(process.pid)
        while len(pids) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
            pids = children(process.pid)
        yield port, pids
    finally:
        process.terminate()
        process.wait(timeout=30)


# ------------------------------------------------------------------------------------------
# one request, profiled in this process


class Statements:
    """Counts the statements the app sends (``before_cursor_execute``)."""

    def __init__(self) -> None:
        self.count = 0
        self.texts: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.count += 1
        self.texts.append(" ".join(statement.split())[:110])


def profile_requests(store_engine: Engine, store: Store, tokens: dict[int, str],
                     ids: list[int], checkpoints: str) -> str:
    """Fire ``ids`` through the app in this process (test client) under cProfile; return the
    statements of one request and the profile."""
    from web import create_app  # here: the benchmark's other parts need no Flask app
    from web.extensions import db

    url = store_engine.url.render_as_string(hide_password=False)
    env = app_environment(url, checkpoints)
    app = create_app({"SQLALCHEMY_ENGINES": {"default": url}, "SECRET_KEY": env["SECRET_KEY"],
                      "AUDIT_KEY": env["AUDIT_KEY"], "PUBLIC_BASE_URL": env["PUBLIC_BASE_URL"],
                      "AUDIT_CHECKPOINT_DIR": checkpoints})
    client = app.test_client()
    store.fired.update(ids)

    def fire(eid: int) -> None:
        response = client.post(PATH.format(eid), json=BODY, headers={
            "Authorization": f"Bearer {tokens[store.owner[eid]]}"})
        if response.status_code != 200:
            raise SystemExit(f"profile: {response.status_code} {response.get_data()[:300]!r}")

    warm, plain, measured = ids[:20], ids[20:len(ids) // 2], ids[len(ids) // 2:]
    for eid in warm:  # caches, the pool, the statement cache
        fire(eid)
    stamp_tokens(store_engine)
    with app.app_context():
        engine = db.engine
    wall, cpu = time.perf_counter(), time.process_time()
    for eid in plain:
        fire(eid)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    counter = Statements()
    event.listen(engine, "before_cursor_execute", counter)
    fire(measured[0])
    event.remove(engine, "before_cursor_execute", counter)
    one = counter.texts
    profiler = cProfile.Profile()
    profiler.enable()
    for eid in measured[1:]:
        fire(eid)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    lines = [f"{len(plain)} requests in this process without the profiler: "
             f"{wall / len(plain) * 1000:.2f} ms wall, {cpu / len(plain) * 1000:.2f} ms CPU each "
             "(the test client: no HTTP parsing or socket)",
             f"one request: {len(one)} statements (a token used within the last 5 minutes: no "
             "last_used_at write; COMMIT not counted)"]
    lines += [f"  {i + 1}. {text}" for i, text in enumerate(one)]
    lines.append(f"then {len(measured) - 1} requests under cProfile:")
    return "\n".join(lines) + "\n" + out.getvalue()


# ------------------------------------------------------------------------------------------
# report


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400,
                        help="transitions per measurement (default 400)")
    parser.add_argument("--evaluations", type=int, default=10_000,
                        help="draft evaluations seeded (a multiple of 1,000; default 10,000)")
    parser.add_argument("--clients", default="1,8", help="client threads (default 1,8)")
    parser.add_argument("--workers", default="2,4", help="gunicorn workers (default 2,4)")
    parser.add_argument("--kinds", default="sync,gthread",
                        help="gunicorn worker classes (default sync,gthread)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (4)")
    parser.add_argument("--reps", type=int, default=2, help="interleaved repetitions (2)")
    parser.add_argument("--profile", type=int, default=0, metavar="K",
                        help="first profile K transitions in this process")
    parser.add_argument("--profile-only", action="store_true", help="only the profile")
    parser.add_argument("--gunicorn-args", default="",
                        help="more gunicorn arguments, e.g. '-c hooks.py' (profiling a worker)")
    args = parser.parse_args()
    clients = [int(x) for x in args.clients.split(",")]
    configs = [(int(w), k) for w in args.workers.split(",") for k in args.kinds.split(",")]
    warmups = max(clients) * 4 * len(configs)
    needed = args.profile + (0 if args.profile_only else (
        warmups + 2 * args.reps * args.requests * len(clients) * len(configs)))
    if needed > args.evaluations:
        parser.error(f"the runs need {needed:,} draft evaluations; --evaluations "
                     f"{args.evaluations:,} is too few")

    print("bench/http_write.py: API transitions through gunicorn vs raw UPDATE + INSERT")
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
          f"{platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, psycopg "
          f"{psycopg.__version__}")
    print(f"start: {load()}")
    started = time.perf_counter()
    rng = random.Random(20261201)  # noqa: S311 - a seeded sample, not a secret
    server = pg_server_url()
    with postgres_engine(server, "http") as pg, tempfile.TemporaryDirectory() as checkpoints:
        if pg is None:
            raise SystemExit("PostgreSQL is needed")
        engine, where = pg
        url = engine.url.render_as_string(hide_password=False)
        print(f"database: {where}")
        service.clear_caches()
        store = seed_base(engine)
        seconds = add_evaluations(engine, store, args.evaluations // 1000)
        tokens = seed_tokens(engine, store)
        print(f"seeded {args.evaluations:,} draft evaluations (3 participants and an open event "
              f"each) and {len(tokens):,} API tokens in {seconds:.1f} s")

        if args.profile:
            print("\n== one API transition in this process (test client), cProfile ==")
            print(profile_requests(engine, store, tokens, take(store, rng, args.profile),
                                   checkpoints))
        if args.profile_only:
            print(f"end: {load()}")
            return

        rows = []
        for workers, kind in configs:
            with gunicorn(url, workers, kind, args.threads, checkpoints,
                          args.gunicorn_args.split()) as (port, pids):
                # warm-up: every worker parses the definition and forms, fills its pool
                run_app(engine, port, store, tokens, max(clients),
                        take(store, rng, max(clients) * 4), pids)
                for n in clients:
                    app_runs, raw_runs = [], []
                    for _ in range(args.reps):
                        app_runs.append(run_app(engine, port, store, tokens, n,
                                                take(store, rng, args.requests), pids))
                        raw_runs.append(run_raw(url, store, n, take(store, rng, args.requests)))
                    rows.append((workers, kind, n, app_runs, raw_runs))
                    report_row(rows[-1], args.threads)
        summary(rows, args)

        with Session(engine) as s:
            sample = s.scalars(select(Evaluation).where(Evaluation.id.in_(
                rng.sample(sorted(store.fired), min(50, len(store.fired)))))).all()
            bad = [r for r in (verify_chain(s, AUDIT_KEY, ev) for ev in sample)
                   if not (r.ok and r.events == 2)]
        print(f"\nchains verified after the run: {len(sample)} sampled, {len(bad)} broken")
    print(f"end: {load()}")
    print(f"total {time.perf_counter() - started:.0f} s")


def pooled(runs: list[Run]) -> Run:
    return Run(sum(r.count for r in runs), sum(r.seconds for r in runs),
               [x for r in runs for x in r.latencies], [e for r in runs for e in r.errors],
               sum(r.cpu_seconds or 0 for r in runs))


def report_row(row: tuple[int, str, int, list[Run], list[Run]], threads: int) -> None:
    workers, kind, n, app_runs, raw_runs = row
    app, raw = pooled(app_runs), pooled(raw_runs)
    ratio = statistics.median(a.rate / r.rate for a, r in zip(app_runs, raw_runs, strict=True))
    label = f"{workers} × {kind}" + (f" ({threads} threads)" if kind == "gthread" else "")
    print(f"\n{label}, {n} client thread(s), {load()}")
    print(f"  app: {app.rate:8,.0f} tx/s  p50 {ms(app.percentile(50))}  p95 "
          f"{ms(app.percentile(95))}  p99 {ms(app.percentile(99))} ms  workers' CPU "
          f"{ms((app.cpu_seconds or 0) / app.count)} ms/request  runs "
          + "/".join(f"{r.rate:,.0f}" for r in app_runs) + " tx/s")
    print(f"  raw: {raw.rate:8,.0f} tx/s  p50 {ms(raw.percentile(50))}  p95 "
          f"{ms(raw.percentile(95))}  p99 {ms(raw.percentile(99))} ms  runs "
          + "/".join(f"{r.rate:,.0f}" for r in raw_runs) + " tx/s")
    print(f"  ratio app/raw {ratio:.3f} (median of per-repetition ratios)")
    for problem in (app.errors + raw.errors)[:5]:
        print(f"  ERROR {problem}")
    if app.errors or raw.errors:
        print(f"  {len(app.errors)} app and {len(raw.errors)} raw errors")


def summary(rows: list[tuple[int, str, int, list[Run], list[Run]]],
            args: argparse.Namespace) -> None:
    print(f"\n== summary: {args.requests} transitions per measurement, {args.reps} reps ==")
    print("| gunicorn | clients | app tx/s | p50 / p95 / p99 ms | CPU ms/req | raw tx/s | "
          "raw p50 / p95 / p99 ms | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for workers, kind, n, app_runs, raw_runs in rows:
        app, raw = pooled(app_runs), pooled(raw_runs)
        ratio = statistics.median(a.rate / r.rate for a, r in zip(app_runs, raw_runs,
                                                                   strict=True))
        print(f"| {workers} {kind} | {n} | {app.rate:,.0f} | {ms(app.percentile(50))} / "
              f"{ms(app.percentile(95))} / {ms(app.percentile(99))} | "
              f"{ms((app.cpu_seconds or 0) / app.count)} | {raw.rate:,.0f} | "
              f"{ms(raw.percentile(50))} / {ms(raw.percentile(95))} / "
              f"{ms(raw.percentile(99))} | {ratio:.3f} |")


if __name__ == "__main__":
    main()
