"""Printed slots: every slot of the official documents is filled by a field of the shipped forms.

The table ``forms.slots.SLOTS`` says which form field fills which printed place; these tests
hold the shipped forms (national and Kota Kupang's copy) to it, and check that the loader
refuses a shipped file that renames, drops or retypes a printed field.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from forms import FieldSpec
from forms import FormSpec
from forms import parse_form_spec
from forms import validate_spec
from forms.library import load_form_specs
from forms.slots import PRINT_TARGETS
from forms.slots import SLOTS
from forms.slots import Slot
from forms.slots import slot_problems
from forms.spec import FormSpecError
from reports.layout import period_line
from reports.layout import plan_columns
from reports.layout import position_heading
from workflow.periods import MONTHS
from workflow.texts import Text

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "definitions" / "forms"
SHIPPED = [FORMS, *(p for p in sorted(FORMS.iterdir()) if p.is_dir())]


def shipped_specs() -> list[tuple[str, FormSpec]]:
    """Return every shipped form spec with the folder it comes from."""
    return [(f"{folder.name}/{key}", spec) for folder in SHIPPED
            for key, spec in load_form_specs(folder).items()]


def _field(spec: FormSpec, name: str, column: str | None) -> FieldSpec | None:
    field = next((f for f in spec.fields if f.name == name), None)
    if column is None or field is None:
        return field
    return next((c for c in field.columns if c.name == column), None)


@pytest.mark.parametrize("s", SLOTS, ids=lambda s: s.name)
def test_every_slot_maps_to_a_shipped_field_of_the_right_type(s: Slot) -> None:
    """Each printed slot is filled, in every shipped copy of its form, by a field it can print."""
    copies = [(where, spec) for where, spec in shipped_specs() if spec.key == s.form]
    assert copies, f"no shipped form {s.form!r}"
    for where, spec in copies:
        field = _field(spec, s.field, s.column)
        if field is None:
            assert not s.required, f"{where}: {s.source} missing"
            continue
        assert field.type in s.types, f"{where}: {s.source} is {field.type}"
        if s.values:
            assert {o.value for o in field.options} <= set(s.values)


def test_shipped_forms_have_no_slot_problem() -> None:
    """The publish check accepts every shipped form as it is."""
    assert {where: slot_problems(spec) for where, spec in shipped_specs()} == {
        where: [] for where, _ in shipped_specs()}


def test_the_feedback_and_expectation_slots_read_different_fields() -> None:
    """Evidence, the appraiser's feedback and the leader's expectation come from their own
    fields: the bug was evidence links printed in the feedback column."""
    source = {s.name: s.source for s in SLOTS}
    assert source["evaluasi.hasil_kerja.bukti_dukung"] == (
        "self-assessment.hasil_kerja[].bukti_dukung")
    assert source["evaluasi.hasil_kerja.umpan_balik"] == "appraiser-rating.umpan_balik"
    assert source["skp.perilaku_kerja.loyal.ekspektasi_khusus"] == "skp.ekspektasi_khusus_loyal"
    assert source["evaluasi.perilaku_kerja.loyal.umpan_balik"] == (
        "appraiser-rating.umpan_balik_loyal")
    assert source["skp.hasil_kerja"] == "skp.rencana_hasil_kerja"


def _copy_forms(tmp_path: Path) -> Path:
    target = tmp_path / "forms"
    shutil.copytree(FORMS, target, ignore=shutil.ignore_patterns("kota-*"))
    return target


def _edit(folder: Path, key: str, change: Callable[[Any], None]) -> None:
    path = folder / f"{key}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_loader_refuses_a_renamed_printed_field_naming_the_slot(tmp_path: Path) -> None:
    """A shipped file whose printed field was renamed is refused, naming file and slot."""
    folder = _copy_forms(tmp_path)

    def rename(data: Any) -> None:
        for field in data["fields"]:
            if field.get("name") == "catatan_rekomendasi":
                field["name"] = "catatan_pimpinan"
    _edit(folder, "appraiser-rating", rename)
    with pytest.raises(FormSpecError) as caught:
        load_form_specs(folder)
    (problem,) = caught.value.problems
    assert problem.startswith("appraiser-rating.yaml: Slot cetak 'evaluasi.catatan_rekomendasi'")
    assert "CATATAN/REKOMENDASI" in problem and "catatan_rekomendasi" in problem
    assert isinstance(problem, Text)
    assert "Print slot 'evaluasi.catatan_rekomendasi'" in problem.en


def test_loader_refuses_a_dropped_column_and_a_retyped_field(tmp_path: Path) -> None:
    """Dropping the evidence column and retyping the SKP approach are both refused."""
    folder = _copy_forms(tmp_path)

    def drop_evidence(data: Any) -> None:
        rows = data["fields"][0]
        rows["columns"] = [c for c in rows["columns"] if c["name"] != "bukti_dukung"]

    def retype_approach(data: Any) -> None:
        approach = data["fields"][0]
        approach.pop("options")
        approach["type"] = "text"
    _edit(folder, "self-assessment", drop_evidence)
    _edit(folder, "skp", retype_approach)
    with pytest.raises(FormSpecError) as caught:
        load_form_specs(folder)
    text = " | ".join(caught.value.problems)
    assert "self-assessment.yaml: Slot cetak 'evaluasi.hasil_kerja.bukti_dukung'" in text
    assert "skp.yaml: Slot cetak 'evaluasi.pendekatan'" in text and "bukan text" in text
    assert "skp.yaml: Slot cetak 'skp.pendekatan'" in text


def test_unknown_option_of_a_printed_choice_is_refused() -> None:
    """A kind of result the SKP cannot print (a third 'jenis') is refused with the slot."""
    spec = yaml.safe_load((FORMS / "skp.yaml").read_text(encoding="utf-8"))
    spec["fields"][1]["columns"][0]["options"].append({"value": "instruksi", "label": "Instruksi"})
    problems = slot_problems(parse_form_spec(spec))
    assert [p.split(" (")[0] for p in problems] == ["Slot cetak 'skp.hasil_kerja.jenis'"]
    assert "instruksi" in problems[0]


def test_prints_key_names_a_known_section_on_a_scalar_top_level_field() -> None:
    """``prints:`` accepts the KETERANGAN TAMBAHAN sections only, on fields that print as text."""
    base = {"key": "appeal", "title": "Keberatan", "fields": [
        {"name": "alasan", "type": "textarea", "label": "Alasan"}]}
    good = {**base, "fields": [*base["fields"], {
        "name": "nomor_sk", "type": "text", "label": "Nomor SK",
        "prints": "evaluasi.keterangan_tambahan"}]}
    assert validate_spec(good) == []
    assert parse_form_spec(good).field("nomor_sk").prints == "evaluasi.keterangan_tambahan"
    unknown = {**base, "fields": [*base["fields"], {
        "name": "x", "type": "text", "label": "X", "prints": "evaluasi.catatan"}]}
    assert any("prints 'evaluasi.catatan' tidak dikenal" in p for p in validate_spec(unknown))
    rows = {**base, "fields": [*base["fields"], {
        "name": "r", "type": "rows", "label": "R", "prints": "skp.keterangan_tambahan",
        "columns": [{"name": "c", "type": "text", "label": "C"}]}]}
    assert any("bertipe rows tidak dapat dicetak" in p for p in validate_spec(rows))
    column = {**base, "fields": [*base["fields"], {
        "name": "r", "type": "rows", "label": "R", "columns": [
            {"name": "c", "type": "text", "label": "C", "prints": "skp.keterangan_tambahan"}]}]}
    assert any("prints tidak berlaku untuk kolom rows" in p for p in validate_spec(column))
    assert set(PRINT_TARGETS) == {"evaluasi.keterangan_tambahan", "skp.keterangan_tambahan"}


@pytest.mark.parametrize(("kind", "number", "line"), [
    ("monthly", 3, "BULANAN — MARET"),
    ("monthly", 12, "BULANAN — DESEMBER"),
    ("quarterly", 1, "TRIWULAN I"),
    ("quarterly", 4, "TRIWULAN IV"),
    ("semester", 2, "SEMESTER II"),
    ("annual", 1, "AKHIR (TAHUNAN)"),
])
def test_period_line_follows_the_official_header(kind: str, number: int, line: str) -> None:
    """The PERIODE line names the month, the quarter or semester, or the final evaluation."""
    assert period_line(kind, number, MONTHS) == line


def test_plan_columns_per_position_and_approach() -> None:
    """JPT drops the leader's result and aspect and adds the perspective; the qualitative
    approach measures by 'ukuran keberhasilan' without an aspect."""
    def headings(jenis: str, pendekatan: str) -> list[str]:
        return [c.heading for c in plan_columns(jenis, pendekatan)]
    assert headings("JF", "KUANTITATIF") == [
        "RENCANA HASIL KERJA ATASAN YANG DIINTERVENSI", "RENCANA HASIL KERJA", "ASPEK",
        "INDIKATOR KINERJA INDIVIDU", "TARGET"]
    assert headings("JPT", "KUANTITATIF") == [
        "RENCANA HASIL KERJA", "INDIKATOR KINERJA INDIVIDU", "TARGET", "PERSPEKTIF"]
    assert "ASPEK" not in headings("JA", "KUALITATIF")
    assert "UKURAN KEBERHASILAN / INDIKATOR KINERJA INDIVIDU" in headings("JPT", "KUALITATIF")
    assert position_heading("JPT").endswith("PIMPINAN TINGGI DAN PIMPINAN UNIT KERJA MANDIRI")
    assert position_heading("") == position_heading("JF") == (
        "BAGI PEJABAT ADMINISTRASI DAN PEJABAT FUNGSIONAL")
