"""Benchmark the PDF layer: project overhead over raw WeasyPrint, bulk scaling, worker memory.

Run: ``.venv/bin/python bench/pdf.py [--n 40] [--rss-renders 300]``. Prints three sections:
(a) median time of one evaluation document through ``render_pdf`` vs raw WeasyPrint on the
same HTML and stylesheet; (b) bulk export rate with one worker and with all cores; (c) the
resident memory of one bulk worker every 50 renders.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pypdf import PdfReader
from weasyprint import HTML

from reports import bulk
from reports import render
from reports.snapshot import DocumentSnapshot
from reports.snapshot import snapshot_digest
from reports.verification import make_code

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))
from test_reports import make_snapshot

VERIFY_URL = "https://kinerja.example.go.id/verifikasi"
SECRET = b"bench-secret"


def code_for(snapshot: DocumentSnapshot) -> str:
    """Return the evaluation document's verification code."""
    digest = snapshot_digest(snapshot, "evaluation")
    return make_code("evaluation", digest, snapshot.chain_head_hash, SECRET)


def bench_overhead(n: int) -> None:
    """Print median render_pdf time vs raw WeasyPrint on the same HTML and stylesheet."""
    snapshot = make_snapshot()
    code = code_for(snapshot)
    html = render.render_html("evaluation", snapshot, verification_code=code, verify_url=VERIFY_URL)
    css = render.stylesheet()

    def project() -> bytes:
        return render.render_pdf(
            "evaluation", snapshot, verification_code=code, verify_url=VERIFY_URL
        )

    def raw() -> bytes:
        return HTML(string=html).write_pdf(stylesheets=[css], font_config=render.FONT_CONFIG)

    project()
    raw()
    times: dict[str, list[float]] = {"project": [], "raw": []}
    for _ in range(n):  # interleaved, so drift hits both equally
        for name, fn in (("project", project), ("raw", raw)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    med_p = statistics.median(times["project"])
    med_r = statistics.median(times["raw"])
    pages = len(PdfReader(io.BytesIO(project())).pages)
    print(f"(a) one evaluation document ({pages} pages), median of {n}:")
    print(f"    render_pdf (jinja + fetcher + weasyprint): {med_p * 1000:7.1f} ms")
    print(f"    raw weasyprint, same HTML + stylesheet:    {med_r * 1000:7.1f} ms")
    verdict = "ok" if med_r / med_p >= 0.9 else "BELOW GOAL"
    print(f"    ratio raw/project = {med_r / med_p:.3f}  (goal >= 0.9: {verdict})")


def bench_bulk(n: int) -> None:
    """Print bulk-export docs/s with one worker and with every core."""
    snapshot = make_snapshot()
    code = code_for(snapshot)
    jobs = [(f"e-{i}.pdf", "evaluation", snapshot, code, VERIFY_URL) for i in range(n)]
    cores = os.cpu_count() or 1
    rates: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in dict.fromkeys((1, cores)):
            start = time.perf_counter()
            result = bulk.export_zip(jobs, Path(tmp) / f"w{workers}.zip", workers=workers)
            elapsed = time.perf_counter() - start
            assert result.ok_count == n and not result.errors, result.errors
            rates[workers] = n / elapsed
    print(f"(b) bulk export of {n} evaluation documents (pool start-up included):")
    for workers, rate in rates.items():
        print(f"    {workers} worker(s): {rate:6.2f} docs/s")
    if cores > 1:
        ratio = rates[cores] / rates[1]
        verdict = "ok" if ratio >= 1.7 else "BELOW GOAL"
        print(f"    speed-up {cores} vs 1 = {ratio:.2f}x  (goal >= 1.7x on 2 cores: {verdict})")


def vm_rss_kib(pid: int) -> int:
    """Return a process's resident set size in KiB from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def bench_rss(renders: int, every: int = 50) -> None:
    """Print the RSS of a single bulk worker after every *every* renders."""
    snapshot = make_snapshot()
    code = code_for(snapshot)
    jobs = [(f"e-{i}.pdf", "evaluation", snapshot, code, VERIFY_URL) for i in range(renders)]
    series: list[tuple[int, int]] = []

    def progress(done: int, total: int, error: str | None) -> None:
        if done == 1 or done % every == 0:
            children = multiprocessing.active_children()
            if children:
                series.append((done, max(vm_rss_kib(c.pid) for c in children if c.pid)))

    with tempfile.TemporaryDirectory() as tmp:
        bulk.export_zip(jobs, Path(tmp) / "rss.zip", workers=1, progress=progress)
    print(f"(c) worker VmRSS over {renders} renders in one worker (done: MiB):")
    print("    " + "  ".join(f"{done}: {kib / 1024:.1f}" for done, kib in series))
    later = [kib for done, kib in series if done >= 2 * every]
    if len(later) >= 2:
        growth = (later[-1] - later[0]) / 1024
        print(f"    growth from render {2 * every} to {series[-1][0]}: {growth:+.1f} MiB")


def main() -> None:
    """Parse arguments and run the three benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=40, help="documents for (a) and (b)")
    parser.add_argument("--rss-renders", type=int, default=300, help="renders for (c)")
    args = parser.parse_args()
    print(f"cpu_count={os.cpu_count()}  python={sys.version.split()[0]}")
    started = time.perf_counter()
    bench_overhead(args.n)
    bench_bulk(args.n)
    bench_rss(args.rss_renders)
    print(f"total bench time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
