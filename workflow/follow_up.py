"""Follow-up (*tindak lanjut*) of evaluation results: actions, the talent pool, low streaks.

Per evaluation with a *predikat*, the agency admin (or the evaluation's appraiser) records
actions of a fixed set of kinds (award, competence development, coaching — *pembinaan* —,
sanction, PPPK contract recommendation), each with an owner, a due date and a status. Every
addition and status change is an event of the agency's history chain (kind ``follow_up``), in
the same transaction.

Rules kept here, one place each:

- ``LOW``: *Butuh Perbaikan* or worse. A flow that names the guard ``coaching_plan_if_low``
  on its finalizing steps (``guards.py``) cannot make such a result final before a coaching
  action (not cancelled) exists (``coaching_planned``);
- ``talent_pool``: the *Sangat Baik* results of a period;
- ``low_streaks``: employees whose result was low in a period and in the periods of the same
  kind right before it, without a gap (PP 30/2019 Ps 56–58: repeated low performance has
  consequences the agency must follow up).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists
from sqlalchemy import select
from sqlalchemy.orm import Session

from .actors import Actor
from .errors import InvalidData
from .errors import NotFound
from .errors import NotPermitted
from .errors import WorkflowError
from .history import append_event
from .models import Agency
from .models import Employee
from .models import Evaluation
from .models import FollowUpAction
from .models import Participant
from .models import Period
from .models import utcnow

KINDS: dict[str, tuple[str, str]] = {
    "award": ("Penghargaan", "Award"),
    "competence": ("Pengembangan kompetensi", "Competence development"),
    "coaching": ("Pembinaan", "Coaching"),
    "sanction": ("Sanksi", "Sanction"),
    "pppk_contract": ("Rekomendasi kontrak PPPK", "PPPK contract recommendation"),
}
STATUSES: dict[str, tuple[str, str]] = {
    "planned": ("Direncanakan", "Planned"),
    "in_progress": ("Berjalan", "In progress"),
    "done": ("Selesai", "Done"),
    "cancelled": ("Dibatalkan", "Cancelled"),
}
LOW = frozenset({"BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG"})
TALENT = "SANGAT_BAIK"
COACHING = "coaching"
DESCRIPTION_MAX = 2000
EVENT_KIND = "follow_up"


def coaching_planned(session: Session, evaluation_id: int) -> bool:
    """Tell whether the evaluation has a coaching action that is not cancelled."""
    return bool(session.scalar(select(exists().where(
        FollowUpAction.evaluation_id == evaluation_id, FollowUpAction.kind == COACHING,
        FollowUpAction.status != "cancelled"))))


def _may_manage(actor: Actor, evaluation: Evaluation) -> bool:
    return actor.is_admin or (actor.employee_id is not None and
                              evaluation.participant_ids().get("appraiser") == actor.employee_id)


def _evaluation(session: Session, actor: Actor, evaluation_id: int) -> Evaluation:
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None or evaluation.agency_id != actor.agency_id:
        raise NotFound("Evaluasi tidak ditemukan.", "Evaluation not found.")
    if not _may_manage(actor, evaluation):
        raise NotPermitted("Hanya admin instansi atau Pejabat Penilai Kinerja evaluasi ini yang "
                           "dapat mencatat tindak lanjut.", "Only the agency admin or this "
                           "evaluation's appraiser may record follow-up actions.")
    return evaluation


def _record(session: Session, key: bytes, actor: Actor, trigger: str,
            action: FollowUpAction, extra: dict[str, object]) -> None:
    agency = session.get(Agency, actor.agency_id)
    assert agency is not None
    append_event(session, key, agency, kind=EVENT_KIND, at=utcnow(), actor_id=actor.employee_id,
                 actor_nip=actor.nip, actor_role="admin" if actor.is_admin else "appraiser",
                 trigger=trigger, payload={"action_id": action.id,
                                           "evaluation_id": action.evaluation_id,
                                           "kind": action.kind, **extra})
    session.flush()  # the next agency event re-reads the chain head from the database


def add_action(
    session: Session, key: bytes, actor: Actor, evaluation_id: int, *, kind: str,
    owner_id: int | None, due_on: date | None, description: str,
) -> FollowUpAction:
    """Record a follow-up action of a rated evaluation; refuse bad input naming the field."""
    evaluation = _evaluation(session, actor, evaluation_id)
    errors: dict[str, list[tuple[str, str]]] = {}
    if evaluation.predikat is None:
        raise WorkflowError("Evaluasi ini belum dinilai: tindak lanjut dicatat setelah ada "
                            "predikat.", "This evaluation has no rating yet: follow-up comes "
                            "after the predikat.")
    if kind not in KINDS:
        errors["kind"] = [("Jenis tindak lanjut tidak dikenal.", "Unknown kind of follow-up.")]
    elif kind == "pppk_contract" and evaluation.employee.asn_type != "PPPK":
        errors["kind"] = [("Rekomendasi kontrak hanya untuk PPPK.",
                           "A contract recommendation is for PPPK only.")]
    owner = session.get(Employee, owner_id) if owner_id else None
    if owner is None or owner.agency_id != actor.agency_id or not owner.active:
        errors["owner"] = [("Pilih penanggung jawab: pegawai aktif instansi ini.",
                            "Choose the owner: an active employee of this agency.")]
    if due_on is None:
        errors["due_on"] = [("Tenggat wajib diisi (tanggal).", "A due date is required.")]
    text = (description or "").strip()
    if not text or len(text) > DESCRIPTION_MAX:
        errors["description"] = [(f"Uraian wajib diisi, paling panjang {DESCRIPTION_MAX} "
                                   "karakter.", f"A description of at most {DESCRIPTION_MAX} "
                                   "characters is required.")]
    if errors:
        raise InvalidData.of({k: v[0] for k, v in errors.items()})
    assert owner is not None and due_on is not None
    now = utcnow()
    action = FollowUpAction(agency_id=actor.agency_id, evaluation_id=evaluation.id, kind=kind,
                            description=text, owner_id=owner.id, due_on=due_on,
                            status="planned", created_at=now, updated_at=now,
                            created_by_nip=actor.nip)
    session.add(action)
    session.flush()
    _record(session, key, actor, "follow_up_add", action,
            {"owner": owner.nip, "due_on": due_on.isoformat(), "description": text})
    return action


def set_status(session: Session, key: bytes, actor: Actor, action_id: int,
               status: str) -> FollowUpAction:
    """Move an action to ``status`` (``STATUSES``), recorded in the agency's history."""
    action = session.get(FollowUpAction, action_id)
    if action is None or action.agency_id != actor.agency_id:
        raise NotFound("Tindak lanjut tidak ditemukan.", "Follow-up action not found.")
    _evaluation(session, actor, action.evaluation_id)
    if status not in STATUSES:
        raise InvalidData.of({"status": ("Status tidak dikenal.", "Unknown status.")})
    if status != action.status:
        old = action.status
        action.status = status
        action.updated_at = utcnow()
        _record(session, key, actor, "follow_up_status", action, {"status": [old, status]})
    return action


@dataclass(frozen=True, slots=True)
class Result:
    """One employee's result in a period, as the follow-up lists show it."""

    evaluation_id: int
    name: str
    nip: str
    unit_kerja: str
    asn_type: str
    predikat: str
    status: str
    streak: int = 1


def _results(session: Session, agency_id: int, period_id: int) -> list[Result]:
    rows = session.execute(
        select(Evaluation.id, Employee.name, Employee.nip, Employee.unit_kerja,
               Employee.asn_type, Evaluation.predikat, Evaluation.status)
        .join(Employee, Employee.id == Evaluation.employee_id)
        .where(Evaluation.agency_id == agency_id, Evaluation.period_id == period_id,
               Evaluation.predikat.is_not(None))
        .order_by(Employee.unit_kerja, Employee.name)).all()
    return [Result(eid, name, nip, unit, asn, predikat or "", status)
            for eid, name, nip, unit, asn, predikat, status in rows]


def _period(session: Session, actor: Actor, period_id: int) -> Period:
    period = session.get(Period, period_id)
    if period is None or period.agency_id != actor.agency_id:
        raise NotFound("Periode tidak ditemukan.", "Period not found.")
    return period


def talent_pool(session: Session, actor: Actor, period_id: int) -> list[Result]:
    """Return the period's *Sangat Baik* results (final or not: ``status`` says)."""
    _period(session, actor, period_id)
    return [r for r in _results(session, actor.agency_id, period_id) if r.predikat == TALENT]


def low_streaks(session: Session, actor: Actor, period_id: int, minimum: int = 2) -> list[Result]:
    """Return the period's low results (``LOW``) that follow at least ``minimum - 1`` low
    results of the same employee in the periods of the same kind right before it; ``streak``
    counts them (this period included)."""
    period = _period(session, actor, period_id)
    earlier = session.scalars(select(Period).where(
        Period.agency_id == actor.agency_id, Period.kind == period.kind,
        Period.ends_on < period.starts_on).order_by(Period.ends_on.desc())).all()
    low_now = [r for r in _results(session, actor.agency_id, period.id) if r.predikat in LOW]
    if not low_now:
        return []
    nips = {r.nip for r in low_now}
    history: dict[int, dict[str, str | None]] = {}
    for pid, nip, predikat in session.execute(
            select(Evaluation.period_id, Employee.nip, Evaluation.predikat)
            .join(Employee, Employee.id == Evaluation.employee_id)
            .where(Evaluation.agency_id == actor.agency_id, Employee.nip.in_(nips),
                   Evaluation.period_id.in_([p.id for p in earlier]))):
        history.setdefault(pid, {})[nip] = predikat
    flagged = []
    for result in low_now:
        streak = 1
        for before in earlier:
            if history.get(before.id, {}).get(result.nip) in LOW:
                streak += 1
            else:
                break
        if streak >= minimum:
            flagged.append(Result(result.evaluation_id, result.name, result.nip,
                                  result.unit_kerja, result.asn_type, result.predikat,
                                  result.status, streak))
    return flagged


@dataclass(frozen=True, slots=True)
class ActionRow:
    """A follow-up action with whose evaluation it is."""

    action: FollowUpAction
    employee_name: str
    employee_nip: str
    predikat: str | None


def actions_of_period(session: Session, actor: Actor, period_id: int) -> list[ActionRow]:
    """Return the period's follow-up actions, by due date. The admin sees all; an appraiser
    those of the evaluations she rates."""
    _period(session, actor, period_id)
    query = (select(FollowUpAction, Employee.name, Employee.nip, Evaluation.predikat)
             .join(Evaluation, Evaluation.id == FollowUpAction.evaluation_id)
             .join(Employee, Employee.id == Evaluation.employee_id)
             .where(FollowUpAction.agency_id == actor.agency_id,
                    Evaluation.period_id == period_id)
             .order_by(FollowUpAction.due_on, FollowUpAction.id))
    if not actor.is_admin:
        query = query.where(exists().where(
            Participant.evaluation_id == Evaluation.id, Participant.role == "appraiser",
            Participant.employee_id == actor.employee_id))
    return [ActionRow(*row) for row in session.execute(query).all()]


@dataclass(frozen=True, slots=True)
class Overview:
    """A period's follow-up at a glance: its rated results, the actions, the talent pool, the
    consecutive low results, and the low results still without a coaching plan."""

    period: Period
    results: list[Result]
    actions: list[ActionRow]
    talent: list[Result]
    streaks: list[Result]
    coaching_missing: list[Result]


def overview(session: Session, actor: Actor, period_id: int) -> Overview:
    """Return the period's ``Overview`` (the admin's follow-up page)."""
    period = _period(session, actor, period_id)
    results = _results(session, actor.agency_id, period.id)
    actions = actions_of_period(session, actor, period.id)
    planned = {row.action.evaluation_id for row in actions
               if row.action.kind == COACHING and row.action.status != "cancelled"}
    return Overview(period, results, actions, [r for r in results if r.predikat == TALENT],
                    low_streaks(session, actor, period.id),
                    [r for r in results if r.predikat in LOW and r.evaluation_id not in planned])
