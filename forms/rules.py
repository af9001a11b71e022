"""Evaluate conditional rules (``show_when``, ``required_when``) and per-role access to a field.

``may_see`` is the per-role primitive; which fields a *reader* of an evaluation sees (her
roles, auditors and admins, the state) is decided in one place, ``forms.visibility``, which
every surface calls. For a ``role`` in ``state`` (``None`` means "do not filter on this";
the engine passes ``role=None`` when it validates for no particular role):

* ``editable_by`` lists the roles that may fill the field. Those roles always see it.
* ``visible_to`` lists the roles that may see the field at all (default: everyone who may see
  the form).
* ``visible_in_states`` lists the states in which the other (non-editing) roles may see it.

A role may edit a field when it is in ``editable_by``, or, when ``editable_by`` is unset, when
it may see the field. Which role fills a form at all is decided by the workflow transition.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from .spec import FieldSpec
from .spec import FormSpec
from .spec import Rule


def _as_strings(value: object) -> set[str]:
    """Return the submitted value(s) as a set of strings (empty for no value)."""
    if value is None or value == "":
        return set()
    if isinstance(value, list | tuple | set | frozenset):
        return {str(v) for v in value if v is not None and v != ""}
    return {str(value)}


def rule_matches(rule: Rule, lookup: Callable[[str], Any]) -> bool:
    """Tell whether ``rule`` holds, reading each referenced field's value with ``lookup``."""
    results = (
        bool(_as_strings(lookup(c.field)) & set(c.values)) for c in rule.conditions
    )
    return all(results) if rule.mode == "all" else any(results)


def hidden_names(fields: Iterable[FieldSpec], values: Mapping[str, Any]) -> set[str]:
    """Return the names hidden by ``show_when``; a hidden field counts as empty for later rules."""
    hidden: set[str] = set()

    def lookup(name: str) -> Any:
        """Read a value, treating fields hidden so far as empty."""
        return None if name in hidden else values.get(name)

    for spec in fields:
        if spec.show_when is not None and not rule_matches(spec.show_when, lookup):
            hidden.add(spec.name)
    return hidden


def effective_values(fields: Iterable[FieldSpec], values: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``values`` with the fields hidden by ``show_when`` set to None."""
    specs = list(fields)
    hidden = hidden_names(specs, values)
    return {s.name: (None if s.name in hidden else values.get(s.name)) for s in specs}


def may_see(field: FieldSpec, role: str | None, state: str | None) -> bool:
    """Tell whether ``role`` may see the field's value in ``state``."""
    if role is None:
        return True
    if field.editable_by is not None and role in field.editable_by:
        return True
    if field.visible_to is not None and role not in field.visible_to:
        return False
    if state is not None and field.visible_in_states_by_role is not None:
        gated = dict(field.visible_in_states_by_role)
        if role in gated and state not in gated[role]:
            return False
    return not (
        state is not None
        and field.visible_in_states is not None
        and state not in field.visible_in_states
    )


def may_edit(field: FieldSpec, role: str | None, state: str | None) -> bool:
    """Tell whether ``role`` may fill the field in ``state``."""
    if role is None:
        return True
    if field.editable_by is not None:
        return role in field.editable_by
    return may_see(field, role, state)


def editable_fields(spec: FormSpec, role: str | None, state: str | None) -> list[FieldSpec]:
    """Return the fields ``role`` may fill in ``state``, in form order."""
    return [f for f in spec.fields if may_edit(f, role, state)]
