"""The frozen shape of a validated flow definition, and the vocabulary it is written in.

Pure data: ``validation.py`` checks a resolved mapping and builds these objects;
``registry.py`` reads the YAML files.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from typing import Any

from .localtime import DEFAULT_ZONE
from .workcalendar import WorkCalendar

PERIOD_KINDS = ("annual", "semester", "quarterly", "monthly")
SYSTEM_ROLE = "system"
# How agencies, groups and forms are named: lowercase letters, digits and dashes.
SLUG_PATTERN = r"[a-z0-9][a-z0-9-]*"
SLUG = re.compile(rf"^{SLUG_PATTERN}$")


def resolver_group(resolver: str | None) -> str | None:
    """Return the group slug of a ``group:<slug>`` resolver, else None."""
    if resolver and resolver.startswith("group:"):
        return resolver.split(":", 1)[1]
    return None


def resolver_hops(resolver: str | None) -> int | None:
    """Return how many superiors above the owner (0 = the owner) a person resolver names."""
    if resolver and resolver.startswith("owner"):
        return resolver.count(".superior")
    return None


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """Who plays a role in one evaluation: someone up the reporting line, a group, the system.

    ``fallback`` (person roles only) names who plays the role when the reporting line ends
    before reaching it, e.g. appeals go to the PPK (``group:ppk``) when the appraiser has no
    superior. It is resolved, like the reporting line, once when the evaluation opens.
    """

    name: str
    resolver: str
    fallback: str | None = None

    @property
    def group(self) -> str | None:
        """Return the group slug for ``group:<slug>`` roles."""
        return resolver_group(self.resolver)

    @property
    def hops(self) -> int | None:
        """Return how many superiors above the owner (0 = the owner) a person role is."""
        return resolver_hops(self.resolver)


@dataclass(frozen=True, slots=True)
class Deadline:
    """A named time window, e.g. the 14-day appeal window of PP 30/2019 Pasal 59."""

    name: str
    amount: int
    unit: str
    counting: str = "calendar"

    def due(self, start: datetime, calendar: WorkCalendar) -> datetime:
        """Return when the window that opens at ``start`` closes (a UTC instant).

        Days count in the agency's own time: day 0 is the local date of ``start`` and the
        window ends at 23:59:59 local time on day N — N calendar days later, or the N-th
        working day after day 0 (a week of working days is 5 of them). Hours are exact.
        """
        if self.unit == "hours":
            return start + timedelta(hours=self.amount)
        day0 = calendar.local_date(start)
        if self.counting == "working":
            end = calendar.add_working_days(
                day0, self.amount * (5 if self.unit == "weeks" else 1))
        else:
            end = day0 + timedelta(days=self.amount * (7 if self.unit == "weeks" else 1))
        return calendar.end_of_day(end)


@dataclass(frozen=True, slots=True)
class Call:
    """A guard or effect picked by name from its library, with its optional argument."""

    name: str
    arg: str | None = None


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a step's form data must say for the step to fire (``requires:`` of a transition).

    E.g. approving a rating requires the team's recommendation to be *setuju*: ``field`` must
    hold one of ``values`` (or, with ``negate``, none of them).
    """

    field: str
    values: tuple[str, ...]
    negate: bool = False

    def met(self, data: Mapping[str, Any]) -> bool:
        """Tell whether ``data`` satisfies the requirement (a missing value never does)."""
        value = data.get(self.field)
        if value is None or value == "":
            return False
        inside = str(value) in self.values
        return not inside if self.negate else inside


@dataclass(frozen=True, slots=True)
class TransitionRule:
    """One named step of the flow."""

    name: str
    sources: tuple[str, ...]
    dest: str
    by: tuple[str, ...]
    form: str | None = None
    guards: tuple[Call, ...] = ()
    effects: tuple[Call, ...] = ()
    comment: str = "optional"
    label: str = ""
    label_en: str = ""
    # What the step's form data must agree with (checked when it fires, never for buttons).
    requires: tuple[Requirement, ...] = ()
    # The deadline by which someone should take this step (the appeal decision): it never
    # refuses the step, it puts the evaluation on the overdue list once it has passed.
    due: str | None = None
    # Who is told when the step is taken (``workflow.notifications``): roles of the flow; the
    # one who took the step is never told of her own step.
    notify: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WorkflowDefinition:
    """A validated, resolved flow definition of one agency at one version."""

    agency: str
    name: str
    version: int
    periods: tuple[str, ...]
    roles: Mapping[str, RoleSpec]
    states: tuple[str, ...]
    initial: str
    final: tuple[str, ...]
    deadlines: Mapping[str, Deadline]
    transitions: tuple[TransitionRule, ...]
    state_labels: Mapping[str, tuple[str, str]]
    role_labels: Mapping[str, tuple[str, str]]
    rating: Mapping[str, Any]
    content_hash: str
    source: Mapping[str, Any] = field(repr=False)
    timezone: str = DEFAULT_ZONE  # IANA name, one of ``localtime.ZONES``
    # The agency's own SKP flow (its ``skp:`` section), or None: the national one
    # (``skp_flow.skp_flow_of``).
    skp: WorkflowDefinition | None = field(default=None, repr=False)

    def transition(self, name: str) -> TransitionRule | None:
        """Return the transition called ``name``, or None."""
        for rule in self.transitions:
            if rule.name == name:
                return rule
        return None

    def transitions_from(self, state: str) -> list[TransitionRule]:
        """Return the transitions that may leave ``state``, in definition order."""
        return [rule for rule in self.transitions if state in rule.sources]

    def forms(self) -> set[str]:
        """Return the form keys the transitions of this flow use."""
        return {rule.form for rule in self.transitions if rule.form}

    def label(self, state: str, lang: str = "id") -> str:
        """Return the human label of a state in Indonesian (``id``) or English (``en``)."""
        labels = self.state_labels.get(state) or (state, state)
        return labels[1] if lang == "en" else labels[0]

    def role_label(self, role: str, lang: str = "id") -> str:
        """Return the official name of a role (``role_labels``) in Indonesian or English.

        The one place pages, PDFs and the API name a role; a role without a label (or a
        version published before ``role_labels`` existed) shows its key.
        """
        labels = self.role_labels.get(role) or (role, role)
        return labels[1] if lang == "en" else labels[0]


# Built once: ``json.dumps`` with these options would build an encoder on every call, which
# costs more than encoding a small value (the history hashes millions of them).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                              default=str)


def canonical_json(data: Any) -> str:
    """Serialise ``data`` deterministically (sorted keys, no spaces)."""
    return _CANONICAL.encode(data)


def content_hash(mapping: Mapping[str, Any]) -> str:
    """Return the SHA-256 of a resolved definition, the identity of a stored version."""
    return hashlib.sha256(canonical_json(plain(mapping)).encode()).hexdigest()


def plain(value: Any) -> Any:
    """Convert loader mappings/lists (which carry line numbers) to plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
