"""Recording a period's organisation achievement: who may, what is checked, what is kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.conftest import build_world
from workflow.errors import InvalidData
from workflow.errors import NotFound
from workflow.errors import NotPermitted
from workflow.history import verify_chain
from workflow.models import Agency
from workflow.models import HistoryEvent
from workflow.periods import set_capaian
from workflow.rating import CapaianOrganisasi
from workflow.service import Workflow
from workflow.stats import dashboard

DASAR = "Keputusan Wali Kota Mataram Nomor 800/12/2026"


def capaian_events(session: Session) -> list[HistoryEvent]:
    return list(session.scalars(select(HistoryEvent).where(
        HistoryEvent.trigger == "period_capaian").order_by(HistoryEvent.id)))


def test_admin_records_and_changes_it_in_the_agency_chain(session: Session, wf: Workflow,
                                                         mataram: World) -> None:
    period = mataram.evaluations["pegawai"].period
    set_capaian(session, wf, mataram.actor("kepala"), period.id, "BAIK", f"  {DASAR}  ")
    set_capaian(session, wf, mataram.actor("kepala"), period.id, "ISTIMEWA", DASAR)
    session.commit()
    assert (period.capaian_organisasi, period.capaian_dasar) == ("ISTIMEWA", DASAR)
    first, second = capaian_events(session)
    assert first.payload["changes"] == {"capaian_organisasi": [None, "BAIK"],
                                        "capaian_dasar": [None, DASAR]}
    assert second.payload["changes"] == {"capaian_organisasi": ["BAIK", "ISTIMEWA"]}
    assert second.actor_nip == mataram.people["kepala"].nip and second.chain.startswith("agency:")
    agency = session.get(Agency, mataram.agency.id)
    assert agency is not None and verify_chain(session, wf.audit_key, agency).ok


@pytest.mark.parametrize(("capaian", "dasar", "field"), [
    ("LUAR_BIASA", DASAR, "capaian"),
    ("baik", DASAR, "capaian"),
    ("BAIK", "   ", "dasar"),
    ("BAIK", "x" * 201, "dasar"),
])
def test_bad_input_changes_nothing(session: Session, wf: Workflow, mataram: World,
                                   capaian: str, dasar: str, field: str) -> None:
    period = mataram.evaluations["pegawai"].period
    with pytest.raises(InvalidData) as caught:
        set_capaian(session, wf, mataram.actor("kepala"), period.id, capaian, dasar)
    assert set(caught.value.errors) == {field} and set(caught.value.errors_en) == {field}
    assert caught.value.errors[field] != caught.value.errors_en[field]  # both languages
    assert period.capaian_organisasi is None and capaian_events(session) == []


def test_only_the_agency_admin_of_the_period(session: Session, wf: Workflow,
                                             mataram: World) -> None:
    period = mataram.evaluations["pegawai"].period
    for who in ("pegawai", "penilai", "auditor"):
        with pytest.raises(NotPermitted):
            set_capaian(session, wf, mataram.actor(who), period.id, "BAIK", DASAR)
    other = build_world(session, wf, "kota-kupang", offset=50)
    with pytest.raises(NotFound):
        set_capaian(session, wf, other.actor("kepala"), period.id, "BAIK", DASAR)
    assert period.capaian_organisasi is None and capaian_events(session) == []


def test_dashboard_checks_against_the_recorded_one(session: Session, wf: Workflow,
                                                   mataram: World) -> None:
    period = mataram.evaluations["pegawai"].period
    auditor = mataram.actor("auditor")
    now = wf.clock()
    assert dashboard(session, auditor, now).distribution.capaian is CapaianOrganisasi.BAIK
    set_capaian(session, wf, mataram.actor("kepala"), period.id, "KURANG", DASAR)
    recorded = dashboard(session, auditor, now)
    assert recorded.distribution.capaian is CapaianOrganisasi.KURANG and recorded.capaian_recorded
    what_if = dashboard(session, auditor, now, capaian=CapaianOrganisasi.ISTIMEWA)
    assert what_if.distribution.capaian is CapaianOrganisasi.ISTIMEWA
    assert not what_if.capaian_recorded
