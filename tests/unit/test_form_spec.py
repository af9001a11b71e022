"""Form spec parsing, the problems validate_spec reports, and the visibility rules."""

from copy import deepcopy
from decimal import Decimal
from typing import Any

import pytest

from forms import FormSpecError
from forms import Viewer
from forms import editable_fields
from forms import parse_form_spec
from forms import redact
from forms import validate_spec
from forms import visible_names
from workflow.texts import Text

TEXT: dict[str, Any] = {"type": "text", "label": "X"}
BASE: dict[str, Any] = {
    "key": "contoh",
    "title": "Formulir Contoh",
    "fields": [
        {"name": "nilai", "type": "rating", "label": "Nilai", "required": True},
        {"name": "catatan", "type": "textarea", "label": "Catatan"},
    ],
}


def spec_with(*fields: dict[str, Any]) -> dict[str, Any]:
    """Return BASE with extra fields appended."""
    mapping = deepcopy(BASE)
    mapping["fields"].extend(deepcopy(list(fields)))
    return mapping


def test_minimal_spec_parses() -> None:
    """A valid mapping yields a FormSpec with national rating options filled in."""
    spec = parse_form_spec(BASE)
    assert spec.names == ("nilai", "catatan")
    rating = spec.field("nilai")
    assert rating.scale == "national"
    assert [o.value for o in rating.options] == ["di_atas", "sesuai", "di_bawah"]
    assert rating.option_label("di_atas") == "Di atas ekspektasi"
    assert validate_spec(BASE) == []


def test_parse_raises_with_all_problems() -> None:
    """parse_form_spec raises FormSpecError carrying every problem, not just the first."""
    bad = spec_with({"name": "data", "type": "text", "label": "X"}, {"name": "y", "type": "?"})
    with pytest.raises(FormSpecError) as info:
        parse_form_spec(bad)
    assert len(info.value.problems) == 2


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ({"name": "data", **TEXT}, "fields[2].name 'data' bentrok dengan API Form"),
        ({"name": "validate_x", "type": "text", "label": "X"}, "bentrok dengan API Form"),
        ({"name": "class", "type": "text", "label": "X"}, "bentrok dengan API Form"),
        ({"name": "Nama", "type": "text", "label": "X"}, "fields[2].name 'Nama' tidak sah"),
        ({"name": "x-y", "type": "text", "label": "X"}, "tidak sah"),
        ({"name": "x", "type": "slider", "label": "X"}, "fields[2].type 'slider' tidak dikenal"),
        ({"name": "x", **TEXT, "colour": 1}, "kunci tidak dikenal: 'colour'"),
        ({"name": "x", "type": "text", "label": "X", "min": 1}, "fields[2].min tidak berlaku"),
        ({"name": "x", "type": "text"}, "fields[2].label wajib diisi"),
        ({"name": "catatan", "type": "text", "label": "X"}, "'catatan' duplikat"),
        (
            {"name": "x", "type": "integer", "label": "X", "min": 5, "max": 1},
            "lebih besar dari max",
        ),
        ({"name": "x", "type": "integer", "label": "X", "min": 1.5}, "harus bilangan bulat"),
        ({"name": "x", **TEXT, "min_length": 9, "max_length": 2}, "max_length"),
        ({"name": "x", "type": "choice", "label": "X"}, "fields[2].options wajib untuk tipe"),
        ({"name": "x", "type": "multichoice", "label": "X", "options": []}, "tidak kosong"),
        (
            {"name": "x", "type": "choice", "label": "X",
             "options": [{"value": "a", "label": "A"}, {"value": "a", "label": "B"}]},
            "'a' duplikat",
        ),
        ({"name": "x", "type": "rows", "label": "X"}, "fields[2].columns wajib"),
        (
            {"name": "x", "type": "rows", "label": "X", "columns": [
                {"name": "y", "type": "rows", "label": "Y",
                 "columns": [{"name": "z", "type": "text", "label": "Z"}]}]},
            "fields[2].columns[0].type 'rows' tidak boleh bersarang",
        ),
        (
            {"name": "x", "type": "rows", "label": "X", "columns": [
                {"name": "y", "type": "text", "label": "Y", "visible_to": ["appraiser"]}]},
            "visible_to tidak berlaku untuk kolom rows",
        ),
        (
            {"name": "x", "type": "rows", "label": "X", "min_rows": 3, "max_rows": 2,
             "columns": [{"name": "y", "type": "text", "label": "Y"}]},
            "lebih besar dari max_rows",
        ),
        (
            {"name": "x", **TEXT, "required_when": {"field": "nanti", "in": ["a"]}},
            "fields[2].required_when.field 'nanti' tidak dikenal atau belum didefinisikan",
        ),
        (
            {"name": "x", **TEXT, "show_when": {"field": "catatan", "in": ["a"]}},
            "bertipe textarea",
        ),
        (
            {"name": "x", **TEXT, "show_when": {"field": "nilai", "in": ["baik"]}},
            "bukan pilihan 'nilai': baik",
        ),
        (
            {"name": "x", "type": "text", "label": "X", "required": True,
             "required_when": {"field": "nilai", "in": ["sesuai"]}},
            "tidak boleh dipakai bersama required: true",
        ),
        (
            {"name": "x", "type": "text", "label": "X", "visible_in_states": ["reviewed"]},
            "memerlukan editable_by",
        ),
        (
            {"name": "x", "type": "text", "label": "X", "visible_to": ["employee"],
             "editable_by": ["appraiser"]},
            "tidak ada di visible_to: appraiser",
        ),
        (
            {"name": "x", "type": "rating", "label": "X", "scale": "bintang"},
            "'bintang' tidak dikenal",
        ),
        ({"type": "berakhlak", "name_prefix": "Bad"}, "name_prefix harus huruf kecil"),
        ({"type": "berakhlak", "name_prefix": "x_", "help": "X"}, "kunci tidak dikenal: 'help'"),
    ],
)
def test_validate_spec_reports(field: dict[str, Any], message: str) -> None:
    """Each broken field produces an Indonesian message naming its path, and its English."""
    problems = validate_spec(spec_with(field))
    assert any(message in p for p in problems), problems
    # Same path, other language: the admin's form editor shows the user's language.
    assert all(isinstance(p, Text) and p.en != p and p.en.split()[0] == p.split()[0]
               for p in problems), [(p, getattr(p, "en", None)) for p in problems]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ([], "harus berupa mapping"),
        ({**BASE, "key": "Bad Key"}, "key wajib berupa huruf kecil"),
        ({**BASE, "title": None}, "title wajib diisi"),
        ({**BASE, "fields": []}, "fields wajib berupa daftar"),
        ({**BASE, "version": 3}, "Kunci tidak dikenal: 'version'"),
    ],
)
def test_validate_spec_top_level(mapping: object, message: str) -> None:
    """Top-level problems (shape, key, title, fields, unknown keys) are reported."""
    assert any(message in p for p in validate_spec(mapping)), validate_spec(mapping)


def test_condition_any_all_and_multichoice_target() -> None:
    """required_when accepts one condition, any/all lists, and multichoice targets."""
    mapping = spec_with(
        {"name": "pilih", "type": "multichoice", "label": "P",
         "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
        {"name": "x", "type": "text", "label": "X",
         "required_when": {"all": [{"field": "nilai", "in": ["di_bawah"]},
                                   {"field": "pilih", "in": ["a"]}]}},
    )
    spec = parse_form_spec(mapping)
    rule = spec.field("x").required_when
    assert rule is not None and rule.mode == "all" and rule.fields == ("nilai", "pilih")


def test_decimal_bounds_become_decimals() -> None:
    """Decimal bounds are parsed exactly (0.1 stays Decimal('0.1'))."""
    spec = parse_form_spec(
        spec_with({"name": "x", "type": "decimal", "label": "X", "min": 0.1, "max": "2.5"})
    )
    assert (Decimal("0.1"), Decimal("2.5")) == (spec.field("x").min, spec.field("x").max)


def test_berakhlak_group_expands_to_seven_textareas() -> None:
    """A berakhlak group becomes seven textareas named by prefix, guides as help text."""
    spec = parse_form_spec(
        spec_with({"type": "berakhlak", "name_prefix": "ekspektasi_khusus_", "max_length": 99})
    )
    group = [f for f in spec.fields if f.group == "berakhlak"]
    assert len(group) == 7
    assert group[0].name == "ekspektasi_khusus_berorientasi_pelayanan"
    assert {"textarea"} == {f.type for f in group}
    assert group[1].label == "Akuntabel"
    assert "3. Tidak menyalahgunakan kewenangan jabatan" in (group[1].help or "")
    assert {99} == {f.max_length for f in group}


def test_berakhlak_group_label_heads_each_value() -> None:
    """A group ``label`` (and ``label_en``) heads each value's label: the appraiser's feedback
    per value reads "Umpan balik perilaku: Loyal", not just "Loyal"."""
    spec = parse_form_spec(spec_with({"type": "berakhlak", "name_prefix": "umpan_balik_",
                                      "label": "Umpan balik perilaku",
                                      "label_en": "Behaviour feedback"}))
    loyal = spec.field("umpan_balik_loyal")
    assert (loyal.label, loyal.label_en) == ("Umpan balik perilaku: Loyal",
                                             "Behaviour feedback: Loyal")


def test_berakhlak_default_prefix_and_name_clash() -> None:
    """The default prefix is ekspektasi_, and a clash with an earlier field is reported."""
    spec = parse_form_spec(spec_with({"type": "berakhlak"}))
    assert "ekspektasi_loyal" in spec.names
    clash = spec_with({"name": "ekspektasi_loyal", **TEXT}, {"type": "berakhlak"})
    assert any("'ekspektasi_loyal' duplikat" in p for p in validate_spec(clash))


ACCESS = parse_form_spec(
    {
        "key": "akses",
        "title": "Akses",
        "fields": [
            {"name": "umum", "type": "text", "label": "Umum"},
            {"name": "pribadi", "type": "text", "label": "Pribadi", "visible_to": ["appraiser"]},
            {"name": "tim", "type": "text", "label": "Tim", "editable_by": ["team"],
             "visible_in_states": ["reviewed", "finalized"]},
        ],
    }
)


@pytest.mark.parametrize(
    ("role", "state", "expected"),
    [
        ("appraiser", "submitted", ["umum", "pribadi"]),
        ("appraiser", "reviewed", ["umum", "pribadi", "tim"]),
        ("employee", "team_review", ["umum"]),
        ("employee", "finalized", ["umum", "tim"]),
        ("team", "team_review", ["umum", "tim"]),
    ],
)
def test_visible_names(role: str, state: str, expected: list[str]) -> None:
    """visible_to limits roles, visible_in_states limits non-editors, editors always see."""
    assert visible_names(ACCESS, Viewer(frozenset({role}), state)) == set(expected)


def test_a_reader_sees_what_any_of_her_roles_sees() -> None:
    """Several roles: a field is visible when one of them may see it; auditors and admins are
    roles like any other (``visible_to: [appraiser]`` hides the field from them)."""
    assert visible_names(ACCESS, Viewer(frozenset({"appraiser", "team"}), "team_review")) == {
        "umum", "pribadi", "tim"}
    assert visible_names(ACCESS, Viewer(frozenset({"auditor", "admin"}), "finalized")) == {
        "umum", "tim"}
    assert visible_names(ACCESS, Viewer(frozenset(), "finalized")) == set()


def test_editable_fields_follow_editable_by() -> None:
    """Only listed editors may fill a field with editable_by; others fill what they see."""
    assert [f.name for f in editable_fields(ACCESS, "team", "team_review")] == ["umum", "tim"]
    assert [f.name for f in editable_fields(ACCESS, "employee", "finalized")] == ["umum"]


def test_redact_drops_invisible_and_unknown_values() -> None:
    """redact keeps only values the role may see now, and drops keys not in the spec."""
    stored = {"umum": "a", "pribadi": "b", "tim": "c", "asing": "d"}
    employee = frozenset({"employee"})
    assert redact(ACCESS, stored, Viewer(employee, "submitted")) == {"umum": "a"}
    assert redact(ACCESS, stored, Viewer(employee, "reviewed")) == {"umum": "a", "tim": "c"}
    everyone = Viewer(frozenset({"appraiser", "team"}), "reviewed")
    assert redact(ACCESS, stored, everyone) == {"umum": "a", "pribadi": "b", "tim": "c"}
