"""Build WTForms classes from a ``FormSpec`` and validate plain dicts (JSON) through them.

Web code builds ``build_form_class(spec, base=FlaskForm, role=..., state=...)`` per request
(cheap: tens of microseconds), renders it, and on POST stores ``stored_values(form)``. The
workflow engine calls ``validate_data`` on a plain dict before a transition fires.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from collections.abc import Mapping
from datetime import date
from datetime import datetime
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from wtforms import Form

from .fields import FIELD_FACTORIES
from .fields import RowsField
from .fields import is_blank_entry
from .fields import rows_field
from .rules import editable_fields
from .rules import effective_values
from .rules import hidden_names
from .spec import FieldSpec
from .spec import FormSpec

MSG_BAD_FORMAT = "Format nilai tidak valid."
MSG_BAD_ROWS = "Format baris tidak valid: harus berupa daftar objek."
MSG_BAD_DATA = "Format data tidak valid: harus berupa objek (nama field: nilai)."
FORM_ERROR_KEY = "_form"


class FormData(dict[str, list[str]]):
    """A minimal multidict (``getlist``) so that WTForms reads a plain dict as form input."""

    def getlist(self, key: str) -> list[str]:
        """Return every value sent for ``key``."""
        return list(self.get(key, []))


def build_form_class(
    spec: FormSpec,
    base: type[Form] = Form,
    *,
    role: str | None = None,
    state: str | None = None,
    lang: str = "id",
) -> type[Form]:
    """Create a form class holding the fields ``role`` may fill in ``state``.

    ``role=None`` includes every field. Rows use plain ``wtforms.Form`` sub-forms whatever
    ``base`` is, so a ``FlaskForm`` base adds one CSRF token, not one per row. ``lang="en"``
    uses ``label_en``/``help_en`` where given; messages stay Indonesian.
    """
    return _cached_form_class(
        spec, base, role, state, lang)  # type: ignore[arg-type]  # a class is hashable (mypy#11470)


@functools.lru_cache(maxsize=1024)
def _cached_form_class(
    spec: FormSpec, base: type[Form], role: str | None, state: str | None, lang: str
) -> type[Form]:
    """Build a form class once per (spec, base, role, state, lang).

    Specs are frozen (hashable) and generated classes are never modified after creation, so
    reusing them is safe; it saves rebuilding nested row forms on every request.
    """
    name = "".join(part.capitalize() for part in re.split(r"[-_]", spec.key)) + "Form"
    return _form_class(name, base, editable_fields(spec, role, state), lang)


def _form_class(
    name: str, base: type[Form], fields: Iterable[FieldSpec], lang: str
) -> type[Form]:
    """Create one (sub)form class: one setattr per field, plus the conditional-rule hooks."""
    scope = tuple(fields)

    def _pk_values(self: Form) -> dict[str, Any]:
        """Return this form's data with fields hidden by show_when read as None."""
        data = {s.name: self._fields[s.name].data for s in scope}
        return effective_values(scope, data)

    def _pk_hidden(self: Form) -> set[str]:
        """Return the names of the fields currently hidden by show_when."""
        return hidden_names(scope, {s.name: self._fields[s.name].data for s in scope})

    def validate(self: Form, extra_validators: Mapping[str, Any] | None = None) -> bool:
        """Validate as usual, then forget the errors of fields hidden by show_when."""
        ok: bool = super(cls, self).validate(extra_validators)
        hidden = self._pk_hidden()
        if hidden:
            for hidden_name in hidden:
                self._fields[hidden_name].errors = []
            ok = not any(f.errors for f in self._fields.values()) and not self.form_errors
        return ok

    cls: type[Form] = type(
        name,
        (base,),
        {
            "__doc__": "Form generated from a form spec.",
            "_pk_fields": scope,
            "_pk_values": _pk_values,
            "_pk_hidden": _pk_hidden,
            "validate": validate,
        },
    )
    for spec in scope:
        if spec.type == "rows":
            row_form = _form_class(f"{name}_{spec.name}", Form, spec.columns, lang)
            setattr(cls, spec.name, rows_field(spec, row_form, lang))
        else:
            setattr(cls, spec.name, FIELD_FACTORIES[spec.type](spec, lang))
    return cls


# --- form -> stored data -----------------------------------------------------------------


def stored_values(form: Form) -> dict[str, Any]:
    """Convert a generated form's data into the JSON shape that is stored.

    Call after ``validate()`` returned True. Fields hidden by ``show_when`` and blank rows are
    dropped; dates become ISO strings, decimals strings, empty answers None (lists stay lists).
    """
    scope: tuple[FieldSpec, ...] = form._pk_fields
    hidden: set[str] = form._pk_hidden()
    return {
        spec.name: _stored(spec, form._fields[spec.name])
        for spec in scope
        if spec.name not in hidden
    }


def _stored(spec: FieldSpec, field: Any) -> Any:
    """Convert one field's data to its stored JSON value."""
    data = field.data
    if spec.type == "rows":
        return [stored_values(entry.form) for entry in field.entries if not is_blank_entry(entry)]
    if spec.type == "multichoice":
        chosen = set(data or ())
        return [o.value for o in spec.options if o.value in chosen]
    if data is None or data == "":
        return None
    if spec.type == "date":
        return data.isoformat()
    if spec.type == "decimal":
        return format(data, "f")
    return data


def flat_errors(form: Form) -> dict[str, list[str]]:
    """Return errors keyed by input name (``hasil_kerja-0-target`` inside rows)."""
    out: dict[str, list[str]] = {}
    for field in form:
        if isinstance(field, RowsField):
            if not field.errors:
                continue
            messages = [e for e in field.errors if isinstance(e, str)]
            if messages:
                out[field.name] = messages
            for entry in field.entries:
                out.update(flat_errors(entry.form))
        elif field.errors:
            out[field.name] = [str(e) for e in field.errors]
    return out


# --- plain dict -> form input -------------------------------------------------------------


def _as_input(value: Any) -> str:
    """Render one stored or JSON value as the string a browser would send."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _to_formdata(
    fields: Iterable[FieldSpec], values: Mapping[str, Any], prefix: str = ""
) -> tuple[FormData, dict[str, list[str]]]:
    """Flatten a dict into form input (rows become ``name-i-column``); report bad shapes."""
    formdata = FormData()
    errors: dict[str, list[str]] = {}
    for spec in fields:
        key = prefix + spec.name
        value = values.get(spec.name)
        if value is None:
            continue
        if spec.type == "rows":
            if not isinstance(value, list | tuple) or not all(
                isinstance(row, Mapping) for row in value
            ):
                errors[key] = [MSG_BAD_ROWS]
                continue
            for index, row in enumerate(value):
                # The bare "name-i-" key keeps the row (and its index) even when it is empty,
                # so error keys match the caller's indices; an empty row is then ignored.
                formdata[f"{key}-{index}-"] = [""]
                sub, sub_errors = _to_formdata(spec.columns, row, f"{key}-{index}-")
                formdata.update(sub)
                errors.update(sub_errors)
        elif spec.type == "multichoice":
            items = value if isinstance(value, list | tuple) else [value]
            if any(isinstance(item, Mapping | list | tuple) for item in items):
                errors[key] = [MSG_BAD_FORMAT]
                continue
            formdata[key] = [_as_input(item) for item in items if item is not None]
        elif isinstance(value, Mapping | list | tuple | set):
            errors[key] = [MSG_BAD_FORMAT]
        else:
            formdata[key] = [_as_input(value)]
    return formdata, errors


def validate_data(
    spec: FormSpec,
    values: Mapping[str, Any],
    *,
    role: str | None = None,
    state: str | None = None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate a plain dict as if ``role`` had submitted the form in ``state``.

    Returns ``(clean, errors)``. ``errors`` is empty when the data is valid and otherwise maps
    input names (``field`` or ``rows-0-column``; ``_form`` when ``values`` is not a mapping)
    to Indonesian messages. ``clean`` holds the
    stored shape of every field ``role`` may fill (see ``stored_values``); keys the role may
    not fill, unknown keys and fields hidden by ``show_when`` are dropped. Only trust ``clean``
    when ``errors`` is empty.
    """
    form_class = build_form_class(spec, Form, role=role, state=state)
    fields: tuple[FieldSpec, ...] = form_class._pk_fields
    if not isinstance(values, Mapping):
        return {}, {FORM_ERROR_KEY: [MSG_BAD_DATA]}
    formdata, shape_errors = _to_formdata(fields, values)
    form = form_class(formdata)
    form.validate()
    errors = flat_errors(form)
    errors.update(shape_errors)
    return stored_values(form), errors


# --- stored data -> form prefill ----------------------------------------------------------


def form_values_from_stored(spec: FormSpec, stored: Mapping[str, Any]) -> dict[str, Any]:
    """Turn stored JSON into ``data=`` for a generated form (ISO strings become dates)."""
    return _prefill(spec.fields, stored)


def _prefill(fields: Iterable[FieldSpec], stored: Mapping[str, Any]) -> dict[str, Any]:
    """Convert the stored values of ``fields``; unreadable values become None."""
    out: dict[str, Any] = {}
    for spec in fields:
        if spec.name not in stored:
            continue
        value = stored[spec.name]
        if spec.type == "rows":
            rows = value if isinstance(value, list) else []
            out[spec.name] = [_prefill(spec.columns, r) for r in rows if isinstance(r, Mapping)]
        elif spec.type == "multichoice":
            out[spec.name] = (
                [] if value is None else list(value) if isinstance(value, list) else [value]
            )
        elif spec.type == "date":
            out[spec.name] = _to_date(value)
        elif spec.type == "decimal":
            out[spec.name] = _to_decimal(value)
        else:
            out[spec.name] = value
    return out


def _to_date(value: Any) -> date | None:
    """Read an ISO date string (or a date) for a DateField."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _to_decimal(value: Any) -> Decimal | None:
    """Read a stored decimal string (or number) for a DecimalField."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
