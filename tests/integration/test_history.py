"""The hash chain catches every kind of tampering; PostgreSQL refuses edits outright."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.conftest import PG_URL
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import tampering
from tests.integration.test_service import RATING_LOW
from tests.integration.test_service import at
from workflow.history import verify_all
from workflow.history import verify_chain
from workflow.models import Evaluation
from workflow.service import Workflow
from workflow.service import apply_transition


@pytest.fixture(name="rated")
def _rated(session: Session, wf: Workflow, world: World) -> Evaluation:
    ev = world.evaluations["pegawai"]
    apply_transition(session, at(wf, 2), world.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, 3), world.actor("penilai"), ev.id, "send_to_team",
                     data=RATING_LOW)
    apply_transition(session, at(wf, 4), world.actor("tim"), ev.id, "team_review",
                     data={"pendapat_tim": "Sesuai.", "rekomendasi": "setuju"})
    session.commit()
    return ev


def test_intact_chain_verifies(session: Session, wf: Workflow, rated: Evaluation) -> None:
    """An untouched evaluation's chain verifies with all its events."""
    report = verify_chain(session, wf.audit_key, rated)
    assert report.ok and report.events == 4


def test_edited_event_is_detected(session: Session, wf: Workflow, rated: Evaluation) -> None:
    """Changing the comment of one event breaks the chain at that event."""
    with tampering(session):
        session.execute(text("UPDATE history_event SET comment = 'diubah' "
                             "WHERE evaluation_id = :e AND seq = 3"), {"e": rated.id})
    report = verify_chain(session, wf.audit_key, rated)
    assert not report.ok and report.broken_seq == 3 and "diubah" in report.reason


def test_edited_payload_is_detected(session: Session, wf: Workflow, rated: Evaluation) -> None:
    """Rewriting who acted (the NIP) is detected."""
    with tampering(session):
        session.execute(text("UPDATE history_event SET actor_nip = '199001012015011001' "
                             "WHERE evaluation_id = :e AND seq = 2"), {"e": rated.id})
    assert verify_chain(session, wf.audit_key, rated).broken_seq == 2


def test_deleted_event_is_detected(session: Session, wf: Workflow, rated: Evaluation) -> None:
    """Deleting an event in the middle breaks the chain where it was."""
    with tampering(session):
        session.execute(text("DELETE FROM history_event WHERE evaluation_id = :e AND seq = 2"),
                        {"e": rated.id})
    report = verify_chain(session, wf.audit_key, rated)
    assert not report.ok and report.broken_seq == 3


def test_deleted_last_event_is_detected(session: Session, wf: Workflow, rated: Evaluation) -> None:
    """Deleting the newest event is caught by the head stored on the evaluation."""
    with tampering(session):
        session.execute(text("DELETE FROM history_event WHERE evaluation_id = :e AND seq = 4"),
                        {"e": rated.id})
    report = verify_chain(session, wf.audit_key, rated)
    assert not report.ok and "kepala rantai" in report.reason


def test_inserted_event_is_detected(session: Session, wf: Workflow, rated: Evaluation) -> None:
    """Inserting a forged event (renumbering the rest) breaks the chain at the forgery."""
    with tampering(session):
        session.execute(text("UPDATE history_event SET seq = seq + 100 "
                             "WHERE evaluation_id = :e AND seq >= 3"), {"e": rated.id})
        session.execute(text("UPDATE history_event SET seq = seq - 99 "
                             "WHERE evaluation_id = :e AND seq >= 103"), {"e": rated.id})
        session.execute(text(
            "INSERT INTO history_event (agency_id, evaluation_id, chain, seq, at, kind, actor_nip,"
            " actor_role, trigger, source, dest, comment, data_digest, payload, prev_hash, hash)"
            " SELECT agency_id, evaluation_id, chain, 3, at, kind, actor_nip, actor_role,"
            " 'return_for_revision', source, dest, 'palsu', data_digest, payload, hash, hash"
            " FROM history_event WHERE evaluation_id = :e AND seq = 2"), {"e": rated.id})
    report = verify_chain(session, wf.audit_key, rated)
    assert not report.ok and report.broken_seq == 3


def test_reordered_events_are_detected(session: Session, wf: Workflow, rated: Evaluation) -> None:
    """Swapping two events' positions is detected."""
    with tampering(session):
        session.execute(text("UPDATE history_event SET seq = -1 WHERE evaluation_id = :e "
                             "AND seq = 2"), {"e": rated.id})
        session.execute(text("UPDATE history_event SET seq = 2 WHERE evaluation_id = :e "
                             "AND seq = 3"), {"e": rated.id})
        session.execute(text("UPDATE history_event SET seq = 3 WHERE evaluation_id = :e "
                             "AND seq = -1"), {"e": rated.id})
    assert verify_chain(session, wf.audit_key, rated).broken_seq == 2


def test_rehashed_forgery_without_key_is_detected(session: Session, wf: Workflow,
                                                  rated: Evaluation) -> None:
    """A forger who recomputes plain SHA-256 hashes (without the HMAC key) is still caught."""
    import hashlib

    with tampering(session):
        fake = hashlib.sha256(b"forged").hexdigest()
        session.execute(text("UPDATE history_event SET comment='x', hash=:h WHERE "
                             "evaluation_id = :e AND seq = 4"), {"e": rated.id, "h": fake})
        session.execute(text("UPDATE evaluation SET history_head=:h WHERE id = :e"),
                        {"e": rated.id, "h": fake})
    assert verify_chain(session, wf.audit_key, rated).broken_seq == 4


def test_verify_all_names_only_broken_chains(session: Session, wf: Workflow,
                                             rated: Evaluation) -> None:
    """Verifying everything flags the tampered evaluation and no other chain."""
    with tampering(session):
        session.execute(text("UPDATE history_event SET dest = 'finalized' "
                             "WHERE evaluation_id = :e AND seq = 4"), {"e": rated.id})
    broken = [r.chain for r in verify_all(session, wf.audit_key) if not r.ok]
    assert broken == [f"evaluation:{rated.id}"]


@pytest.mark.skipif(not PG_URL, reason="the append-only trigger exists on PostgreSQL only")
@pytest.mark.parametrize("statement", [
    "UPDATE history_event SET comment = 'x'",
    "DELETE FROM history_event",
])
def test_postgres_refuses_update_and_delete(session: Session, rated: Evaluation,
                                            statement: str) -> None:
    """PostgreSQL's trigger refuses UPDATE and DELETE on the history table."""
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(statement))
    session.rollback()
