"""The dashboard's tallies stay equal to a recount of the evaluations through every change."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import datetime

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import ORG_HEADER
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import nip
from workflow.models import Evaluation
from workflow.models import EvaluationTally
from workflow.org import import_org_csv
from workflow.periods import ensure_period
from workflow.periods import open_period
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.tallies import rebuild_tallies

LOW = {"rating_hasil_kerja": "di_bawah", "rating_perilaku_kerja": "sesuai",
       "umpan_balik": "Perlu perbaikan.", "justifikasi": "Target tidak tercapai."}
WHEN = datetime(2026, 2, 3, 9, tzinfo=UTC)


def tallies(session: Session) -> dict[tuple[object, ...], int]:
    """Return every non-zero tally by its key."""
    return {(t.agency_id, t.period_id, t.unit_kerja, t.definition_version_id, t.status,
             t.predikat): t.n
            for t in session.scalars(select(EvaluationTally)) if t.n}


def recounted(session: Session, agency_id: int) -> dict[tuple[object, ...], int]:
    """Return the tallies as a recount from the evaluations gives them (then roll back)."""
    savepoint = session.begin_nested()
    rebuild_tallies(session, agency_id)
    counted = tallies(session)
    savepoint.rollback()
    return counted


def test_tallies_follow_openings_transitions_and_moves(session: Session, wf: Workflow,
                                                       mataram: World) -> None:
    """Opening periods, transitions that change the state and the predikat, and an employee
    moving to another unit kerja (org import) each keep the tallies equal to a recount."""
    at = replace(wf, clock=lambda: WHEN)
    ev = mataram.evaluations
    before = tallies(session)
    assert sum(before.values()) == len(ev)
    assert before == recounted(session, mataram.agency.id)

    apply_transition(session, at, mataram.actor("pegawai"), ev["pegawai"].id, "submit",
                     data=SELF)
    apply_transition(session, at, mataram.actor("penilai"), ev["pegawai"].id, "review",
                     data=LOW)
    session.commit()
    now = tallies(session)
    assert now == recounted(session, mataram.agency.id)
    row = session.get_one(Evaluation, ev["pegawai"].id)
    session.refresh(row)
    assert row.predikat
    assert now[(mataram.agency.id, row.period_id, mataram.people["pegawai"].unit_kerja,
                row.definition_version_id, "reviewed", row.predikat)] == 1

    moved = mataram.people["pegawai"]
    row = (f"{moved.nip},{moved.name},{moved.jabatan},{moved.pangkat},{moved.golongan},"
           f"Bidang Baru,PNS,{mataram.people['penilai'].nip},")
    import_org_csv(session, wf.audit_key, mataram.agency, ORG_HEADER + row + "\n")
    session.commit()
    after_move = tallies(session)
    assert after_move == recounted(session, mataram.agency.id)
    assert any(k[2] == "Bidang Baru" for k in after_move)

    extra = (f"{nip(300)},Pegawai Baru,Analis,Penata Muda,III/a,Bidang C,PNS,"
             f"{mataram.people['penilai'].nip},")
    import_org_csv(session, wf.audit_key, mataram.agency, ORG_HEADER + extra + "\n")
    period = ensure_period(session, mataram.agency, "annual", 2025)
    open_period(session, at, mataram.actor("kepala"), period.id)
    session.commit()
    assert tallies(session) == recounted(session, mataram.agency.id)
    assert sum(tallies(session).values()) == session.scalar(
        select(func.count()).select_from(Evaluation)) > len(ev) + 1
