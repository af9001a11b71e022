"""Map each spec field type to a WTForms field with Indonesian messages and our validators.

``FIELD_FACTORIES`` is the whitelist: a spec ``type`` that is not a key here cannot be built.
Choices are ``SelectChoice`` objects (WTForms 3.3 deprecates tuples). Requirement is checked on
raw input, so re-validating stored JSON through form data works and ``0`` counts as an answer.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from wtforms import DateField
from wtforms import DecimalField
from wtforms import FieldList
from wtforms import Form
from wtforms import FormField
from wtforms import IntegerField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms import validators as v
from wtforms import widgets
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import Field
from wtforms.fields.core import UnboundField

from .rules import rule_matches
from .spec import FieldSpec
from .spec import Rule

MSG_REQUIRED = "Wajib diisi."
MSG_RANGE = "Nilai harus antara %(min)s dan %(max)s."
MSG_MIN = "Nilai paling kecil %(min)s."
MSG_MAX = "Nilai paling besar %(max)s."
MSG_INTEGER = "Harus berupa bilangan bulat."
MSG_DECIMAL = "Harus berupa angka."
MSG_DATE = "Tanggal tidak valid (format TTTT-BB-HH)."
MSG_CHOICE = "Pilihan tidak valid."
MSG_CHOICES = "Pilihan tidak valid: '%(value)s'."
MSG_LENGTH = "Panjang teks harus antara %(min)d dan %(max)d karakter."
MSG_LENGTH_MIN = "Panjang teks paling sedikit %(min)d karakter."
MSG_LENGTH_MAX = "Panjang teks paling banyak %(max)d karakter."
MSG_ROWS_MIN = "Isi paling sedikit %(min)d baris."
MSG_ROWS_MAX = "Isi paling banyak %(max)d baris."
BLANK_CHOICE_LABEL = "— Pilih —"


def has_input(field: Field) -> bool:
    """Tell whether the request sent a non-blank value for the field."""
    return any(str(value).strip() for value in (field.raw_data or ()))


def _is_empty(value: object) -> bool:
    """Tell whether processed data means "no answer"."""
    return value is None or value == "" or value == [] or value == ()


def is_blank_entry(entry: Field) -> bool:
    """Tell whether a row (a FormField entry) has no input and no data in any column."""
    return all(not has_input(sub) and _is_empty(sub.data) for sub in entry)


def _strip(value: object) -> object:
    """Strip surrounding whitespace from text data, leaving other data alone."""
    return value.strip() if isinstance(value, str) else value


class Requirement:
    """Require input always, never, or when a rule holds; blank input stops the chain."""

    def __init__(
        self, required: bool = False, rule: Rule | None = None, *, flag: bool = True
    ) -> None:
        """Set the requirement; only unconditional ones flag the widget as required.

        ``flag=False`` keeps the HTML ``required`` attribute off (check boxes: the browser
        would demand every box).
        """
        self.required = required
        self.rule = rule
        self.field_flags: dict[str, Any] = {"required": True} if required and flag else {}

    def __call__(self, form: Form, field: Field) -> None:
        """Pass filled fields on; stop (with "Wajib diisi." when required) on blank ones."""
        if has_input(field):
            if field.process_errors:
                raise v.StopValidation()
            return
        field.errors[:] = []
        if self.required or (self.rule is not None and rule_matches(self.rule, _lookup(form))):
            raise v.StopValidation(MSG_REQUIRED)
        raise v.StopValidation()


class RowCount:
    """Check the number of non-blank rows against min/max and a conditional requirement."""

    def __init__(self, min_rows: int, max_rows: int | None, rule: Rule | None) -> None:
        """Keep the bounds; ``rule`` raises the minimum to one row while it holds."""
        self.min_rows = min_rows
        self.max_rows = max_rows
        self.rule = rule

    def __call__(self, form: Form, field: Field) -> None:
        """Raise a ValidationError naming the bound that the row count breaks."""
        count = sum(1 for entry in field.entries if not is_blank_entry(entry))
        needed = self.min_rows
        if needed == 0 and self.rule is not None and rule_matches(self.rule, _lookup(form)):
            needed = 1
        if count < needed:
            raise v.ValidationError(
                MSG_REQUIRED if count == 0 else MSG_ROWS_MIN % {"min": needed}
            )
        if self.max_rows is not None and count > self.max_rows:
            raise v.ValidationError(MSG_ROWS_MAX % {"max": self.max_rows})


def _lookup(form: Form) -> Callable[[str], Any]:
    """Return a reader of the form's effective values (hidden fields read as None)."""
    values: Mapping[str, Any] = form._pk_values()
    return values.get


class TextField(StringField):
    """Single-line text; surrounding whitespace is stripped."""


class LongTextField(TextAreaField):
    """Multi-line text; surrounding whitespace is stripped."""


class ChoiceField(SelectField):
    """Drop-down whose blank answer is left to ``Requirement`` instead of "not a valid choice"."""

    def pre_validate(self, form: Form) -> None:
        """Skip the choice check when nothing was chosen."""
        if _is_empty(self.data):
            return
        super().pre_validate(form)


class RatingField(RadioField):
    """Radio buttons for a rating; a blank answer is left to ``Requirement``."""

    def pre_validate(self, form: Form) -> None:
        """Skip the choice check when nothing was chosen."""
        if _is_empty(self.data):
            return
        super().pre_validate(form)


class MultiChoiceField(SelectMultipleField):
    """Check boxes; the data is a list of the chosen values."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def process_data(self, value: Any) -> None:
        """Accept None, one value or a list of values as initial data."""
        if value is None:
            self.data = []
        elif isinstance(value, str):
            self.data = [value]
        else:
            super().process_data(value)


class PlainDecimalField(DecimalField):
    """Decimal number; accepts a decimal comma and rejects NaN and infinity."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse ``12.5`` or ``12,5`` into a finite Decimal; blank input leaves None."""
        if not valuelist:
            return
        raw = str(valuelist[0]).strip()
        if not raw:
            self.data = None
            return
        if "," in raw and "." not in raw:
            raw = raw.replace(",", ".")
        try:
            number = Decimal(raw)
        except InvalidOperation as exc:
            self.data = None
            raise ValueError(MSG_DECIMAL) from exc
        if not number.is_finite():
            self.data = None
            raise ValueError(MSG_DECIMAL)
        self.data = number


class RowsField(FieldList):
    """Repeating rows; entirely blank rows are ignored by validation and dropped on save."""

    def validate(self, form: Form, extra_validators: Iterable[Any] = ()) -> bool:
        """Validate the non-blank rows, then run the row-count validators."""
        self.errors: list[Any] = []  # per row: its errors ({} when blank); then messages
        for entry in self.entries:
            if is_blank_entry(entry):
                self.errors.append({})
                continue
            entry.validate(form)
            self.errors.append(entry.errors)
        if not any(self.errors):
            self.errors = []
        self._run_validation_chain(form, [*self.validators, *extra_validators])
        return len(self.errors) == 0


def _label(spec: FieldSpec, lang: str) -> str:
    """Pick the label in ``lang`` (English only when the spec gives one)."""
    return (spec.label_en or spec.label) if lang == "en" else spec.label


def _help(spec: FieldSpec, lang: str) -> str:
    """Pick the help text in ``lang``."""
    return ((spec.help_en or spec.help) if lang == "en" else spec.help) or ""


def _choices(spec: FieldSpec, lang: str, *, blank: bool) -> list[SelectChoice]:
    """Build SelectChoice options, with a leading blank one for drop-downs."""
    options = [SelectChoice(o.value, spec.option_label(o.value, lang)) for o in spec.options]
    return [SelectChoice("", BLANK_CHOICE_LABEL), *options] if blank else options


def _range(spec: FieldSpec) -> list[Any]:
    """Return a NumberRange with the matching Indonesian message, if bounds are set."""
    if spec.min is None and spec.max is None:
        return []
    message = MSG_RANGE if spec.min is not None and spec.max is not None else (
        MSG_MIN if spec.min is not None else MSG_MAX
    )
    return [v.NumberRange(spec.min, spec.max, message=message)]


def _length(spec: FieldSpec) -> list[Any]:
    """Return a Length with the matching Indonesian message, if bounds are set."""
    lo, hi = spec.min_length, spec.max_length
    if lo is None and hi is None:
        return []
    if lo is not None and hi is not None:
        return [v.Length(lo, hi, message=MSG_LENGTH)]
    if lo is not None:
        return [v.Length(min=lo, message=MSG_LENGTH_MIN)]
    return [v.Length(max=hi if hi is not None else -1, message=MSG_LENGTH_MAX)]


def _common(spec: FieldSpec, lang: str) -> dict[str, Any]:
    """Return the keyword arguments every scalar field shares."""
    return {"label": _label(spec, lang), "description": _help(spec, lang)}


def _requirement(spec: FieldSpec, *, flag: bool = True) -> Requirement:
    """Return the requirement validator, always first in the chain."""
    return Requirement(spec.required, spec.required_when, flag=flag)


def _text(spec: FieldSpec, lang: str) -> UnboundField:
    """Build a single-line text field."""
    return TextField(
        validators=[_requirement(spec), *_length(spec)], filters=[_strip], **_common(spec, lang)
    )


def _textarea(spec: FieldSpec, lang: str) -> UnboundField:
    """Build a multi-line text field."""
    return LongTextField(
        validators=[_requirement(spec), *_length(spec)], filters=[_strip], **_common(spec, lang)
    )


def _integer(spec: FieldSpec, lang: str) -> UnboundField:
    """Build an integer field with optional bounds."""
    return IntegerField(
        validators=[_requirement(spec), *_range(spec)],
        invalid_value_message=MSG_INTEGER,
        **_common(spec, lang),
    )


def _decimal(spec: FieldSpec, lang: str) -> UnboundField:
    """Build a decimal field with optional bounds (no rounding for display)."""
    return PlainDecimalField(
        validators=[_requirement(spec), *_range(spec)],
        places=None,
        invalid_value_message=MSG_DECIMAL,
        **_common(spec, lang),
    )


def _date(spec: FieldSpec, lang: str) -> UnboundField:
    """Build an ISO date field (YYYY-MM-DD, the HTML date input format)."""
    return DateField(
        validators=[_requirement(spec)],
        format="%Y-%m-%d",
        invalid_value_message=MSG_DATE,
        **_common(spec, lang),
    )


def _choice(spec: FieldSpec, lang: str) -> UnboundField:
    """Build a drop-down with a blank first option."""
    return ChoiceField(
        validators=[_requirement(spec)],
        choices=_choices(spec, lang, blank=True),
        invalid_value_message=MSG_CHOICE,
        invalid_choice_message=MSG_CHOICE,
        **_common(spec, lang),
    )


def _multichoice(spec: FieldSpec, lang: str) -> UnboundField:
    """Build a group of check boxes."""
    return MultiChoiceField(
        validators=[_requirement(spec, flag=False)],
        choices=_choices(spec, lang, blank=False),
        invalid_value_message=MSG_CHOICE,
        invalid_choice_message=MSG_CHOICES,
        **_common(spec, lang),
    )


def _rating(spec: FieldSpec, lang: str) -> UnboundField:
    """Build radio buttons for a rating scale."""
    return RatingField(
        validators=[_requirement(spec)],
        choices=_choices(spec, lang, blank=False),
        invalid_value_message=MSG_CHOICE,
        invalid_choice_message=MSG_CHOICE,
        **_common(spec, lang),
    )


FIELD_FACTORIES: Mapping[str, Callable[[FieldSpec, str], UnboundField]] = {
    "text": _text,
    "textarea": _textarea,
    "integer": _integer,
    "decimal": _decimal,
    "choice": _choice,
    "multichoice": _multichoice,
    "date": _date,
    "rating": _rating,
}


def rows_field(spec: FieldSpec, row_form: type[Form], lang: str) -> UnboundField:
    """Build a repeating-rows field around a generated row form class."""
    return RowsField(
        FormField(row_form),
        label=_label(spec, lang),
        description=_help(spec, lang),
        min_entries=spec.min_rows,
        validators=[RowCount(spec.min_rows, spec.max_rows, spec.required_when)],
    )
