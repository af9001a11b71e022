"""The demo's continuous feedback: a few set staff SKPs of each agency get a thread on their
first result's indicator (March), one on a BerAKHLAK value, the employee's reply and a
dialog kinerja in early April — through the real use cases (``workflow.feedback``)."""

from __future__ import annotations

import dataclasses
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.actors import Actor
from workflow.feedback import add_dialog
from workflow.feedback import comment
from workflow.feedback import reply
from workflow.models import Agency
from workflow.models import Employee
from workflow.models import Skp
from workflow.service import Workflow

HOW_MANY = 3  # staff SKPs per agency with feedback (the first by id)


def _at(wf: Workflow, moment: datetime) -> Workflow:
    return dataclasses.replace(wf, clock=lambda: moment)


def give_feedback(session: Session, wf: Workflow, agency: Agency, year: int) -> None:
    """Seed feedback threads, replies and a dialog on the first set staff SKPs of the year."""
    bosses = set(session.scalars(select(Employee.superior_id).where(
        Employee.agency_id == agency.id, Employee.superior_id.is_not(None))))
    skps = [s for s in session.scalars(select(Skp).where(
        Skp.agency_id == agency.id, Skp.year == year, Skp.status == "ditetapkan",
        Skp.appraiser_id.is_not(None)).order_by(Skp.id)) if s.employee_id not in bosses]
    for n, skp in enumerate(skps[:HOW_MANY]):
        employee = session.get_one(Employee, skp.employee_id)
        appraiser = session.get_one(Employee, skp.appraiser_id)
        boss, me = Actor.of(appraiser), Actor.of(employee)
        moment = datetime(year, 3, 28, 2, 0, tzinfo=UTC) + timedelta(hours=n)
        first = sorted(skp.rhk, key=lambda r: (r.jenis != "utama", r.position))[0]
        indicator = first.indicators[0]
        thread = comment(session, _at(wf, moment), boss, skp.id, topic="indikator",
                         indicator_id=indicator.id, month=3,
                         text="Realisasi Maret sudah mendekati target; lengkapi bukti dukung "
                              "berkas yang selesai pekan terakhir.")
        comment(session, _at(wf, moment + timedelta(minutes=10)), boss, skp.id,
                topic="perilaku", value="kolaboratif",
                text="Baik sekali membantu rekan di loket saat antrean panjang; pertahankan.")
        reply(session, _at(wf, moment + timedelta(hours=5)), me, thread.id,
              "Siap, bukti dukung saya unggah paling lambat 5 April.")
        add_dialog(session, _at(wf, datetime(year, 4, 3, 3, 0, tzinfo=UTC)), me, skp.id,
                   held_on=date(year, 4, 2),
                   topics="Capaian triwulan I dan kendala bukti dukung",
                   agreed_actions="Bukti dukung diunggah tiap akhir bulan; evaluasi bersama "
                                  "pada pekan pertama Juli.")
