"""Use cases on SKPs (*Sasaran Kinerja Pegawai*): create, save, the flow's steps, perubahan,
mutasi, and what a reader may see.

Pure core: every function takes the caller's ``Session`` first and never commits (the
entrypoint commits once), raises the bilingual ``WorkflowError`` subclasses and changes
nothing when it refuses. Every change appends one event to the SKP's own history chain
(``skp:<id>``, ``history.append_event``) in the same transaction, recording the digest of each
projected field after it (``skp_projection``), so ``audit verify`` checks the row against its
history like an evaluation's. The status is written only here, through the engine
(``engine.flow_for`` on the SKP flow of ``skp_flow``). Rules: docs/skp.md "Data and rules".

Who may read an SKP (``may_read_skp``, the one visibility rule of page, API and PDF): the
employee, her appraiser and the appraiser's superiors up the current org chart, and the
agency's admins and auditors. For anyone else, and for another agency's SKP, it does not
exist (``NotFound``).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import Any

from sqlalchemy import Select
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import ColumnElement

from .actors import Actor
from .context import SkpFacts
from .context import TransitionContext
from .definition import SYSTEM_ROLE
from .definition import TransitionRule
from .definition import WorkflowDefinition
from .engine import flow_for
from .errors import ConcurrentUpdate
from .errors import GuardFailed
from .errors import InvalidData
from .errors import NotFound
from .errors import NotPermitted
from .errors import TransitionNotAllowed
from .history import append_event
from .models import Employee
from .models import HistoryEvent
from .models import Skp
from .models import SkpRhk
from .models import utcnow
from .notifications import Subject
from .notifications import notify_step
from .positions import ReportingLine
from .projection import field_digest
from .publishing import current_version
from .service import Workflow
from .service import definition_of
from .skp_content import APPRAISER_PARTS
from .skp_content import EMPLOYEE_PARTS
from .skp_content import JENIS_JABATAN
from .skp_content import PENDEKATAN
from .skp_content import content_of
from .skp_content import copy_rhk
from .skp_content import missing_targets
from .skp_content import parse_content
from .skp_content import write_expectations
from .skp_content import write_rhk
from .skp_flow import CHANGE
from .skp_flow import CLOSE
from .skp_flow import CLOSED
from .skp_flow import EDITABLE
from .skp_flow import REPLACED
from .skp_flow import SET
from .skp_flow import skp_flow_of

#: Statuses of an SKP that is no longer the current one (closed by a mutasi, replaced).
ENDED = (CLOSED, REPLACED)
#: Steps fired only by ``change_skp`` and ``transfer`` (they open the next SKP).
INTERNAL_STEPS = (CHANGE, CLOSE)
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_REASON = 2000
#: How far up the org chart the appraiser's chain is followed (a loop never hangs a read).
MAX_CHAIN = 30

#: The fields of an SKP each of its events records the digest of, after the event.
PROJECTED = (
    "status", "employee_id", "appraiser_id", "year", "version", "previous_id", "starts_on",
    "ends_on", "pendekatan", "jenis_jabatan", "definition_version_id", "employee_identity",
    "appraiser_identity", "change_reason", "closed_reason", "return_comment", "set_by_id",
    "content",
)


# --- reading ---------------------------------------------------------------------------------


def skp_projection(skp: Skp) -> dict[str, str]:
    """Return the digest of each projected field of the SKP as it stands (content included)."""
    values: dict[str, Any] = {name: getattr(skp, name) for name in PROJECTED
                              if name != "content"}
    for name in ("starts_on", "ends_on"):
        values[name] = values[name].isoformat() if values[name] else None
    values["content"] = content_of(skp)
    return {name: field_digest(value) for name, value in values.items()}


def projection_differs(recorded: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """Return the SKP fields whose digest differs from what its newest event recorded."""
    return [name for name in PROJECTED
            if name in recorded and recorded[name] != current.get(name)]


def flow_of(session: Session, skp: Skp) -> WorkflowDefinition:
    """Return the SKP flow the SKP runs (its pinned definition version's)."""
    return skp_flow_of(definition_of(session, skp.definition_version_id))


def superiors(session: Session, employee_id: int | None) -> list[int]:
    """Return the ids up the current org chart above ``employee_id`` (nearest first)."""
    chain: list[int] = []
    current = employee_id
    while current is not None and len(chain) < MAX_CHAIN:
        current = session.scalar(select(Employee.superior_id).where(Employee.id == current))
        if current is None or current in chain:
            break
        chain.append(current)
    return chain


def may_read_skp(session: Session, actor: Actor, skp: Skp) -> bool:
    """Tell whether the actor may read the SKP (the one rule of page, API and PDF)."""
    if actor.agency_id != skp.agency_id:
        return False
    if actor.is_admin or actor.is_auditor or actor.is_system:
        return True
    if actor.employee_id in (skp.employee_id, skp.appraiser_id):
        return True
    return skp.appraiser_id is not None and actor.employee_id in superiors(
        session, skp.appraiser_id)


def skp_roles(actor: Actor, skp: Skp, flow: WorkflowDefinition) -> frozenset[str]:
    """Return the roles the actor plays on the SKP under its flow: ``pegawai`` (the
    employee), ``penilai`` (its appraiser), group roles (``admin``), ``system``."""
    if actor.agency_id != skp.agency_id:
        return frozenset()
    if actor.is_system:
        return frozenset({SYSTEM_ROLE})
    people = _participants(skp)
    roles = {role for role, person in people.items() if person == actor.employee_id}
    for name, spec in flow.roles.items():
        if spec.group and spec.group in actor.groups:
            roles.add(name)
    return frozenset(roles)


def _participants(skp: Skp) -> dict[str, int]:
    people = {"pegawai": skp.employee_id}
    if skp.appraiser_id is not None:
        people["penilai"] = skp.appraiser_id
    return people


def get_skp(session: Session, actor: Actor, skp_id: int) -> Skp:
    """Return an SKP the actor may read.

    :raises NotFound: no such SKP, another agency's, or one the actor may not read.
    """
    skp = session.get(Skp, skp_id)
    if skp is None or not may_read_skp(session, actor, skp):
        raise NotFound("SKP tidak ditemukan.", "SKP not found.")
    return skp


def current_skp(session: Session, employee_id: int, year: int) -> Skp | None:
    """Return the employee's current SKP of the year (not closed, not replaced), if any."""
    return session.scalar(
        select(Skp).where(Skp.employee_id == employee_id, Skp.year == year,
                          Skp.status.not_in(ENDED))
        .order_by(Skp.starts_on.desc(), Skp.id.desc()).limit(1))


def in_force_query(employee_id: int,
                   on_date: date | ColumnElement[date]) -> Select[Skp]:
    """The query of the SKP in force for the employee on a date (a value, or an SQL expression
    such as a period's end read in the same statement): its window holds the date and it was
    not replaced (a closed SKP was in force up to its ``ends_on``)."""
    return (select(Skp).where(Skp.employee_id == employee_id, Skp.starts_on <= on_date,
                              Skp.ends_on >= on_date, Skp.status != REPLACED)
            .order_by(Skp.starts_on.desc(), Skp.id.desc()).limit(1))


def skp_in_force(session: Session, employee_id: int, on_date: date) -> Skp | None:
    """Return the SKP in force for the employee on a date (``in_force_query``)."""
    return session.scalar(in_force_query(employee_id, on_date))


def skps_in_window(session: Session, employee_ids: Iterable[int], starts_on: date,
                   ends_on: date) -> dict[int, list[Skp]]:
    """Return, per employee, the SKPs in force at some date of a window (a period), oldest
    first: what opening the period keys its evaluations on (two after a mutasi)."""
    ids = list(employee_ids)
    found: dict[int, list[Skp]] = {}
    if not ids:
        return found
    for start in range(0, len(ids), 500):
        rows = session.scalars(
            select(Skp).where(Skp.employee_id.in_(ids[start:start + 500]),
                              Skp.starts_on <= ends_on, Skp.ends_on >= starts_on,
                              Skp.status != REPLACED)
            # Opening a period needs the rows, not their RHK and indicators.
            .options(lazyload(Skp.rhk), lazyload(Skp.expectations))
            .order_by(Skp.employee_id, Skp.starts_on, Skp.id))
        for skp in rows:
            found.setdefault(skp.employee_id, []).append(skp)
    return found


def my_skps(session: Session, actor: Actor) -> list[Skp]:
    """Return the actor's own SKPs, newest year and version first."""
    return list(session.scalars(
        select(Skp).where(Skp.agency_id == actor.agency_id,
                          Skp.employee_id == actor.employee_id)
        .order_by(Skp.year.desc(), Skp.starts_on.desc(), Skp.version.desc())))


def subordinate_skps(session: Session, actor: Actor, year: int | None = None) -> list[Skp]:
    """Return the SKPs whose appraiser is the actor (replaced versions left out), by year
    (newest first) and employee name."""
    query = (select(Skp).join(Employee, Employee.id == Skp.employee_id)
             .where(Skp.agency_id == actor.agency_id, Skp.appraiser_id == actor.employee_id,
                    Skp.status != REPLACED))
    if year is not None:
        query = query.where(Skp.year == year)
    return list(session.scalars(query.order_by(Skp.year.desc(), Employee.name, Skp.id)))


@dataclass(frozen=True, slots=True)
class Step:
    """A step the reader may take on the SKP now (button / API link)."""

    name: str
    label: str
    label_en: str
    comment_required: bool


@dataclass(frozen=True, slots=True)
class SkpPage:
    """What the SKP page, the API and the PDF show of one SKP, for one reader."""

    skp: Skp
    flow: WorkflowDefinition
    roles: frozenset[str]
    content: dict[str, Any]
    steps: tuple[Step, ...]
    # Whether the reader may save the employee's parts / the expectations now.
    may_edit: bool
    may_edit_expectations: bool
    # Whether the reader may ask for a perubahan (a new version) now.
    may_change: bool
    # The parent RHK of each RHK: rhk id → {"id", "text", "employee_name", "skp_id"}.
    parents: dict[int, dict[str, Any]]
    # Every version of this SKP, oldest first: (id, version, status).
    versions: tuple[tuple[int, int, str], ...]
    events: tuple[HistoryEvent, ...]

    def status_label(self, lang: str = "id") -> str:
        """Return the SKP's status in the reader's language."""
        return self.flow.label(self.skp.status, lang)


def skp_page(session: Session, actor: Actor, skp_id: int) -> SkpPage:
    """Return what one reader sees of an SKP and may do with it.

    :raises NotFound: no such SKP, another agency's, or one the actor may not read.
    """
    skp = get_skp(session, actor, skp_id)
    flow = flow_of(session, skp)
    roles = skp_roles(actor, skp, flow)
    probe = TransitionContext(
        actor_id=actor.employee_id, actor_roles=roles, owner_id=skp.employee_id,
        participants=_participants(skp), now=skp.updated_at,
        # Buttons depend on who reads; the content's completeness is judged when it fires.
        skp=SkpFacts(skp.jenis_jabatan, skp.appraiser_id is not None, SET, utama_count=1))
    steps = tuple(Step(r.name, r.label, r.label_en, r.comment == "required")
                  for r in flow_for(flow).allowed(skp.status, probe)
                  if r.name not in INTERNAL_STEPS)
    parents: dict[int, dict[str, Any]] = {}
    parent_ids = {r.parent_id for r in skp.rhk if r.parent_id is not None}
    if parent_ids:
        for rhk, owner in session.execute(
                select(SkpRhk, Employee.name).join(Skp, Skp.id == SkpRhk.skp_id)
                .join(Employee, Employee.id == Skp.employee_id)
                .where(SkpRhk.id.in_(parent_ids))):
            for child in skp.rhk:
                if child.parent_id == rhk.id:
                    parents[child.id] = {"id": rhk.id, "text": rhk.text,
                                         "employee_name": owner, "skp_id": rhk.skp_id}
    events = tuple(session.scalars(select(HistoryEvent).where(
        HistoryEvent.chain == f"skp:{skp.id}").order_by(HistoryEvent.seq)))
    editable = skp.status in EDITABLE
    return SkpPage(
        skp=skp, flow=flow, roles=roles, content=content_of(skp), steps=steps,
        may_edit=editable and actor.employee_id == skp.employee_id,
        may_edit_expectations=(skp.status in (*EDITABLE, "diajukan")
                               and _expectation_writer(actor, skp)),
        may_change=(skp.status == SET and bool(roles & set(
            (flow.transition(CHANGE) or _NO_RULE).by))),
        parents=parents, versions=tuple(_versions(session, skp)), events=events)


_NO_RULE = TransitionRule(name="", sources=(), dest="", by=())


def _expectation_writer(actor: Actor, skp: Skp) -> bool:
    """The appraiser writes the expectations; for the top of the agency, the leader herself
    or an admin on her behalf."""
    if skp.appraiser_id is not None:
        return actor.employee_id == skp.appraiser_id
    return actor.employee_id == skp.employee_id or actor.is_admin


def _versions(session: Session, skp: Skp) -> list[tuple[int, int, str]]:
    """Every version of the SKP's line (previous ones and the ones replacing it)."""
    first = skp
    seen = {skp.id}
    while first.previous_id is not None and first.previous_id not in seen:
        earlier = session.get(Skp, first.previous_id)
        if earlier is None:
            break
        seen.add(earlier.id)
        first = earlier
    line = [first]
    while True:
        nxt = session.scalar(select(Skp).where(Skp.previous_id == line[-1].id).limit(1))
        if nxt is None or nxt.id in {s.id for s in line}:
            break
        line.append(nxt)
    return [(s.id, s.version, s.status) for s in line]


# --- writing ---------------------------------------------------------------------------------


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise _conflict() from exc
    except IntegrityError as exc:
        if ("history_event" in str(exc.orig) and "seq" in str(exc.orig)) or (
                "uq_history_event_chain" in str(exc.orig)):
            raise _conflict() from exc
        raise


def _conflict() -> ConcurrentUpdate:
    return ConcurrentUpdate("SKP sudah berubah sejak Anda membukanya. Muat ulang lalu coba lagi.",
                            "The SKP changed since you opened it. Reload and try again.")


def _check_version(skp: Skp, expected_version: int | None) -> None:
    if expected_version is not None and skp.lock_version != expected_version:
        raise _conflict()


def record_change(session: Session, wf: Workflow, skp: Skp, actor: Actor, *, kind: str,
            trigger: str, role: str, source: str = "", dest: str = "", comment: str = "",
            payload: Mapping[str, Any] | None = None) -> HistoryEvent:
    """Append the change's event to the SKP's chain (with the projection after it) and flush
    the row and the event together."""
    _flush(session)  # ids of new RHK, before the content is digested
    session.refresh(skp, ["rhk", "expectations"])
    content = content_of(skp)
    event = append_event(
        session, wf.audit_key, skp, kind=kind, at=wf.clock(), actor_id=actor.employee_id,
        actor_nip=actor.nip, actor_role=role, trigger=trigger, source=source, dest=dest,
        definition_version_id=skp.definition_version_id, comment=comment, data=content,
        payload=dict(payload or {}), projection=skp_projection(skp))
    skp.updated_at = event.at
    _flush(session)
    return event


def _employee(session: Session, actor: Actor, employee_id: int | None) -> Employee:
    employee = session.get(Employee, employee_id) if employee_id is not None else None
    if employee is None or employee.agency_id != actor.agency_id:
        raise NotFound("Pegawai tidak ditemukan.", "Employee not found.")
    return employee


def appraiser_of(session: Session, employee: Employee, on: date | None = None) -> Employee | None:
    """Return the employee's appraiser on a day (today): the holder of the position above
    hers (acting officials included, ``workflow.positions``), else her superior."""
    superior = ReportingLine(session, employee.agency_id,
                             on or utcnow().date()).superior(employee)
    if superior is None or not superior.active or superior.agency_id != employee.agency_id:
        return None
    return superior


def _choice(problems: dict[str, tuple[str, str]], name: str, value: Any,
            choices: tuple[str, ...]) -> None:
    if value not in choices:
        problems[name] = (f"Pilih salah satu: {', '.join(choices)}.",
                          f"Choose one of: {', '.join(choices)}.")


def _new_skp(session: Session, actor: Actor, employee: Employee, appraiser: Employee | None,
             *, year: int, pendekatan: str, jenis_jabatan: str, starts_on: date,
             ends_on: date, version: int = 1, previous: Skp | None = None,
             on: date | None = None) -> Skp:
    definition = current_version(session, employee.agency_id)
    assert definition is not None
    flow = skp_flow_of(definition_of(session, definition.id))
    skp = Skp(
        agency_id=employee.agency_id, employee_id=employee.id,
        appraiser_id=appraiser.id if appraiser else None, year=year, version=version,
        previous_id=previous.id if previous else None, starts_on=starts_on, ends_on=ends_on,
        pendekatan=pendekatan, jenis_jabatan=jenis_jabatan, status=flow.initial,
        definition_version_id=definition.id, employee_identity=employee.identity(),
        appraiser_identity=(
            ReportingLine(session, employee.agency_id, on or utcnow().date()).appraiser_identity(
                employee, appraiser) if appraiser else {}), lampiran={}, data={},
        change_reason="", closed_reason="", return_comment="", rhk=[], expectations=[])
    session.add(skp)
    return skp


def create_skp(session: Session, wf: Workflow, actor: Actor, *, year: int, pendekatan: str,
               jenis_jabatan: str, copy_from: int | None = None) -> Skp:
    """Create the actor's draft SKP for a year, with her current superior as appraiser (none:
    she is the top of the agency); optionally copying the RHK, indicators, attachments and
    agency fields of one of her earlier SKPs (``copy_from``; parent links are not copied:
    they name last year's results).

    Its window is the year, or from the day after her last closed SKP of the year (mutasi).

    :raises NotPermitted: the system acts (an SKP is an employee's).
    :raises InvalidData: a year, pendekatan or jenis jabatan outside the choices.
    :raises GuardFailed: she already has a current SKP for that year (``skp_exists``), or the
        year is already covered to its end.
    :raises NotFound: ``copy_from`` is not one of her SKPs.
    """
    if actor.employee_id is None:
        raise NotPermitted("SKP dibuat oleh pegawai sendiri.", "An SKP is made by the employee.")
    problems: dict[str, tuple[str, str]] = {}
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        problems["year"] = (f"Tahun harus antara {FIRST_YEAR} dan {LAST_YEAR}.",
                            f"The year must be between {FIRST_YEAR} and {LAST_YEAR}.")
    _choice(problems, "pendekatan", pendekatan, PENDEKATAN)
    _choice(problems, "jenis_jabatan", jenis_jabatan, JENIS_JABATAN)
    if problems:
        raise InvalidData.of(problems)
    source = None
    if copy_from is not None:
        source = session.get(Skp, copy_from)
        if source is None or source.employee_id != actor.employee_id or (
                source.agency_id != actor.agency_id):
            raise NotFound("SKP sumber tidak ditemukan.", "Source SKP not found.")
    employee = _employee(session, actor, actor.employee_id)
    return open_skp(session, wf, actor, employee,
                    appraiser_of(session, employee, wf.clock().date()), year=year,
                    pendekatan=pendekatan, jenis_jabatan=jenis_jabatan, trigger="create",
                    role="pegawai", copy=source, keep_parents=False)


def _year_window(session: Session, employee_id: int, year: int,
                 starts_on: date | None = None) -> tuple[date, date]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    closed_until = session.scalar(
        select(Skp.ends_on).where(Skp.employee_id == employee_id, Skp.year == year,
                                  Skp.status == CLOSED).order_by(Skp.ends_on.desc()).limit(1))
    start = max(first, closed_until + timedelta(days=1)) if closed_until else first
    if starts_on is not None:
        start = max(start, starts_on)
    if start > last:
        raise GuardFailed("skp_exists", f"Tahun {year} sudah tertutup SKP sampai akhir tahun.",
                          f"The year {year} is already covered by SKPs to its end.")
    return start, last


def open_skp(session: Session, wf: Workflow, actor: Actor, employee: Employee,
              appraiser: Employee | None, *, year: int, pendekatan: str, jenis_jabatan: str,
              trigger: str, role: str, copy: Skp | None, keep_parents: bool,
              starts_on: date | None = None, payload: Mapping[str, Any] | None = None
              ) -> Skp:
    if current_skp(session, employee.id, year) is not None:
        raise GuardFailed("skp_exists",
                          f"Sudah ada SKP {year} yang berlaku; ubah SKP itu (perubahan SKP).",
                          f"There is already a current SKP for {year}; change that one "
                          "(SKP change).")
    start, end = _year_window(session, employee.id, year, starts_on)
    skp = _new_skp(session, actor, employee, appraiser, year=year, pendekatan=pendekatan,
                   jenis_jabatan=jenis_jabatan, starts_on=start, ends_on=end,
                   on=wf.clock().date())
    if copy is not None:
        _copy_content(skp, copy, keep_parents=keep_parents, keep_lineage=False)
    _flush(session)
    record_change(session, wf, skp, actor, kind="transition", trigger=trigger, role=role,
            dest=skp.status, payload={
                "year": year, "starts_on": start.isoformat(), "ends_on": end.isoformat(),
                "appraiser": skp.appraiser_identity.get("nip", ""),
                # An acting appraiser (Plt./Plh.) on the day, as she will sign.
                **({"appraiser_acting": acting}
                   if (acting := skp.appraiser_identity.get("acting")) else {}),
                "copied_from": copy.id if copy else None, **dict(payload or {})})
    return skp


def _copy_content(skp: Skp, source: Skp, *, keep_parents: bool, keep_lineage: bool) -> None:
    skp.rhk = [copy_rhk(r, keep_parent=keep_parents, keep_lineage=keep_lineage)
               for r in sorted(source.rhk, key=lambda r: r.position)]
    skp.lampiran = dict(source.lampiran or {})
    skp.data = dict(source.data or {})


def copy_from_last_year(session: Session, wf: Workflow, actor: Actor, year: int) -> Skp:
    """Create the actor's SKP for ``year`` from her newest SKP of the year before (same
    pendekatan and jenis jabatan; RHK, indicators, attachments and agency fields copied,
    parent links not).

    :raises NotFound: she has no SKP of the year before.
    (and what ``create_skp`` raises)
    """
    last = session.scalar(
        select(Skp).where(Skp.agency_id == actor.agency_id,
                          Skp.employee_id == actor.employee_id, Skp.year == year - 1,
                          Skp.status != REPLACED)
        .order_by(Skp.starts_on.desc(), Skp.id.desc()).limit(1))
    if last is None:
        raise NotFound(f"Tidak ada SKP tahun {year - 1} untuk disalin.",
                       f"There is no SKP of {year - 1} to copy.")
    return create_skp(session, wf, actor, year=year, pendekatan=last.pendekatan,
                      jenis_jabatan=last.jenis_jabatan, copy_from=last.id)


def parent_choices(session: Session, skp: Skp) -> dict[int, SkpRhk]:
    """The RHK this SKP's RHK may cascade from: those of the appraiser's current SKP of the
    year, once it is set."""
    if skp.appraiser_id is None:
        return {}
    leader = current_skp(session, skp.appraiser_id, skp.year)
    if leader is None or leader.status != SET:
        return {}
    return {r.id: r for r in leader.rhk}


def save_content(session: Session, wf: Workflow, actor: Actor, skp_id: int,
                 content: Any, expected_version: int | None) -> Skp:
    """Save (parts of) an SKP's content document (``skp_content``): the RHK with their
    indicators, the attachments and the agency fields are the employee's, while the SKP is
    editable (draft or returned); the behaviour expectations are the appraiser's (the
    leader's or an admin's for the top of the agency), until the SKP is set. Parts not sent
    stay as they are; RHK not sent are removed, except those the leader assigned (only she
    unassigns them), whose parent stays hers.

    :raises NotFound: no such SKP, another agency's, or not readable by the actor.
    :raises ConcurrentUpdate: ``expected_version`` is not the SKP's ``lock_version``.
    :raises NotPermitted: a part that is not the actor's, or the SKP is not editable now.
    :raises InvalidData: the document breaks a rule (each field named); a parent RHK that is
        not one of the appraiser's set SKP; an unknown RHK id.
    """
    skp = get_skp(session, actor, skp_id)
    _check_version(skp, expected_version)
    parsed = parse_content(content, pendekatan=skp.pendekatan)
    sent = [part for part in (*EMPLOYEE_PARTS, *APPRAISER_PARTS)
            if getattr(parsed, part) is not None]
    if not sent:
        raise InvalidData.of({"content": ("Tidak ada bagian isi SKP yang dikirim.",
                                          "No part of the SKP content was sent.")})
    employee_parts = [p for p in sent if p in EMPLOYEE_PARTS]
    if employee_parts:
        if actor.employee_id != skp.employee_id:
            raise NotPermitted("Isi SKP (RHK, indikator, lampiran) diisi oleh pegawai sendiri.",
                               "The SKP content (RHK, indicators, attachments) is the "
                               "employee's.")
        if skp.status not in EDITABLE:
            raise NotPermitted("SKP hanya dapat diubah saat draf atau dikembalikan.",
                               "The SKP can only be edited as a draft or when returned.")
    if parsed.expectations is not None:
        if not _expectation_writer(actor, skp):
            raise NotPermitted("Ekspektasi khusus pimpinan diisi oleh Pejabat Penilai Kinerja.",
                               "The behaviour expectations are written by the appraiser.")
        if skp.status not in (*EDITABLE, "diajukan"):
            raise NotPermitted("Ekspektasi hanya dapat diubah sebelum SKP ditetapkan.",
                               "The expectations can only be changed before the SKP is set.")
    before = content_of(skp)
    if parsed.rhk is not None:
        _apply_rhk(session, skp, parsed.rhk)
    if parsed.lampiran is not None:
        skp.lampiran = parsed.lampiran
    if parsed.data is not None:
        skp.data = parsed.data
    if parsed.expectations is not None:
        write_expectations(skp, parsed.expectations)
    role = "pegawai" if employee_parts else (
        "penilai" if actor.employee_id == skp.appraiser_id else
        "pegawai" if actor.employee_id == skp.employee_id else "admin")
    _flush(session)
    session.refresh(skp, ["rhk", "expectations"])
    after = content_of(skp)
    changed = sorted(part for part in sent if before.get(part) != after.get(part))
    record_change(session, wf, skp, actor, kind="data", trigger="save", role=role,
            source=skp.status, dest=skp.status, payload={"parts": changed})
    return skp


def _apply_rhk(session: Session, skp: Skp, items: list[Any]) -> None:
    """Check every RHK of the document first, then write them (nothing on a refusal)."""
    problems: dict[str, tuple[str, str]] = {}
    existing = {r.id: r for r in skp.rhk}
    choices = parent_choices(session, skp)
    rows: list[SkpRhk | None] = []
    for n, item in enumerate(items):
        at = f"rhk[{n}]"
        row = None
        if item.id is not None:
            row = existing.get(item.id)
            if row is None:
                problems[f"{at}.id"] = ("RHK ini bukan bagian dari SKP ini.",
                                        "This RHK is not part of this SKP.")
        if row is not None and row.assigned_by_id is not None:
            if item.parent_id != row.parent_id:
                problems[f"{at}.parent_id"] = (
                    "RHK dari Matriks Peran Hasil tetap mengintervensi RHK pimpinan yang "
                    "membaginya.",
                    "A result assigned from the role matrix keeps the leader's result it "
                    "came from.")
            if item.jenis != row.jenis:
                problems[f"{at}.jenis"] = ("Jenis RHK dari pimpinan tidak dapat diubah.",
                                           "The kind of an assigned result cannot change.")
        elif item.parent_id is not None and item.parent_id not in choices:
            problems[f"{at}.parent_id"] = (
                "RHK yang diintervensi harus RHK dari SKP Pejabat Penilai Kinerja yang sudah "
                "ditetapkan.",
                "The parent result must be a result of the appraiser's set SKP.")
        rows.append(row)
    listed = {row.id for row in rows if row is not None}
    for row in skp.rhk:
        if row.id not in listed and row.assigned_by_id is not None:
            problems[f"rhk.{row.id}"] = (
                "RHK dari Matriks Peran Hasil hanya dapat dilepas oleh pimpinan yang "
                "membaginya.",
                "A result assigned from the role matrix can only be withdrawn by the leader.")
    if problems:
        raise InvalidData.of(problems)
    kept: list[SkpRhk] = []
    for n, (item, found) in enumerate(zip(items, rows, strict=True)):
        row = found if found is not None else SkpRhk(assigned_by_id=None)
        row.parent_id = item.parent_id
        write_rhk(row, item, position=n)
        kept.append(row)
    skp.rhk = kept


def _facts(session: Session, skp: Skp) -> SkpFacts:
    choices = parent_choices(session, skp)
    leader = current_skp(session, skp.appraiser_id, skp.year) if skp.appraiser_id else None
    ordered = sorted(skp.rhk, key=lambda r: r.position)
    orphans = tuple(n for n, r in enumerate(ordered, start=1)
                    if r.jenis == "utama" and r.parent_id not in choices)
    bare, untargeted = missing_targets(skp)
    return SkpFacts(
        jenis_jabatan=skp.jenis_jabatan, has_appraiser=skp.appraiser_id is not None,
        appraiser_skp_status=leader.status if leader else None,
        utama_without_parent=orphans,
        utama_count=sum(1 for r in ordered if r.jenis == "utama"),
        rhk_without_indicator=bare, indicators_without_target=untargeted)


def _fire(session: Session, wf: Workflow, actor: Actor, skp: Skp, trigger: str,
          comment: str | None, roles: frozenset[str] | None = None) -> TransitionRule:
    """Fire a step of the SKP flow through the engine; write status and event."""
    flow = flow_of(session, skp)
    roles = roles if roles is not None else skp_roles(actor, skp, flow)
    if not roles:
        raise NotPermitted("Anda tidak berwenang atas SKP ini.", "You have no part in this SKP.")
    now = wf.clock()
    ctx = TransitionContext(
        actor_id=actor.employee_id, actor_roles=roles, owner_id=skp.employee_id,
        participants=_participants(skp), now=now, comment=comment, skp=_facts(session, skp))
    rule = flow_for(flow).fire(skp.status, trigger, ctx)
    source = skp.status
    acting = next((r for r in rule.by if r in roles), "")
    skp.status = rule.dest
    if rule.dest == "diajukan":
        skp.submitted_at = now
        skp.return_comment = ""
    elif rule.dest == "dikembalikan":
        skp.return_comment = (comment or "").strip()
    elif rule.dest == SET:
        skp.set_at, skp.set_by_id = now, actor.employee_id
    record_change(session, wf, skp, actor, kind="transition", trigger=rule.name, role=acting,
            source=source, dest=rule.dest, comment=(comment or "").strip())
    notify_step(session, flow, rule, Subject("skp", skp.id, skp.agency_id, skp.employee_id),
                _participants(skp), actor.employee_id, now=now, deadlines={},
                zone=flow.timezone, comment=comment or "", channels=wf.notify_channels)
    return rule


def fire_skp_transition(session: Session, wf: Workflow, actor: Actor, skp_id: int,
                        trigger: str, comment: str | None = None,
                        expected_version: int | None = None) -> Skp:
    """Take a step of the SKP flow: ``ajukan`` (the employee submits), ``kembalikan`` (the
    appraiser returns it with a required comment), ``tetapkan`` (the appraiser sets it; the
    top of the agency: the leader herself or an admin), or a step the agency added.

    Guards (``guards``): the content is complete (an utama RHK, an indicator per RHK, a
    target per indicator); each utama RHK of a JA/JF names a parent RHK of the appraiser's set
    SKP; the appraiser's SKP of the year is set; who may set or return.

    :raises NotFound: no such SKP, another agency's, or not readable by the actor.
    :raises ConcurrentUpdate: ``expected_version`` is stale, or someone else wrote first.
    :raises TransitionNotAllowed: unknown step, not possible now, or a step only perubahan /
        mutasi take.
    :raises NotPermitted: the actor plays none of the step's roles.
    :raises InvalidData: a required comment is missing.
    :raises GuardFailed: a guard refused (named in ``guard``).
    """
    skp = get_skp(session, actor, skp_id)
    _check_version(skp, expected_version)
    if trigger in INTERNAL_STEPS:
        raise TransitionNotAllowed(
            "Langkah ini dilakukan melalui perubahan SKP atau mutasi.",
            "This step is taken through an SKP change or a transfer.")
    _fire(session, wf, actor, skp, trigger, comment)
    return skp


def _reason(reason: Any, name: str = "reason") -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidData.of({name: ("Alasan wajib diisi.", "A reason is required.")})
    if len(reason.strip()) > MAX_REASON:
        raise InvalidData.of({name: (f"Alasan paling panjang {MAX_REASON} karakter.",
                                     f"The reason may be at most {MAX_REASON} characters.")})
    return reason.strip()


def change_skp(session: Session, wf: Workflow, actor: Actor, skp_id: int, reason: str,
               expected_version: int | None = None) -> Skp:
    """*Perubahan SKP*: replace a set SKP by a new version (a draft, same window, appraiser
    and content, parent links kept) with the reason; the old one becomes ``diganti`` and stays
    readable, and evaluations that read it keep reading it. RHK that cascade from the old
    version's RHK cascade from their copies too (``copied_from_id``).

    :raises InvalidData: no reason.
    :raises TransitionNotAllowed: the SKP is not set.
    :raises NotPermitted: the actor is neither the employee nor her appraiser.
    (and ``NotFound``, ``ConcurrentUpdate`` as ``fire_skp_transition``)
    """
    text = _reason(reason)
    old = get_skp(session, actor, skp_id)
    _check_version(old, expected_version)
    _fire(session, wf, actor, old, CHANGE, text)
    new = Skp(
        agency_id=old.agency_id, employee_id=old.employee_id, appraiser_id=old.appraiser_id,
        year=old.year, version=old.version + 1, previous_id=old.id, starts_on=old.starts_on,
        ends_on=old.ends_on, pendekatan=old.pendekatan, jenis_jabatan=old.jenis_jabatan,
        status=flow_of(session, old).initial,
        definition_version_id=old.definition_version_id,
        employee_identity=dict(old.employee_identity or {}),
        appraiser_identity=dict(old.appraiser_identity or {}), lampiran={}, data={},
        change_reason=text, closed_reason="", return_comment="", rhk=[],
        expectations=[])
    _copy_content(new, old, keep_parents=True, keep_lineage=True)
    write_expectations(new, {e.value: e.text for e in old.expectations})
    session.add(new)
    _flush(session)
    role = "pegawai" if actor.employee_id == old.employee_id else "penilai"
    record_change(session, wf, new, actor, kind="transition", trigger="create", role=role,
            dest=new.status, comment=text,
        payload={"previous": old.id, "version": new.version, "reason": text})
    return new


def transfer(session: Session, wf: Workflow, actor: Actor, employee_id: int, on_date: date,
             *, new_appraiser_id: int, reason: str, unit_kerja: str | None = None,
             jabatan: str | None = None, jenis_jabatan: str | None = None,
             copy_rhk: bool = False) -> Skp:
    """*Mutasi* or a change of appraiser, effective ``on_date`` (the first day with the new
    appraiser): the SKP in force that day is closed (``ditutup``, ``ends_on`` = the day
    before), the org chart follows (superior, and unit kerja / jabatan when given), and a new
    draft SKP opens from ``on_date`` to the old one's end with the new appraiser — copying
    the RHK and indicators (without parent links: the new appraiser's results differ) when
    ``copy_rhk``. Opening a period afterwards keys one evaluation on each SKP in force during
    it (``periods.open_period``).

    :raises NotPermitted: the actor is not an agency admin.
    :raises NotFound: the employee or the new appraiser is not of the agency.
    :raises InvalidData: no reason; the new appraiser is the employee, inactive, or below her
        (a loop); ``on_date`` is not after the start of the SKP in force.
    :raises GuardFailed: no SKP is in force on ``on_date`` (``skp_in_force``).
    """
    if not actor.is_admin:
        raise NotPermitted("Hanya admin instansi yang mencatat mutasi.",
                           "Only agency admins record transfers.")
    text = _reason(reason)
    employee = _employee(session, actor, employee_id)
    appraiser = _employee(session, actor, new_appraiser_id)
    problems: dict[str, tuple[str, str]] = {}
    if appraiser.id == employee.id or not appraiser.active or employee.id in superiors(
            session, appraiser.id):
        problems["new_appraiser_id"] = (
            "Pejabat Penilai baru harus pegawai aktif lain yang bukan bawahannya.",
            "The new appraiser must be another active employee who is not her subordinate.")
    if jenis_jabatan is not None:
        _choice(problems, "jenis_jabatan", jenis_jabatan, JENIS_JABATAN)
    for name, value in (("unit_kerja", unit_kerja), ("jabatan", jabatan)):
        if value is not None and (not isinstance(value, str) or len(value) > 200):
            problems[name] = ("Paling panjang 200 karakter.", "At most 200 characters.")
    if not isinstance(on_date, date):
        problems["on_date"] = ("Tanggal tidak sah.", "Invalid date.")
    if problems:
        raise InvalidData.of(problems)
    old = skp_in_force(session, employee.id, on_date)
    if old is None or old.status in ENDED:
        raise GuardFailed("skp_in_force",
                          "Pegawai ini tidak punya SKP yang berlaku pada tanggal itu.",
                          "This employee has no SKP in force on that date.")
    if on_date <= old.starts_on:
        raise InvalidData.of({"on_date": (
            "Tanggal mutasi harus sesudah awal SKP yang berlaku.",
            "The transfer date must be after the start of the SKP in force.")})
    end = old.ends_on
    # The closing event records the shortened window with the new status.
    old.ends_on, old.closed_reason = on_date - timedelta(days=1), text
    try:
        _fire(session, wf, actor, old, CLOSE, text)
    except Exception:
        session.expire(old)
        raise
    changes: dict[str, list[Any]] = {"superior_id": [employee.superior_id, appraiser.id]}
    employee.superior_id = appraiser.id
    employee.superior = appraiser
    if unit_kerja is not None and unit_kerja != employee.unit_kerja:
        changes["unit_kerja"] = [employee.unit_kerja, unit_kerja]
        employee.unit_kerja = unit_kerja
    if jabatan is not None and jabatan != employee.jabatan:
        changes["jabatan"] = [employee.jabatan, jabatan]
        employee.jabatan = jabatan
    _flush(session)
    new = _new_skp(session, actor, employee, appraiser, year=old.year,
                   pendekatan=old.pendekatan, jenis_jabatan=jenis_jabatan or old.jenis_jabatan,
                   starts_on=on_date, ends_on=end)
    if copy_rhk:
        _copy_content(new, old, keep_parents=False, keep_lineage=False)
    _flush(session)
    record_change(session, wf, new, actor, kind="transition", trigger="create", role="admin",
            dest=new.status, comment=text,
            payload={"transfer_from": old.id, "starts_on": on_date.isoformat(),
                     "ends_on": end.isoformat(), "appraiser": appraiser.nip,
                     "org_changes": changes})
    return new

