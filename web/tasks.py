"""The job queue: one Huey instance, the tasks it runs, and how the app enqueues them.

Huey carries only job ids; the job's state is in the database (``workflow.jobs``), so the
same code serves one machine and many:

* no ``REDIS_URL``: ``SqliteHuey`` in ``instance/queue.sqlite`` (``QUEUE_SQLITE_PATH``), the
  embedded default of ``make run``;
* ``REDIS_URL`` set: ``RedisHuey`` on it, shared by every app server and worker;
* tests (``QUEUE_IMMEDIATE``): Huey's immediate mode, each task run where it is enqueued.

A worker is ``flask --app wsgi worker`` (``web/cli.py``), which builds the app once and runs
Huey's consumer with the periodic tasks. Tasks retry with a growing delay; a task finding its
job already running elsewhere, finished or cancelled does nothing (idempotent); a job whose
worker died is found by ``watchdog`` through its heartbeat and enqueued again.

Periodic work: ``deadline_run`` (the deadline runner and the deadline reminders, every
``DEADLINE_RUN_MINUTES``) and ``watchdog`` (every minute: stale jobs, expired results, and the
notification outbox). The outbox is also sent right after every commit that wrote to it
(``enqueue_outbox_after_commit``): its task runs in a session of its own, outside the request.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask import current_app
from flask import has_app_context
from huey import MemoryHuey
from huey import RedisHuey
from huey import SqliteHuey
from huey import crontab
from huey.api import Huey
from huey.exceptions import RetryTask
from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.actors import Actor
from workflow.checkpoints import checkpoint_after
from workflow.deadline_runner import run_deadlines
from workflow.evidence_check import check_evidence
from workflow.jobs import AgencyBusy
from workflow.jobs import claim
from workflow.jobs import expire_results
from workflow.jobs import fail
from workflow.jobs import finish
from workflow.jobs import recover_stale
from workflow.models import Employee
from workflow.models import Job
from workflow.models import utcnow
from workflow.notifications import OUTBOX_WRITTEN
from workflow.notifications import remind_deadlines
from workflow.outbox import Sender
from workflow.outbox import send_due
from workflow.periods import open_period
from workflow.storage import Storage
from workflow.storage import storage_from_url
from workflow.verification import run_verification

from .extensions import db

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)

# A job's agency is busy: look again after this many seconds (does not use up a retry).
BUSY_DELAY = 15
RETRIES = {"retries": 3, "retry_delay": 10, "retry_backoff": 2}


def make_huey() -> Huey:
    """Return the queue the environment names (read once, at import: the consumer and every
    app process of one deployment import the same module)."""
    if os.environ.get("QUEUE_IMMEDIATE") == "1":
        return MemoryHuey("penilaian", immediate=True)
    if url := os.environ.get("REDIS_URL"):
        return RedisHuey("penilaian", url=url)
    path = Path(os.environ.get("QUEUE_SQLITE_PATH") or ROOT / "instance" / "queue.sqlite")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return SqliteHuey("penilaian", filename=str(path))


huey = make_huey()
_bound: list[Flask] = []


def bind(app: Flask) -> None:
    """Make ``app`` the one tasks run in when no app context is active (the worker's)."""
    _bound[:] = [app]
    enqueue_outbox_after_commit()
    if app.config.get("QUEUE_IMMEDIATE"):
        huey.immediate = True


def _app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]  # really a LocalProxy
    if not _bound:
        from wsgi import app  # a bare consumer (huey_consumer web.tasks.huey): build the app

        _bound.append(app)
    return _bound[0]


def storage(app: Flask) -> Storage:
    """Return the app's storage (``STORAGE_URL``; default ``instance/storage``)."""
    key = (app.config.get("STORAGE_URL") or "", app.instance_path)
    cached = app.extensions.get("storage")
    if cached is None or cached[0] != key:
        cached = (key, storage_from_url(key[0], Path(app.instance_path) / "storage",
                                        endpoint_url=app.config.get("STORAGE_S3_ENDPOINT_URL")))
        app.extensions["storage"] = cached
    return cached[1]


def _in_app(work: Callable[[Flask], Any]) -> Any:
    app = _app()
    with app.app_context():
        return work(app)


def _busy(job_id: int) -> None:
    raise RetryTask(f"agency of job {job_id} busy", delay=BUSY_DELAY)


@huey.task(**RETRIES)
def export_task(job_id: int) -> None:
    """Run or resume one bulk export (``reports.export.run_export``)."""
    from reports.export import run_export  # here: loads WeasyPrint only in the worker

    def work(app: Flask) -> None:
        from .documents import public_base_url

        wf = app.extensions["workflow"]
        try:
            run_export(db.engine, wf.audit_key, job_id, storage(app), public_base_url(),
                       workers=app.config["EXPORT_PROCESSES"],
                       checkpoint_dir=wf.checkpoint_dir,
                       keep=timedelta(hours=app.config["JOB_RESULT_HOURS"]),
                       per_agency=app.config["JOB_AGENCY_CONCURRENCY"])
        except AgencyBusy:
            _busy(job_id)

    _in_app(work)


def _run_claimed(app: Flask, job_id: int,
                 body: Callable[[Session, Job], tuple[int, list[list[str]]]]) -> bool:
    """Claim the job (its agency busy: retry later), run ``body`` on it and finish it with the
    count and the problems ``body`` returns — or record the failure for a retry and re-raise.
    Returns whether it ran (False: finished, cancelled or claimed by another worker)."""
    session = db.session
    try:
        job = claim(session, job_id, _worker(), utcnow(),
                    per_agency=app.config["JOB_AGENCY_CONCURRENCY"])
    except AgencyBusy:
        session.rollback()
        _busy(job_id)
    session.commit()
    if job is None:
        return False
    try:
        total, errors = body(session, job)
        job = session.get(Job, job_id)
        assert job is not None
        job.total = job.done = total
        job.errors = errors
        finish(session, job, utcnow())
        session.commit()
    except Exception as exc:
        session.rollback()
        fail(session, job_id, utcnow(), f"{type(exc).__name__}: {exc}", retry=True)
        session.commit()
        raise
    return True


@huey.task(**RETRIES)
def open_period_task(job_id: int) -> None:
    """Open a period for an agency (or one unit kerja) as a job; opening twice creates nothing
    twice (``open_period`` skips who already has an evaluation)."""

    def work(app: Flask) -> None:
        wf = app.extensions["workflow"]

        def body(session: Session, job: Job) -> tuple[int, list[list[str]]]:
            params = job.params or {}
            requester = session.scalar(select(Employee).where(
                Employee.nip == job.requested_by_nip))
            actor = Actor.of(requester) if requester else Actor.system(job.agency_id or 0)
            report = open_period(session, wf, actor, params["period_id"],
                                 unit_kerja=params.get("unit_kerja") or None)
            return len(report.evaluations), [
                [str(employee), str(reason)]
                for employee, reason in [*report.skipped, *report.blocked]]

        if _run_claimed(app, job_id, body):
            checkpoint_after(db.session, wf.audit_key, wf.checkpoint_dir, utcnow(),
                             "period_open")

    _in_app(work)


@huey.task(**RETRIES)
def verify_task(job_id: int) -> None:
    """Verify the history chains of an agency (or all, ``agency_id`` NULL) incrementally."""

    def work(app: Flask) -> None:
        def body(session: Session, job: Job) -> tuple[int, list[list[str]]]:
            result = run_verification(session, app.extensions["workflow"].audit_key,
                                      job.agency_id,
                                      incremental=not (job.params or {}).get("full"))
            evidence = check_evidence(session, storage(app), job.agency_id)
            return result.run.chains, [
                *([r.chain, f"#{r.broken_seq}: {r.reason}"] for r in result.broken[:100]),
                *([f"skp:{p.skp_id}", f"bukti #{p.evidence_id}: {p.reason}"]
                  for p in evidence.problems[:100])]

        _run_claimed(app, job_id, body)

    _in_app(work)


TASKS = {"export": export_task, "open_period": open_period_task, "verify_chains": verify_task}


def enqueue(job: Job) -> None:
    """Queue a committed job's task."""
    TASKS[job.kind](job.id)


def _worker() -> str:
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


def recover(app: Flask) -> tuple[list[Job], int]:
    """Queue again the jobs whose worker stopped beating (or fail them visibly) and delete
    the results past their time; return the jobs queued again and how many expired."""
    session = db.session
    now = utcnow()
    again = recover_stale(session, now,
                          timedelta(seconds=app.config["JOB_HEARTBEAT_TIMEOUT_SECONDS"]))
    expired = expire_results(session, storage(app), now)
    session.commit()
    for job in again:
        log.warning("job %s (%s) resumed after its worker stopped", job.id, job.kind)
        enqueue(job)
    return again, expired


@huey.periodic_task(crontab(minute="*"), retries=0)
def watchdog() -> None:
    """Every minute: ``recover``, the outbox, and the deadline runner when it is due."""

    def work(app: Flask) -> None:
        recover(app)
        send_outbox_now(app)
        if utcnow().minute % max(1, int(app.config["DEADLINE_RUN_MINUTES"])) == 0:
            deadline_run()

    _in_app(work)


def deadline_run() -> None:
    """The deadline runner as a task (an overlapping run exits at once: advisory lock), then
    the deadline reminders (each written once)."""

    def work(app: Flask) -> None:
        wf = app.extensions["workflow"]
        report = run_deadlines(db.engine, wf)
        log.info("deadline runner: %s", report.message())
        if report.fired:
            checkpoint_after(db.session, wf.audit_key, wf.checkpoint_dir, utcnow(), "tick")
        remind(app)

    _in_app(work)


def remind(app: Flask) -> int:
    """Write the deadline reminders due now (``notifications.remind_deadlines``) and commit."""
    from workflow.service import definition_of

    wf = app.extensions["workflow"]
    with Session(db.engine) as session:
        written = remind_deadlines(session, definition_of, wf.calendars.calendar, wf.clock(),
                                   channels=wf.notify_channels)
        session.commit()
    if written:
        log.info("deadline reminders: %d notifications", written)
    return written


# --- notifications: the outbox's channels and its sender -------------------------------


def notify_channels(app: Flask) -> tuple[str, ...]:
    """Return the channels configured besides the app: ``email`` (SMTP_HOST), ``gateway``."""
    return tuple(channel for channel, on in (("email", app.config.get("SMTP_HOST")),
                                             ("gateway", app.config.get("NOTIFY_GATEWAY")))
                 if on)


def senders(app: Flask) -> dict[str, Sender]:
    """Return the outbox's senders by channel, from the configuration (built once)."""
    from workflow.mailer import SmtpSender
    from workflow.mailer import SmtpSettings
    from workflow.mailer import load_gateway

    c = app.config
    key = tuple(c.get(name) for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD",
                                         "SMTP_STARTTLS", "SMTP_FROM", "NOTIFY_GATEWAY"))
    cached = app.extensions.get("notify_senders")
    if cached is None or cached[0] != key:
        built: dict[str, Sender] = {}
        if c.get("SMTP_HOST"):
            built["email"] = SmtpSender(SmtpSettings(
                host=c["SMTP_HOST"], port=int(c.get("SMTP_PORT") or 587),
                user=c.get("SMTP_USER") or "", password=c.get("SMTP_PASSWORD") or "",
                starttls=bool(c.get("SMTP_STARTTLS")), sender=c.get("SMTP_FROM") or ""))
        if c.get("NOTIFY_GATEWAY"):
            built["gateway"] = load_gateway(c["NOTIFY_GATEWAY"])
        cached = app.extensions["notify_senders"] = (key, built)
    return dict(cached[1])


def send_outbox_now(app: Flask) -> None:
    """Send what the outbox holds that is due, in a session of its own."""
    from .documents import public_base_url

    wf = app.extensions["workflow"]
    with Session(db.engine) as session:
        report = send_due(session, senders(app), _worker(), wf.clock,
                          base_url=public_base_url())
    if report.sent or report.retried or report.failed:
        log.info("outbox: %d sent, %d to retry, %d failed", report.sent, report.retried,
                 report.failed)


@huey.task(retries=0)
def send_outbox() -> None:
    """Send the outbox's due rows (its own retries are in the rows: ``workflow.outbox``)."""
    _in_app(send_outbox_now)


def _after_commit(session: Session) -> None:
    if session.info.pop(OUTBOX_WRITTEN, False):
        try:
            send_outbox()
        except Exception:  # the queue unreachable: the watchdog sends within a minute
            log.exception("could not enqueue the outbox; the watchdog will send it")


def enqueue_outbox_after_commit() -> None:
    """Enqueue the outbox's sender after every commit that wrote outbox rows (once)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)


class JobQueue:
    """What the admin (which imports nothing from ``web``) uses of the queue:
    ``app.extensions["jobs"]``."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def enqueue(self, job: Job) -> None:
        """Queue a committed job's task."""
        enqueue(job)

    def storage(self) -> Storage:
        """Return the storage results are kept in."""
        return storage(self.app)
