"""Evaluation periods and opening them: one evaluation per employee, reporting line frozen.

Opening a period snapshots, per evaluation, who plays each person role (the appraiser, the
appraiser's superior) with their identity at that moment, the current definition version and
the current form versions. Later re-organisations or form edits do not change any of that.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date

from sqlalchemy import bindparam
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from . import tallies
from .actors import Actor
from .casting import Casting
from .due import next_due
from .errors import NotFound
from .errors import NotPermitted
from .errors import WorkflowError
from .history import append_event
from .history import event_fields
from .models import Agency
from .models import Employee
from .models import Evaluation
from .models import HistoryEvent
from .models import Participant
from .models import Period
from .models import Skp
from .positions import ReportingLine
from .projection import of_evaluation
from .projection import project
from .publishing import current_version
from .service import Workflow
from .service import definition_of
from .skp import skps_in_window
from .texts import Text
from .unit_achievement import checked_capaian

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")
ROMAN = ("I", "II", "III", "IV")
PERIOD_COUNTS = {"annual": 1, "semester": 2, "quarterly": 4, "monthly": 12}
REQUIRED_ROLES = ("employee", "appraiser")


def period_bounds(kind: str, year: int, number: int) -> tuple[date, date, str]:
    """Return start, end and Indonesian label of period ``number`` of ``kind`` in ``year``."""
    count = PERIOD_COUNTS.get(kind)
    if count is None or not 1 <= number <= count:
        raise WorkflowError(f"Periode tidak sah: {kind} nomor {number}.",
                            f"Invalid period: {kind} number {number}.")
    months = 12 // count
    start = date(year, (number - 1) * months + 1, 1)
    end_month = number * months
    end = date(year, end_month, calendar.monthrange(year, end_month)[1])
    if kind == "annual":
        label = f"Tahunan {year}"
    elif kind == "monthly":
        label = f"{MONTHS[number - 1]} {year}"
    else:
        label = f"{'Semester' if kind == 'semester' else 'Triwulan'} {ROMAN[number - 1]} {year}"
    return start, end, label


def ensure_period(
    session: Session, agency: Agency, kind: str, year: int, number: int = 1
) -> Period:
    """Return the agency's period, creating it if needed."""
    period = session.scalar(select(Period).where(
        Period.agency_id == agency.id, Period.kind == kind, Period.year == year,
        Period.number == number))
    if period is None:
        start, end, label = period_bounds(kind, year, number)
        period = Period(agency_id=agency.id, kind=kind, year=year, number=number, label=label,
                        starts_on=start, ends_on=end)
        session.add(period)
        session.flush()
    return period


@dataclass(slots=True)
class OpenReport:
    """What opening a period did (or, in a dry run, would do).

    ``blocked``: employees whose evaluation would get stuck (a step nobody may take, e.g. an
    appeal nobody can decide) — errors, each with its fix; no evaluation is opened for them.
    """

    created: list[Employee] = field(default_factory=list)
    skipped: list[tuple[Employee, Text]] = field(default_factory=list)
    warnings: list[tuple[Employee, Text]] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    blocked: list[tuple[Employee, Text]] = field(default_factory=list)


_EVALUATION = Evaluation.__table__
_SET_HEAD = (_EVALUATION.update().where(_EVALUATION.c.id == bindparam("row"))
             .values(history_seq=bindparam("seq"), history_head=bindparam("head")))


def open_period(
    session: Session, wf: Workflow, actor: Actor, period_id: int, *,
    unit_kerja: str | None = None, dry_run: bool = False,
) -> OpenReport:
    """Create the evaluations of a period for the whole agency or one unit kerja.

    Employees who already have one are left alone; employees without an appraiser are skipped
    with the reason. With ``dry_run`` nothing is written.
    """
    period = session.get(Period, period_id)
    if period is None or period.agency_id != actor.agency_id:
        raise NotFound("Periode tidak ditemukan.", "Period not found.")
    version = current_version(session, actor.agency_id)
    assert version is not None
    definition = definition_of(session, version.id)
    if period.kind not in definition.periods:
        raise WorkflowError(
            f"Alur instansi ini tidak menjalankan periode '{period.kind}' "
            f"(periode yang didefinisikan: {', '.join(definition.periods)}).",
            f"This agency's flow does not run '{period.kind}' periods.",
        )
    query = select(Employee).where(Employee.agency_id == actor.agency_id, Employee.active)
    if unit_kerja:
        query = query.where(Employee.unit_kerja == unit_kerja)
    already: dict[int, set[int | None]] = {}
    for employee_id, skp_id in session.execute(
            select(Evaluation.employee_id, Evaluation.skp_id).where(
                Evaluation.period_id == period.id)):
        already.setdefault(employee_id, set()).add(skp_id)
    pins = wf.forms.pin_versions(session, actor.agency_id, definition.forms())
    now = wf.clock()
    report = OpenReport()
    cast = Casting(session, definition, actor.agency_id,
                   ReportingLine(session, actor.agency_id, now.date()))
    employees = list(session.scalars(query.order_by(Employee.unit_kerja, Employee.name)))
    in_force = skps_in_window(session, [e.id for e in employees], period.starts_on,
                              period.ends_on)
    for employee, skp in _openings(employees, in_force, already):
        # The SKP's appraiser, unless the employee holds a position and the SKP is still in
        # force: then the holder of the position above hers on the opening day (a term that
        # ended moves the role to whoever holds the position now, acting or definitif).
        pinned = skp is not None and not (cast.positioned(employee) and not skp.closed_reason)
        people = cast.people(employee, skp.appraiser if pinned and skp is not None else None)
        missing = [r for r in REQUIRED_ROLES if r in people and people[r] is None]
        if missing:
            report.skipped.append((employee, Text(
                "tidak punya Pejabat Penilai Kinerja (atasan langsung) di struktur organisasi",
                "has no appraiser (direct superior) in the org chart")))
            continue
        stuck = cast.stuck(employee, people)
        if stuck is not None:
            report.blocked.append((employee, stuck))
            continue
        for name, person in people.items():
            if person is None:
                report.warnings.append((employee, Text(
                    f"peran '{name}' tidak dapat ditentukan dari struktur organisasi",
                    f"role '{name}' cannot be worked out from the org chart")))
        report.created.append(employee)
        if dry_run:
            continue
        report.evaluations.append(Evaluation(
            agency_id=actor.agency_id, employee_id=employee.id, period_id=period.id,
            skp_id=skp.id if skp is not None else None,
            definition_version_id=version.id, status=definition.initial, deadlines={},
            data={}, form_versions=pins, created_at=now, updated_at=now,
            due_at=next_due(definition, definition.initial, {}, now),
            participants=[Participant(role=name, employee_id=person.id,
                                      identity=cast.identity(person))
                          for name, person in people.items() if person is not None],
        ))
    # The rows in one batch (each chain is named after its evaluation's id), then every opening
    # event and chain head in one batch each. The rows were inserted by this transaction and
    # nobody else can see them yet, so the heads are set without the version check: one
    # executemany instead of one versioned UPDATE per evaluation.
    session.add_all(report.evaluations)
    session.flush()
    tallies.add_opened(session, report.evaluations,
                       {e.id: e.unit_kerja for e in report.created})
    events, heads = [], []
    for evaluation in report.evaluations:
        fields = event_fields(
            wf.audit_key, evaluation, kind="transition", at=now, actor_id=actor.employee_id,
            actor_nip=actor.nip, actor_role="admin", trigger="open", source="",
            dest=definition.initial, projection=project(of_evaluation(evaluation)),
            definition_version_id=version.id,
            payload={"period": period.label, "skp": evaluation.skp_id,
                     "participants": {p.role: p.identity.get("nip")
                                      for p in evaluation.participants},
                     # Acting officials (Plt./Plh.) among them, as they were on the day.
                     **({"acting": acting} if (acting := {
                         p.role: p.identity["acting"] for p in evaluation.participants
                         if p.identity.get("acting")}) else {}),
                     "form_versions": pins},
        )
        events.append(fields)
        heads.append({"row": evaluation.id, "seq": fields["seq"], "head": fields["hash"]})
    if events:
        session.execute(insert(HistoryEvent.__table__), events)
        session.execute(_SET_HEAD, heads)
        for evaluation, head in zip(report.evaluations, heads, strict=True):
            set_committed_value(evaluation, "history_seq", head["seq"])
            set_committed_value(evaluation, "history_head", head["head"])
    session.flush()
    return report


def _openings(employees: list[Employee], in_force: Mapping[int, list[Skp]],
              already: Mapping[int, set[int | None]]) -> Iterator[tuple[Employee, Skp | None]]:
    """Yield the evaluations a period opening adds: one per SKP in force during the period
    (two after a mutasi inside it), or one without an SKP for an employee who has none.

    An employee whose evaluation of the period was opened without an SKP is left alone; so is
    an SKP that already has its evaluation (opening again adds only what is missing).
    """
    for employee in employees:
        opened = already.get(employee.id, set())
        if None in opened:
            continue
        skps = in_force.get(employee.id, [])
        if not skps:
            if not opened:
                yield employee, None
            continue
        for skp in skps:
            if skp.id not in opened:
                yield employee, skp


def set_capaian(
    session: Session, wf: Workflow, actor: Actor, period_id: int, capaian: str, dasar: str,
) -> Period:
    """Record the organisation's achievement (*capaian kinerja organisasi*) for a period.

    The next-higher leader sets it (SE MenPANRB 3/2023); the agency admin records it here
    with its basis (the decision's number and date). It picks the distribution pattern the
    dashboard checks and is printed on the evaluation documents. The change is appended to
    the agency's history chain in the caller's transaction; nothing changes on bad input.

    :raises NotPermitted: the actor is not an agency admin.
    :raises NotFound: no such period in the actor's agency.
    :raises InvalidData: an unknown achievement, or no (or too long a) basis.
    """
    if not actor.is_admin:
        raise NotPermitted("Hanya admin instansi yang dapat mencatat capaian organisasi.",
                           "Only agency admins can record the organisation's achievement.")
    period = session.get(Period, period_id)
    if period is None or period.agency_id != actor.agency_id:
        raise NotFound("Periode tidak ditemukan.", "Period not found.")
    dasar = checked_capaian(capaian, dasar)
    changes = {name: [old, new] for name, old, new in (
        ("capaian_organisasi", period.capaian_organisasi, capaian),
        ("capaian_dasar", period.capaian_dasar, dasar)) if old != new}
    period.capaian_organisasi, period.capaian_dasar = capaian, dasar
    agency = session.get(Agency, actor.agency_id)
    assert agency is not None
    append_event(
        session, wf.audit_key, agency, kind="admin", at=wf.clock(), actor_id=actor.employee_id,
        actor_nip=actor.nip, actor_role="admin", trigger="period_capaian",
        payload={"table": "period", "id": period.id, "label": period.label,
                 "changes": changes},
    )
    session.flush()
    return period
