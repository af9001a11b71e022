"""Reassignment of an open evaluation's appraiser or appeal decider (workflow.reassignment)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.visibility import Visibility
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import build_world
from workflow.actors import Actor
from workflow.context import TransitionContext
from workflow.errors import InvalidData
from workflow.errors import NotFound
from workflow.errors import NotPermitted
from workflow.errors import WorkflowError
from workflow.guards import GUARDS
from workflow.guards import InboxQuestion
from workflow.guards import independent
from workflow.guards import not_original_appraiser
from workflow.history import verify_chain
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.reassignment import ReassignmentRefused
from workflow.reassignment import open_holdings
from workflow.reassignment import reassign
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.service import available_transitions
from workflow.service import get_evaluation

RATING = {"rating_hasil_kerja": "sesuai", "rating_perilaku_kerja": "sesuai",
          "umpan_balik": "Baik.", "justifikasi": ""}


def at(wf: Workflow, day: int) -> Workflow:
    moment = datetime(2026, 2, day, 9, 0, tzinfo=UTC)
    return replace(wf, clock=lambda: moment)


def newcomer(session: Session, w: World, *, active: bool = True) -> Employee:
    """A new section head in Bidang A (reports to the Atasan Penilai), active or not."""
    person = Employee(agency_id=w.agency.id, nip="198001012005019901", name="Penilai Baru",
                      jabatan="Kepala Seksi", unit_kerja="Bidang A",
                      superior_id=w.people["atasan"].id, active=active)
    session.add(person)
    session.commit()
    return person


def test_bulk_reassignment_moves_the_role_records_it_and_keeps_read_access(
        session: Session, wf: Workflow, mataram: World) -> None:
    """Both evaluations the appraiser holds go to the new person in one go; each chain records
    it with the reason; the new appraiser rates; the former one reads but cannot act."""
    old = mataram.people["penilai"]
    new = newcomer(session, mataram)
    old.active = False
    session.commit()
    admin = mataram.actor("kepala")
    held = open_holdings(session, admin, old.id)
    assert {(h.employee_name, h.role) for h in held} == {("Pegawai Satu", "appraiser"),
                                                          ("Pegawai Dua", "appraiser")}
    events = reassign(session, at(wf, 2), admin, [h.evaluation_id for h in held], "appraiser",
                      new.id, "Pindah tugas ke Dinas Kesehatan")
    session.commit()
    assert len(events) == 2
    assert open_holdings(session, admin, old.id) == []
    ev = mataram.evaluations["pegawai"]
    session.refresh(ev)
    assert ev.participant_ids()["appraiser"] == new.id
    event = session.scalars(select(HistoryEvent).where(HistoryEvent.evaluation_id == ev.id)
                            .order_by(HistoryEvent.seq.desc())).first()
    assert event is not None
    assert (event.kind, event.comment, event.actor_role) == (
        "reassignment", "Pindah tugas ke Dinas Kesehatan", "admin")
    assert (event.payload["from"], event.payload["to"]) == (old.nip, new.nip)
    assert verify_chain(session, wf.audit_key, ev).ok

    apply_transition(session, at(wf, 3), mataram.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, 4), Actor.of(new), ev.id, "review", data=RATING)
    session.commit()
    assert ev.status == "reviewed"
    assert verify_chain(session, wf.audit_key, ev).ok
    former = Actor.of(old)
    available = available_transitions(session, wf, former, ev.id)
    assert available.transitions == []
    assert get_evaluation(session, former, ev.id).id == ev.id
    seen = Visibility.for_actor(session, former, ev)
    assert "appraiser" in seen.viewer.roles
    assert seen.rating_visible


def test_separation_of_duties_holds_for_the_new_person(session: Session, wf: Workflow,
                                                       mataram: World) -> None:
    """The employee herself, the appraiser as decider, the decider as appraiser: refused,
    with the reason, and nothing changes (bulk is all or nothing)."""
    admin = mataram.actor("kepala")
    ev = mataram.evaluations["pegawai"]
    ev2 = mataram.evaluations["pegawai2"]
    cases = [("appraiser", mataram.people["pegawai"].id, "evaluasinya sendiri"),
             ("appeal_reviewer", mataram.people["penilai"].id, "tidak boleh memutus"),
             ("appraiser", mataram.people["atasan"].id, "tidak boleh menjadi penilainya")]
    for role, person, words in cases:
        with pytest.raises(WorkflowError) as caught:
            reassign(session, wf, admin, [ev2.id, ev.id], role, person, "Mutasi")
        assert words in caught.value.message
        assert "Nothing was reassigned" in caught.value.message_en
        session.rollback()
    session.refresh(ev)
    assert ev.participant_ids()["appraiser"] == mataram.people["penilai"].id
    assert ev.history_seq == 1


def test_a_decider_who_already_rated_is_refused(session: Session, wf: Workflow,
                                                mataram: World) -> None:
    """Once the old appraiser rated, she may not become the decider after being replaced."""
    ev = mataram.evaluations["pegawai"]
    apply_transition(session, at(wf, 3), mataram.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, 4), mataram.actor("penilai"), ev.id, "review", data=RATING)
    session.commit()
    admin = mataram.actor("kepala")
    new = newcomer(session, mataram)
    reassign(session, wf, admin, [ev.id], "appraiser", new.id, "Mutasi")
    session.commit()
    with pytest.raises(WorkflowError, match="sudah menilai"):
        reassign(session, wf, admin, [ev.id], "appeal_reviewer", mataram.people["penilai"].id,
                 "Mutasi")


def test_reason_active_person_role_and_closed_evaluations(session: Session, wf: Workflow,
                                                          mataram: World) -> None:
    admin = mataram.actor("kepala")
    ev = mataram.evaluations["pegawai"]
    new = newcomer(session, mataram, active=False)
    with pytest.raises(InvalidData) as caught:
        reassign(session, wf, admin, [ev.id], "appraiser", new.id, "  ")
    assert "Alasan" in caught.value.errors["reason"][0]
    with pytest.raises(ReassignmentRefused, match="tidak aktif"):
        reassign(session, wf, admin, [ev.id], "appraiser", new.id, "Mutasi")
    new.active = True
    session.commit()
    with pytest.raises(WorkflowError, match="tidak dapat dialihkan"):
        reassign(session, wf, admin, [ev.id], "employee", new.id, "Mutasi")
    session.execute(Evaluation.__table__.update().where(Evaluation.id == ev.id)
                    .values(status="finalized"))
    session.expire_all()
    with pytest.raises(WorkflowError, match="sudah final"):
        reassign(session, wf, admin, [ev.id], "appraiser", new.id, "Mutasi")


def test_who_may_reassign(session: Session, wf: Workflow, mataram: World) -> None:
    """The holder's superior may, for her own unit; the employee may not; another agency's
    evaluation or person does not exist."""
    ev = mataram.evaluations["pegawai"]
    new = newcomer(session, mataram)
    with pytest.raises(NotPermitted):
        reassign(session, wf, mataram.actor("pegawai2"), [ev.id], "appraiser", new.id, "x")
    session.rollback()
    events = reassign(session, wf, mataram.actor("atasan"), [ev.id], "appraiser", new.id,
                      "Cuti besar")
    assert events[0].actor_role == "superior"
    session.commit()
    other = build_world(session, wf, "kota-kupang", offset=100)
    with pytest.raises(NotFound):
        reassign(session, wf, other.actor("kepala"), [ev.id], "appraiser",
                 other.people["penilai"].id, "x")
    with pytest.raises(NotFound):
        reassign(session, wf, mataram.actor("kepala"), [ev.id], "appraiser",
                 other.people["penilai"].id, "x")


def test_a_replaced_appraiser_is_still_the_original_appraiser(session: Session, wf: Workflow,
                                                              mataram: World) -> None:
    """Guards about the appraiser who rated (``not_original_appraiser``, ``independent``) and
    their inbox filter also see the appraiser replaced by a reassignment."""
    old = mataram.people["penilai"]
    new = newcomer(session, mataram)
    ev = mataram.evaluations["pegawai"]
    reassign(session, wf, mataram.actor("kepala"), [ev.id], "appraiser", new.id, "Mutasi")
    session.commit()
    session.refresh(ev)
    now = datetime(2026, 2, 1, tzinfo=UTC)
    for person, refused in ((old.id, True), (new.id, True), (mataram.people["tim"].id, False)):
        ctx = TransitionContext(actor_id=person, actor_roles=frozenset(), owner_id=ev.employee_id,
                                participants=ev.participant_ids(), now=now)
        assert not_original_appraiser(ctx, None) is not refused
        assert independent(ctx, None) is not refused
        question = InboxQuestion(person, "evaluation_team", None, now.isoformat())
        sql = GUARDS["not_original_appraiser"].inbox
        assert sql is not None
        allowed = session.scalars(select(Evaluation.id).where(
            Evaluation.id == ev.id, sql(question))).all()
        assert (allowed == []) is refused
