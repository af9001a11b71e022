"""Verification at scale (issue 15, item 4): streamed in batches, split in parts, incremental.

The streamed check, the split one and the incremental one must name the same broken links for
every chain that moved since the last run (events above its watermark); what the incremental
check leaves to the full one (an older event edited in a chain that did not move, a
verification record deleted or altered) is named by the full one, and by every run after it.
"""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import PG_URL
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import build_world
from tests.conftest import tampering
from tests.integration.test_service import RATING_LOW
from tests.integration.test_service import at
from workflow import history
from workflow import verification
from workflow.definition import canonical_json
from workflow.history import verify_all
from workflow.models import Agency
from workflow.models import ChainVerification
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.models import VerificationRun
from workflow.periods import set_capaian
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.verification import run_verification
from workflow.verification import verify_part


def _broken(reports: list) -> dict[str, int | None]:
    return {r.chain: r.broken_seq for r in reports if not r.ok}


def _step(session: Session, wf: Workflow, w: World, who: str) -> Evaluation:
    """Submit one evaluation (a legitimate new event: its chain moves)."""
    ev = w.evaluations[who]
    apply_transition(session, at(wf, 2), w.actor(who), ev.id, "submit", data=SELF)
    session.commit()
    return ev


def _edit(session: Session, ev: Evaluation, seq: int, comment: str = "diubah") -> None:
    with tampering(session):
        session.execute(text("UPDATE history_event SET comment = :c WHERE evaluation_id = :e "
                             "AND seq = :s"), {"c": comment, "e": ev.id, "s": seq})


@pytest.fixture(name="batch", params=[verification.BATCH, 2], ids=["batch", "tiny-batch"])
def _batch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run each test with the real batch size and with 2 chains per batch (keyset edges; an
    incremental run then looks for one batch at a time)."""
    monkeypatch.setattr(verification, "BATCH", request.param)
    if request.param == 2:
        monkeypatch.setattr(verification, "PENDING_BATCHES", 1)
    return int(request.param)


def test_streamed_incremental_and_split_runs_name_the_same_breaks(
        session: Session, wf: Workflow, mataram: World, batch: int) -> None:
    """After a recorded run, breaks in chains that moved, were never verified or whose record
    was altered are named alike by the full, the split and the incremental runs."""
    other = build_world(session, wf, "kota-kupang", offset=50)
    first = run_verification(session, wf.audit_key)
    session.commit()
    assert first.ok and first.run.events == session.scalar(
        select(func.count()).select_from(HistoryEvent))

    moved = _step(session, wf, mataram, "pegawai")  # moved, then its new event edited
    _edit(session, moved, 2)
    row = _step(session, wf, mataram, "pegawai2")  # moved, then its row edited
    session.execute(text("UPDATE evaluation SET predikat = 'SANGAT_BAIK' WHERE id = :id"),
                    {"id": row.id})
    forged = other.evaluations["pegawai"]  # an event appended without the key
    with tampering(session):
        session.execute(text(
            "INSERT INTO history_event (agency_id, evaluation_id, chain, seq, at, kind, "
            "actor_nip, actor_role, trigger, source, dest, comment, data_digest, payload, "
            "prev_hash, hash, hash_version, projection) SELECT agency_id, evaluation_id, "
            "chain, 2, at, kind, actor_nip, actor_role, 'submit', 'draft', 'submitted', '', "
            "'', payload, hash, :h, 2, projection FROM history_event WHERE evaluation_id = :e "
            "AND seq = 1"), {"e": forged.id, "h": hashlib.sha256(b"x").hexdigest()})
        session.execute(text("UPDATE evaluation SET history_seq = 2, history_head = :h "
                             "WHERE id = :e"), {"e": forged.id, "h": hashlib.sha256(b"x")
                                                .hexdigest()})
    unrecorded = other.evaluations["pegawai2"]  # its record deleted, an old event edited
    session.execute(text("DELETE FROM chain_verification WHERE chain = :c"),
                    {"c": f"evaluation:{unrecorded.id}"})
    _edit(session, unrecorded, 1)
    altered = other.evaluations["tim"]  # its record altered (no longer signed), old edit
    session.execute(text("UPDATE chain_verification SET seq = 0 WHERE chain = :c"),
                    {"c": f"evaluation:{altered.id}"})
    _edit(session, altered, 1)
    session.commit()
    expected = {f"evaluation:{moved.id}": 2, f"evaluation:{row.id}": 2,
                f"evaluation:{forged.id}": 2, f"evaluation:{unrecorded.id}": 1,
                f"evaluation:{altered.id}": 1}

    full = _broken(verify_all(session, wf.audit_key))
    split: list = []
    for part in range(3):
        verify_part(session, wf.audit_key, part=part, parts=3, record=False, sink=split)
    assert full == _broken(split) == expected
    # The incremental run starts from the first run's watermark: the chains with events above
    # it (appended, forged); a record deleted or altered without a new event is the full
    # run's to find (docs/audit.md), and from then on it is recorded broken.
    moved_only = {chain: seq for chain, seq in expected.items()
                  if chain not in (f"evaluation:{unrecorded.id}", f"evaluation:{altered.id}")}
    incremental = run_verification(session, wf.audit_key, incremental=True)
    session.commit()
    assert _broken(incremental.broken) == moved_only
    assert incremental.run.chains == len(moved_only)  # nothing else was re-checked
    again = run_verification(session, wf.audit_key, incremental=True)  # broken ones again
    assert _broken(again.broken) == moved_only
    assert _broken(run_verification(session, wf.audit_key).broken) == expected
    session.commit()
    assert _broken(run_verification(session, wf.audit_key, incremental=True).broken) == expected
    # Without a trusted watermark (the runs' records altered) the incremental run compares
    # every head with its record, as the first one does.
    session.execute(text("UPDATE verification_run SET watermark = 0"))
    fallback = run_verification(session, wf.audit_key, incremental=True)
    assert _broken(fallback.broken) == expected


def test_incremental_leaves_unmoved_chains_to_the_full_run(
        session: Session, wf: Workflow, mataram: World, batch: int) -> None:
    """An older event edited in a chain whose head did not move (its record matching) is
    not re-hashed by the incremental run (documented); the full run names it and records it,
    and from then on the incremental run reports it too."""
    ev = _step(session, wf, mataram, "pegawai")
    assert run_verification(session, wf.audit_key).ok
    session.commit()
    _edit(session, ev, 1)
    assert run_verification(session, wf.audit_key, incremental=True).ok
    session.commit()
    full = run_verification(session, wf.audit_key)
    session.commit()
    assert _broken(full.broken) == {f"evaluation:{ev.id}": 1}
    assert _broken(run_verification(session, wf.audit_key, incremental=True).broken) == {
        f"evaluation:{ev.id}": 1}
    runs = session.scalars(select(VerificationRun.mode).order_by(VerificationRun.id)).all()
    assert runs == ["full", "incremental", "full", "incremental"]


def test_agency_chain_continues_from_its_verified_event(
        session: Session, wf: Workflow, mataram: World) -> None:
    """The agency chain (log-ins, admin changes: long) is hashed from its verified event on;
    that event edited or the chain rolled back is still named."""
    assert run_verification(session, wf.audit_key).ok
    session.commit()
    chain = f"agency:{mataram.agency.id}"
    verified = session.get(ChainVerification, chain)
    assert verified is not None and verified.seq == mataram.agency.history_seq
    ev = _step(session, wf, mataram, "pegawai")
    apply_transition(session, at(wf, 3), mataram.actor("penilai"), ev.id, "review",
                     data=RATING_LOW)
    session.commit()
    result = run_verification(session, wf.audit_key, incremental=True)
    session.commit()
    assert result.ok and result.run.chains == 1  # only the evaluation that moved
    with tampering(session):
        session.execute(text("UPDATE history_event SET hash = :h WHERE chain = :c AND seq = :s"),
                        {"h": "0" * 64, "c": chain, "s": verified.seq})
    set_capaian(session, wf, mataram.actor("kepala"), ev.period_id, "BAIK", "SK 1/2026")
    session.commit()  # the agency chain moves on from the edited event
    result = run_verification(session, wf.audit_key, incremental=True)
    assert _broken(result.broken) == {chain: verified.seq}
    assert _broken(verify_all(session, wf.audit_key)) == {chain: verified.seq}


def test_orphan_events_are_named_by_the_full_run(session: Session, wf: Workflow,
                                                 mataram: World) -> None:
    """Events whose chain has no owner row any more (owner deleted to hide them) are named."""
    with tampering(session):
        session.execute(text("UPDATE history_event SET chain = 'evaluation:999999' "
                             "WHERE evaluation_id = :e AND seq = 1"),
                        {"e": mataram.evaluations["pegawai"].id})
    broken = _broken(run_verification(session, wf.audit_key).broken)
    assert "evaluation:999999" in broken
    assert broken[f"evaluation:{mataram.evaluations['pegawai'].id}"] is not None


def test_full_run_reads_events_a_batch_at_a_time(session: Session, wf: Workflow,
                                                 mataram: World,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The history is read one query per batch of evaluations, never one per chain: with 2
    evaluations per batch the number of event queries is the number of batches."""
    monkeypatch.setattr(verification, "BATCH", 2)
    evaluations = session.scalar(select(func.count()).select_from(Evaluation)) or 0
    queries: list[str] = []
    engine = session.get_bind()

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if ("FROM history_event JOIN evaluation" in statement
                and "ORDER BY evaluation.id, history_event.seq" in statement):
            queries.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert run_verification(session, wf.audit_key).ok
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(queries) == -(-evaluations // 2)


@pytest.mark.skipif(not PG_URL, reason="worker processes need a database they can connect to")
def test_parallel_processes_find_the_same_breaks(session: Session, wf: Workflow,
                                                 mataram: World) -> None:
    """`jobs=2` splits the evaluations across two processes and names the same breaks."""
    ev = _step(session, wf, mataram, "pegawai")
    _edit(session, ev, 2)
    session.commit()
    single = run_verification(session, wf.audit_key)
    session.commit()
    parallel = run_verification(session, wf.audit_key, jobs=2)
    session.commit()
    assert _broken(single.broken) == _broken(parallel.broken) == {f"evaluation:{ev.id}": 2}
    assert (single.run.chains, single.run.events) == (parallel.run.chains, parallel.run.events)


# --- the fast path (orjson) and the watermark -------------------------------------------------


def _material(event: HistoryEvent) -> dict:
    fields = history.event_columns(event)
    material = {name: fields[name] for name in history.hashed_fields(fields["hash_version"])}
    material["at"] = history._stamp(fields["at"])
    return material


def test_orjson_writes_the_canonical_bytes_of_every_real_event(
        session: Session, wf: Workflow, mataram: World) -> None:
    """For every event the app wrote (transitions with their data, log-ins, the opening) and
    for non-ASCII text and ordinary floats, orjson writes ``canonical_json``'s bytes, so the
    fast path takes them; the values it writes otherwise (a float under 1e-4, NaN) differ,
    which is why only a matching hash is trusted."""
    _step(session, wf, mataram, "pegawai")
    events = session.scalars(select(HistoryEvent).order_by(HistoryEvent.id)).all()
    assert len(events) > 5 and any(e.payload for e in events) and any(e.projection
                                                                      for e in events)
    for ev in events:
        material = _material(ev)
        assert history.fast_canonical(material) == canonical_json(material).encode()
        assert history.fast_event_hash(wf.audit_key, material) == ev.hash
    odd = {"nama": "Sékolah Dasar — “Pelita” 中文 😀", "catatan": "a\nb\t\"c\"\\ \x01 \u2028",
           "nilai": [0.1, 1.5, 95.25, -0.0, 1e16, 1e22, 123456789.125, 2**53, -(2**63)],
           "kosong": None, "ya": True, "Zebra": 1, "apel": 2, "Éclair": 3}
    assert history.fast_canonical(odd) == canonical_json(odd).encode()
    for differs in (1e-05, 2.5e-07):
        assert history.fast_canonical(differs) != canonical_json(differs).encode()
    assert history.fast_canonical(float("nan")) != canonical_json(float("nan")).encode()
    with pytest.raises(history.FastError):
        history.fast_canonical(2**64)


def test_intact_chains_pass_the_fast_way_and_breaks_are_named_exactly(
        session: Session, wf: Workflow, mataram: World,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A full run over intact chains never needs the exact check; an edited event (and an
    edited row) fails the fast check and the exact one names it."""
    exact: list[str] = []
    original = verification._exact_check

    def spy(session: Session, key: bytes, batch: object) -> list:
        exact.extend(owner.chain for owner in batch.owners)  # type: ignore[attr-defined]
        return original(session, key, batch)  # type: ignore[arg-type]

    monkeypatch.setattr(verification, "_exact_check", spy)
    ev = _step(session, wf, mataram, "pegawai")
    assert run_verification(session, wf.audit_key).ok
    assert exact == []
    _edit(session, ev, 2)
    other = mataram.evaluations["pegawai2"]
    session.execute(text("UPDATE evaluation SET predikat = 'BAIK' WHERE id = :id"),
                    {"id": other.id})
    session.commit()
    result = run_verification(session, wf.audit_key)
    assert _broken(result.broken) == {f"evaluation:{ev.id}": 2, f"evaluation:{other.id}": 1}
    assert sorted(exact) == sorted([f"evaluation:{ev.id}", f"evaluation:{other.id}"])
    assert next(r for r in result.broken if r.chain == f"evaluation:{other.id}").fields == (
        "predikat",)


def test_values_orjson_writes_differently_still_verify(
        session: Session, wf: Workflow, mataram: World) -> None:
    """An event whose payload holds a float orjson writes differently (1e-05) fails the fast
    check and passes the exact one: intact, not broken."""
    agency = session.get(Agency, mataram.agency.id)
    assert agency is not None
    history.append_event(session, wf.audit_key, agency, kind="admin", at=at(wf, 1).clock(),
                         payload={"ambang": 1e-05, "nama": "Sékolah"})
    session.commit()
    rows = session.execute(select(*verification._fast_event_columns(
        session.get_bind().dialect.name)).where(HistoryEvent.chain == f"agency:{agency.id}")
        .order_by(HistoryEvent.seq)).all()
    assert verification._fast_chain(
        wf.audit_key, rows, agency.history_seq, agency.history_head) is None
    assert run_verification(session, wf.audit_key).ok
    session.commit()
    with tampering(session):
        session.execute(text("UPDATE history_event SET payload = :p WHERE chain = :c AND "
                             "seq = :s"), {"p": '{"ambang": 2e-05, "nama": "Sékolah"}',
                                           "c": f"agency:{agency.id}", "s": agency.history_seq})
    assert _broken(run_verification(session, wf.audit_key).broken) == {
        f"agency:{agency.id}": agency.history_seq}


@pytest.mark.skipif(not PG_URL, reason="concurrent transactions need PostgreSQL")
def test_events_committed_late_below_the_watermark_are_still_checked(
        session: Session, wf: Workflow, mataram: World) -> None:
    """A transaction that drew its event id before a run started but committed after it
    (while a later id was already visible) is still checked by the next incremental run: the
    run keeps that id waiting until the writer is over, instead of moving the watermark past
    it."""
    assert run_verification(session, wf.audit_key).ok
    session.commit()
    first = session.scalar(select(func.max(HistoryEvent.id)))
    late = mataram.evaluations["pegawai"]
    forged = hashlib.sha256(b"forged").hexdigest()
    with Session(session.get_bind()) as writer:  # in flight across the next run
        writer.execute(text(
            "INSERT INTO history_event (agency_id, evaluation_id, chain, seq, at, kind, "
            "actor_nip, actor_role, trigger, source, dest, comment, data_digest, payload, "
            "prev_hash, hash, hash_version, projection) SELECT agency_id, evaluation_id, "
            "chain, 2, at, kind, actor_nip, actor_role, 'submit', 'draft', 'submitted', '', "
            "'', payload, hash, :h, 2, projection FROM history_event WHERE evaluation_id = :e "
            "AND seq = 1"), {"e": late.id, "h": forged})
        writer.execute(text("UPDATE evaluation SET history_seq = 2, history_head = :h "
                            "WHERE id = :e"), {"e": late.id, "h": forged})
        _step(session, wf, mataram, "pegawai2")  # a later id, committed first
        during = run_verification(session, wf.audit_key, incremental=True)
        session.commit()
        assert during.ok and during.run.watermark == first  # not past the writer's id
        assert during.run.pending and during.run.pending[0][0] > first
        writer.commit()
    after = run_verification(session, wf.audit_key, incremental=True)
    session.commit()
    assert _broken(after.broken) == {f"evaluation:{late.id}": 2}
    assert after.run.watermark is not None and after.run.watermark > first
    assert after.run.pending is None


def test_the_page_counts_waiting_events_from_the_watermark(
        session: Session, wf: Workflow, mataram: World) -> None:
    """After a run, the events waiting are those above its watermark: counted on the primary
    key, not by comparing every chain with its record."""
    assert run_verification(session, wf.audit_key).ok
    session.commit()
    assert verification.history_size(session, wf.audit_key, mataram.agency.id)[1] == 0
    _step(session, wf, mataram, "pegawai")
    total, pending = verification.history_size(session, wf.audit_key, mataram.agency.id,
                                                cap=3)
    assert (total, pending) == (3, 1)
