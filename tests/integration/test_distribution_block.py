"""``rating.distribution: block``: a predikat that breaks a cap of the pattern is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import SELF
from tests.conftest import World
from tests.integration.test_service import at
from workflow.errors import GuardFailed
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.periods import ensure_period
from workflow.periods import open_period
from workflow.periods import set_capaian
from workflow.publishing import publish_definitions
from workflow.registry import load_definitions
from workflow.service import Workflow
from workflow.service import apply_transition

ROOT = Path(__file__).resolve().parents[2]
SANGAT_BAIK = {"rating_hasil_kerja": "di_atas", "rating_perilaku_kerja": "di_atas",
               "umpan_balik": "Melampaui target.", "justifikasi": "Inovasi layanan daring."}
BAIK = {"rating_hasil_kerja": "sesuai", "rating_perilaku_kerja": "sesuai",
        "umpan_balik": "Sesuai target."}


def blocking_period(session: Session, wf: Workflow, world: World, tmp_path: Path,
                    mode: str = "block") -> dict[str, Evaluation]:
    """Publish Mataram v5 with ``distribution: <mode>`` and open March 2026 under it."""
    (tmp_path / "default.yaml").write_text((ROOT / "definitions" / "default.yaml").read_text())
    text = (ROOT / "definitions" / "kota-mataram.yaml").read_text()
    (tmp_path / "kota-mataram.yaml").write_text(
        text.replace("version: 5", "version: 6") + f"\nrating:\n  distribution: {mode}\n")
    publish_definitions(session, load_definitions(tmp_path))
    period = ensure_period(session, world.agency, "monthly", 2026, 3)
    report = open_period(session, at(wf, 1, 3), world.actor("kepala"), period.id)
    session.commit()
    by_employee = {e.employee_id: e for e in report.evaluations}
    return {who: by_employee[world.people[who].id] for who in ("atasan", "penilai", "pegawai",
                                                                "pegawai2")}


def submit(session: Session, wf: Workflow, world: World, who: str, ev: Evaluation) -> None:
    apply_transition(session, at(wf, 2, 3), world.actor(who), ev.id, "submit", data=SELF)


def events(session: Session, ev: Evaluation) -> int:
    return session.scalar(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.evaluation_id == ev.id)) or 0


def test_cap_refuses_the_rating_and_changes_nothing(session: Session, wf: Workflow,
                                                    mataram: World, tmp_path: Path) -> None:
    """Organisation Sangat Kurang allows no Sangat Baik at all: that rating is refused."""
    evs = blocking_period(session, wf, mataram, tmp_path)
    set_capaian(session, wf, mataram.actor("kepala"), evs["pegawai"].period_id, "SANGAT_KURANG",
                "Keputusan No. 9/2026")
    ev = evs["pegawai"]
    submit(session, wf, mataram, "pegawai", ev)
    session.commit()
    before = events(session, ev)
    with pytest.raises(GuardFailed) as caught:
        apply_transition(session, at(wf, 3, 3), mataram.actor("penilai"), ev.id, "review",
                         data=SANGAT_BAIK)
    assert caught.value.guard == "distribution"
    assert "Sangat Baik paling banyak 0% dari 4 pegawai unit kerja" in caught.value.message
    assert "at most 0% of the 4 employees" in caught.value.message_en
    session.rollback()
    session.refresh(ev)
    assert (ev.status, ev.predikat) == ("submitted", None) and events(session, ev) == before
    # A predikat the pattern allows goes through.
    apply_transition(session, at(wf, 3, 3), mataram.actor("penilai"), ev.id, "review", data=BAIK)
    assert (ev.status, ev.predikat) == ("reviewed", "BAIK")


def test_cap_counts_the_whole_unit(session: Session, wf: Workflow, mataram: World,
                                   tmp_path: Path) -> None:
    """Organisation Baik: at most 70% of the unit's 4 evaluations (floor: 2) may be Baik."""
    evs = blocking_period(session, wf, mataram, tmp_path)
    set_capaian(session, wf, mataram.actor("kepala"), evs["pegawai"].period_id, "BAIK",
                "Keputusan No. 9/2026")
    for who, appraiser in (("pegawai", "penilai"), ("pegawai2", "penilai")):
        submit(session, wf, mataram, who, evs[who])
        apply_transition(session, at(wf, 3, 3), mataram.actor(appraiser), evs[who].id, "review",
                         data=BAIK)
    submit(session, wf, mataram, "penilai", evs["penilai"])
    session.commit()
    with pytest.raises(GuardFailed, match="ke-3"):
        apply_transition(session, at(wf, 3, 3), mataram.actor("atasan"), evs["penilai"].id,
                         "review", data=BAIK)


def test_block_needs_the_recorded_capaian(session: Session, wf: Workflow, mataram: World,
                                          tmp_path: Path) -> None:
    evs = blocking_period(session, wf, mataram, tmp_path)
    submit(session, wf, mataram, "pegawai", evs["pegawai"])
    with pytest.raises(GuardFailed, match="belum dicatat") as caught:
        apply_transition(session, at(wf, 3, 3), mataram.actor("penilai"), evs["pegawai"].id,
                         "review", data=BAIK)
    assert "must record it first" in caught.value.message_en


def test_warn_mode_never_refuses(session: Session, wf: Workflow, mataram: World,
                                 tmp_path: Path) -> None:
    evs = blocking_period(session, wf, mataram, tmp_path, mode="warn")
    set_capaian(session, wf, mataram.actor("kepala"), evs["pegawai"].period_id, "SANGAT_KURANG",
                "Keputusan No. 9/2026")
    submit(session, wf, mataram, "pegawai", evs["pegawai"])
    apply_transition(session, at(wf, 3, 3), mataram.actor("penilai"), evs["pegawai"].id,
                     "review", data=SANGAT_BAIK)
    assert evs["pegawai"].predikat == "SANGAT_BAIK"
