"""The state of background jobs, kept in the database (``Job``) so any process sees it.

The queue (Huey, ``web/tasks.py``) only carries a job's id; what a job is, how far it got,
who runs it and what came out of it is here. A worker ``claim``s a queued job (at most
``per_agency`` running jobs per agency), sends ``beat``s while it works (each also tells it
whether the job was cancelled), and ``finish``es or ``fail``s it. The watchdog
(``recover_stale``) finds running jobs whose heartbeat stopped (the worker was killed or its
machine died) and queues them again to be resumed, or fails them visibly once their attempts
are used up; ``expire_results`` deletes results past their time from the storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session

from .errors import NotFound
from .errors import WorkflowError
from .models import Job
from .storage import Storage
from .storage import Stored

#: The kinds of work the queue runs (each has one task in ``web/tasks.py``).
KINDS = ("export", "open_period", "verify_chains")
#: A job is tried this many times (a resumed run counts) before it fails for good.
MAX_ATTEMPTS = 3
#: States in which a job will not run again.
FINISHED = ("done", "failed", "cancelled", "expired")
# Per-agency admission is serialised with this advisory-lock class on PostgreSQL.
_AGENCY_LOCK = 0x6A6F62  # "job"


class JobCancelled(Exception):
    """The job was cancelled while it ran: stop, and record it as cancelled."""


class AgencyBusy(Exception):
    """The job's agency already runs as many jobs as allowed: try again later."""


def create_job(session: Session, kind: str, agency_id: int | None, requested_by_nip: str,
               params: Mapping[str, Any], now: datetime, *, total: int = 0) -> Job:
    """Record a queued job; the caller commits, then enqueues it."""
    assert kind in KINDS, kind
    job = Job(kind=kind, agency_id=agency_id, requested_by_nip=requested_by_nip,
              params=dict(params), status="queued", total=total, done=0, errors=[],
              attempts=0, cancel_requested=False, worker="", result_key="", result_name="",
              result_size=0, result_sha256="", created_at=now)
    session.add(job)
    session.flush()
    return job


def claim(session: Session, job_id: int, worker: str, now: datetime, *,
          per_agency: int) -> Job | None:
    """Take a queued job for ``worker`` (the caller commits at once).

    Returns ``None`` when the job is not to run (unknown, already running elsewhere, finished,
    or cancelled while queued: then it is recorded as cancelled).

    :raises AgencyBusy: its agency already runs ``per_agency`` jobs.
    """
    job = session.get(Job, job_id)
    if job is None:
        return None
    if session.get_bind().dialect.name == "postgresql" and job.agency_id is not None:
        # Two workers admitting jobs of one agency at once must not both see room for one.
        session.execute(text("SELECT pg_advisory_xact_lock(:cls, :agency)"),
                        {"cls": _AGENCY_LOCK, "agency": job.agency_id})
    session.refresh(job, with_for_update=True)
    if job.status != "queued":
        return None
    if job.cancel_requested:
        job.status, job.finished_at = "cancelled", now
        return None
    if job.agency_id is not None:
        running = session.scalar(select(func.count()).select_from(Job).where(
            Job.agency_id == job.agency_id, Job.status == "running", Job.id != job.id))
        if (running or 0) >= per_agency:
            raise AgencyBusy(job.agency_id)
    job.status, job.worker, job.heartbeat_at = "running", worker, now
    job.attempts += 1
    job.started_at = job.started_at or now
    return job


def beat(session: Session, job_id: int, now: datetime, *, done: int | None = None) -> None:
    """Record that the job's worker is alive (and its progress); the caller commits.

    :raises JobCancelled: the job was cancelled meanwhile.
    """
    values: dict[str, Any] = {"heartbeat_at": now}
    if done is not None:
        values["done"] = done
    cancelled = session.execute(Job.__table__.update().where(Job.id == job_id).values(values)
                                .returning(Job.cancel_requested)).scalar()
    if cancelled:
        raise JobCancelled(job_id)


def finish(session: Session, job: Job, now: datetime, *, status: str = "done",
           result: Stored | None = None, name: str = "", keep: timedelta | None = None) -> None:
    """Record the job's end and its result (kept for ``keep``); the caller commits."""
    job.status, job.finished_at, job.heartbeat_at = status, now, now
    if result is not None:
        job.result_key, job.result_size, job.result_sha256 = (result.key, result.size,
                                                              result.sha256)
        job.result_name = name
        job.expires_at = now + keep if keep is not None else None


def fail(session: Session, job_id: int, now: datetime, message: str, *,
         retry: bool = False) -> bool:
    """Record a failure of the job's current attempt; the caller commits.

    With ``retry`` and attempts left, the job goes back to ``queued`` (to be run again, from
    where it stopped); otherwise it ends as ``failed``. Returns whether it will run again.
    """
    job = session.get(Job, job_id)
    if job is None:
        return False
    again = retry and job.attempts < MAX_ATTEMPTS and not job.cancel_requested
    job.errors = [*(job.errors or []), ["-", message]]
    job.status = "queued" if again else ("cancelled" if job.cancel_requested else "failed")
    job.heartbeat_at = now
    if not again:
        job.finished_at = now
    return again


def request_cancel(session: Session, agency_id: int, job_id: int, now: datetime) -> Job:
    """Cancel a job of the agency: a queued one at once, a running one at its next beat.

    :raises NotFound: no such job in this agency.
    :raises WorkflowError: the job has already ended.
    """
    job = session.get(Job, job_id, with_for_update=True)
    if job is None or job.agency_id != agency_id:
        raise NotFound("Pekerjaan tidak ditemukan.", "Job not found.")
    if job.status in FINISHED:
        raise WorkflowError("Pekerjaan ini sudah selesai.", "This job has already ended.")
    job.cancel_requested = True
    if job.status == "queued":
        job.status, job.finished_at = "cancelled", now
    return job


def recover_stale(session: Session, now: datetime, timeout: timedelta) -> list[Job]:
    """Find running jobs whose heartbeat is older than ``timeout`` (their worker died).

    Each goes back to ``queued`` to be resumed, or fails visibly (with the reason in its
    errors) once it has used ``MAX_ATTEMPTS``. Returns the jobs to enqueue again; the caller
    commits first.
    """
    stale = session.scalars(select(Job).where(
        Job.status == "running", Job.heartbeat_at < now - timeout)
        .with_for_update(skip_locked=True)).all()
    again = []
    for job in stale:
        message = (f"Pekerja {job.worker or '?'} berhenti memberi kabar / worker stopped "
                   f"responding (attempt {job.attempts})")
        if fail(session, job.id, now, message, retry=True):
            again.append(job)
    return again


def expire_results(session: Session, storage: Storage, now: datetime) -> int:
    """Delete the results whose time is up from the storage; the jobs show ``expired``.
    The caller commits. Returns how many were deleted."""
    jobs = session.scalars(select(Job).where(Job.expires_at < now, Job.result_key != "")
                           .with_for_update(skip_locked=True)).all()
    for job in jobs:
        storage.delete(job.result_key)
        job.result_key, job.status = "", "expired"
    return len(jobs)
