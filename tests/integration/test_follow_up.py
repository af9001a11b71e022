"""Follow-up of results (workflow.follow_up): actions, the coaching guard, talent pool and
consecutive low results."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import shipped_definitions
from workflow.errors import GuardFailed
from workflow.errors import InvalidData
from workflow.errors import NotPermitted
from workflow.follow_up import actions_of_period
from workflow.follow_up import add_action
from workflow.follow_up import low_streaks
from workflow.follow_up import set_status
from workflow.follow_up import talent_pool
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.models import Period
from workflow.periods import ensure_period
from workflow.publishing import publish_edited_definition
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.service import available_transitions
from workflow.service import run_due_transitions

LOW = {"rating_hasil_kerja": "di_bawah", "rating_perilaku_kerja": "sesuai",
       "umpan_balik": "Target tidak tercapai.", "justifikasi": "Tiga laporan terlambat."}
TOP = {"rating_hasil_kerja": "di_atas", "rating_perilaku_kerja": "di_atas",
       "umpan_balik": "Luar biasa.", "justifikasi": "Melampaui semua target."}
OVERLAY = """agency: kota-mataram
extends: default
transitions:
  - name: accept
    label: Terima hasil penilaian
    from: reviewed
    to: finalized
    by: employee
    guards: [coaching_plan_if_low]
  - name: finalize
    label: Finalkan (tenggat keberatan lewat)
    from: reviewed
    to: finalized
    by: [system, appraiser]
    guards: [{after_deadline: appeal_window}, coaching_plan_if_low]
"""


def at(wf: Workflow, day: int, month: int = 2) -> Workflow:
    moment = datetime(2026, month, day, 9, 0, tzinfo=UTC)
    return replace(wf, clock=lambda: moment)


def rated(session: Session, wf: Workflow, w: World, who: str, data: dict[str, object]
          ) -> Evaluation:
    ev = w.evaluations[who]
    apply_transition(session, at(wf, 2), w.actor(who), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, 3), w.actor("penilai"), ev.id, "review", data=data)
    session.commit()
    return ev


def test_butuh_perbaikan_without_coaching_plan_cannot_be_final_where_configured(
        session: Session, wf: Workflow, mataram: World) -> None:
    """With the guard on accept and finalize: refused (and not offered, not run by the
    deadline run) until a coaching action exists; then it finalizes."""
    ev = rated(session, wf, mataram, "pegawai", LOW)
    assert ev.predikat == "BUTUH_PERBAIKAN"
    version = publish_edited_definition(
        session, wf.audit_key, mataram.actor("kepala"), OVERLAY, at(wf, 1).clock(),
        parents={slug: d.source for slug, d in shipped_definitions().items()})
    session.execute(Evaluation.__table__.update().where(Evaluation.id == ev.id)
                    .values(definition_version_id=version.id))
    session.commit()
    session.expire_all()
    ev = session.get(Evaluation, ev.id)
    assert ev is not None
    # Nothing offered; firing is refused with the reason; the deadline run leaves it.
    assert [r.name for r in available_transitions(
        session, at(wf, 4), mataram.actor("pegawai"), ev.id).transitions] == ["appeal"]
    with pytest.raises(GuardFailed, match="rencana pembinaan") as caught:
        apply_transition(session, at(wf, 4), mataram.actor("pegawai"), ev.id, "accept")
    assert caught.value.guard == "coaching_plan_if_low"
    session.rollback()
    assert run_due_transitions(session, at(wf, 28), mataram.agency.id) == []
    session.rollback()
    # A coaching plan (by the appraiser), then the deadline run finalizes it.
    add_action(session, wf.audit_key, mataram.actor("penilai"), ev.id, kind="coaching",
               owner_id=mataram.people["penilai"].id, due_on=date(2026, 6, 30),
               description="Pendampingan penyusunan laporan bulanan.")
    session.commit()
    fired = run_due_transitions(session, at(wf, 28), mataram.agency.id)
    session.commit()
    assert [e.trigger for e in fired] == ["finalize"]
    session.refresh(ev)
    assert ev.status == "finalized"


def test_without_the_guard_nothing_is_required(session: Session, wf: Workflow,
                                               mataram: World) -> None:
    """The national flow does not name the guard: a Butuh Perbaikan result is accepted."""
    ev = rated(session, wf, mataram, "pegawai", LOW)
    apply_transition(session, at(wf, 4), mataram.actor("pegawai"), ev.id, "accept")
    session.commit()
    assert ev.status == "finalized"


def test_actions_are_validated_recorded_and_listed(session: Session, wf: Workflow,
                                                   mataram: World) -> None:
    ev = rated(session, wf, mataram, "pegawai", TOP)
    admin = mataram.actor("kepala")
    with pytest.raises(InvalidData) as caught:
        add_action(session, wf.audit_key, admin, ev.id, kind="pppk_contract", owner_id=None,
                   due_on=None, description=" ")
    assert set(caught.value.errors) == {"kind", "owner", "due_on", "description"}
    with pytest.raises(NotPermitted):
        add_action(session, wf.audit_key, mataram.actor("pegawai2"), ev.id, kind="award",
                   owner_id=mataram.people["kepala"].id, due_on=date(2026, 3, 1),
                   description="Satyalancana")
    action = add_action(session, wf.audit_key, admin, ev.id, kind="award",
                        owner_id=mataram.people["kepala"].id, due_on=date(2026, 3, 1),
                        description="Penghargaan pegawai berprestasi")
    set_status(session, wf.audit_key, admin, action.id, "done")
    session.commit()
    events = session.scalars(select(HistoryEvent).where(HistoryEvent.kind == "follow_up")
                             .order_by(HistoryEvent.seq)).all()
    assert [e.trigger for e in events] == ["follow_up_add", "follow_up_status"]
    assert events[1].payload["status"] == ["planned", "done"]
    period = ev.period_id
    rows = actions_of_period(session, admin, period)
    assert [(r.action.kind, r.action.status, r.employee_nip) for r in rows] == [
        ("award", "done", mataram.people["pegawai"].nip)]
    assert actions_of_period(session, mataram.actor("atasan"), period) == []
    assert [r.nip for r in talent_pool(session, admin, period)] == [
        mataram.people["pegawai"].nip]


def test_consecutive_low_results_are_flagged(session: Session, wf: Workflow,
                                             mataram: World) -> None:
    """Low in 2026 and in 2025 (the period right before): flagged with a streak of 2; low in
    2026 only: not flagged."""
    ev = rated(session, wf, mataram, "pegawai", LOW)
    ev2 = rated(session, wf, mataram, "pegawai2", LOW)
    before = ensure_period(session, mataram.agency, "annual", 2025)
    session.flush()
    session.add(Evaluation(agency_id=mataram.agency.id, employee_id=ev.employee_id,
                           period_id=before.id, definition_version_id=ev.definition_version_id,
                           status="finalized", predikat="KURANG"))
    session.add(Evaluation(agency_id=mataram.agency.id, employee_id=ev2.employee_id,
                           period_id=before.id, definition_version_id=ev.definition_version_id,
                           status="finalized", predikat="BAIK"))
    session.commit()
    flagged = low_streaks(session, mataram.actor("kepala"), ev.period_id)
    assert [(r.nip, r.streak) for r in flagged] == [(mataram.people["pegawai"].nip, 2)]
    assert session.get(Period, before.id) is not None
