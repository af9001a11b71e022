"""Concurrent transitions on one evaluation: exactly one wins, the others get ConcurrentUpdate.

The optimistic lock (``Evaluation.lock_version``) turns the losers' ``UPDATE … WHERE
lock_version = :seen`` into 0 rows → ``StaleDataError`` → ``ConcurrentUpdate``; the history
chain keeps exactly one event. The threaded race needs PostgreSQL: SQLite serialises writers
(and the in-memory test database is one shared connection), so the race cannot happen there.
The two-session test is deterministic and runs on both databases.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PG_URL
from tests.conftest import SELF
from tests.conftest import World
from tests.integration.test_service import at
from web.extensions import db
from workflow.errors import ConcurrentUpdate
from workflow.history import verify_chain
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.service import Workflow
from workflow.service import apply_transition

# The two ConcurrentUpdate paths of the service, told apart by their English message.
AT_FLUSH = "a moment ago"  # lost the race at flush: UPDATE … WHERE lock_version matched 0 rows
AT_LOAD = "since you opened it"  # loaded after the winner committed: expected_version is stale


def submit_events(session: Session, evaluation: Evaluation) -> int:
    """Return how many ``submit`` events the evaluation's history holds."""
    return session.scalar(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.evaluation_id == evaluation.id, HistoryEvent.trigger == "submit")) or 0


def assert_one_winner(session: Session, wf: Workflow, evaluation: Evaluation, seq_before: int,
                      version_before: int) -> None:
    """The evaluation moved once: submitted, one more event, one submit, an intact chain."""
    session.expire_all()
    ev = session.get(Evaluation, evaluation.id)
    assert ev is not None
    assert ev.status == "submitted"
    assert ev.history_seq == seq_before + 1
    assert ev.lock_version == version_before + 1
    assert submit_events(session, ev) == 1
    report = verify_chain(session, wf.audit_key, ev)
    assert report.ok, report


def test_second_session_on_the_same_version_conflicts(session: Session, wf: Workflow,
                                                      world: World) -> None:
    """Two sessions load version v; the first commits; the second's flush is a conflict."""
    ev = world.evaluations["pegawai"]
    actor = world.actor("pegawai")
    seq_before, version_before = ev.history_seq, ev.lock_version
    other = Session(db.engine)
    try:
        theirs = other.get(Evaluation, ev.id)
        assert theirs is not None and theirs.lock_version == version_before
        apply_transition(session, at(wf, 2), actor, ev.id, "submit", data=SELF)
        session.commit()
        with pytest.raises(ConcurrentUpdate) as caught:
            apply_transition(other, at(wf, 2), actor, ev.id, "submit", data=SELF)
        assert AT_FLUSH in caught.value.message_en  # the database said no, not a pre-check
        other.rollback()
    finally:
        other.close()
    assert_one_winner(session, wf, ev, seq_before, version_before)


Outcome = str | BaseException


def race(n: int, engine_url: object, body: Callable[[Session, threading.Barrier], None]
         ) -> list[Outcome]:
    """Run ``body`` in ``n`` threads, each with its own Session and connection; collect outcomes.

    ``"ok"`` for a thread whose body returned (after commit), else the exception it raised.
    """
    engine = create_engine(engine_url, pool_size=n + 2, max_overflow=0,
                           pool_timeout=30)
    barrier = threading.Barrier(n, timeout=60)
    outcomes: list[Outcome] = ["not run"] * n

    def worker(i: int) -> None:
        with Session(engine) as s:
            try:
                body(s, barrier)
                s.commit()
                outcomes[i] = "ok"
            except BaseException as exc:  # noqa: BLE001 - every outcome is asserted on below
                s.rollback()
                outcomes[i] = exc
                if not isinstance(exc, ConcurrentUpdate):
                    barrier.abort()  # do not leave the others waiting for a dead thread

    try:
        threads = [threading.Thread(target=worker, args=(i,), name=f"racer-{i}")
                   for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads), "a racer hung (lock wait or deadlock?)"
    finally:
        engine.dispose()
    return outcomes


def check_outcomes(outcomes: list[Outcome], n: int) -> list[ConcurrentUpdate]:
    """Exactly one success and n−1 ConcurrentUpdate; anything else is listed in the failure."""
    wins = [o for o in outcomes if o == "ok"]
    conflicts = [o for o in outcomes if isinstance(o, ConcurrentUpdate)]
    unexpected = [o for o in outcomes if o != "ok" and not isinstance(o, ConcurrentUpdate)]
    assert not unexpected, "unexpected outcomes:\n" + "\n".join(
        f"  {type(o).__module__}.{type(o).__name__}: {o!r}" if isinstance(o, BaseException)
        else f"  {o!r}" for o in unexpected)
    assert (len(wins), len(conflicts)) == (1, n - 1), outcomes
    return conflicts


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (set TEST_DATABASE_URL): SQLite "
                    "serialises writers and the in-memory test DB is one shared connection, "
                    "so the race cannot happen there")
@pytest.mark.parametrize("loaded", [True, False], ids=["all-loaded", "load-in-race"])
@pytest.mark.parametrize("n", [2, 8, 32])
def test_race_on_one_evaluation(session: Session, wf: Workflow, world: World, n: int,
                                loaded: bool) -> None:
    """N threads fire ``submit`` on one evaluation: 1 success, N−1 conflicts, 1 event.

    ``all-loaded``: every thread holds the row (same lock_version) before any of them writes,
    so all N reach the database and N−1 lose at flush. ``load-in-race``: the barrier is before
    loading, as N browser tabs posting the form they opened at version v (``expected_version``);
    a thread loading after the winner committed is refused before writing.
    """
    ev = world.evaluations["pegawai"]
    actor = world.actor("pegawai")
    seq_before, version_before = ev.history_seq, ev.lock_version
    when = at(wf, 2)

    def body(s: Session, barrier: threading.Barrier) -> None:
        if loaded:
            mine = s.get(Evaluation, ev.id)
            assert mine is not None and mine.lock_version == version_before
        barrier.wait()
        apply_transition(s, when, actor, ev.id, "submit", data=SELF,
                         expected_version=version_before)

    conflicts = check_outcomes(race(n, db.engine.url, body), n)
    if loaded:
        # All N reached the database; each loser was stopped there: its UPDATE … WHERE
        # lock_version matched 0 rows (no exception behind it: the row count said so).
        causes = [type(c.__cause__) for c in conflicts]
        assert all(AT_FLUSH in c.message_en for c in conflicts), [c.message_en for c in conflicts]
        assert set(causes) <= {type(None)}, causes
    assert_one_winner(session, wf, ev, seq_before, version_before)
