"""The agency's own SKP fields: which fields they are, where each shows, how they are checked.

An agency adds fields to the ``skp`` form with the form editor. Everything else of that form
fills a printed slot (``forms.slots.SLOTS``: pendekatan, the plan rows, the expectations, the
lampiran), which the SKP keeps in its own tables. The rule, in one place:

- **agency fields** (``agency_fields``) = the single-value fields of the agency's newest
  published ``skp`` form that fill no slot (a ``rows`` or ``multichoice`` field, or one shown
  only under a condition, is left out: ``skp.data`` holds one text, number or date per
  field);
- the **SKP page** shows all of them, and the employee edits them with the rest of her part
  (``workflow.skp_content``: ``data``) while the SKP is editable;
- the **SKP PDF** prints those that say ``prints: skp.keterangan_tambahan`` (``printed``), in
  KETERANGAN TAMBAHAN, like every document prints an agency's fields (``printed_extras``).

Values are checked with the field's own rules (``check_data``: types, options, lengths,
required) through the same WTForms machinery as every form (``validate_data``), by the SKP
page and the API's ``PUT /skp/<id>`` alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from workflow.errors import InvalidData

from .builder import validate_data
from .slots import SLOTS
from .slots import printed_extras
from .spec import FieldSpec
from .spec import FormSpec
from .store import StoredForms
from .store import spec_of

FORM_KEY = "skp"
PRINTED_IN = "skp.keterangan_tambahan"
# Types skp.data can hold (one JSON scalar per field).
SINGLE_VALUE = ("text", "textarea", "integer", "decimal", "choice", "date", "rating")
SLOT_FIELDS = frozenset(s.field for s in SLOTS if s.form == FORM_KEY)


def _slot_field(field: FieldSpec) -> bool:
    return field.name in SLOT_FIELDS or any(
        s.form == FORM_KEY and s.group and field.name.startswith(s.group) for s in SLOTS)


def agency_spec(session: Session, agency_id: int) -> FormSpec | None:
    """Return the agency's own SKP fields as a form (None: it added none)."""
    pins = StoredForms().pin_versions(session, agency_id, {FORM_KEY})
    if FORM_KEY not in pins:
        return None
    spec = spec_of(session, pins[FORM_KEY])
    fields = agency_fields(spec)
    if not fields:
        return None
    return FormSpec(key=FORM_KEY, title=spec.title, title_en=spec.title_en, fields=fields)


def agency_fields(spec: FormSpec) -> tuple[FieldSpec, ...]:
    """Return the fields of an ``skp`` form the agency added: single-value, filling no slot."""
    return tuple(f for f in spec.fields
                 if f.type in SINGLE_VALUE and f.group is None and not _slot_field(f)
                 and f.show_when is None)


def printed(spec: FormSpec | None) -> tuple[FieldSpec, ...]:
    """Return the agency fields the SKP PDF prints (``prints: skp.keterangan_tambahan``)."""
    return printed_extras(spec, PRINTED_IN) if spec is not None else ()


def check_data(session: Session, agency_id: int, data: Any) -> Any:
    """Return an SKP's ``data`` with the agency fields' values as their form rules store them
    (page and API both call this before ``save_content``); other keys pass unchanged.

    :raises InvalidData: a value breaks its field's rules (errors keyed ``data.<name>``).
    """
    spec = agency_spec(session, agency_id)
    if spec is None or not isinstance(data, Mapping):
        return data
    stored, errors = clean(spec, {f.name: data.get(f.name) for f in spec.fields})
    if errors:
        raise InvalidData(errors)
    return {**data, **stored}


def clean(spec: FormSpec, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check posted values against the fields' rules: ``(stored values, errors by
    'data.<name>')``; only trust the values when there are no errors."""
    stored, errors = validate_data(spec, values)
    return stored, {f"data.{k}": v for k, v in errors.items()}
