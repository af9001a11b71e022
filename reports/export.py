"""Bulk export: every finalized evaluation document of a period or unit into one ZIP.

``start_export`` records a job (``workflow.jobs``); ``run_export`` runs it in a queue worker
(``web/tasks.py``; the CLI runs it in the foreground): it prepares the documents in short
batches, each committed with its issue events, so log-ins of the agency (whose events share
the agency's chain head) wait for one batch at most; renders them with a pool of warm worker
processes (``reports.bulk``) into a temporary ZIP; and puts the ZIP into the storage
(``workflow.storage``: a local directory or S3), to be downloaded from any app server until
it expires. Progress, heartbeat and errors are in the job row.

A run is idempotent: the issuing moment is kept in the job, so a resumed run (the worker died)
prepares the same documents with the same verification codes, and ``record_issue`` finds them
already issued: no document or event is recorded twice.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Callable
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.visibility import Visibility
from workflow.actors import Actor
from workflow.checkpoints import checkpoint_after
from workflow.errors import NotFound
from workflow.errors import RecordMismatch
from workflow.errors import WorkflowError
from workflow.integrity import ensure_row_matches
from workflow.jobs import JobCancelled
from workflow.jobs import beat
from workflow.jobs import claim
from workflow.jobs import create_job
from workflow.jobs import fail
from workflow.jobs import finish
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import Job
from workflow.models import Period
from workflow.models import utcnow
from workflow.service import definition_of
from workflow.storage import Storage

from .issuing import PreparedDocument
from .issuing import prepare_document
from .issuing import record_issue

KIND = "evaluation"
Progress = Callable[[int, int, str | None], None]
#: Documents prepared and issued per committed batch (the agency chain head is locked only
#: while a batch's issue events are written).
BATCH = 20


def _evaluations(session: Session, job: Job) -> list[Evaluation]:
    params = job.params or {}
    query = select(Evaluation).join(Employee, Evaluation.employee_id == Employee.id).where(
        Evaluation.agency_id == job.agency_id, Evaluation.predikat.is_not(None))
    if params.get("period_id"):
        query = query.where(Evaluation.period_id == params["period_id"])
    if params.get("unit_kerja"):
        query = query.where(Employee.unit_kerja == params["unit_kerja"])
    rows = session.scalars(query.order_by(Employee.unit_kerja, Employee.name, Evaluation.id))
    return [ev for ev in rows.all()
            if ev.status in definition_of(session, ev.definition_version_id).final]


def start_export(session: Session, actor: Actor, period_id: int | None, unit_kerja: str,
                 now: datetime) -> Job:
    """Record an export job of the actor's agency (admins only); the caller commits and
    enqueues it.

    :raises NotFound: the period belongs to another agency.
    :raises WorkflowError: nothing to export.
    """
    if period_id is not None:
        period = session.get(Period, period_id)
        if period is None or period.agency_id != actor.agency_id:
            raise NotFound("Periode tidak ditemukan.", "Period not found.")
    job = create_job(session, "export", actor.agency_id, actor.nip,
                     {"period_id": period_id, "unit_kerja": unit_kerja or ""}, now)
    job.total = len(_evaluations(session, job))
    if job.total == 0:
        raise WorkflowError("Tidak ada evaluasi final untuk diekspor pada pilihan ini.",
                            "No finalized evaluation to export for this selection.")
    return job


def result_key(job: Job) -> str:
    """Return the storage key of an export's ZIP (one per job: a resumed run replaces it)."""
    return f"exports/{job.agency_id}/{job.id}.zip"


def _prepare(session: Session, audit_key: bytes, job: Job, actor: Actor, verify_base: str,
             issued_at: datetime, worker_beat: Callable[[int], None],
             refused: list[list[str]]) -> list[PreparedDocument]:
    """Prepare and issue every document, committing a batch at a time."""
    prepared_all: list[PreparedDocument] = []
    evaluations = _evaluations(session, job)
    for start in range(0, len(evaluations), BATCH):
        batch: list[tuple[Evaluation, PreparedDocument]] = []
        # Reading first: the snapshots are built before any write of the batch, so the
        # agency's chain head is locked only while the batch's events are appended.
        for evaluation in evaluations[start:start + BATCH]:
            view = Visibility.for_actor(session, actor, evaluation)
            try:
                ensure_row_matches(session, audit_key, evaluation, surface="export",
                                   now=issued_at, actor_id=actor.employee_id,
                                   actor_nip=actor.nip)
            except RecordMismatch as exc:  # recorded; the others are still exported
                refused.append([f"evaluasi {evaluation.id}", exc.message])
                continue
            batch.append((evaluation, prepare_document(
                session, audit_key, evaluation, KIND, verify_base, issued_at, view)))
        for evaluation, prepared in batch:
            record_issue(session, audit_key, actor, evaluation, prepared, issued_at)
            prepared_all.append(prepared)
        worker_beat(0)
        session.commit()  # the codes are valid from now on, whatever happens to the ZIP
    return prepared_all


def run_export(engine: Engine, audit_key: bytes, job_id: int, storage: Storage,
               verify_base: str, *, workers: int | None = None,
               progress: Progress | None = None, checkpoint_dir: Path | None = None,
               keep: timedelta = timedelta(hours=72), per_agency: int = 1,
               worker: str | None = None, scratch: Path | None = None) -> Job | None:
    """Run (or resume) one export job with its own sessions; progress is committed as it goes.

    Returns the job as it ended, or ``None`` when it was not to run (finished, cancelled, or
    running elsewhere). The issued documents are in the agency chains: a checkpoint follows.

    :raises AgencyBusy: the agency already runs ``per_agency`` jobs (the caller retries).
    :raises Exception: the attempt failed; the job is queued again while attempts remain
        (``fail(retry=True)``), else recorded as failed.
    """
    from .bulk import export_zip  # here: WeasyPrint loads only when exporting

    workers = workers or os.cpu_count() or 1
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    with Session(engine, expire_on_commit=False) as session:
        job = claim(session, job_id, worker, utcnow(), per_agency=per_agency)
        session.commit()
        if job is None:
            return None
        try:
            params = dict(job.params or {})
            if "issued_at" not in params:  # a resumed run reuses the first run's moment
                params["issued_at"] = utcnow().isoformat()
                job.params = params
                session.commit()
            issued_at = datetime.fromisoformat(params["issued_at"])
            requester = session.scalar(select(Employee).where(
                Employee.nip == job.requested_by_nip))
            actor = Actor.of(requester) if requester else Actor.system(job.agency_id or 0)

            def alive(done: int | None) -> None:
                beat(session, job_id, utcnow(), done=done)

            refused: list[list[str]] = []
            documents = _prepare(session, audit_key, job, actor, verify_base, issued_at,
                                 lambda _n: alive(None), refused)
            job.total, job.done = len(documents), 0
            session.commit()

            def report(done: int, total: int, error: str | None) -> None:
                if done == total or done % 5 == 0:
                    alive(done)
                    session.commit()
                if progress is not None:
                    progress(done, total, error)

            jobs = [(d.filename, KIND, d.snapshot, d.code, d.verify_url) for d in documents]
            with tempfile.TemporaryDirectory(dir=scratch, prefix="ekspor-") as folder:
                os.chmod(folder, 0o700)
                path = Path(folder) / "ekspor.zip"
                result = export_zip(jobs, path, workers=workers, progress=report)
                alive(job.total)
                session.commit()
                with path.open("rb") as handle:
                    stored = storage.put(result_key(job), handle)
            session.refresh(job)
            job.done = job.total
            # Earlier attempts' reasons stay on record (a worker that died, a storage outage).
            job.errors = [*(job.errors or []), *refused,
                          *([name, message] for name, message in result.errors)]
            finish(session, job, utcnow(), status="failed" if result.ok_count == 0 else "done",
                   result=stored, name=f"ekspor-{job.agency_id}-{job.id}.zip", keep=keep)
            session.commit()
        except JobCancelled:
            session.rollback()
            fail(session, job_id, utcnow(), "Dibatalkan / cancelled")
            session.commit()
        except Exception as exc:  # the job must never stay "running" after a crash
            session.rollback()
            fail(session, job_id, utcnow(), f"{type(exc).__name__}: {exc}", retry=True)
            session.commit()
            raise
        checkpoint_after(session, audit_key, checkpoint_dir, utcnow(), "export")
        session.refresh(job)
        return job
