"""Dynamic WTForms classes built from specs, and validate_data on plain dicts."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form

from forms import build_form_class
from forms import flat_errors
from forms import form_values_from_stored
from forms import parse_form_spec
from forms import stored_values
from forms import validate_data

SPEC = parse_form_spec(
    {
        "key": "uji-coba",
        "title": "Uji Coba",
        "fields": [
            {"name": "judul", "type": "text", "label": "Judul", "label_en": "Title",
             "required": True, "max_length": 10},
            {"name": "jumlah", "type": "integer", "label": "Jumlah", "required": True,
             "min": 0, "max": 10},
            {"name": "nilai", "type": "decimal", "label": "Nilai", "min": 0, "max": 100},
            {"name": "tanggal", "type": "date", "label": "Tanggal"},
            {"name": "jenis", "type": "choice", "label": "Jenis",
             "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
            {"name": "tag", "type": "multichoice", "label": "Tag",
             "options": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"},
                         {"value": "z", "label": "Z"}]},
            {"name": "rating", "type": "rating", "label": "Rating"},
            {"name": "alasan", "type": "textarea", "label": "Alasan",
             "required_when": {"field": "rating", "in": ["di_bawah"]}},
            {"name": "detail", "type": "text", "label": "Detail",
             "required": True, "show_when": {"field": "jenis", "in": ["b"]}},
            {"name": "baris", "type": "rows", "label": "Baris", "max_rows": 2,
             "required_when": {"field": "jenis", "in": ["a"]},
             "columns": [
                 {"name": "uraian", "type": "text", "label": "Uraian", "required": True},
                 {"name": "volume", "type": "integer", "label": "Volume", "min": 1},
             ]},
            {"name": "rahasia", "type": "text", "label": "Rahasia", "visible_to": ["appraiser"]},
        ],
    }
)
VALID: dict[str, Any] = {"judul": "Laporan", "jumlah": 0}


def check(values: dict[str, Any], **kwargs: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate ``VALID`` updated with ``values``."""
    return validate_data(SPEC, {**VALID, **values}, **kwargs)


def test_build_form_class_has_one_field_per_spec_field() -> None:
    """The generated class is a subclass of the base with the spec's fields in order."""
    form_class = build_form_class(SPEC)
    assert issubclass(form_class, Form)
    assert form_class.__name__ == "UjiCobaForm"
    assert list(SPEC.names) == [f.name for f in form_class()]


def test_custom_base_is_used() -> None:
    """A base such as FlaskForm is subclassed, keeping its own attributes."""

    class Base(Form):
        """Stand-in for FlaskForm."""

        marker = "base"

    form_class = build_form_class(SPEC, Base)
    assert issubclass(form_class, Base) and form_class.marker == "base"


def test_role_filter_leaves_out_fields_the_role_may_not_fill() -> None:
    """A field visible only to the appraiser is absent from the employee's form."""
    assert "rahasia" not in build_form_class(SPEC, role="employee")()._fields
    assert "rahasia" in build_form_class(SPEC, role="appraiser")()._fields


def test_english_labels_on_request() -> None:
    """lang='en' uses label_en and falls back to the Indonesian label."""
    form = build_form_class(SPEC, lang="en")()
    assert (form.judul.label.text, form.jumlah.label.text) == ("Title", "Jumlah")


def test_multidict_post_validates_and_stores() -> None:
    """A browser-style MultiDict post validates and converts to the stored JSON shape."""
    form = build_form_class(SPEC)(
        MultiDict(
            [("judul", " Laporan "), ("jumlah", "3"), ("nilai", "12,50"),
             ("tanggal", "2024-01-16"), ("jenis", "a"), ("tag", "z"), ("tag", "x"),
             ("rating", "sesuai"), ("baris-0-uraian", "Rapat"), ("baris-0-volume", "2")]
        )
    )
    assert form.validate(), form.errors
    assert stored_values(form) == {
        "judul": "Laporan", "jumlah": 3, "nilai": "12.50", "tanggal": "2024-01-16",
        "jenis": "a", "tag": ["x", "z"], "rating": "sesuai", "alasan": None,
        "baris": [{"uraian": "Rapat", "volume": 2}], "rahasia": None,
    }


def test_zero_is_an_answer_but_blank_is_not() -> None:
    """A required integer accepts 0 (InputRequired semantics) and rejects a blank value."""
    assert check({"jumlah": 0})[1] == {}
    assert check({"jumlah": ""})[1] == {"jumlah": ["Wajib diisi."]}


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"judul": "   "}, {"judul": ["Wajib diisi."]}),
        ({"judul": "x" * 11}, {"judul": ["Panjang teks paling banyak 10 karakter."]}),
        ({"jumlah": 11}, {"jumlah": ["Nilai harus antara 0 dan 10."]}),
        ({"jumlah": "tiga"}, {"jumlah": ["Harus berupa bilangan bulat."]}),
        ({"nilai": "NaN"}, {"nilai": ["Harus berupa angka."]}),
        ({"nilai": "100.5"}, {"nilai": ["Nilai harus antara 0 dan 100."]}),
        ({"tanggal": "16/01/2024"}, {"tanggal": ["Tanggal tidak valid (format TTTT-BB-HH)."]}),
        ({"jenis": "c"}, {"jenis": ["Pilihan tidak valid."]}),
        ({"tag": ["x", "q"]}, {"tag": ["Pilihan tidak valid: 'q'."]}),
        ({"rating": "baik"}, {"rating": ["Pilihan tidak valid."]}),
        ({"judul": {"a": 1}}, {"judul": ["Format nilai tidak valid."]}),
    ],
)
def test_indonesian_error_messages(values: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """Each invalid value yields exactly its Indonesian message."""
    assert errors == check(values)[1]


def test_required_when_applies_only_when_the_rule_holds() -> None:
    """alasan is required when rating is di_bawah and optional otherwise."""
    assert check({"rating": "di_bawah"})[1] == {"alasan": ["Wajib diisi."]}
    assert check({"rating": "sesuai"})[1] == {}
    assert check({"rating": "di_bawah", "alasan": "Target tidak tercapai."})[1] == {}


def test_show_when_hides_validation_and_drops_data() -> None:
    """A hidden field is neither required nor stored; once shown it is required."""
    clean, errors = check({"jenis": "a", "detail": "abaikan", "baris": [{"uraian": "u"}]})
    assert errors == {} and "detail" not in clean
    assert check({"jenis": "b"})[1] == {"detail": ["Wajib diisi."]}
    assert check({"jenis": "b", "detail": "rinci"})[0]["detail"] == "rinci"


def test_rows_are_flattened_validated_and_blank_rows_dropped() -> None:
    """Row errors are keyed name-index-column; entirely blank rows are ignored."""
    clean, errors = check({"baris": [{"uraian": "satu", "volume": 1}, {}, {"volume": 0}]})
    assert errors == {
        "baris-2-uraian": ["Wajib diisi."],
        "baris-2-volume": ["Nilai paling kecil 1."],
    }
    assert clean["baris"] == [{"uraian": "satu", "volume": 1}, {"uraian": None, "volume": 0}]


def test_rows_count_bounds_and_conditional_requirement() -> None:
    """Rows honour max_rows and become required while their rule holds."""
    three = [{"uraian": str(i)} for i in range(3)]
    assert check({"baris": three})[1] == {"baris": ["Isi paling banyak 2 baris."]}
    assert check({"jenis": "a"})[1] == {"baris": ["Wajib diisi."]}
    assert check(
        {"baris": "teks"}
    )[1]["baris"] == ["Format baris tidak valid: harus berupa daftar objek."]


def test_validate_data_clean_shape() -> None:
    """Clean values: dates ISO, decimals as strings, multichoice lists, unknown keys dropped."""
    clean, errors = check(
        {"tanggal": date(2024, 1, 2), "nilai": Decimal("1E+1"), "tag": "y", "asing": 1}
    )
    assert errors == {}
    assert (clean["tanggal"], clean["nilai"], clean["tag"]) == ("2024-01-02", "10", ["y"])
    assert "asing" not in clean


def test_validate_data_drops_fields_the_role_may_not_fill() -> None:
    """Values for fields the role may not fill are ignored, not stored."""
    clean, errors = check({"rahasia": "bocor"}, role="employee", state="submitted")
    assert errors == {} and "rahasia" not in clean


def test_flat_errors_of_a_submitted_form() -> None:
    """flat_errors keys errors by input name for a browser post."""
    form = build_form_class(SPEC)(MultiDict([("jumlah", "1"), ("baris-0-volume", "5")]))
    assert not form.validate()
    assert flat_errors(form) == {"judul": ["Wajib diisi."], "baris-0-uraian": ["Wajib diisi."]}


def test_prefill_from_stored_round_trips_and_renders() -> None:
    """Stored JSON prefills a form (ISO strings become dates) that renders without errors."""
    stored = check(
        {"tanggal": "2024-02-29", "nilai": "7.25", "tag": ["x"], "jenis": "a",
         "baris": [{"uraian": "u", "volume": 3}]}
    )[0]
    data = form_values_from_stored(SPEC, stored)
    assert date(2024, 2, 29) == data["tanggal"] and Decimal("7.25") == data["nilai"]
    form = build_form_class(SPEC)(data=data)
    html = "".join(str(field) for field in form)
    assert 'value="2024-02-29"' in html and 'value="7.25"' in html
    assert 'checked id="tag-0"' in html and 'value="u"' in html
    assert '<option value="">— Pilih —</option>' in html


def test_prefill_tolerates_bad_stored_values() -> None:
    """Unreadable stored dates and decimals become None instead of crashing the form."""
    data = form_values_from_stored(SPEC, {"tanggal": "kemarin", "nilai": "banyak", "tag": None})
    assert (data["tanggal"], data["nilai"], data["tag"]) == (None, None, [])


def test_required_checkboxes_do_not_get_the_html_required_attribute() -> None:
    """Check boxes never carry `required` (the browser would demand every box)."""
    spec = parse_form_spec(
        {"key": "k", "title": "T", "fields": [
            {"name": "tag", "type": "multichoice", "label": "Tag", "required": True,
             "options": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}]}]}
    )
    html = str(build_form_class(spec)().tag)
    assert "required" not in html
    assert validate_data(spec, {"tag": []})[1] == {"tag": ["Wajib diisi."]}


def test_validate_data_rejects_a_non_object_payload() -> None:
    """A payload that is not a mapping yields a form-level error instead of an exception."""
    clean, errors = validate_data(SPEC, ["judul"])
    assert clean == {}
    assert list(errors) == ["_form"]
