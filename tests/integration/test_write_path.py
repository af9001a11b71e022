"""The transition write path on a real database: the one-statement read, the versioned write.

Runs on SQLite and on PostgreSQL (where the update and the event insert are one statement).
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import SELF
from tests.conftest import World
from tests.integration.test_service import at
from web.extensions import db
from workflow.history import event_fields
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.recording import record_transition
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.snapshot import load_snapshot

MOMENT = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


def event_count(session: Session, evaluation_id: int) -> int:
    return session.scalar(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.evaluation_id == evaluation_id)) or 0


def test_snapshot_reads_the_row_and_every_participant(session: Session, world: World) -> None:
    ev = world.evaluations["pegawai"]
    expected = {p.role: p.employee_id for p in ev.participants}
    assert len(expected) >= 2  # employee, appraiser, … (the query aggregates them)
    with Session(db.engine) as fresh:  # nothing held: the Core query runs
        snap = load_snapshot(fresh, ev.id)
    assert snap is not None
    assert snap.participant_ids() == expected
    assert (snap.id, snap.agency_id, snap.employee_id, snap.status, snap.lock_version,
            snap.history_seq, snap.history_head, dict(snap.form_versions)) == (
        ev.id, ev.agency_id, ev.employee_id, ev.status, ev.lock_version, ev.history_seq,
        ev.history_head, ev.form_versions)


def test_snapshot_of_a_missing_evaluation_is_none(session: Session, world: World) -> None:
    with Session(db.engine) as fresh:
        assert load_snapshot(fresh, 10**9) is None


def test_snapshot_uses_the_sessions_own_view(session: Session, wf: Workflow,
                                             world: World) -> None:
    """A session that holds the evaluation decides on what it holds (as an ORM query would);
    the versioned write then tells it that it lost."""
    ev = world.evaluations["pegawai"]
    version = ev.lock_version
    with Session(db.engine) as other:
        held = other.get(Evaluation, ev.id)
        assert held is not None
        apply_transition(session, at(wf, 2), world.actor("pegawai"), ev.id, "submit", data=SELF)
        session.commit()
        snap = load_snapshot(other, ev.id)
        assert snap is not None and (snap.status, snap.lock_version) == ("draft", version)
        with Session(db.engine) as fresh:
            now = load_snapshot(fresh, ev.id)
            assert now is not None and (now.status, now.lock_version) == ("submitted",
                                                                          version + 1)


def test_stale_write_writes_nothing(session: Session, world: World) -> None:
    """A writer that saw an older version gets None and neither the row nor the chain moves."""
    ev = world.evaluations["pegawai"]
    snap = load_snapshot(session, ev.id)
    assert snap is not None
    fields = event_fields(b"k", snap, kind="transition", at=MOMENT, trigger="submit",
                          source="draft", dest="submitted")
    values = {"status": "submitted", "lock_version": snap.lock_version + 1,
              "history_seq": fields["seq"], "history_head": fields["hash"]}
    before = event_count(session, ev.id)
    assert record_transition(session, ev.id, snap.lock_version - 1, values,
                             {**fields, "actor_id": None}) is None
    session.expire_all()
    row = session.get(Evaluation, ev.id)
    assert row is not None and (row.status, row.lock_version) == ("draft", snap.lock_version)
    assert event_count(session, ev.id) == before


def test_current_write_moves_row_and_chain_together(session: Session, world: World) -> None:
    ev = world.evaluations["pegawai"]
    snap = load_snapshot(session, ev.id)  # taken from the ORM object the fixture holds
    assert snap is not None
    fields = event_fields(b"k", snap, kind="transition", at=MOMENT, trigger="submit",
                          source="draft", dest="submitted")
    values = {"status": "submitted", "lock_version": snap.lock_version + 1,
              "history_seq": fields["seq"], "history_head": fields["hash"]}
    before = event_count(session, ev.id)
    recorded = record_transition(session, ev.id, snap.lock_version, values,
                                 {**fields, "actor_id": None})
    assert recorded is not None and recorded.evaluation_id == ev.id
    # The object the session holds is brought up to date without a reload …
    assert (ev.status, ev.history_head) == ("submitted", fields["hash"])
    assert ev not in session.dirty
    session.commit()
    session.expire_all()
    stored = session.get(HistoryEvent, recorded.id)
    assert stored is not None and (stored.seq, stored.hash) == (fields["seq"], fields["hash"])
    assert event_count(session, ev.id) == before + 1
