"""Figures over evaluations: list scope, counts per state and unit, overdue, distribution."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import build_world
from workflow.errors import NotPermitted
from workflow.rating import CapaianOrganisasi
from workflow.rating import Predikat
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.stats import EvaluationFilter
from workflow.stats import dashboard
from workflow.stats import distribution
from workflow.stats import list_evaluations
from workflow.stats import overdue
from workflow.stats import state_table

GOOD = {"rating_hasil_kerja": "sesuai", "rating_perilaku_kerja": "sesuai",
        "umpan_balik": "Baik."}
LOW = {"rating_hasil_kerja": "di_bawah", "rating_perilaku_kerja": "sesuai",
       "umpan_balik": "Perlu perbaikan.", "justifikasi": "Target tidak tercapai."}


def at(wf: Workflow, moment: datetime) -> Workflow:
    """Return the workflow with its clock fixed."""
    return replace(wf, clock=lambda: moment)


def day(d: int, month: int = 2, year: int = 2026) -> datetime:
    """Return 09:00 UTC on a day."""
    return datetime(year, month, d, 9, 0, tzinfo=UTC)


def rate(session: Session, wf: Workflow, w: World, who: str, rating: dict[str, str]) -> None:
    """Submit on 2 Feb and rate on 3 Feb (the appeal window closes on 17 Feb)."""
    ev = w.evaluations[who]
    apply_transition(session, at(wf, day(2)), w.actor(who), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, day(3)), w.actor("penilai"), ev.id, "review", data=rating)
    session.commit()


def test_list_scope_per_role(session: Session, wf: Workflow, mataram: World) -> None:
    """Employees see their own, appraisers also their staff, auditors the agency."""
    def ids(who: str, **f: str) -> set[int]:
        page = list_evaluations(session, mataram.actor(who), EvaluationFilter(**f), 1, 100)
        return {e.id for e in page.items}

    ev = mataram.evaluations
    assert ids("pegawai") == {ev["pegawai"].id}
    assert ids("penilai", role="appraiser") == {ev["pegawai"].id, ev["pegawai2"].id}
    assert ids("atasan", role="appeal_reviewer") == {ev["pegawai"].id, ev["pegawai2"].id}
    assert ids("auditor") == {e.id for e in ev.values()}
    assert ids("kepala") == {e.id for e in ev.values()}
    assert ids("auditor", role="employee") == {ev["auditor"].id}


def test_group_role_sees_its_flow(session: Session, wf: Workflow) -> None:
    """The evaluation team of Kupang (a group role) lists every evaluation of its flow."""
    kupang = build_world(session, wf, "kota-kupang", offset=50)
    page = list_evaluations(session, kupang.actor("tim"),
                            EvaluationFilter(role="evaluation_team"), 1, 100)
    assert page.total == len(kupang.evaluations)
    none = list_evaluations(session, kupang.actor("tim"), EvaluationFilter(role="appraiser"))
    assert none.total == 0


def test_list_never_crosses_agencies(session: Session, wf: Workflow, mataram: World) -> None:
    """An auditor's list holds only her agency's evaluations."""
    other = build_world(session, wf, "kota-kupang", offset=50)
    page = list_evaluations(session, mataram.actor("auditor"), EvaluationFilter(), 1, 100)
    assert not {e.id for e in page.items} & {e.id for e in other.evaluations.values()}


def test_state_table_counts_per_unit(session: Session, wf: Workflow, mataram: World) -> None:
    """Counts per unit kerja and state add up to every evaluation of the agency."""
    rate(session, wf, mataram, "pegawai", GOOD)
    table = state_table(session, mataram.actor("auditor"))
    assert table.states[:2] == ["draft", "submitted"]
    assert table.rows["Bidang A"]["reviewed"] == 1
    assert table.rows["Bidang A"]["draft"] == 3  # atasan, penilai, pegawai2
    assert table.total == len(mataram.evaluations)
    assert table.labels["reviewed"] == "Dinilai"


def test_overdue_rules(session: Session, wf: Workflow, mataram: World) -> None:
    """Reviewed past the appeal window and unrated past the period end count as overdue."""
    rate(session, wf, mataram, "pegawai", GOOD)
    auditor = mataram.actor("auditor")
    assert overdue(session, auditor, day(10)).items == []
    late = overdue(session, auditor, day(18))
    assert [(i.evaluation_id, i.reason, i.deadline) for i in late.items] == [
        (mataram.evaluations["pegawai"].id, "tenggat", "appeal_window")]
    assert late.per_unit == {"Bidang A": 1}
    after_year = overdue(session, auditor, day(5, 1, 2027))
    reasons = {i.evaluation_id: i.reason for i in after_year.items}
    assert reasons[mataram.evaluations["pegawai"].id] == "tenggat"
    assert reasons[mataram.evaluations["pegawai2"].id] == "periode"
    assert len(reasons) == len(mataram.evaluations)


def test_appealed_or_final_is_not_overdue(session: Session, wf: Workflow,
                                          mataram: World) -> None:
    """An appeal waiting for its decision or a final evaluation is not overdue by the window."""
    rate(session, wf, mataram, "pegawai", LOW)
    rate(session, wf, mataram, "pegawai2", GOOD)
    ev = mataram.evaluations
    apply_transition(session, at(wf, day(5)), mataram.actor("pegawai"), ev["pegawai"].id,
                     "appeal", data={"butir_keberatan": ["rating_hasil_kerja"],
                                     "alasan": "Gangguan sistem yang sudah dilaporkan."})
    apply_transition(session, at(wf, day(5)), mataram.actor("pegawai2"), ev["pegawai2"].id,
                     "accept")
    session.commit()
    found = {i.evaluation_id for i in overdue(session, mataram.actor("kepala"), day(20)).items}
    assert ev["pegawai"].id not in found and ev["pegawai2"].id not in found


def test_distribution_per_unit(session: Session, wf: Workflow, mataram: World) -> None:
    """Predikat counts per unit are checked against the chosen organisation achievement."""
    rate(session, wf, mataram, "pegawai", GOOD)
    auditor = mataram.actor("auditor")
    [unit] = distribution(session, auditor, CapaianOrganisasi.BAIK).units
    assert unit.unit_kerja == "Bidang A" and unit.counts[Predikat.BAIK] == 1
    assert len(unit.warnings) == 2  # 100% Baik > 70%, and nobody Butuh Perbaikan/Kurang
    rate(session, wf, mataram, "pegawai2", LOW)
    [unit] = distribution(session, auditor, "BAIK").units
    assert unit.total == 2 and unit.warnings == []
    [unit] = distribution(session, auditor, CapaianOrganisasi.SANGAT_KURANG).units
    assert any("Sangat Kurang" in w for w in unit.warnings)
    result = distribution(session, auditor)
    assert (result.mode, result.rounding, result.max_count) == ("warn", "floor", 1)


def test_dashboard_needs_auditor_or_admin(session: Session, wf: Workflow,
                                          mataram: World) -> None:
    """Employees are refused the figures; admins get them for the newest period."""
    with pytest.raises(NotPermitted):
        dashboard(session, mataram.actor("pegawai"), day(1))
    figures = dashboard(session, mataram.actor("kepala"), day(1), period_id=99999)
    assert figures.period is not None and figures.period.label == "Tahunan 2026"
    assert figures.states.total == len(mataram.evaluations)
