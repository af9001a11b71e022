"""The appeal clock in the agency's own time, end to end through the service and the database.

Each agency's zone comes from its current definition (``timezone``); windows are stored as
UTC instants; the clock is the injected ``Workflow.clock`` (no sleeping).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import build_world
from workflow.errors import GuardFailed
from workflow.models import AgencyDayOff
from workflow.models import Evaluation
from workflow.periods import ensure_period
from workflow.periods import open_period
from workflow.publishing import publish_definitions
from workflow.registry import load_definitions
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.service import run_due_transitions
from workflow.validation import parse_definition

ROOT = Path(__file__).resolve().parents[2]
ZONES = [("Asia/Jakarta", "WIB"), ("Asia/Makassar", "WITA"), ("Asia/Jayapura", "WIT")]
RATING = {"rating_hasil_kerja": "di_bawah", "rating_perilaku_kerja": "sesuai",
          "umpan_balik": "Target layanan tidak tercapai.",
          "justifikasi": "Tiga laporan terlambat dan bukti dukung tidak lengkap."}
APPEAL = {"butir_keberatan": ["rating_hasil_kerja"],
          "alasan": "Keterlambatan disebabkan gangguan sistem yang sudah dilaporkan."}


def local(zone: str, *parts: int) -> datetime:
    """Return a wall-clock time in ``zone`` as a UTC instant."""
    return datetime(*parts, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def at(wf: Workflow, moment: datetime) -> Workflow:
    """Return the workflow with its clock stopped at ``moment``."""
    return replace(wf, clock=lambda: moment)


def zoned_march(session: Session, wf: Workflow, zone: str,
                deadline: Any = None) -> tuple[World, dict[str, Evaluation]]:
    """Mataram publishing a definition in ``zone`` (and ``deadline``), then opening March 2026."""
    world = build_world(session, wf, "kota-mataram")
    definition = load_definitions(ROOT / "definitions")["kota-mataram"]
    source = {**definition.source, "version": definition.version + 1, "timezone": zone}
    if deadline is not None:
        source["deadlines"] = {**source["deadlines"], "appeal_window": deadline}
    publish_definitions(session, {"kota-mataram": parse_definition(source)})
    period = ensure_period(session, world.agency, "monthly", 2026, 3)
    report = open_period(session, at(wf, local(zone, 2026, 3, 1, 8, 0)), world.actor("kepala"),
                         period.id)
    session.commit()
    by_employee = {e.employee_id: e for e in report.evaluations}
    return world, {who: by_employee[world.people[who].id] for who in ("pegawai", "pegawai2")}


def rate(session: Session, wf: Workflow, world: World, ev: Evaluation, zone: str,
         day: int) -> None:
    """The employee submits at 09:00 and the appraiser rates at 10:00 local on March ``day``."""
    who = "pegawai" if ev.employee_id == world.people["pegawai"].id else "pegawai2"
    apply_transition(session, at(wf, local(zone, 2026, 3, day, 9, 0)), world.actor(who), ev.id,
                     "submit", data=SELF)
    apply_transition(session, at(wf, local(zone, 2026, 3, day, 10, 0)), world.actor("penilai"),
                     ev.id, "review", data=RATING)
    session.commit()


@pytest.mark.parametrize(("zone", "abbr"), ZONES)
def test_appeal_until_2359_on_day_14(session: Session, wf: Workflow, zone: str,
                                     abbr: str) -> None:
    """Rated 2 March 10:00 local: appealing 16 March 23:59 local works, 17 March 00:01 is late."""
    world, evs = zoned_march(session, wf, zone)
    for ev in evs.values():
        rate(session, wf, world, ev, zone, 2)
        assert ev.deadlines["appeal_window"] == local(zone, 2026, 3, 16, 23, 59, 59).isoformat()

    on_time = evs["pegawai"]
    apply_transition(session, at(wf, local(zone, 2026, 3, 16, 23, 59)), world.actor("pegawai"),
                     on_time.id, "appeal", data=APPEAL)
    session.commit()
    assert on_time.status == "appealed"

    late = evs["pegawai2"]
    with pytest.raises(GuardFailed) as refused:
        apply_transition(session, at(wf, local(zone, 2026, 3, 17, 0, 1)),
                         world.actor("pegawai2"), late.id, "appeal", data=APPEAL)
    session.rollback()
    assert refused.value.guard == "within_deadline"
    assert f"Senin, 16 Maret 2026 pukul 23.59 {abbr}" in str(refused.value)
    session.refresh(late)
    assert late.status == "reviewed"


@pytest.mark.parametrize(("zone", "abbr"), ZONES)
def test_tick_never_finalizes_during_day_14(session: Session, wf: Workflow, zone: str,
                                            abbr: str) -> None:
    """`workflow tick` at 00:30, 12:00 and 23:58 local on day 14 leaves the rating open."""
    world, evs = zoned_march(session, wf, zone)
    ev = evs["pegawai"]
    rate(session, wf, world, ev, zone, 2)
    for hour, minute in ((0, 30), (12, 0), (23, 58)):
        fired = run_due_transitions(session, at(wf, local(zone, 2026, 3, 16, hour, minute)),
                                    world.agency.id)
        session.commit()
        assert fired == [], f"finalized at {hour:02d}:{minute:02d} {abbr} on day 14"
        assert ev.status == "reviewed"
    fired = run_due_transitions(session, at(wf, local(zone, 2026, 3, 17, 0, 0, 30)),
                                world.agency.id)
    session.commit()
    assert [e.trigger for e in fired] == ["finalize"]
    assert ev.status == "finalized"


def test_working_day_window(session: Session, wf: Workflow) -> None:
    """5 working days from Friday 13 March 2026 (WITA) end Tuesday 24 March 23:59:59 WITA.

    Mon 16 (1), Tue 17 (2), Wed 18 the agency's cuti bersama (its admin's list), Thu 19
    Nyepi, Fri 20 (3), Sat 21/Sun 22 weekend, Mon 23 (4), Tue 24 (5).
    """
    world, evs = zoned_march(session, wf, "Asia/Makassar",
                             {"duration": "5 days", "counting": "working"})
    session.add(AgencyDayOff(agency_id=world.agency.id, day=date(2026, 3, 18),
                             name="Cuti bersama Hari Suci Nyepi"))
    session.commit()
    ev = evs["pegawai"]
    rate(session, wf, world, ev, "Asia/Makassar", 13)
    end = local("Asia/Makassar", 2026, 3, 24, 23, 59, 59)
    assert ev.deadlines["appeal_window"] == end.isoformat()
    with pytest.raises(GuardFailed):
        apply_transition(session, at(wf, local("Asia/Makassar", 2026, 3, 25, 0, 1)),
                         world.actor("pegawai"), ev.id, "appeal", data=APPEAL)
    session.rollback()
    apply_transition(session, at(wf, local("Asia/Makassar", 2026, 3, 24, 23, 59)),
                     world.actor("pegawai"), ev.id, "appeal", data=APPEAL)
    session.commit()
    assert ev.status == "appealed"


def test_kupang_window_starts_when_the_team_approves(session: Session, wf: Workflow) -> None:
    """In Kupang the employee receives the rating at the team's approval: 14 days from there.

    Rated 2 March 10:00 WITA, approved by the team 5 March 15:00 WITA: the window ends
    19 March 23:59:59 WITA (not 16 March, and not at 15:00).
    """
    world = build_world(session, wf, "kota-kupang")
    ev = world.evaluations["pegawai"]
    zone = "Asia/Makassar"
    apply_transition(session, at(wf, local(zone, 2026, 3, 2, 9, 0)), world.actor("pegawai"),
                     ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, local(zone, 2026, 3, 2, 10, 0)), world.actor("penilai"),
                     ev.id, "send_to_team", data=RATING)
    session.commit()
    assert "appeal_window" not in (ev.deadlines or {})
    apply_transition(session, at(wf, local(zone, 2026, 3, 5, 15, 0)), world.actor("tim"),
                     ev.id, "team_review",
                     data={"pendapat_tim": "Sesuai bukti dukung.", "rekomendasi": "setuju"})
    session.commit()
    assert ev.deadlines["appeal_window"] == local(zone, 2026, 3, 19, 23, 59, 59).isoformat()
    assert run_due_transitions(session, at(wf, local(zone, 2026, 3, 19, 23, 0)),
                               world.agency.id) == []
    apply_transition(session, at(wf, local(zone, 2026, 3, 19, 23, 59)), world.actor("pegawai"),
                     ev.id, "appeal", data=APPEAL)
    session.commit()
    assert ev.status == "appealed"
