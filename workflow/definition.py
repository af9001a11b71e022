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

PERIOD_KINDS = ("annual", "semester", "quarterly", "monthly")
SYSTEM_ROLE = "system"
# How agencies, groups and forms are named: lowercase letters, digits and dashes.
SLUG_PATTERN = r"[a-z0-9][a-z0-9-]*"
SLUG = re.compile(rf"^{SLUG_PATTERN}$")


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """Who plays a role in one evaluation: someone up the reporting line, a group, the system."""

    name: str
    resolver: str

    @property
    def group(self) -> str | None:
        """Return the group slug for ``group:<slug>`` roles."""
        return self.resolver.split(":", 1)[1] if self.resolver.startswith("group:") else None

    @property
    def hops(self) -> int | None:
        """Return how many superiors above the owner (0 = the owner) a person role is."""
        if self.resolver.startswith("owner"):
            return self.resolver.count(".superior")
        return None


@dataclass(frozen=True, slots=True)
class Deadline:
    """A named time window, e.g. the 14-day appeal window of PP 30/2019 Pasal 59."""

    name: str
    amount: int
    unit: str
    counting: str = "calendar"

    def due(self, start: datetime) -> datetime:
        """Return when the window that opens at ``start`` closes."""
        if self.unit == "hours":
            return start + timedelta(hours=self.amount)
        days = self.amount * (7 if self.unit == "weeks" else 1)
        if self.counting == "calendar":
            return start + timedelta(days=days)
        current = start
        while days:
            current += timedelta(days=1)
            if current.weekday() < 5:  # Saturday and Sunday are not working days
                days -= 1
        return current


@dataclass(frozen=True, slots=True)
class Call:
    """A guard or effect picked by name from its library, with its optional argument."""

    name: str
    arg: str | None = None


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


def canonical_json(data: Any) -> str:
    """Serialise ``data`` deterministically (sorted keys, no spaces)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


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
