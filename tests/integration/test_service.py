"""Use cases against a real database: transitions, roles, deadlines, version pinning."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import build_world
from workflow.actors import Actor
from workflow.errors import ConcurrentUpdate
from workflow.errors import DefinitionError
from workflow.errors import GuardFailed
from workflow.errors import InvalidData
from workflow.errors import NotFound
from workflow.errors import NotPermitted
from workflow.errors import TransitionNotAllowed
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.periods import ensure_period
from workflow.periods import open_period
from workflow.publishing import publish_definitions
from workflow.registry import load_definitions
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.service import available_transitions
from workflow.service import run_due_transitions
from workflow.service import save_draft

ROOT = Path(__file__).resolve().parents[2]
RATING_LOW = {"rating_hasil_kerja": "di_bawah", "rating_perilaku_kerja": "sesuai",
              "umpan_balik": "Target layanan tidak tercapai.",
              "justifikasi": "Tiga laporan terlambat dan bukti dukung tidak lengkap."}
APPEAL = {"butir_keberatan": ["rating_hasil_kerja"],
          "alasan": "Keterlambatan disebabkan gangguan sistem yang sudah dilaporkan."}
def at(wf: Workflow, day: int, month: int = 2) -> Workflow:
    """Return the workflow with its clock fixed at a day of 2026."""
    moment = datetime(2026, month, day, 9, 0, tzinfo=UTC)
    return replace(wf, clock=lambda: moment)


def events_of(session: Session, evaluation: Evaluation) -> list[HistoryEvent]:
    return list(session.scalars(select(HistoryEvent).where(
        HistoryEvent.evaluation_id == evaluation.id).order_by(HistoryEvent.seq)))


def rate(session: Session, wf: Workflow, w: World, day: int = 2) -> Evaluation:
    ev = w.evaluations["pegawai"]
    apply_transition(session, at(wf, day), w.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, day + 1), w.actor("penilai"), ev.id, "review",
                     data=RATING_LOW)
    session.commit()
    return ev


def test_full_national_journey_with_revised_appeal(session: Session, wf: Workflow,
                                                   mataram: World) -> None:
    """Submit, rate Butuh Perbaikan, appeal, and the superior revises to Baik; all recorded."""
    ev = rate(session, wf, mataram)
    assert (ev.status, ev.predikat) == ("reviewed", "BUTUH_PERBAIKAN")
    apply_transition(session, at(wf, 6), mataram.actor("pegawai"), ev.id, "appeal", data=APPEAL)
    apply_transition(session, at(wf, 8), mataram.actor("atasan"), ev.id, "decide_appeal", data={
        "keputusan": "diubah", "rating_hasil_kerja_baru": "sesuai",
        "rating_perilaku_kerja_baru": "sesuai", "pertimbangan": "Bukti gangguan sistem sah."})
    session.commit()
    assert (ev.status, ev.predikat, ev.rating_hasil_kerja) == ("finalized", "BAIK", "sesuai")
    history = events_of(session, ev)
    assert [e.trigger for e in history] == ["open", "submit", "review", "appeal",
                                            "decide_appeal"]
    assert [e.actor_role for e in history[1:]] == ["employee", "appraiser", "employee",
                                                   "appeal_reviewer"]
    decision = history[-1]
    assert decision.payload["changes"]["predikat"] == ["BUTUH_PERBAIKAN", "BAIK"]
    assert decision.actor_nip == mataram.people["atasan"].nip
    assert decision.definition_version_id == ev.definition_version_id


def test_wrong_role_changes_nothing(session: Session, wf: Workflow, mataram: World) -> None:
    """The employee cannot rate her own evaluation; state and history stay as they were."""
    ev = mataram.evaluations["pegawai"]
    apply_transition(session, at(wf, 2), mataram.actor("pegawai"), ev.id, "submit", data=SELF)
    session.commit()
    before = (ev.status, ev.lock_version, ev.history_seq)
    with pytest.raises(NotPermitted):
        apply_transition(session, at(wf, 3), mataram.actor("pegawai"), ev.id, "review",
                         data=RATING_LOW)
    session.rollback()
    session.refresh(ev)
    assert (ev.status, ev.lock_version, ev.history_seq) == before


def test_wrong_state_is_refused(session: Session, wf: Workflow, mataram: World) -> None:
    """Appealing a draft is refused as not allowed in this state."""
    ev = mataram.evaluations["pegawai"]
    with pytest.raises(TransitionNotAllowed):
        apply_transition(session, at(wf, 3), mataram.actor("pegawai"), ev.id, "appeal",
                         data=APPEAL)


def test_empty_form_is_refused_and_nothing_changes(session: Session, wf: Workflow,
                                                   mataram: World) -> None:
    """Submitting an empty self-assessment is refused with field errors; no event is written."""
    ev = mataram.evaluations["pegawai"]
    with pytest.raises(InvalidData):
        apply_transition(session, at(wf, 2), mataram.actor("pegawai"), ev.id, "submit", data={})
    session.rollback()
    assert session.get(Evaluation, ev.id).status == "draft"
    assert len(events_of(session, ev)) == 1


def test_late_appeal_is_refused(session: Session, wf: Workflow, mataram: World) -> None:
    """An appeal on day 15 after the rating is refused; late on day 14 it is accepted."""
    ev = rate(session, wf, mataram, day=2)  # rated 3 Feb 17:00 WITA → ends 17 Feb 23:59:59 WITA
    with pytest.raises(GuardFailed) as caught:
        apply_transition(session, replace(wf, clock=lambda: datetime(2026, 2, 17, 16, 1,
                                                                      tzinfo=UTC)),
                         mataram.actor("pegawai"), ev.id, "appeal", data=APPEAL)
    assert caught.value.guard == "within_deadline"
    session.rollback()
    apply_transition(session, replace(wf, clock=lambda: datetime(2026, 2, 17, 15, 59,
                                                                  tzinfo=UTC)),
                     mataram.actor("pegawai"), ev.id, "appeal", data=APPEAL)
    session.commit()
    assert ev.status == "appealed"


def test_original_appraiser_cannot_decide(session: Session, wf: Workflow, mataram: World) -> None:
    """The appraiser cannot decide the appeal against her own rating."""
    ev = rate(session, wf, mataram)
    apply_transition(session, at(wf, 5), mataram.actor("pegawai"), ev.id, "appeal", data=APPEAL)
    session.commit()
    with pytest.raises(NotPermitted):
        apply_transition(session, at(wf, 6), mataram.actor("penilai"), ev.id, "decide_appeal",
                         data={"keputusan": "dikuatkan", "pertimbangan": "Sudah sesuai."})


def test_system_finalizes_after_window(session: Session, wf: Workflow, mataram: World) -> None:
    """The scheduler finalizes a reviewed evaluation only once the appeal window closed."""
    ev = rate(session, wf, mataram)
    assert run_due_transitions(session, at(wf, 10), mataram.agency.id) == []
    fired = run_due_transitions(session, at(wf, 20), mataram.agency.id)
    session.commit()
    assert [e.trigger for e in fired] == ["finalize"]
    assert ev.status == "finalized" and fired[0].actor_role == "system"


def test_available_transitions_per_actor(session: Session, wf: Workflow, mataram: World) -> None:
    """Each person sees exactly the buttons their role allows."""
    ev = mataram.evaluations["pegawai"]
    def names(who: str) -> list[str]:
        return [r.name for r in available_transitions(
            session, at(wf, 2), mataram.actor(who), ev.id).transitions]

    assert names("pegawai") == ["submit"]
    assert names("penilai") == []
    apply_transition(session, at(wf, 2), mataram.actor("pegawai"), ev.id, "submit", data=SELF)
    assert names("penilai") == ["return_for_revision", "review"]
    assert names("auditor") == []


def test_other_agency_gets_not_found(session: Session, wf: Workflow, mataram: World) -> None:
    """An employee of another agency cannot see or act on the evaluation at all."""
    other = build_world(session, wf, "kota-kupang", offset=50)
    ev = mataram.evaluations["pegawai"]
    for call in (
        lambda: available_transitions(session, wf, other.actor("penilai"), ev.id),
        lambda: apply_transition(session, wf, other.actor("pegawai"), ev.id, "submit",
                                 data=SELF),
    ):
        with pytest.raises(NotFound):
            call()


def test_stale_version_is_a_conflict(session: Session, wf: Workflow, mataram: World) -> None:
    """Acting on a version the caller saw before someone else changed it is refused."""
    ev = mataram.evaluations["pegawai"]
    seen = ev.lock_version
    save_draft(session, at(wf, 2), mataram.actor("pegawai"), ev.id, "self-assessment",
               {"kendala": "Jaringan terputus."}, expected_version=seen)
    session.commit()
    with pytest.raises(ConcurrentUpdate):
        apply_transition(session, at(wf, 3), mataram.actor("pegawai"), ev.id, "submit",
                         data=SELF, expected_version=seen)


def test_draft_save_records_a_data_event(session: Session, wf: Workflow, mataram: World) -> None:
    """Saving a draft keeps the state, stores the values and records what changed."""
    ev = mataram.evaluations["pegawai"]
    save_draft(session, at(wf, 2), mataram.actor("pegawai"), ev.id, "self-assessment",
               {"kendala": "Jaringan terputus."})
    session.commit()
    last = events_of(session, ev)[-1]
    assert (ev.status, last.kind) == ("draft", "data")
    assert last.payload["changes"]["self-assessment.kendala"] == [None, "Jaringan terputus."]
    assert ev.values("self-assessment")["kendala"] == "Jaringan terputus."


def test_reporting_line_is_frozen_at_opening(session: Session, wf: Workflow,
                                             mataram: World) -> None:
    """After a re-organisation the old appraiser still rates this period; the new one cannot."""
    ev = mataram.evaluations["pegawai"]
    employee = mataram.people["pegawai"]
    employee.superior = mataram.people["atasan"]  # re-organisation after opening
    session.commit()
    apply_transition(session, at(wf, 2), mataram.actor("pegawai"), ev.id, "submit", data=SELF)
    with pytest.raises(NotPermitted):
        apply_transition(session, at(wf, 3), mataram.actor("atasan"), ev.id, "review",
                         data=RATING_LOW)
    apply_transition(session, at(wf, 3), mataram.actor("penilai"), ev.id, "review",
                     data=RATING_LOW)
    snapshot = {p.role: p.identity["nip"] for p in ev.participants}
    assert snapshot["appraiser"] == mataram.people["penilai"].nip


def test_group_role_is_resolved_from_membership(session: Session, wf: Workflow,
                                                world: World) -> None:
    """In Kupang the Tim Penilai Kinerja member (a group role) approves the appraiser's rating."""
    ev = world.evaluations["pegawai"]
    apply_transition(session, at(wf, 2), world.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, 3), world.actor("penilai"), ev.id, "send_to_team",
                     data=RATING_LOW)
    with pytest.raises(NotPermitted):
        apply_transition(session, at(wf, 4), world.actor("atasan"), ev.id, "team_review",
                         data={"pendapat_tim": "Sesuai bukti.", "rekomendasi": "setuju"})
    apply_transition(session, at(wf, 4), world.actor("tim"), ev.id, "team_review",
                     data={"pendapat_tim": "Sesuai bukti.", "rekomendasi": "setuju"})
    session.commit()
    assert ev.status == "reviewed" and "appeal_window" in ev.deadlines


def test_version_pinning(session: Session, wf: Workflow, mataram: World, tmp_path: Path) -> None:
    """Evaluations keep their definition version after a new one is published."""
    old = mataram.evaluations["pegawai"]
    text = (ROOT / "definitions" / "kota-mataram.yaml").read_text()
    (tmp_path / "default.yaml").write_text((ROOT / "definitions" / "default.yaml").read_text())
    # v6: the appeal window becomes 30 days.
    (tmp_path / "kota-mataram.yaml").write_text(
        text.replace("version: 5", "version: 6").replace("14 days", "30 days"))
    publish_definitions(session, load_definitions(tmp_path))
    session.commit()
    period = ensure_period(session, mataram.agency, "monthly", 2026, 3)
    report = open_period(session, at(wf, 1, 3), mataram.actor("kepala"), period.id)
    new = next(e for e in report.evaluations if e.employee_id == old.employee_id)
    assert new.definition_version_id != old.definition_version_id
    for ev, days in ((old, 14), (new, 30)):
        apply_transition(session, at(wf, 2, 3), mataram.actor("pegawai"), ev.id, "submit",
                         data=SELF)
        apply_transition(session, at(wf, 3, 3), mataram.actor("penilai"), ev.id, "review",
                         data=RATING_LOW)
        due = datetime.fromisoformat(ev.deadlines["appeal_window"])
        # Rated 3 March 17:00 WITA: the window ends 23:59:59 WITA (15:59:59 UTC) on day N.
        assert due == datetime(2026, 3, 3, 15, 59, 59, tzinfo=UTC) + timedelta(days=days)


def test_silent_edit_of_published_version_is_refused(session: Session, wf: Workflow,
                                                     mataram: World, tmp_path: Path) -> None:
    """Changing a published file without bumping its version is refused."""
    (tmp_path / "default.yaml").write_text((ROOT / "definitions" / "default.yaml").read_text())
    (tmp_path / "kota-mataram.yaml").write_text(
        (ROOT / "definitions" / "kota-mataram.yaml").read_text().replace("14 days", "30 days"))
    with pytest.raises(DefinitionError) as caught:
        publish_definitions(session, load_definitions(tmp_path))
    assert "naikkan 'version'" in str(caught.value)


def test_open_period_dry_run_writes_nothing(session: Session, wf: Workflow,
                                            mataram: World) -> None:
    """A dry run lists who would get an evaluation and creates none."""
    period = ensure_period(session, mataram.agency, "monthly", 2026, 4)
    before = session.scalar(select(func.count()).select_from(Evaluation))
    report = open_period(session, wf, mataram.actor("kepala"), period.id, dry_run=True)
    assert len(report.created) == 6
    # The kepala and the PPK (both at the top of the chart) have no appraiser.
    assert {e.nip for e, _ in report.skipped} == {mataram.people["kepala"].nip,
                                                  mataram.people["ppk"].nip}
    why = report.skipped[0][1]
    assert "tidak punya Pejabat Penilai Kinerja" in why
    assert why.en == "has no appraiser (direct superior) in the org chart"
    assert session.scalar(select(func.count()).select_from(Evaluation)) == before


def test_open_period_for_one_unit(session: Session, wf: Workflow, mataram: World) -> None:
    """Opening a period for one unit kerja creates evaluations only there."""
    period = ensure_period(session, mataram.agency, "monthly", 2026, 5)
    report = open_period(session, wf, mataram.actor("kepala"), period.id, unit_kerja="Bidang A")
    units = {e.employee.unit_kerja for e in report.evaluations}
    assert units == {"Bidang A"} and len(report.evaluations) == 4


def test_period_kind_must_be_in_the_flow(session: Session, wf: Workflow, world: World) -> None:
    """Kupang does not run monthly periods, so opening one is refused."""
    period = ensure_period(session, world.agency, "monthly", 2026, 1)
    with pytest.raises(Exception, match="tidak menjalankan periode 'monthly'"):
        open_period(session, wf, world.actor("kepala"), period.id)


def test_system_actor_cannot_submit(session: Session, wf: Workflow, mataram: World) -> None:
    """The system role cannot take an employee's step."""
    ev = mataram.evaluations["pegawai"]
    with pytest.raises(NotPermitted):
        apply_transition(session, wf, Actor.system(mataram.agency.id), ev.id, "submit",
                         data=SELF)
    assert session.get(Employee, mataram.people["pegawai"].id) is not None
