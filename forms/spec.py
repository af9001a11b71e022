"""The frozen shape of a form spec, and the vocabulary a spec is written in.

Pure data; ``parsing.py`` checks a mapping (from YAML or JSON) and builds these objects. A spec
is versionless: the database keeps published versions of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import wtforms

SCALAR_TYPES: tuple[str, ...] = (
    "text", "textarea", "integer", "decimal", "choice", "multichoice", "date", "rating",
)
FIELD_TYPES: tuple[str, ...] = (*SCALAR_TYPES, "rows")
GROUP_TYPES: tuple[str, ...] = ("berakhlak",)
CONDITION_TARGET_TYPES: tuple[str, ...] = ("choice", "multichoice", "rating")
SCALES: tuple[str, ...] = ("national",)

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
KEY_RE = re.compile(r"^[a-z][a-z0-9-]*$")
NAME_MAX = 63
# Form API names a field must not shadow (WTForms, Flask-WTF and this package's own hooks), the
# two names the web pages post beside a step's fields (``version``, ``comment``), and the
# integer parameters every request is checked for (web/inputs.py ``INT_PARAMS``): a text field of
# such a name would be refused as a malformed number.
RESERVED_NAMES: frozenset[str] = frozenset(
    {name for name in dir(wtforms.Form) if not name.startswith("_")}
    | {
        "data", "errors", "meta", "validate", "populate_obj", "process", "post_process",
        "csrf_token", "submit", "form", "form_errors", "validate_on_submit", "is_submitted",
        "hidden_tag", "recaptcha", "extra_validators", "prefix", "fields", "obj", "formdata",
        "version", "comment",
        "id", "rowid", "employee", "period", "period_id", "periode", "evaluasi", "days", "page",
        "halaman", "per_page",
    }
)
RESERVED_PREFIXES: tuple[str, ...] = ("validate_", "filter_")

DEFAULT_BERAKHLAK_PREFIX = "ekspektasi_"

class FormSpecError(ValueError):
    """A form spec (or a directory of them) has problems; ``problems`` lists them all."""

    def __init__(self, problems: Sequence[str], source: str | None = None) -> None:
        """Keep the problems and the optional source (file name) they came from."""
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        super().__init__(head + "; ".join(self.problems))


@dataclass(frozen=True, slots=True)
class Option:
    """One allowed value of a choice, multichoice or rating field."""

    value: str
    label: str
    label_en: str | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    """True when ``field`` holds one of ``values`` (for multichoice: any selected value)."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """Conditions combined with ``any`` (or) or ``all`` (and)."""

    conditions: tuple[Condition, ...]
    mode: Literal["any", "all"] = "any"

    @property
    def fields(self) -> tuple[str, ...]:
        """Return the names of the fields the rule reads."""
        return tuple(c.field for c in self.conditions)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a form; ``columns`` holds the scalar sub-fields of a ``rows`` field."""

    name: str
    type: str
    label: str
    label_en: str | None = None
    help: str | None = None
    help_en: str | None = None
    required: bool = False
    min: int | Decimal | None = None
    max: int | Decimal | None = None
    min_length: int | None = None
    max_length: int | None = None
    options: tuple[Option, ...] = ()
    scale: str | None = None
    columns: tuple[FieldSpec, ...] = ()
    min_rows: int = 0
    max_rows: int | None = None
    required_when: Rule | None = None
    show_when: Rule | None = None
    visible_to: tuple[str, ...] | None = None
    editable_by: tuple[str, ...] | None = None
    visible_in_states: tuple[str, ...] | None = None
    # Per-role form of visible_in_states: only the listed roles wait for those states.
    visible_in_states_by_role: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    group: str | None = None
    group_item: str | None = None
    # An agency's own field printed in a document section (``forms.slots.PRINT_TARGETS``).
    prints: str | None = None

    def option_label(self, value: str, lang: str = "id") -> str:
        """Return the label of one option value (the value itself when unknown)."""
        for option in self.options:
            if option.value == value:
                return (option.label_en or option.label) if lang == "en" else option.label
        return value


@dataclass(frozen=True, slots=True)
class FormSpec:
    """A whole form: its key (named by workflow transitions), title and ordered fields."""

    key: str
    title: str
    fields: tuple[FieldSpec, ...]
    title_en: str | None = None
    description: str | None = None
    description_en: str | None = None

    def field(self, name: str) -> FieldSpec:
        """Return the field called ``name``; raise KeyError when there is none."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Return the field names in form order."""
        return tuple(spec.name for spec in self.fields)
