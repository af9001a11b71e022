"""Evidence files: upload and download throughput through the app against the raw storage
backend, and the app's memory while it streams a 200 MB file.

Run: ``flock /work/bench.lock .venv/bin/python bench/evidence.py [--backends local,s3]``.

For each backend (a local directory; S3 on moto's server, started here, over HTTP) the app
runs in its own gunicorn process (one sync worker) on a SQLite database seeded with one agency
and a set SKP. Through the app: ``POST /api/v1/skp/<id>/realisasi/<masa>/bukti`` (multipart,
the body streamed from a generator) and ``GET /api/v1/bukti/<id>/unduh`` (read in 1 MB chunks
and dropped). Raw: ``Storage.put`` / ``Storage.chunks`` of the same bytes in this process.
Files of 1 MB and 20 MB (several each; MB/s over all of them), then one 200 MB file up and
down while the worker's resident memory is sampled every 20 ms (``/proc/<pid>/status``).
Figures are printed with the load average; ratios are app/raw within this one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import http.client

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
BLOCK = os.urandom(MB)
HEAD = b"%PDF-1.4\n% bench\n"
SIZES = ((1, 20), (20, 5))  # MB, files
BIG = 200
YEAR = 2027


def served_app() -> Any:
    """The app gunicorn serves (config from ``BENCH_EVIDENCE_CONFIG``)."""
    from web import create_app

    return create_app(json.loads(os.environ["BENCH_EVIDENCE_CONFIG"]))


class Source:
    """``size`` bytes of a PDF-looking file, generated a block at a time (never whole)."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.first = True

    def read(self, n: int = -1) -> bytes:
        """Return ``n`` bytes (fewer only at the end), as a file would: S3's uploader takes a
        short read of a non-seekable stream for its end."""
        n = MB if n is None or n < 0 else n
        parts = []
        want = min(n, self.left)
        while want > 0:
            block = HEAD + BLOCK if self.first else BLOCK
            self.first = False
            data = block[:min(want, MB)]
            parts.append(data)
            want -= len(data)
        data = b"".join(parts)
        self.left -= len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        while data := self.read(MB):
            yield data


def seed(config: dict[str, Any]) -> tuple[int, int, str]:
    """One agency, its leader's set SKP; return (SKP id, indicator id, API token)."""
    from tests.conftest import build_world
    from tests.web.test_evidence import set_skp
    from web import create_app
    from web.extensions import db
    from workflow.accounts import issue_token
    from workflow.actors import Actor
    from workflow.models import Base
    from workflow.models import utcnow

    app = create_app(config)
    with app.app_context():
        Base.metadata.create_all(db.engine)
        wf = app.extensions["workflow"]
        world = build_world(db.session, wf)
        skp = set_skp(db.session, wf, world)
        person = world.people["kepala"]
        token = issue_token(db.session, wf.audit_key, Actor.system(person.agency_id), person,
                            now=utcnow(), name="bench", scope="read skp", days=1).token
        db.session.commit()
        return skp.id, skp.rhk[0].indicators[0].id, token


def rss(pid: int) -> tuple[int, int]:
    """Resident and peak resident memory of a process, bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _sep, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values["VmRSS"], values["VmHWM"]


class Sampler:
    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.running = pid, 0, True
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss(self.pid)[0])
            time.sleep(0.02)

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()


class App:
    def __init__(self, port: int, skp_id: int, indicator_id: int, token: str) -> None:
        self.port, self.skp_id, self.indicator_id, self.token = port, skp_id, indicator_id, token

    def upload(self, size: int) -> int:
        boundary = "benchboundary7d1f"
        pre = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"indicator_id\"\r\n\r\n"
               f"{self.indicator_id}\r\n--{boundary}\r\nContent-Disposition: form-data; "
               f"name=\"file\"; filename=\"bukti.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
               ).encode()
        post = f"\r\n--{boundary}--\r\n".encode()

        def body() -> Iterator[bytes]:
            yield pre
            yield from Source(size)
            yield post

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        conn.request("POST", f"/api/v1/skp/{self.skp_id}/realisasi/{YEAR}-Q1/bukti",
                     body=body(), headers={
                         "Authorization": f"Bearer {self.token}",
                         "Content-Type": f"multipart/form-data; boundary={boundary}",
                         "Content-Length": str(len(pre) + size + len(post))})
        answer = conn.getresponse()
        data = answer.read()
        conn.close()
        if answer.status != 201:
            raise SystemExit(f"upload failed: {answer.status} {data[:300]!r}")
        return int(json.loads(data)["id"])

    def download(self, evidence_id: int) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        conn.request("GET", f"/api/v1/bukti/{evidence_id}/unduh",
                     headers={"Authorization": f"Bearer {self.token}"})
        answer = conn.getresponse()
        got = 0
        while data := answer.read(MB):
            got += len(data)
        conn.close()
        if answer.status != 200:
            raise SystemExit(f"download failed: {answer.status}")
        return got


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def worker_pid(master: int) -> int:
    for _ in range(200):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise SystemExit("gunicorn started no worker")


def run_backend(name: str, workdir: Path, s3_endpoint: str | None) -> dict[str, Any]:
    from workflow.storage import storage_from_url

    storage_url = (f"s3://bench/{name}" if s3_endpoint else f"file://{workdir / 'storage'}")
    config = {"SECRET_KEY": "bench-secret", "AUDIT_KEY": "bench-audit",
              "SQLALCHEMY_ENGINES": {"default": f"sqlite:///{workdir / 'bench.db'}"},
              "PUBLIC_BASE_URL": "http://localhost", "AUDIT_CHECKPOINT_DIR": "",
              "QUEUE_IMMEDIATE": True, "STORAGE_URL": storage_url,
              "STORAGE_S3_ENDPOINT_URL": s3_endpoint or "",
              "EVIDENCE_MAX_FILE_MB": BIG + 10, "EVIDENCE_MAX_PERIOD_MB": 100_000}
    skp_id, indicator_id, token = seed(config)
    port = free_port()
    env = {**os.environ, "BENCH_EVIDENCE_CONFIG": json.dumps(config),
           "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [str(Path(sys.executable).with_name("gunicorn")), "-w", "1", "-k", "sync",
         "-b", f"127.0.0.1:{port}", "--timeout", "600", "bench.evidence:served_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
                break
            except OSError:
                time.sleep(0.1)
        app = App(port, skp_id, indicator_id, token)
        worker = worker_pid(server.pid)
        raw = storage_from_url(storage_url, workdir, endpoint_url=s3_endpoint)
        app.download(app.upload(MB))  # warm up: imports, connections
        results: dict[str, Any] = {"backend": name, "sizes": []}
        for mb, files in SIZES:
            size = mb * MB
            started = time.perf_counter()
            ids = [app.upload(size) for _ in range(files)]
            app_up = files * mb / (time.perf_counter() - started)
            started = time.perf_counter()
            for evidence_id in ids:
                assert app.download(evidence_id) == size
            app_down = files * mb / (time.perf_counter() - started)
            started = time.perf_counter()
            keys = [f"raw/{mb}/{i}" for i in range(files)]
            for key in keys:
                raw.put(key, Source(size))  # type: ignore[arg-type]
            raw_up = files * mb / (time.perf_counter() - started)
            started = time.perf_counter()
            for key in keys:
                assert sum(len(c) for c in raw.chunks(key)) == size
            raw_down = files * mb / (time.perf_counter() - started)
            results["sizes"].append({"mb": mb, "files": files, "app_up": app_up,
                                     "raw_up": raw_up, "app_down": app_down,
                                     "raw_down": raw_down})
        before = rss(worker)[0]
        with Sampler(worker) as up:
            big = app.upload(BIG * MB)
        with Sampler(worker) as down:
            assert app.download(big) == BIG * MB
        results["memory"] = {"before": before, "upload_peak": up.peak,
                             "download_peak": down.peak}
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="local,s3")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny files only: check the script works (no figures)")
    args = parser.parse_args()
    global SIZES, BIG
    if args.smoke:
        SIZES, BIG = ((1, 1),), 5
    from tests.s3server import CREDENTIALS
    from tests.s3server import moto_server

    for key, value in CREDENTIALS.items():
        os.environ.setdefault(key, value)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-evidence-") as tmp:
        for name in args.backends.split(","):
            workdir = Path(tmp) / name
            workdir.mkdir()
            if name == "s3":
                with moto_server() as server:
                    server.client().create_bucket(Bucket="bench")
                    out.append(run_backend(name, workdir, server.endpoint))
            else:
                out.append(run_backend(name, workdir, None))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| backend | file | files | upload app MB/s | raw MB/s | app/raw | download app MB/s "
          "| raw MB/s | app/raw |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in out:
        for s in r["sizes"]:
            print(f"| {r['backend']} | {s['mb']} MB | {s['files']} | {s['app_up']:.0f} | "
                  f"{s['raw_up']:.0f} | {s['app_up'] / s['raw_up']:.2f}× | "
                  f"{s['app_down']:.0f} | {s['raw_down']:.0f} | "
                  f"{s['app_down'] / s['raw_down']:.2f}× |")
    print()
    print(f"| backend | worker RSS before | peak during {BIG} MB upload | "
          f"peak during {BIG} MB download |")
    print("|---|---|---|---|")
    for r in out:
        m = r["memory"]
        print(f"| {r['backend']} | {m['before'] / MB:.0f} MB | {m['upload_peak'] / MB:.0f} MB "
              f"(+{(m['upload_peak'] - m['before']) / MB:.0f}) | {m['download_peak'] / MB:.0f} "
              f"MB (+{(m['download_peak'] - m['before']) / MB:.0f}) |")


if __name__ == "__main__":
    main()
