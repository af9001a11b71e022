"""Reassignment: hand an open evaluation's appraiser or appeal decider to someone else.

The people of an evaluation are frozen when it opens (``evaluation_participant``); when one
of them leaves (deactivated, moved), the agency admin — or the leaving person's own superior,
for evaluations of her own unit kerja — gives the role to another active employee of the
agency, for one evaluation or many at once, with a reason. Per evaluation:

- the participant row of the role names the new person (with her identity, as printed on
  documents), and the previous holder stays on the evaluation under the role
  ``<role>~<employee id>`` (``former_role``): no flow step names such a role, so she can no
  longer act, but she still reads the evaluation and its history (read-only);
- a ``reassignment`` event (the reason as its comment; role, from, to in its payload) is
  appended to the evaluation's chain, in the same transaction, with the projection of the
  participants after the change;
- separation of duties (``duties``) still holds for the new person: never the employee
  evaluated; an appeal decider never one who rates the evaluation or already rated it; a
  rater never the evaluation's appeal decider.

Bulk reassignment is all or nothing: one evaluation refused and nothing changes. The rules
here are about a *holder of a role on a record*; SKPs (``workflow.skp*``) can reuse
``check_duties``/``may_reassign`` once they keep their appraiser per SKP.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .actors import Actor
from .actors import base_role as base_role
from .actors import former_role
from .actors import is_former as is_former
from .definition import WorkflowDefinition
from .duties import judging_steps
from .errors import ConcurrentUpdate
from .errors import InvalidData
from .errors import NotFound
from .errors import NotPermitted
from .errors import WorkflowError
from .history import append_event
from .integrity import refuse
from .integrity import row_mismatch
from .models import Employee
from .models import Evaluation
from .models import HistoryEvent
from .models import Participant
from .models import Period
from .projection import of_evaluation
from .projection import project
from .service import Workflow
from .service import definition_of
from .texts import Text


class ReassignmentRefused(WorkflowError):
    """The evaluations or the person as they stand now do not allow it (a final evaluation,
    an inactive person, separation of duties); nothing was changed."""

    status = 409


REASON_MAX = 500
EVENT_KIND = "reassignment"


def reassignable_roles(definition: WorkflowDefinition) -> tuple[str, ...]:
    """Return the person roles of a flow that can be handed over (not the employee herself,
    not a group: a group's members change on the group)."""
    return tuple(name for name, spec in definition.roles.items()
                 if spec.group is None and (spec.hops or 0) > 0)


def _judging_roles(definition: WorkflowDefinition) -> tuple[set[str], set[str]]:
    """Return (roles that rate, roles that decide the appeal) in a flow."""
    kinds = judging_steps(definition.transitions, definition.roles)
    raters = {r for rule in definition.transitions if kinds.get(rule.name) == "rating"
              for r in rule.by}
    deciders = {r for rule in definition.transitions if kinds.get(rule.name) == "decision"
                for r in rule.by}
    return raters, deciders


def _rating_steps(definition: WorkflowDefinition) -> set[str]:
    kinds = judging_steps(definition.transitions, definition.roles)
    return {name for name, kind in kinds.items() if kind == "rating"}


@dataclass(frozen=True, slots=True)
class Holding:
    """One open role an employee holds: the evaluation, whose it is, the role, its state."""

    evaluation_id: int
    role: str
    employee_name: str
    employee_nip: str
    unit_kerja: str
    period: str
    status: str


def open_holdings(session: Session, actor: Actor, employee_id: int) -> list[Holding]:
    """Return the roles ``employee_id`` holds on open (not final) evaluations of the actor's
    agency that can be reassigned, oldest evaluation first."""
    rows = session.execute(
        select(Participant.evaluation_id, Participant.role, Evaluation.status,
               Evaluation.definition_version_id, Employee.name, Employee.nip,
               Employee.unit_kerja, Period.label)
        .join(Evaluation, Evaluation.id == Participant.evaluation_id)
        .join(Employee, Employee.id == Evaluation.employee_id)
        .join(Period, Period.id == Evaluation.period_id)
        .where(Participant.employee_id == employee_id,
               Evaluation.agency_id == actor.agency_id)
        .order_by(Evaluation.id, Participant.role)).all()
    holdings = []
    for eid, role, status, version_id, name, nip, unit, period in rows:
        definition = definition_of(session, version_id)
        if status in definition.final or role not in reassignable_roles(definition):
            continue
        holdings.append(Holding(eid, role, name, nip, unit, period, status))
    return holdings


def may_reassign(session: Session, actor: Actor, evaluation: Evaluation,
                 holder_id: int) -> bool:
    """Tell whether the actor may hand over a role held by ``holder_id`` on ``evaluation``:
    the agency admin always; otherwise the holder's direct superior (org chart now), for
    evaluations of employees of her own unit kerja."""
    if actor.is_admin:
        return True
    if actor.employee_id is None:
        return False
    holder = session.get(Employee, holder_id)
    me = session.get(Employee, actor.employee_id)
    return (holder is not None and me is not None and holder.superior_id == me.id
            and evaluation.employee.unit_kerja == me.unit_kerja)


def check_duties(session: Session, definition: WorkflowDefinition, evaluation: Evaluation,
                 role: str, new_id: int) -> Text | None:
    """Return why ``new_id`` may not take ``role`` on the evaluation (separation of duties),
    or None."""
    if new_id == evaluation.employee_id:
        return Text("pegawai yang dinilai tidak boleh memegang peran atas evaluasinya sendiri",
                    "the employee evaluated may not hold a role on her own evaluation")
    raters, deciders = _judging_roles(definition)
    current = evaluation.participant_ids()
    if role in deciders:
        if any(current.get(r) == new_id for r in raters):
            return Text("Pejabat Penilai Kinerja evaluasi ini tidak boleh memutus keberatannya",
                        "this evaluation's appraiser may not decide its appeal")
        steps = _rating_steps(definition)
        rated = session.scalar(select(HistoryEvent.id).where(
            HistoryEvent.evaluation_id == evaluation.id, HistoryEvent.actor_id == new_id,
            HistoryEvent.kind == "transition", HistoryEvent.trigger.in_(steps)).limit(1))
        if rated is not None:
            return Text("pegawai ini sudah menilai evaluasi ini: ia tidak boleh memutus "
                        "keberatannya", "this employee rated this evaluation: she may not "
                        "decide its appeal")
    if role in raters and any(current.get(r) == new_id for r in deciders):
        return Text("pemutus keberatan evaluasi ini tidak boleh menjadi penilainya",
                    "this evaluation's appeal decider may not rate it")
    return None


def reassign(
    session: Session, wf: Workflow, actor: Actor, evaluation_ids: Iterable[int],
    role: str, new_employee_id: int, reason: str,
) -> list[HistoryEvent]:
    """Give ``role`` on each evaluation to ``new_employee_id`` (``reassign_roles``)."""
    return reassign_roles(session, wf, actor, [(i, role) for i in evaluation_ids],
                          new_employee_id, reason)


def reassign_roles(
    session: Session, wf: Workflow, actor: Actor, items: Sequence[tuple[int, str]],
    new_employee_id: int, reason: str,
) -> list[HistoryEvent]:
    """Give each (evaluation id, role) of ``items`` to ``new_employee_id``, with ``reason``;
    return the events. All or nothing: any item refused raises and nothing is changed (module
    docstring for the rules).

    :raises NotFound: an evaluation or the new employee is not of the actor's agency.
    :raises NotPermitted: the actor may not reassign one of them.
    :raises InvalidData: no evaluation, no reason (or too long).
    :raises ReassignmentRefused: an inactive new person, a closed evaluation, a role the flow
        does not hand over, or a separation-of-duties rule broken (each one named).
    """
    wanted = list(dict.fromkeys(items))
    reason = (reason or "").strip()
    if not wanted:
        raise InvalidData.of({"evaluations": ("Pilih sedikitnya satu evaluasi.",
                                              "Select at least one evaluation.")})
    if not reason or len(reason) > REASON_MAX:
        raise InvalidData.of({"reason": (
            f"Alasan pengalihan wajib diisi, paling panjang {REASON_MAX} karakter.",
            f"A reason of at most {REASON_MAX} characters is required.")})
    new = session.get(Employee, new_employee_id)
    if new is None or new.agency_id != actor.agency_id:
        raise NotFound("Pegawai tidak ditemukan.", "Employee not found.")
    if not new.active:
        raise ReassignmentRefused(f"{new.name} tidak aktif: pilih pegawai yang aktif.",
                            f"{new.name} is not active: choose an active employee.")
    plans: list[tuple[Evaluation, Participant, str]] = []
    problems_id: list[str] = []
    problems_en: list[str] = []

    def problem(evaluation: Evaluation, why: Text) -> None:
        who = f"#{evaluation.id} {evaluation.employee.name}"
        problems_id.append(f"{who}: {why}")
        problems_en.append(f"{who}: {why.en}")

    seen: set[int] = set()
    for evaluation_id, role in wanted:
        evaluation = session.get(Evaluation, evaluation_id)
        if evaluation is None or evaluation.agency_id != actor.agency_id:
            raise NotFound("Evaluasi tidak ditemukan.", "Evaluation not found.")
        if evaluation_id in seen:
            problem(evaluation, Text("satu peran per evaluasi dalam satu pengalihan",
                                     "one role per evaluation in one reassignment"))
            continue
        seen.add(evaluation_id)
        definition = definition_of(session, evaluation.definition_version_id)
        held = next((p for p in evaluation.participants if p.role == role), None)
        if role not in reassignable_roles(definition) or held is None:
            problem(evaluation, Text(f"peran '{role}' tidak dapat dialihkan pada evaluasi ini",
                                     f"role '{role}' cannot be reassigned on this evaluation"))
            continue
        if not may_reassign(session, actor, evaluation, held.employee_id):
            raise NotPermitted(
                "Hanya admin instansi, atau atasan pemegang peran untuk unit kerjanya sendiri, "
                "yang dapat mengalihkan peran.",
                "Only the agency admin, or the holder's superior for her own unit, may "
                "reassign a role.")
        if evaluation.status in definition.final:
            problem(evaluation, Text("evaluasi sudah final", "the evaluation is final"))
            continue
        if held.employee_id == new.id:
            problem(evaluation, Text(f"{new.name} sudah memegang peran ini",
                                     f"{new.name} already holds this role"))
            continue
        why = check_duties(session, definition, evaluation, role, new.id)
        if why is not None:
            problem(evaluation, why)
            continue
        plans.append((evaluation, held, role))
    if problems_id:
        raise ReassignmentRefused("Tidak ada yang dialihkan. " + "; ".join(problems_id) + ".",
                            "Nothing was reassigned. " + "; ".join(problems_en) + ".")
    now = wf.clock()
    events = []
    acting = "admin" if actor.is_admin else "superior"
    for evaluation, held, role in plans:
        bad = row_mismatch(session, wf.audit_key, evaluation)
        if bad:
            raise refuse(session, wf.audit_key, evaluation, bad, surface="reassignment",
                         now=now, actor_id=actor.employee_id, actor_nip=actor.nip)
        old_id, old_identity = held.employee_id, dict(held.identity or {})
        keep = former_role(role, old_id)
        if not any(p.role == keep for p in evaluation.participants):
            evaluation.participants.append(Participant(role=keep, employee_id=old_id,
                                                       identity=old_identity))
        held.employee_id = new.id
        held.identity = new.identity()
        evaluation.updated_at = now
        after = {**of_evaluation(evaluation), "lock_version": evaluation.lock_version + 1}
        events.append(append_event(
            session, wf.audit_key, evaluation, kind=EVENT_KIND, at=now,
            actor_id=actor.employee_id, actor_nip=actor.nip, actor_role=acting,
            trigger="reassign", source=evaluation.status, dest=evaluation.status,
            definition_version_id=evaluation.definition_version_id, comment=reason,
            payload={"role": role, "from": old_identity.get("nip", ""), "from_id": old_id,
                     "from_name": old_identity.get("name", ""), "to": new.nip,
                     "to_id": new.id, "to_name": new.name},
            projection=project(after)))
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConcurrentUpdate(
            "Evaluasi baru saja diubah oleh orang lain. Muat ulang lalu coba lagi.",
            "Someone else changed an evaluation a moment ago. Reload and try again.") from exc
    return events


def reassign_to_nip(
    session: Session, wf: Workflow, actor: Actor, items: Sequence[tuple[int, str]], nip: str,
    reason: str,
) -> list[HistoryEvent]:
    """``reassign_roles`` to the employee of the actor's agency with this NIP (the API's
    way of naming a person)."""
    person = session.scalar(select(Employee.id).where(Employee.nip == (nip or "").strip(),
                                                      Employee.agency_id == actor.agency_id))
    if person is None:
        raise NotFound("Pegawai tidak ditemukan.", "Employee not found.")
    return reassign_roles(session, wf, actor, items, person, reason)


def staff_holdings(session: Session, actor: Actor) -> list[tuple[Employee, list[Holding]]]:
    """Return, for each employee the actor directly supervises (org chart now), the open
    roles she holds on evaluations of the actor's own unit kerja — what the superior may hand
    over (``may_reassign``). Employees holding none are left out."""
    if actor.employee_id is None:
        return []
    me = session.get(Employee, actor.employee_id)
    if me is None:
        return []
    found = []
    for person in session.scalars(select(Employee).where(
            Employee.superior_id == me.id, Employee.agency_id == actor.agency_id)
            .order_by(Employee.name)):
        held = [h for h in open_holdings(session, actor, person.id)
                if h.unit_kerja == me.unit_kerja]
        if held:
            found.append((person, held))
    return found
