"""Bulk export: every finalized evaluation document of a period or unit into one ZIP.

``start_export`` records a job; ``run_export`` (a background thread of the web process, or
the CLI in the foreground) prepares the snapshots in the database, renders them with a pool
of warm worker processes (``reports.bulk``), records each issued document, and keeps the
job's progress and error list in the database so any process can show it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
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
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import ExportJob
from workflow.models import Period
from workflow.models import utcnow
from workflow.service import definition_of

from .issuing import prepare_document
from .issuing import record_issue

KIND = "evaluation"
Progress = Callable[[int, int, str | None], None]


def _evaluations(session: Session, job: ExportJob) -> list[Evaluation]:
    query = select(Evaluation).join(Employee, Evaluation.employee_id == Employee.id).where(
        Evaluation.agency_id == job.agency_id, Evaluation.predikat.is_not(None))
    if job.period_id:
        query = query.where(Evaluation.period_id == job.period_id)
    if job.unit_kerja:
        query = query.where(Employee.unit_kerja == job.unit_kerja)
    rows = session.scalars(query.order_by(Employee.unit_kerja, Employee.name)).all()
    return [ev for ev in rows
            if ev.status in definition_of(session, ev.definition_version_id).final]


def start_export(session: Session, actor: Actor, period_id: int | None, unit_kerja: str,
                 now: datetime) -> ExportJob:
    """Record an export job of the actor's agency (admins only); the caller commits.

    :raises NotFound: the period belongs to another agency.
    :raises WorkflowError: nothing to export.
    """
    if period_id is not None:
        period = session.get(Period, period_id)
        if period is None or period.agency_id != actor.agency_id:
            raise NotFound("Periode tidak ditemukan.", "Period not found.")
    job = ExportJob(agency_id=actor.agency_id, requested_by_nip=actor.nip, period_id=period_id,
                    unit_kerja=unit_kerja or "", status="queued", created_at=now)
    session.add(job)
    session.flush()
    job.total = len(_evaluations(session, job))
    if job.total == 0:
        raise WorkflowError("Tidak ada evaluasi final untuk diekspor pada pilihan ini.",
                            "No finalized evaluation to export for this selection.")
    return job


def run_export(engine: Engine, audit_key: bytes, job_id: int, out_dir: Path, verify_base: str,
               *, workers: int | None = None, progress: Progress | None = None,
               checkpoint_dir: Path | None = None) -> ExportJob:
    """Run one job to the end with its own sessions; progress is committed as it goes.

    The issued documents are in the agency chains: a checkpoint follows (``checkpoint_dir``).
    """
    from .bulk import export_zip  # here: WeasyPrint loads only when exporting

    workers = workers or os.cpu_count() or 1
    with Session(engine, expire_on_commit=False) as session:
        job = session.get(ExportJob, job_id)
        if job is None:
            raise NotFound("Ekspor tidak ditemukan.", "Export not found.")
        try:
            job.status = "running"
            session.commit()
            requester = session.scalar(select(Employee).where(
                Employee.nip == job.requested_by_nip))
            actor = Actor.of(requester) if requester else Actor.system(job.agency_id)
            now = utcnow()
            jobs = []
            refused: list[list[str]] = []
            for evaluation in _evaluations(session, job):
                view = Visibility.for_actor(session, actor, evaluation)
                try:
                    ensure_row_matches(session, audit_key, evaluation, surface="export",
                                       now=now, actor_id=actor.employee_id,
                                       actor_nip=actor.nip)
                except RecordMismatch as exc:  # recorded; the others are still exported
                    refused.append([f"evaluasi {evaluation.id}", exc.message])
                    continue
                prepared = prepare_document(session, audit_key, evaluation, KIND, verify_base,
                                            now, view)
                record_issue(session, audit_key, actor, evaluation, prepared, now)
                jobs.append((prepared.filename, KIND, prepared.snapshot, prepared.code,
                             prepared.verify_url))
            job.total = len(jobs)
            session.commit()  # the codes are valid from now on, whatever happens to the ZIP

            out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # exports: owner only
            path = out_dir / f"ekspor-{job.agency_id}-{job.id}.zip"

            def report(done: int, total: int, error: str | None) -> None:
                if done == total or done % 5 == 0:
                    session.execute(ExportJob.__table__.update().where(
                        ExportJob.id == job_id).values(done=done))
                    session.commit()
                if progress is not None:
                    progress(done, total, error)

            result = export_zip(jobs, path, workers=workers, progress=report)
            session.refresh(job)
            job.done = job.total
            job.errors = [*refused, *([name, message] for name, message in result.errors)]
            job.path = str(path)
            job.status = "failed" if result.ok_count == 0 else "done"
        except Exception as exc:  # the job must never stay "running" after a crash
            session.rollback()  # expires job: its attributes reload as last committed
            job.status = "failed"
            job.errors = [*(job.errors or []), ["-", f"{type(exc).__name__}: {exc}"]]
            session.commit()
            raise
        job.finished_at = utcnow()
        session.commit()
        checkpoint_after(session, audit_key, checkpoint_dir, utcnow(), "export")
        return job
