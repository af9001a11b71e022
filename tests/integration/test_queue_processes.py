"""The job queue as deployed: two app servers and two workers on this machine, against
PostgreSQL, Redis and an S3-compatible server (moto, started here), each a process of its own.

An export started through app 1 is downloaded through app 2; app 1's gunicorn is reloaded
(SIGHUP) while the export runs (it runs in a worker: nothing is lost); the worker running it
is killed (SIGKILL) mid-export, the watchdog (``flask jobs recover``, what the periodic task
runs every minute) queues it again, and the other worker finishes it: no duplicate documents
or events.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.conftest import PG_URL
from tests.conftest import empty_tables
from tests.s3server import CREDENTIALS
from tests.s3server import free_port
from tests.s3server import moto_server
from workflow.models import Document
from workflow.models import HistoryEvent
from workflow.models import Job

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "demo-kinerja-2026"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)"),
    pytest.mark.skipif(not REDIS_URL, reason="needs Redis (TEST_REDIS_URL)"),
]


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


class Processes:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen([*args], cwd=ROOT, env=self.env)
        self.running.append(process)
        return process

    def flask(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT,
                              env=self.env, capture_output=True, text=True, check=False,
                              timeout=300)

    def stop(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(name="stack")
def _stack(database_url: str, tmp_path: Path) -> Iterator[tuple[Processes, Engine, list[str]]]:
    engine = create_engine(database_url)
    empty_tables(engine)
    from huey import RedisHuey

    RedisHuey("penilaian", url=REDIS_URL).flush()  # nothing left from an earlier run
    with moto_server() as s3:
        s3.client().create_bucket(Bucket="hasil")
        ports = [free_port(), free_port()]
        env = {**os.environ, **CREDENTIALS, "DATABASE_URL": database_url,
               "REDIS_URL": REDIS_URL, "STORAGE_URL": "s3://hasil/e2e",
               "STORAGE_S3_ENDPOINT_URL": s3.endpoint, "SECRET_KEY": "e2e-secret",
               "AUDIT_KEY": "e2e-audit", "PUBLIC_BASE_URL": "http://kinerja.example",
               "AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
               "FLASK_PASSWORD_HASH_METHOD": "scrypt:1024:8:1", "EXPORT_PROCESSES": "1",
               "JOB_HEARTBEAT_TIMEOUT_SECONDS": "3"}
        env.pop("TEST_DATABASE_URL", None)
        env.pop("QUEUE_IMMEDIATE", None)
        procs = Processes(env)
        seeded = procs.flask("demo")
        assert seeded.returncode == 0, seeded.stderr
        try:
            for port in ports:
                procs.start(str(BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}",
                            "--log-level", "warning", "wsgi:app")
            yield procs, engine, [f"http://127.0.0.1:{port}" for port in ports]
        finally:
            procs.stop()
            engine.dispose()


def logged_in(base: str, nip: str):
    import requests

    session = requests.Session()

    def page() -> str | None:
        try:  # gunicorn binds the port before its worker has loaded the app
            return session.get(f"{base}/masuk", timeout=30).text
        except requests.RequestException:
            return None

    form = wait_for(page, 90, f"{base} to answer")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    assert token is not None
    answer = session.post(f"{base}/masuk", data={"csrf_token": token.group(1), "nip": nip,
                                                 "password": PASSWORD}, timeout=30)
    assert answer.ok and "/masuk" not in answer.url, answer.url
    return session


def test_export_survives_a_killed_worker_and_downloads_from_the_other_app(
        stack: tuple[Processes, Engine, list[str]]) -> None:
    procs, engine, (app1, app2) = stack
    with engine.connect() as conn:
        admin = conn.scalar(text(
            "SELECT e.nip FROM employee e JOIN group_member m ON m.employee_id = e.id "
            "JOIN agency_group g ON g.id = m.group_id JOIN agency a ON a.id = e.agency_id "
            "WHERE g.slug = 'admin' AND a.slug = 'kota-mataram' ORDER BY e.id LIMIT 1"))
    assert admin

    first = procs.start(str(BIN / "flask"), "--app", "wsgi", "worker", "--threads", "1",
                        "--no-periodic")
    one = logged_in(app1, admin)
    form = one.get(f"{app1}/admin/ekspor/", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    assert token is not None
    started = one.post(f"{app1}/admin/ekspor/", timeout=30,
                       data={"csrf_token": token.group(1), "period": "", "unit": ""})
    assert started.ok and re.search(r"/admin/ekspor/\d+$", started.url), started.url

    def job() -> Job | None:
        with engine.connect() as conn:
            return conn.execute(select(Job)).first()

    running = wait_for(lambda: (j := job()) is not None and j.status == "running" and j, 120,
                       "the first worker to start the export")
    assert running.worker.endswith(f":{first.pid}")
    procs.running[0].send_signal(signal.SIGHUP)  # app 1's gunicorn reloads its workers
    first.send_signal(signal.SIGKILL)  # mid-export: its job stays "running", its beats stop
    first.wait(10)
    assert job().status == "running"

    procs.start(str(BIN / "flask"), "--app", "wsgi", "worker", "--threads", "1",
                "--no-periodic")
    time.sleep(4)  # past JOB_HEARTBEAT_TIMEOUT_SECONDS
    recovered = procs.flask("jobs", "recover")
    assert recovered.returncode == 0 and "1 pekerjaan dilanjutkan" in recovered.stdout, (
        recovered.stdout, recovered.stderr)
    done = wait_for(lambda: (j := job()) is not None and j.status in ("done", "failed") and j,
                    240, "the second worker to finish the export")
    assert (done.status, done.attempts) == ("done", 2), done.errors
    assert f":{first.pid}" in str(done.errors)  # the lost attempt is on record

    with engine.connect() as conn:
        documents = conn.scalar(select(func.count()).select_from(Document))
        events = conn.scalar(select(func.count()).select_from(HistoryEvent).where(
            HistoryEvent.trigger == "document_issued"))
        per_evaluation = conn.scalar(select(func.max(text("n"))).select_from(
            select(func.count().label("n")).select_from(Document)
            .group_by(Document.evaluation_id, Document.kind).subquery()))
    assert documents == events == done.total and per_evaluation == 1

    assert one.get(f"{app1}/admin/ekspor/{done.id}.json", timeout=60).json()["status"] == "done"
    two = logged_in(app2, admin)
    download = two.get(f"{app2}/admin/ekspor/{done.id}/unduh", timeout=60)
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == done.result_sha256
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert len(names) == done.total and all(n.endswith(".pdf") for n in names)
