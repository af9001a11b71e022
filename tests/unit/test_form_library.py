"""Loading form spec directories, and the national default specs in definitions/forms."""

from pathlib import Path

import pytest
import yaml

from forms import FormSpec
from forms import FormSpecError
from forms import Viewer
from forms import build_form_class
from forms import load_form_specs
from forms import redact
from forms import validate_data
from forms import validate_spec
from workflow.rating import predikat

FORMS_DIR = Path(__file__).resolve().parents[2] / "definitions" / "forms"
NATIONAL_KEYS = {
    "self-assessment", "appraiser-rating", "team-opinion", "appeal", "appeal-decision", "skp",
    "appeal-hearing", "appraiser-explanation", "employee-explanation",
}


@pytest.fixture(name="specs", scope="module")
def _specs() -> dict[str, FormSpec]:
    """Load the national default specs once."""
    return load_form_specs(FORMS_DIR)


def test_national_specs_load_with_the_expected_keys(specs: dict[str, FormSpec]) -> None:
    """definitions/forms holds exactly the national form keys."""
    assert set(specs) == NATIONAL_KEYS


@pytest.mark.parametrize("path", sorted(FORMS_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_each_national_file_passes_validate_spec(path: Path) -> None:
    """Every national YAML file is a valid spec whose key is its file name."""
    mapping = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert validate_spec(mapping) == []
    assert path.stem == mapping["key"]


def test_every_national_form_builds_and_renders(specs: dict[str, FormSpec]) -> None:
    """Each national spec builds a form class that renders every field."""
    for spec in specs.values():
        form = build_form_class(spec)()
        assert all(str(field) for field in form)


def test_appraiser_rating_justification_rule(specs: dict[str, FormSpec]) -> None:
    """justifikasi is required when either rating is di_bawah, and the ratings map to predikat."""
    spec = specs["appraiser-rating"]
    good = {"rating_hasil_kerja": "sesuai", "rating_perilaku_kerja": "di_atas", "umpan_balik": "ok"}
    clean, errors = validate_data(spec, good, role="appraiser", state="submitted")
    assert errors == {}
    assert predikat(clean["rating_hasil_kerja"], clean["rating_perilaku_kerja"]).label == "Baik"
    low = {**good, "rating_perilaku_kerja": "di_bawah"}
    assert validate_data(spec, low)[1] == {"justifikasi": ["Wajib diisi."]}


def test_appraiser_private_note_hidden_from_employee(specs: dict[str, FormSpec]) -> None:
    """catatan_pribadi is visible to the appraiser only."""
    stored = {"umpan_balik": "bagus", "catatan_pribadi": "rahasia"}
    spec = specs["appraiser-rating"]
    employee = Viewer(frozenset({"employee"}), "reviewed")
    assert redact(spec, stored, employee) == {"umpan_balik": "bagus"}
    assert stored == redact(spec, stored, Viewer(frozenset({"appraiser"}), "reviewed"))


def test_team_opinion_visible_after_the_team_review(specs: dict[str, FormSpec]) -> None:
    """The team fills its opinion in team_review; the employee sees it from reviewed on."""
    spec = specs["team-opinion"]
    stored = {"pendapat_tim": "Sesuai bukti.", "rekomendasi": "setuju"}
    assert redact(spec, stored, Viewer(frozenset({"employee"}), "team_review")) == {}
    assert stored == redact(spec, stored, Viewer(frozenset({"employee"}), "reviewed"))
    assert validate_data(spec, stored, role="evaluation_team", state="team_review")[1] == {}
    assert "pendapat_tim" not in build_form_class(spec, role="employee", state="reviewed")()._fields


def test_appeal_requires_items_and_long_enough_reason(specs: dict[str, FormSpec]) -> None:
    """An appeal names at least one rating and gives a reason of 20 characters or more."""
    _, errors = validate_data(specs["appeal"], {"alasan": "terlalu pendek"})
    assert errors == {
        "butir_keberatan": ["Wajib diisi."],
        "alasan": ["Panjang teks harus antara 20 dan 8000 karakter."],
    }
    clean, errors = validate_data(
        specs["appeal"],
        {"butir_keberatan": ["rating_perilaku_kerja"], "alasan": "Bukti dukung belum dinilai."},
    )
    assert errors == {} and clean["butir_keberatan"] == ["rating_perilaku_kerja"]


def test_appeal_decision_new_ratings_only_when_amended(specs: dict[str, FormSpec]) -> None:
    """New ratings are required when the decision is diubah and dropped when dikuatkan."""
    spec = specs["appeal-decision"]
    _, errors = validate_data(spec, {"keputusan": "diubah", "pertimbangan": "p"})
    assert {"rating_hasil_kerja_baru", "rating_perilaku_kerja_baru"} == set(errors)
    clean, errors = validate_data(
        spec, {"keputusan": "dikuatkan", "pertimbangan": "p", "rating_hasil_kerja_baru": "di_atas"}
    )
    assert errors == {} and clean == {"keputusan": "dikuatkan", "pertimbangan": "p"}


def test_self_assessment_rows(specs: dict[str, FormSpec]) -> None:
    """The self-assessment needs at least one result row with its required columns."""
    spec = specs["self-assessment"]
    assert validate_data(spec, {})[1] == {"hasil_kerja": ["Wajib diisi."]}
    row = {"rencana_hasil_kerja": "r", "indikator": "i", "target": "t", "realisasi": "100%"}
    clean, errors = validate_data(spec, {"hasil_kerja": [row]})
    assert errors == {} and clean["hasil_kerja"][0]["realisasi"] == "100%"


def test_skp_has_berakhlak_expectations(specs: dict[str, FormSpec]) -> None:
    """The SKP spec carries the seven ekspektasi_khusus_* BerAKHLAK fields."""
    names = [f.name for f in specs["skp"].fields if f.group == "berakhlak"]
    assert len(names) == 7 and names[-1] == "ekspektasi_khusus_kolaboratif"
    columns = [c.name for c in specs["skp"].field("rencana_hasil_kerja").columns]
    assert columns == ["jenis", "rhk_atasan", "rencana_hasil_kerja", "aspek", "indikator", "target",
                       "perspektif"]


def write(directory: Path, name: str, text: str) -> None:
    """Write one YAML file into ``directory``."""
    (directory / name).write_text(text, encoding="utf-8")


GOOD = "key: baik\ntitle: Baik\nfields:\n  - {name: a, type: text, label: A}\n"


def test_load_reports_every_bad_file_and_returns_nothing(tmp_path: Path) -> None:
    """One broken file fails the whole load; problems name each file."""
    write(tmp_path, "baik.yaml", GOOD)
    write(tmp_path, "rusak.yaml", "key: rusak\ntitle: R\nfields:\n  - {name: data, type: text}\n")
    write(tmp_path, "salah-nama.yaml", GOOD)
    write(tmp_path, "yaml.yaml", "key: [unclosed\n")
    with pytest.raises(FormSpecError) as info:
        load_form_specs(tmp_path)
    problems = info.value.problems
    assert any(p.startswith("rusak.yaml: fields[0].name 'data' bentrok") for p in problems)
    assert any(p.startswith("rusak.yaml: fields[0].label wajib diisi") for p in problems)
    assert any("salah-nama.yaml: key 'baik' harus sama dengan nama file" in p for p in problems)
    assert any(p.startswith("yaml.yaml:2: YAML tidak valid") for p in problems), problems


def test_load_good_directory_and_missing_directory(tmp_path: Path) -> None:
    """A clean directory loads by key; a missing one raises FormSpecError."""
    write(tmp_path, "baik.yaml", GOOD)
    write(tmp_path, "abaikan.txt", "bukan yaml")
    assert list(load_form_specs(tmp_path)) == ["baik"]
    with pytest.raises(FormSpecError, match="direktori tidak ditemukan"):
        load_form_specs(tmp_path / "tidak-ada")
