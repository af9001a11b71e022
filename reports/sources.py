"""Read the form data that fills each printed slot, by slot name, never by field name.

``forms.slots.SLOTS`` says which field of which form fills a slot; this module reads the
evaluation's stored answers through that table, with the form version each answer was filled
on (for option labels and the agency's own ``prints:`` fields). ``PrintedData.values`` is the
only place the documents read stored answers from, and it reads them through the reader's
``forms.visibility.Visibility``: a document prints only what its reader may see on the page.
A form spec is loaded only for answers that exist (specs are cached per version), so bulk
exports pay no extra query per document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from forms.slots import PRINT_TARGETS
from forms.slots import printed_extras
from forms.slots import slot
from forms.spec import FieldSpec
from forms.spec import FormSpec
from forms.visibility import Visibility

from .snapshot import PrintedItem

# The order in which agency fields of several forms appear in a KETERANGAN TAMBAHAN section.
FORM_ORDER = ("skp", "self-assessment", "appraiser-rating", "team-opinion", "appeal",
              "appeal-decision")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def display(field: FieldSpec | None, value: Any) -> str:
    """Return a stored value as printed text: option labels for choices, ``""`` when empty."""
    if _empty(value):
        return ""
    if field is not None and field.options:
        if isinstance(value, list):
            return ", ".join(field.option_label(str(v)) for v in value)
        return field.option_label(str(value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


class PrintedData:
    """The stored form data of one evaluation, as the documents print it."""

    def __init__(self, view: Visibility) -> None:
        """Read the evaluation of ``view`` as its reader may see it."""
        self._view = view

    def values(self, form_key: str) -> dict[str, Any]:
        """Return the stored answers of one form the reader may see (empty when never saved)."""
        return self._view.values(form_key)

    def spec(self, form_key: str) -> FormSpec | None:
        """Return the spec version the form's answers were filled on (None: unknown)."""
        return self._view.spec(form_key)

    def _field(self, form_key: str, name: str, column: str | None = None) -> FieldSpec | None:
        spec = self.spec(form_key)
        field = next((f for f in spec.fields if f.name == name), None) if spec else None
        if column is None or field is None:
            return field
        return next((c for c in field.columns if c.name == column), None)

    def raw(self, name: str) -> Any:
        """Return the stored value that fills the slot ``name`` (None when absent)."""
        s = slot(name)
        return self.values(s.form).get(s.field)

    def text(self, name: str) -> str:
        """Return the printed text of the slot ``name``."""
        value = self.raw(name)
        if _empty(value):
            return ""
        s = slot(name)
        return display(self._field(s.form, s.field), value)

    def labels(self, name: str) -> tuple[str, ...]:
        """Return the option labels of a multichoice slot, in stored order."""
        value = self.raw(name)
        items = value if isinstance(value, list) else [] if _empty(value) else [value]
        if not items:
            return ()
        s = slot(name)
        field = self._field(s.form, s.field)
        return tuple(display(field, v) for v in items)

    def rows(self, name: str) -> list[Mapping[str, Any]]:
        """Return the rows of a rows slot (rows that are not objects are skipped)."""
        value = self.raw(name)
        return [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []

    def cell(self, row: Mapping[str, Any], name: str) -> str:
        """Return the printed text of the column slot ``name`` in one row."""
        s = slot(name)
        assert s.column is not None, f"{name} is not a column slot"
        value = row.get(s.column)
        return "" if _empty(value) else display(self._field(s.form, s.field, s.column), value)

    def cell_value(self, row: Mapping[str, Any], name: str) -> Any:
        """Return the stored value of the column slot ``name`` in one row."""
        column = slot(name).column
        assert column is not None, f"{name} is not a column slot"
        return row.get(column)

    def extras(self, target: str) -> tuple[PrintedItem, ...]:
        """Return the agency's own fields printed in the section ``target``, filled ones only."""
        assert target in PRINT_TARGETS, target
        data = self._view.evaluation.data or {}
        keys = [k for k in FORM_ORDER if k in data] + sorted(k for k in data
                                                             if k not in FORM_ORDER)
        items: list[PrintedItem] = []
        for key in keys:
            spec = self.spec(key)
            if spec is None:
                continue
            values = self.values(key)
            for field in printed_extras(spec, target):
                value = values.get(field.name)
                if _empty(value):
                    continue
                if field.type == "date":
                    items.append(PrintedItem(label=field.label,
                                             date=dt.date.fromisoformat(str(value))))
                else:
                    items.append(PrintedItem(label=field.label, text=display(field, value)))
        return tuple(items)
