"""Export many PDFs into one ZIP through a pool of warm worker processes.

Workers are started once per export (never one process per PDF), warm WeasyPrint by
rendering a small document, and send PDF bytes back; the parent alone writes the ZIP, in
completion order. A failing job is recorded and does not stop the others.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import zipfile
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from pathlib import PurePosixPath
from typing import Any

from weasyprint.urls import FatalURLFetchingError

from reports import render

Job = tuple[str, str, Any, str, str]
"""``(filename in the ZIP, kind, snapshot, verification code, verify URL)``."""

Progress = Callable[[int, int, str | None], None]

# Jobs queued per worker: enough to keep workers busy, few enough to bound parent memory.
_IN_FLIGHT_PER_WORKER = 4

_WARM_HTML = (
    '<div class="running-code">WARM</div><h1>Pemanasan</h1><p>teks <b>tebal</b></p>'
    '<table><thead><tr><th>A</th></tr></thead><tr><td class="hash">abc</td></tr></table>'
)


@dataclass
class BulkResult:
    """Outcome of one export: how many PDFs landed in the ZIP, and which jobs failed why."""

    ok_count: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)


# Renderer processes run at a lower CPU priority: bulk work yields the cores to people's
# requests on the same machine (bench/login_during_export.py).
RENDER_NICENESS = 10


def warm_worker() -> None:
    """Initialise a worker: lower its priority, parse the stylesheet and load fonts by
    rendering once."""
    os.nice(RENDER_NICENESS)
    render.write_pdf_from_html(_WARM_HTML)


def render_job(kind: str, snapshot: Any, code: str, url: str) -> tuple[bytes | None, str | None]:
    """Render one job in a worker; return ``(pdf, None)`` or ``(None, error message)``.

    Errors are turned into strings here so that an unpicklable exception cannot break the
    pool.
    """
    try:
        pdf = render.render_pdf(kind, snapshot, verification_code=code, verify_url=url)
    except (Exception, FatalURLFetchingError) as exc:  # noqa: BLE001 - reported per document
        return None, f"{type(exc).__name__}: {exc}"
    return pdf, None


def _bad_filename(name: str, seen: set[str]) -> str | None:
    """Return why *name* cannot be a ZIP member, or ``None`` when it is fine."""
    path = PurePosixPath(name.replace("\\", "/"))
    if not name or path.is_absolute() or ".." in path.parts:
        return f"unsafe file name {name!r}"
    if name in seen:
        return f"duplicate file name {name!r}"
    return None


def export_zip(
    jobs: Iterable[Job],
    out_path: str | os.PathLike[str],
    *,
    workers: int,
    progress: Progress | None = None,
    start_method: str = "forkserver",
) -> BulkResult:
    """Render every job and write the PDFs into a new ZIP at *out_path*.

    :param workers: worker processes; on a 2-core box use at most 2 (stack-notes §3.4).
    :param progress: called after each job with ``(done, total, error or None)``.
    :param start_method: ``forkserver`` (default) starts workers from a clean, single-threaded
        server that has already imported WeasyPrint; plain ``fork`` from a threaded web
        process is unsafe.
    """
    job_list = list(jobs)
    total = len(job_list)
    result = BulkResult()
    done = 0

    def finish(name: str, error: str | None) -> None:
        nonlocal done
        done += 1
        if error is not None:
            result.errors.append((name, error))
        if progress is not None:
            progress(done, total, error)

    context = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        context.set_forkserver_preload(["reports.render", "reports.bulk"])
    pending: dict[cf.Future[tuple[bytes | None, str | None]], str] = {}
    seen: set[str] = set()
    queue = iter(job_list)
    limit = max(1, workers) * _IN_FLIGHT_PER_WORKER
    # Owner-only from the first byte: the documents carry personal data.
    fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file of the same name keeps its mode otherwise
    with (
        os.fdopen(fd, "wb") as handle,
        zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        cf.ProcessPoolExecutor(
            max_workers=max(1, workers), mp_context=context, initializer=warm_worker
        ) as pool,
    ):
        exhausted = False
        while pending or not exhausted:
            while not exhausted and len(pending) < limit:
                try:
                    name, kind, snapshot, code, url = next(queue)
                except StopIteration:
                    exhausted = True
                    break
                if (problem := _bad_filename(name, seen)) is not None:
                    finish(name, problem)
                    continue
                seen.add(name)
                pending[pool.submit(render_job, kind, snapshot, code, url)] = name
            if not pending:
                continue
            finished, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for future in finished:
                name = pending.pop(future)
                try:
                    pdf, error = future.result()
                except Exception as exc:  # noqa: BLE001 - pickling failure, or a worker died
                    pdf, error = None, f"{type(exc).__name__}: {exc}"
                if pdf is not None:
                    archive.writestr(name, pdf)
                    result.ok_count += 1
                finish(name, error)
    return result
