"""Who is acting, and which roles they play on one evaluation.

Person roles come from the reporting line snapshotted when the evaluation opened (later
re-organisations do not change who may act); group roles from current group membership.
"""

from __future__ import annotations

from dataclasses import dataclass

from .definition import SYSTEM_ROLE
from .definition import WorkflowDefinition
from .models import Employee
from .snapshot import EvaluationLike

# A holder replaced by ``reassignment`` stays a participant as ``<role>~<employee id>``: she
# reads the evaluation (as the role she held) and never acts (no step names such a role).
FORMER_MARK = "~"


def former_role(role: str, employee_id: int) -> str:
    """Return the participant role under which a replaced holder keeps read access."""
    return f"{role}{FORMER_MARK}{employee_id}"


def base_role(name: str) -> str:
    """Return the flow role a participant role stands for (``appraiser~7`` → ``appraiser``)."""
    return name.split(FORMER_MARK, 1)[0]


def is_former(name: str) -> bool:
    """Tell whether a participant role is a replaced holder's (read-only) role."""
    return FORMER_MARK in name


@dataclass(frozen=True, slots=True)
class Actor:
    """A logged-in employee (or the system, with ``employee_id=None``) in one agency."""

    employee_id: int | None
    nip: str
    name: str
    agency_id: int
    groups: frozenset[str] = frozenset()

    @property
    def is_system(self) -> bool:
        """Return whether this is the scheduler/CLI rather than a person."""
        return self.employee_id is None

    @property
    def is_admin(self) -> bool:
        """Return whether the actor administers the agency (group ``admin``)."""
        return "admin" in self.groups

    @property
    def is_auditor(self) -> bool:
        """Return whether the actor may read the agency's whole history (group ``inspektorat``)."""
        return "inspektorat" in self.groups or "auditor" in self.groups

    @classmethod
    def of(cls, employee: Employee) -> Actor:
        """Build the actor for a logged-in employee."""
        return cls(employee.id, employee.nip, employee.name, employee.agency_id,
                   frozenset(g.slug for g in employee.groups))

    @classmethod
    def system(cls, agency_id: int) -> Actor:
        """Build the system actor of an agency (deadline runs, imports)."""
        return cls(None, "", "Sistem", agency_id)


def roles_of(
    actor: Actor, evaluation: EvaluationLike, definition: WorkflowDefinition
) -> frozenset[str]:
    """Return the roles ``actor`` plays on ``evaluation`` under its pinned definition."""
    if actor.agency_id != evaluation.agency_id:
        return frozenset()
    if actor.is_system:
        return frozenset({SYSTEM_ROLE})
    roles = {role for role, employee_id in evaluation.participant_ids().items()
             if employee_id == actor.employee_id}
    for name, spec in definition.roles.items():
        if spec.group and spec.group in actor.groups:
            roles.add(name)
    return frozenset(roles)


def may_read(actor: Actor, roles: frozenset[str]) -> bool:
    """Tell whether an actor who plays ``roles`` on an evaluation of her agency may read it.

    Its participants and group roles may, and so may the agency's auditors and admins; for
    everybody else it does not exist (404 on the page, the API and the documents alike).
    Which of its fields each reader sees is ``forms.visibility``'s answer.
    """
    return bool(roles) or actor.is_auditor or actor.is_admin
