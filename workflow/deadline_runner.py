"""The deadline runner: fire every transition the system may fire now, for every agency.

It scales with what is due, not with what is waiting: due evaluations are found through the
index on ``Evaluation.due_at`` (nothing due costs one statement, whatever the number of
waiting evaluations), claimed in small batches with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL
(a row someone is editing is skipped, left for the next run), and each batch is committed on
its own; a conflict on one evaluation (someone won a race, a row changed behind the app's
back) loses that one only (a savepoint per evaluation). One run at a time: a second run
finds the advisory lock taken and returns at once, reporting so (``ran`` false). Each run
records its time and figures in ``scheduled_run`` (``/healthz`` reports a late runner).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session

from .errors import WorkflowError
from .models import Evaluation
from .models import ScheduledRun
from .service import Workflow
from .service import fire_due

NAME = "deadline-runner"
#: Evaluations claimed and committed together.
BATCH = 50
# pg_try_advisory_lock key of the runner ("tick").
_LOCK = 0x7469636B


@dataclass
class RunReport:
    """What one run did: whether it ran at all, what it fired, what it had to leave."""

    ran: bool = True
    fired: int = 0
    looked: int = 0
    batches: int = 0
    conflicts: list[tuple[int, str]] = field(default_factory=list)

    def message(self) -> str:
        """Return the run's summary for a terminal or a log (Indonesian / English)."""
        if not self.ran:
            return ("Penjalan tenggat lain sedang berjalan; tidak ada yang dilakukan. / "
                    "Another deadline run is in progress; nothing done.")
        text_ = (f"{self.fired} transisi otomatis dijalankan ({self.looked} evaluasi "
                 f"diperiksa, {self.batches} batch). / {self.fired} automatic transitions "
                 f"fired ({self.looked} evaluations looked at).")
        if self.conflicts:
            text_ += (f" {len(self.conflicts)} dilewati karena bentrok, dicoba lagi pada "
                      f"putaran berikut. / {len(self.conflicts)} skipped on a conflict, "
                      f"retried next run.")
        return text_


def _record(session: Session, **values: Any) -> None:
    """Write the runner's record: one UPDATE (an INSERT the first time)."""
    table = ScheduledRun.__table__
    moved = session.execute(table.update().where(table.c.name == NAME).values(values))
    if moved.rowcount == 0:  # type: ignore[attr-defined]  # an UPDATE's result has it
        session.execute(table.insert().values({"name": NAME, "summary": {}, **values}))


def last_run(session: Session) -> ScheduledRun | None:
    """Return the runner's record (``None``: it never ran)."""
    return session.get(ScheduledRun, NAME)


def run_deadlines(engine: Engine, wf: Workflow, *, batch: int = BATCH) -> RunReport:
    """Run the deadline runner once over every agency (see the module's docstring)."""
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as lock:
        if postgres and not lock.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": _LOCK}):
            lock.rollback()
            return RunReport(ran=False)
        lock.commit()  # the session-level lock stays; no transaction is kept open
        try:
            return _run(engine, wf, batch, postgres)
        finally:
            if postgres:
                lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK})
                lock.commit()


def _run(engine: Engine, wf: Workflow, batch: int, postgres: bool) -> RunReport:
    report = RunReport()
    with Session(engine, expire_on_commit=False) as session:
        _record(session, started_at=wf.clock())
        session.commit()
        last_id = 0
        while True:
            query = (select(Evaluation.id, Evaluation.agency_id)
                     .where(Evaluation.due_at <= wf.clock(), Evaluation.id > last_id)
                     .order_by(Evaluation.id).limit(batch))
            if postgres:
                query = query.with_for_update(skip_locked=True, of=Evaluation.__table__)
            rows = session.execute(query).all()
            if not rows:
                session.rollback()
                break
            report.batches += 1
            for evaluation_id, agency_id in rows:
                last_id = evaluation_id
                report.looked += 1
                try:
                    with session.begin_nested():
                        if fire_due(session, wf, agency_id, evaluation_id) is not None:
                            report.fired += 1
                except WorkflowError as exc:  # a race lost, a guard changed: this one only
                    report.conflicts.append((evaluation_id, exc.message))
            session.commit()
            session.expunge_all()  # memory stays flat over any number of batches
            if len(rows) < batch:
                break
        now = wf.clock()
        _record(session, finished_at=now, summary={
            "fired": report.fired, "looked": report.looked, "conflicts": len(report.conflicts)})
        session.commit()
    return report
