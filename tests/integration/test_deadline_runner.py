"""The deadline runner: due steps through the indexed ``due_at``, batches claimed with SKIP
LOCKED and committed one by one, one run at a time, the last run recorded for ``/healthz``.

The concurrency tests need PostgreSQL (row locks, advisory locks); the rest run on both.
"""

from __future__ import annotations

import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import PG_URL
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import sql_statements
from tests.conftest import tampering
from tests.integration.test_service import RATING_LOW
from tests.integration.test_service import at
from tests.web.test_health import stamp
from web.extensions import db
from workflow.deadline_runner import run_deadlines
from workflow.due import closes
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.models import ScheduledRun
from workflow.service import Workflow
from workflow.service import apply_transition

postgres_only = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
RATED = ("pegawai", "pegawai2")


def rated(session: Session, wf: Workflow, w: World) -> list[Evaluation]:
    """Submit and rate two evaluations (day 2-3): each waits for its appeal window to close."""
    out = []
    for who in RATED:
        ev = w.evaluations[who]
        apply_transition(session, at(wf, 2), w.actor(who), ev.id, "submit", data=SELF)
        apply_transition(session, at(wf, 3), w.actor("penilai"), ev.id, "review",
                         data=RATING_LOW)
        out.append(ev)
    session.commit()
    return out


def finalize_events(session: Session, ev: Evaluation) -> int:
    return session.scalar(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.evaluation_id == ev.id, HistoryEvent.trigger == "finalize")) or 0


def test_due_at_follows_the_appeal_window(app: Flask, session: Session, wf: Workflow,
                                          mataram: World) -> None:
    """Rating sets due_at to the moment the window closes; before it the runner looks at
    nothing, after it fires finalize once and the evaluation is due no more; the run is
    recorded."""
    evs = rated(session, wf, mataram)
    for ev in evs:
        session.refresh(ev)
        assert ev.due_at == closes(ev.deadlines["appeal_window"])
    with app.app_context():
        early = run_deadlines(db.engine, at(wf, 10))
        assert (early.fired, early.looked) == (0, 0)
        late = run_deadlines(db.engine, at(wf, 20))
    assert (late.ran, late.fired, late.conflicts) == (True, 2, [])
    session.expire_all()
    for ev in evs:
        assert (ev.status, ev.due_at, finalize_events(session, ev)) == ("finalized", None, 1)
    record = session.get(ScheduledRun, "deadline-runner")
    assert record is not None and record.finished_at == at(wf, 20).clock()
    assert record.summary == {"fired": 2, "looked": 2, "conflicts": 0}


def test_a_look_that_fires_nothing_reschedules(app: Flask, session: Session, wf: Workflow,
                                               mataram: World) -> None:
    """An evaluation due too early (its row says due, the guard says not yet) is set to the
    window's end, not looked at again on every run."""
    ev = rated(session, wf, mataram)[0]
    session.execute(Evaluation.__table__.update().where(Evaluation.id == ev.id)
                    .values(due_at=datetime(2026, 2, 1, tzinfo=UTC)))
    session.commit()
    with app.app_context():
        report = run_deadlines(db.engine, at(wf, 10))
        assert (report.fired, report.looked) == (0, 1)
        assert run_deadlines(db.engine, at(wf, 11)).looked == 0
    session.expire_all()
    assert ev.due_at == closes(ev.deadlines["appeal_window"])


def test_tampered_row_loses_only_itself(app: Flask, session: Session, wf: Workflow,
                                        mataram: World) -> None:
    """A row changed behind the app's back is refused (and recorded); the other fires."""
    good, bad = rated(session, wf, mataram)
    with tampering(session):
        session.execute(text("UPDATE evaluation SET predikat = 'SANGAT_BAIK' WHERE id = :id"),
                        {"id": bad.id})
    with app.app_context():
        report = run_deadlines(db.engine, at(wf, 20))
    assert report.fired == 1
    session.expire_all()
    assert (good.status, bad.status) == ("finalized", "reviewed")
    assert session.scalar(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.agency_id == mataram.agency.id, HistoryEvent.evaluation_id.is_(None),
        HistoryEvent.trigger == "record_mismatch")) >= 1


def _waiting(session: Session, w: World, n: int) -> None:
    """Add ``n`` evaluations waiting in ``reviewed`` with nothing due (due_at in the future or
    none), with their employees, in two statements."""
    template = w.evaluations["pegawai"]
    session.execute(insert(Employee.__table__), [
        {"agency_id": w.agency.id, "nip": f"1999{i:014d}", "name": f"Pegawai {i}",
         "jabatan": "", "pangkat": "", "golongan": "", "unit_kerja": "", "asn_type": "PNS",
         "jenis_jabatan": "", "session_epoch": 0, "active": True} for i in range(n)])
    ids = session.scalars(select(Employee.id).where(Employee.nip.like("1999%"))).all()
    future = datetime(2027, 1, 1, tzinfo=UTC)
    session.execute(insert(Evaluation.__table__), [
        {"agency_id": w.agency.id, "employee_id": employee_id,
         "period_id": template.period_id,
         "definition_version_id": template.definition_version_id, "status": "reviewed",
         "lock_version": 1, "deadlines": {}, "data": {}, "form_versions": {},
         "history_seq": 0, "history_head": "", "created_at": future, "updated_at": future,
         "due_at": future if k % 2 else None} for k, employee_id in enumerate(ids)])
    session.commit()


def test_nothing_due_costs_a_constant_number_of_statements(
        app: Flask, session: Session, wf: Workflow, mataram: World) -> None:
    """5,000 waiting with none due: the same statements as 5 waiting."""
    counts = []
    with app.app_context():
        run_deadlines(db.engine, at(wf, 9))  # the first run ever records itself with an INSERT
    for n in (5, 5_000):
        _replace_waiting(session, mataram, n)
        with sql_statements(app) as sent, app.app_context():
            report = run_deadlines(db.engine, at(wf, 10))
        assert report.looked == 0
        counts.append(len(sent))
    waiting = session.scalar(select(func.count()).select_from(Evaluation).where(
        Evaluation.status == "reviewed"))
    assert waiting is not None and waiting >= 5_000
    assert counts[0] == counts[1] <= 8, counts


def _replace_waiting(session: Session, w: World, n: int) -> None:
    session.execute(text("DELETE FROM evaluation WHERE employee_id IN "
                         "(SELECT id FROM employee WHERE nip LIKE '1999%')"))
    session.execute(text("DELETE FROM employee WHERE nip LIKE '1999%'"))
    session.commit()
    _waiting(session, w, n)


@postgres_only
def test_two_runs_at_once_fire_each_due_step_once(app: Flask, session: Session, wf: Workflow,
                                                  mataram: World) -> None:
    """Two runners started together: each due step fires exactly once, neither fails."""
    evs = rated(session, wf, mataram)
    start = threading.Barrier(2)
    reports: list[object] = []

    def runner() -> None:
        start.wait()
        try:
            with app.app_context():
                reports.append(run_deadlines(db.engine, at(wf, 20), batch=1))
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            reports.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(not isinstance(r, BaseException) for r in reports), reports
    assert sum(r.fired for r in reports) == 2
    session.expire_all()
    assert [finalize_events(session, ev) for ev in evs] == [1, 1]


@postgres_only
def test_overlapping_run_exits_zero_with_a_message(app: Flask, session: Session, wf: Workflow,
                                                   mataram: World) -> None:
    """While a run holds the lock, `workflow tick` says so and exits 0 having done nothing."""
    rated(session, wf, mataram)
    with app.app_context(), db.engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": 0x7469636B})
        try:
            result = app.test_cli_runner().invoke(args=["workflow", "tick"])
        finally:
            holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": 0x7469636B})
            holder.commit()
    assert result.exit_code == 0, result.output
    assert "sedang berjalan" in result.output and "in progress" in result.output
    assert session.scalar(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.trigger == "finalize")) == 0


@postgres_only
def test_a_row_being_edited_is_skipped_not_waited_for(app: Flask, session: Session,
                                                      wf: Workflow, mataram: World) -> None:
    """A row locked by someone's open transaction is skipped (SKIP LOCKED): the run fires the
    others without waiting and the next run fires it."""
    locked, free = rated(session, wf, mataram)
    with app.app_context(), db.engine.connect() as editor:
        editor.execute(text("SELECT id FROM evaluation WHERE id = :id FOR UPDATE"),
                       {"id": locked.id})
        began = datetime.now(UTC)
        first = run_deadlines(db.engine, at(wf, 20))
        assert datetime.now(UTC) - began < timedelta(seconds=10)
        editor.rollback()
        assert (first.fired, first.looked) == (1, 1)
        second = run_deadlines(db.engine, at(wf, 20))
    assert second.fired == 1
    session.expire_all()
    assert (locked.status, free.status) == ("finalized", "finalized")


def test_healthz_reports_a_late_runner(app: Flask, client: FlaskClient, session: Session,
                                       wf: Workflow) -> None:
    """No run yet → late; a fresh run → ok."""
    stamp(app, "head")
    assert client.get("/healthz").json["deadline_runner"]["status"] == "late"
    with app.app_context():
        run_deadlines(db.engine, app.extensions["workflow"])
    body = client.get("/healthz").json
    assert body["status"] == "ok" and body["deadline_runner"]["status"] == "ok"
