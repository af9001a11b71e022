"""Who plays each role of an evaluation about to open, and whether every step has someone.

Opening a period freezes the people of each person role (the reporting line). A role the
reporting line cannot fill (the appraiser has no superior, so nobody is *Atasan Pejabat
Penilai Kinerja*) is played by the role's ``fallback`` when the definition names one (e.g.
``group:ppk``: the one active member of that group who may take the role's steps).

An evaluation must never get stuck: ``Casting.stuck`` follows the flow with only the steps
somebody may take (a person frozen on the evaluation, an active member of a group role, or the
system, each passing the step's guards about who acts) and names the first state from which no
final state can be reached — e.g. an appeal nobody can decide — with the fix. Pure reading.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from datetime import UTC
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .context import TransitionContext
from .definition import SYSTEM_ROLE
from .definition import RoleSpec
from .definition import TransitionRule
from .definition import WorkflowDefinition
from .definition import resolver_group
from .definition import resolver_hops
from .guards import ACTOR_GUARDS
from .guards import GUARDS
from .models import Employee
from .models import Group
from .models import GroupMember
from .positions import ReportingLine
from .texts import Text

_SOMETIME = datetime(2000, 1, 1, tzinfo=UTC)  # actor guards never look at the time


def _superior(employee: Employee) -> Employee | None:
    return employee.superior


def chain_up(employee: Employee, hops: int,
             superior: Callable[[Employee], Employee | None] = _superior) -> Employee | None:
    """Return the person ``hops`` superiors above ``employee`` (0: herself), or None;
    ``superior``: who is whose superior (``positions.ReportingLine.superior``)."""
    person: Employee | None = employee
    for _ in range(hops):
        person = superior(person) if person is not None else None
    return person


def _top_of_chain(employee: Employee, hops: int,
                  superior: Callable[[Employee], Employee | None] = _superior) -> Employee:
    """Return the last person on the way up before the reporting line ends."""
    person = employee
    for _ in range(hops):
        above = superior(person)
        if above is None:
            return person
        person = above
    return person


class Casting:
    """The people of an agency's evaluations under one definition (built once per opening)."""

    def __init__(self, session: Session, definition: WorkflowDefinition, agency_id: int,
                 line: ReportingLine | None = None) -> None:
        self.definition = definition
        # Who is whose superior: the positions held on the opening day (``workflow.positions``),
        # else the org chart's superior_id.
        self.line = line
        self.superior: Callable[[Employee], Employee | None] = (
            line.superior if line is not None else _superior)
        slugs = {slug for spec in definition.roles.values()
                 for slug in (resolver_group(spec.resolver), resolver_group(spec.fallback))
                 if slug}
        self.members: dict[str, list[Employee]] = {slug: [] for slug in slugs}
        self._fine: set[tuple[object, ...]] = set()  # shapes of evaluations that can finish
        if slugs:
            rows = session.execute(
                select(Group.slug, Employee)
                .join(GroupMember, GroupMember.group_id == Group.id)
                .join(Employee, Employee.id == GroupMember.employee_id)
                .where(Group.agency_id == agency_id, Group.slug.in_(slugs), Employee.active)
                .order_by(Employee.name, Employee.id))
            for slug, member in rows:
                self.members[slug].append(member)

    # --- who plays what --------------------------------------------------------------------

    def people(self, employee: Employee,
               appraiser: Employee | None = None) -> dict[str, Employee | None]:
        """Return role → person for every person role (None where nobody can be found).

        ``appraiser``: the Pejabat Penilai of the SKP the evaluation reads (``Skp``), when it
        differs from the org chart's (an SKP closed by a mutasi): the roles above the
        employee are counted from her instead.
        """
        def up(hops: int) -> Employee | None:
            if appraiser is None or hops == 0:
                return chain_up(employee, hops, self.superior)
            return chain_up(appraiser, hops - 1, self.superior)

        out = {name: up(spec.hops) for name, spec in self.definition.roles.items()
               if spec.hops is not None}
        for name, spec in self.definition.roles.items():
            if name in out and out[name] is None and spec.fallback:
                out[name] = self._fallback(employee, spec, out)
        return out

    def _candidates(self, employee: Employee, spec: RoleSpec,
                    people: Mapping[str, Employee | None]) -> list[Employee]:
        """Return the fallback's people who may take every step of the role."""
        assert spec.fallback is not None
        participants = {n: p.id for n, p in people.items() if p is not None}
        slug = resolver_group(spec.fallback)
        hops = resolver_hops(spec.fallback)
        if slug is not None:
            found = self.members.get(slug, [])
        elif hops is not None:
            person = chain_up(employee, hops, self.superior)
            found = [person] if person is not None else []
        else:
            found = []
        rules = [r for r in self.definition.transitions if spec.name in r.by]
        return [p for p in found
                if all(_may_act(r, p.id, employee.id, participants) for r in rules)]

    def _fallback(self, employee: Employee, spec: RoleSpec,
                  people: Mapping[str, Employee | None]) -> Employee | None:
        # Exactly one person: the evaluation names its decider (the documents print and the
        # decision is signed by one official), frozen like the reporting line.
        candidates = self._candidates(employee, spec, people)
        return candidates[0] if len(candidates) == 1 else None

    def positioned(self, employee: Employee) -> bool:
        """Tell whether the employee holds a recorded position on the opening day."""
        return self.line is not None and employee.id in self.line.held

    def identity(self, person: Employee) -> dict[str, str]:
        """Return the identity frozen for a participant: acting officials carry "Plt."/"Plh."
        and the position they act in (``positions.ReportingLine.identity``)."""
        return self.line.identity(person) if self.line is not None else person.identity()

    # --- can every evaluation finish? ------------------------------------------------------

    def _takeable(self, rule: TransitionRule, employee: Employee,
                  participants: Mapping[str, int]) -> bool:
        if SYSTEM_ROLE in rule.by:
            return True
        for role in rule.by:
            spec = self.definition.roles.get(role)
            if spec is None:
                continue
            if spec.group is not None:
                if any(_may_act(rule, m.id, employee.id, participants)
                       for m in self.members.get(spec.group, [])):
                    return True
            elif role in participants and _may_act(rule, participants[role], employee.id,
                                                    participants):
                return True
        return False

    def _shape(self, employee: Employee,
               participants: Mapping[str, int]) -> tuple[object, ...] | None:
        """Return what the verdict depends on, when every group has someone from outside.

        Guards about who acts only compare the actor with the employee and the people frozen on
        the evaluation, so two evaluations with the same roles filled, the same coincidences
        among those people, and in every group someone who is none of them, get the same
        verdict. None when a group has nobody from outside (then it is worked out in full).
        """
        inside = {employee.id, *participants.values()}
        for members in self.members.values():
            if all(m.id in inside for m in members):
                return None
        ids = [employee.id, *(participants[r] for r in sorted(participants))]
        return tuple(sorted(participants)), tuple(ids.index(i) for i in ids)

    def stuck(self, employee: Employee, people: Mapping[str, Employee | None]) -> Text | None:
        """Return why ``employee``'s evaluation would get stuck (with the fix), or None."""
        participants = {n: p.id for n, p in people.items() if p is not None}
        shape = self._shape(employee, participants)
        if shape is not None and shape in self._fine:
            return None
        why = self._stuck(employee, people, participants)
        if why is None and shape is not None:
            self._fine.add(shape)
        return why

    def _stuck(self, employee: Employee, people: Mapping[str, Employee | None],
               participants: Mapping[str, int]) -> Text | None:
        definition = self.definition
        usable = [r for r in definition.transitions
                  if self._takeable(r, employee, participants)]
        reachable = _closure({definition.initial},
                             lambda s: {r.dest for r in usable if s in r.sources})
        finishing = _closure(set(definition.final),
                             lambda s: {src for r in usable if r.dest == s for src in r.sources})
        stuck = [s for s in definition.states if s in reachable and s not in finishing]
        if not stuck:
            return None
        # Name a step nobody may take out of a state it would wait in (e.g. decide_appeal
        # from appealed), rather than a state whose own steps only lead there.
        for state in stuck:
            blocked = [r for r in definition.transitions_from(state) if r not in usable]
            # The step that would have led on to the end (decide_appeal), else the first.
            blocked.sort(key=lambda r: r.dest not in finishing)
            if blocked:
                return self._why(employee, state, blocked[0], people)
        return Text(f"evaluasinya akan macet di status '{definition.label(stuck[0])}'",
                    f"the evaluation would get stuck in '{definition.label(stuck[0], 'en')}'")

    def _why(self, employee: Employee, state: str, rule: TransitionRule,
             people: Mapping[str, Employee | None]) -> Text:
        definition = self.definition
        ind = [f"evaluasinya akan macet di status '{definition.label(state)}': tidak ada yang "
               f"boleh melakukan '{rule.label}'"]
        eng = [f"the evaluation would get stuck in '{definition.label(state, 'en')}': nobody "
               f"may take '{rule.label_en}'"]
        for role in rule.by:
            spec = definition.roles.get(role)
            if spec is None:
                continue
            why = self._role_problem(employee, spec, people)
            ind.append(str(why))
            eng.append(why.en)
        return Text("; ".join(ind), "; ".join(eng))

    def _role_problem(self, employee: Employee, spec: RoleSpec,
                      people: Mapping[str, Employee | None]) -> Text:
        label = self.definition.role_label(spec.name)
        label_en = self.definition.role_label(spec.name, "en")
        if spec.group is not None:
            return Text(f"{label}: grup '{spec.group}' tidak punya anggota aktif selain pegawai "
                        f"ini dan Pejabat Penilainya. Perbaikan: tambahkan anggota ke grup "
                        f"'{spec.group}'",
                        f"{label_en}: group '{spec.group}' has no active member other than "
                        f"this employee and her appraiser. Fix: add a member to group "
                        f"'{spec.group}'")
        person = people.get(spec.name)
        if person is not None or spec.hops is None:
            name = person.name if person is not None else "-"
            return Text(f"{label} {name} tidak boleh melakukan langkah ini pada evaluasi ini. "
                        "Perbaikan: perbaiki atasan di struktur organisasi",
                        f"{label_en} {name} may not take this step on this evaluation. "
                        "Fix: correct the superiors in the org chart")
        top = _top_of_chain(employee, spec.hops, self.superior)
        ind = (f"{label} tidak dapat ditentukan: {top.name} ({top.nip}) tidak punya atasan di "
               f"struktur organisasi. Perbaikan: isi nip_atasan {top.name}")
        eng = (f"{label_en} cannot be found: {top.name} ({top.nip}) has no superior in the "
               f"org chart. Fix: fill in the nip_atasan of {top.name}")
        if spec.fallback is None:
            ind += (f", atau tetapkan 'fallback' peran {spec.name} di definisi alur (mis. "
                    "group:ppk, Pejabat Pembina Kepegawaian)")
            eng += (f", or give role {spec.name} a 'fallback' in the flow definition (e.g. "
                    "group:ppk, the civil-service appointing official)")
        elif (slug := resolver_group(spec.fallback)) is not None:
            count = len(self._candidates(employee, spec, people))
            ind += (f", atau pastikan grup '{slug}' (fallback) punya tepat satu anggota aktif "
                    f"yang boleh memutus — sekarang {count}")
            eng += (f", or make sure group '{slug}' (the fallback) has exactly one active "
                    f"member who may decide — now {count}")
        else:
            ind += f"; fallback {spec.fallback} juga tidak dapat ditentukan"
            eng += f"; the fallback {spec.fallback} cannot be found either"
        return Text(ind, eng)


def _may_act(rule: TransitionRule, actor_id: int, owner_id: int,
             participants: Mapping[str, int]) -> bool:
    """Tell whether a person passes the step's guards about who acts."""
    ctx = TransitionContext(actor_id=actor_id, actor_roles=frozenset(), owner_id=owner_id,
                            participants=participants, now=_SOMETIME)
    return all(GUARDS[call.name].check(ctx, call.arg) for call in rule.guards
               if call.name in ACTOR_GUARDS)


def _closure(start: set[str], step: Callable[[str], set[str]]) -> set[str]:
    seen = set(start)
    frontier = list(start)
    while frontier:
        for nxt in step(frontier.pop()):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return seen
