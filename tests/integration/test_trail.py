"""The audit trail queries: access, timeline with diffs, search, export rows, verification."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.visibility import HistoryReader
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import build_world
from tests.conftest import tampering
from workflow.errors import NotFound
from workflow.errors import NotPermitted
from workflow.models import HistoryEvent
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.trail import CSV_COLUMNS
from workflow.trail import HistoryFilter
from workflow.trail import export_rows
from workflow.trail import reader_of
from workflow.trail import search_history
from workflow.trail import timeline
from workflow.trail import verify_agency
from workflow.trail import verify_evaluation

RATING = {"rating_hasil_kerja": "sesuai", "rating_perilaku_kerja": "di_atas",
          "umpan_balik": "Kinerja baik."}


@pytest.fixture(name="mataram")
def _mataram(mataram: World, session: Session, wf: Workflow) -> World:
    """Mataram with the employee's evaluation submitted and rated."""
    world = mataram
    ev = world.evaluations["pegawai"]
    apply_transition(session, wf, world.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, wf, world.actor("penilai"), ev.id, "review", data=RATING)
    session.commit()
    return world


def test_reader_access(session: Session, wf: Workflow, mataram: World) -> None:
    """Participants read with their roles, auditors and admins read every evaluation of their
    agency; for a colleague with no role it does not exist (as for a stranger)."""
    ev = mataram.evaluations["pegawai"]
    assert reader_of(session, mataram.actor("pegawai"), ev.id).roles == {"employee"}
    assert reader_of(session, mataram.actor("auditor"), ev.id).roles == {"auditor"}
    assert reader_of(session, mataram.actor("kepala"), ev.id).roles == frozenset()
    with pytest.raises(NotFound):
        reader_of(session, mataram.actor("pegawai2"), ev.id)
    other = build_world(session, wf, "kota-kupang", offset=50)
    with pytest.raises(NotFound):
        reader_of(session, other.actor("auditor"), ev.id)


def test_timeline_has_names_diffs_and_versions(session: Session, wf: Workflow,
                                               mataram: World) -> None:
    """Every event comes with the actor's name, the definition version and old → new."""
    ev = mataram.evaluations["pegawai"]
    auditor = mataram.actor("auditor")
    result = timeline(session, wf.audit_key, auditor, ev.id,
                      HistoryReader(session, auditor, wf.audit_key))
    assert [e.event.trigger for e in result.entries] == ["open", "submit", "review"]
    review = result.entries[2]
    assert review.actor_name == "Pejabat Penilai" and review.definition_version == 5
    changes = {c.field: (c.old, c.new) for c in review.changes}
    assert changes["predikat"] == (None, "BAIK")
    assert changes["appraiser-rating.umpan_balik"] == (None, "Kinerja baik.")
    assert result.report.ok and result.report.events == 3


def test_search_filters(session: Session, wf: Workflow, mataram: World) -> None:
    """Search filters by trigger, actor, kind, unit, evaluation and local date range."""
    auditor = mataram.actor("auditor")
    ev = mataram.evaluations["pegawai"]

    def total(**f: object) -> int:
        return search_history(session, auditor, HistoryFilter(**f)).total

    assert total(trigger="review") == 1
    assert total(actor_nip=mataram.people["pegawai"].nip) == 1
    assert total(evaluation_id=ev.id) == 3
    assert total(kind="admin") == 1  # the org import
    # Bidang A: four evaluations opened (atasan, penilai, pegawai, pegawai2) + submit + review.
    assert total(unit_kerja="Bidang A") == 4 + 2
    assert total(date_from=date(2001, 1, 1), date_to=date(2001, 1, 2)) == 0
    # build_world opens the period at 00:00 UTC = 08:00 WITA: 5 January in Mataram's zone.
    assert total(kind="transition", trigger="open", date_from=date(2026, 1, 5),
                 date_to=date(2026, 1, 5)) == len(mataram.evaluations)


def test_search_needs_auditor_and_stays_in_agency(session: Session, wf: Workflow,
                                                  mataram: World) -> None:
    """Employees may not search; an auditor never finds another agency's events."""
    with pytest.raises(NotPermitted):
        search_history(session, mataram.actor("penilai"), HistoryFilter())
    other = build_world(session, wf, "kota-kupang", offset=50)
    page = search_history(session, mataram.actor("auditor"), HistoryFilter(), 1, 100)
    assert {r.event.agency_id for r in page.items} == {mataram.agency.id}
    assert session.scalar(select(HistoryEvent.id).where(
        HistoryEvent.agency_id == other.agency.id).limit(1)) is not None


def test_export_rows(session: Session, wf: Workflow, mataram: World) -> None:
    """Export rows start with the header and list events oldest first."""
    ev = mataram.evaluations["pegawai"]
    kepala = mataram.actor("kepala")
    rows = list(export_rows(session, kepala, HistoryFilter(evaluation_id=ev.id),
                            HistoryReader(session, kepala, wf.audit_key)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r[CSV_COLUMNS.index("transisi")] for r in rows[1:]] == ["open", "submit", "review"]
    assert rows[3][CSV_COLUMNS.index("nama_pelaku")] == "Pejabat Penilai"
    assert rows[3][CSV_COLUMNS.index("versi_definisi")] == "5"
    # Opened at 00:00 UTC: Mataram reads it in WITA, the machine column stays UTC.
    assert rows[1][CSV_COLUMNS.index("waktu_utc")] == "2026-01-05T00:00:00Z"
    assert rows[1][CSV_COLUMNS.index("waktu_lokal")] == "05-01-2026 08:00:00 WITA"
    with pytest.raises(NotPermitted):
        export_rows(session, mataram.actor("pegawai"), HistoryFilter(),
                    HistoryReader(session, mataram.actor("pegawai"), wf.audit_key))


def test_verification_finds_the_broken_link(session: Session, wf: Workflow,
                                            mataram: World) -> None:
    """Editing one event breaks exactly its chain, at its sequence number."""
    ev = mataram.evaluations["pegawai"]
    assert verify_agency(session, wf.audit_key, mataram.actor("auditor")).ok
    event = session.scalar(select(HistoryEvent).where(HistoryEvent.evaluation_id == ev.id,
                                                      HistoryEvent.seq == 3))
    assert event is not None
    with tampering(session):
        event.payload = {**event.payload, "changes": {}}
    result = verify_agency(session, wf.audit_key, mataram.actor("auditor"))
    assert not result.ok
    [broken] = result.broken
    assert (broken.chain, broken.broken_seq) == (f"evaluation:{ev.id}", 3)
    assert result.state.broken_total == 1  # only broken chains are listed
    report = verify_evaluation(session, wf.audit_key, mataram.actor("pegawai"), ev.id)
    assert not report.ok
