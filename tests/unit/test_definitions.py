"""The definition validator: every shipped file loads; every kind of mistake is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow.engine import diagram
from workflow.errors import DefinitionError
from workflow.registry import load_definitions
from workflow.registry import validate_paths

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p.stem for p in (ROOT / "definitions").glob("*.yaml"))

BASE = """\
agency: {slug}
version: 1
roles:
  employee: owner
  appraiser: owner.superior
states: [draft, submitted, finalized]
initial: draft
final: [finalized]
transitions:
  - name: submit
    from: draft
    to: submitted
    by: employee
  - name: approve
    from: submitted
    to: finalized
    by: appraiser
"""


@pytest.mark.parametrize("slug", SHIPPED)
def test_shipped_definition_loads(slug: str) -> None:
    """Every shipped definition validates and reaches a final state."""
    definitions = load_definitions(ROOT / "definitions")
    definition = definitions[slug]
    assert definition.agency == slug
    assert set(definition.final) <= set(definition.states)
    assert "stateDiagram-v2" in diagram(definition)


def test_kupang_adds_team_step_and_keeps_national_rules() -> None:
    """Kupang inherits the national flow and inserts the independent team review."""
    kupang = load_definitions(ROOT / "definitions")["kota-kupang"]
    assert "team_review" in kupang.states
    assert kupang.transition("review") is None
    assert kupang.transition("team_review").dest == "reviewed"
    appeal = kupang.transition("appeal")
    assert appeal is not None and appeal.by == ("employee",)
    assert kupang.deadlines["appeal_window"].amount == 14
    assert kupang.roles["evaluation_team"].group == "tim-penilai-kinerja"


def test_role_labels_come_from_default_and_an_agency_overrides_them(tmp_path: Path) -> None:
    """The national role names reach every agency through extends; an agency's own wins."""
    shipped = load_definitions(ROOT / "definitions")
    for slug in SHIPPED:
        assert shipped[slug].role_label("appeal_reviewer") == "Atasan Pejabat Penilai Kinerja"
        assert shipped[slug].role_label("appeal_reviewer", "en") == "Appraiser's superior"
    assert shipped["kota-kupang"].role_label("evaluation_team") == "Tim Penilai Kinerja"
    (tmp_path / "default.yaml").write_text((ROOT / "definitions" / "default.yaml").read_text())
    (tmp_path / "kota-baru.yaml").write_text(
        "agency: kota-baru\nversion: 1\nextends: default\n"
        "role_labels:\n  appraiser: {id: Kepala Sekolah, en: School principal}\n")
    baru = load_definitions(tmp_path)["kota-baru"]
    assert baru.role_label("appraiser") == "Kepala Sekolah"
    assert baru.role_label("appraiser", "en") == "School principal"
    assert baru.role_label("employee") == "Pegawai yang Dinilai"  # the rest is inherited
    assert baru.role_label("bupati") == "bupati"  # no label: the key


def test_mataram_runs_monthly_periods() -> None:
    """Mataram's flow declares monthly periods."""
    assert "monthly" in load_definitions(ROOT / "definitions")["kota-mataram"].periods


def _problems(tmp_path: Path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    with pytest.raises(DefinitionError) as caught:
        load_definitions(tmp_path)
    return [str(p) for p in caught.value.problems]


def test_base_fixture_is_valid(tmp_path: Path) -> None:
    """The fixture used by the error cases is itself valid (so each case tests one mistake)."""
    (tmp_path / "x.yaml").write_text(BASE.format(slug="x"))
    assert load_definitions(tmp_path)["x"].states == ("draft", "submitted", "finalized")


CASES = {
    "bad_yaml": (BASE.format(slug="x") + "  - name: [unclosed\n", "YAML tidak valid"),
    "unknown_top_key": (BASE.format(slug="x") + "colour: red\n", "kunci tidak dikenal 'colour'"),
    "unknown_transition_key": (
        BASE.format(slug="x").replace("    by: appraiser\n", "    by: appraiser\n    when: x\n"),
        "kunci tidak dikenal 'when'"),
    "unknown_state_from": (BASE.format(slug="x").replace("from: submitted", "from: limbo"),
                           "status tak dikenal 'limbo'"),
    "unknown_state_to": (BASE.format(slug="x").replace("to: finalized", "to: nowhere"),
                         "menuju status tak dikenal 'nowhere'"),
    "unknown_initial": (BASE.format(slug="x").replace("initial: draft", "initial: start"),
                        "status awal 'start'"),
    "unreachable": (BASE.format(slug="x").replace("[draft, submitted, finalized]",
                                                  "[draft, submitted, finalized, orphan]"),
                    "'orphan' tidak dapat dicapai"),
    "dead_end": (BASE.format(slug="x").replace("[draft, submitted, finalized]",
                                               "[draft, submitted, finalized, stuck]")
                 + "  - name: park\n    from: draft\n    to: stuck\n    by: employee\n",
                 "'stuck' buntu"),
    "no_path_to_final": (BASE.format(slug="x").replace("    to: finalized\n", "    to: draft\n"),
                         "tidak ada jalan"),
    "out_of_final": (BASE.format(slug="x")
                     + "  - name: reopen\n    from: finalized\n    to: draft\n    by: appraiser\n",
                     "keluar dari status akhir"),
    "unknown_role": (BASE.format(slug="x").replace("by: appraiser", "by: bupati"),
                     "peran tidak dikenal 'bupati'"),
    "bad_role_resolver": (BASE.format(slug="x").replace("owner.superior", "owner.boss"),
                          "penentu peran 'owner.boss'"),
    "unknown_guard": (BASE.format(slug="x").replace("    by: appraiser\n",
                                                    "    by: appraiser\n    guards: [is_friday]\n"),
                      "guard tidak dikenal 'is_friday'"),
    "unknown_effect": (BASE.format(slug="x").replace(
        "    by: appraiser\n", "    by: appraiser\n    effects: [send_email]\n"),
        "effect tidak dikenal 'send_email'"),
    "guard_unknown_deadline": (BASE.format(slug="x").replace(
        "    by: appraiser\n", "    by: appraiser\n    guards: [{within_deadline: nope}]\n"),
        "butuh nama tenggat"),
    "duplicate_transition": (BASE.format(slug="x")
                             + "  - name: submit\n    from: draft\n    to: submitted\n"
                               "    by: employee\n", "nama transisi 'submit' ganda"),
    "bad_deadline": (BASE.format(slug="x") + "deadlines:\n  appeal_window: fortnight\n",
                     "durasi tenggat 'appeal_window' tidak terbaca"),
    "missing_key": (BASE.format(slug="x").replace("initial: draft\n", ""),
                    "kunci wajib 'initial'"),
    "agency_not_file_name": (BASE.format(slug="y"), "harus sama dengan nama berkas"),
    "duplicate_yaml_key": (BASE.format(slug="x") + "version: 2\n", "kunci ganda 'version'"),
    "bad_version": (BASE.format(slug="x").replace("version: 1", "version: satu"),
                    "version harus bilangan bulat"),
    "unknown_period": (BASE.format(slug="x") + "periods: [weekly]\n",
                       "periode tidak dikenal 'weekly'"),
    "rating_unknown_key": (BASE.format(slug="x") + "rating:\n  mode: strict\n",
                           "kunci tidak dikenal 'mode' di rating"),
    "rating_bad_distribution": (BASE.format(slug="x") + "rating:\n  distribution: strict\n",
                                "rating.distribution harus off, warn atau block"),
    "rating_bad_rounding": (BASE.format(slug="x") + "rating:\n  rounding: up\n",
                            "rating.rounding harus salah satu dari floor"),
    "rating_bad_scheme": (BASE.format(slug="x") + "rating:\n  scheme: pp-46-2011\n",
                          "rating.scheme harus permenpanrb-6-2022"),
    "form_complete_without_form": (BASE.format(slug="x").replace(
        "    by: appraiser\n", "    by: appraiser\n    guards: [form_complete]\n"),
        "butuh 'form'"),
    "role_labels_not_mapping": (BASE.format(slug="x") + "role_labels: [Penilai]\n",
                                "role_labels harus mapping"),
    "role_label_bad_shape": (BASE.format(slug="x") + "role_labels:\n  appraiser: [a, b]\n",
                             "label peran 'appraiser' harus teks atau {id, en}"),
    "role_label_bad_role_name": (BASE.format(slug="x")
                                 + "role_labels:\n  Pejabat-Penilai: {id: Penilai}\n",
                                 "nama peran 'Pejabat-Penilai' di role_labels tidak sah"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_validator_names_each_mistake(tmp_path: Path, case: str) -> None:
    """Each kind of mistake is refused with a message naming it and the file."""
    text, expected = CASES[case]
    problems = _problems(tmp_path, {"x": text})
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(str(tmp_path / "x.yaml")) for p in problems), problems


def test_problems_read_in_english_too(tmp_path: Path) -> None:
    """Every problem also reads in English: the flow editor shows the user's language."""
    (tmp_path / "x.yaml").write_text(BASE.format(slug="x") + "colour: red\n")
    with pytest.raises(DefinitionError) as caught:
        load_definitions(tmp_path)
    [problem] = caught.value.problems
    assert "kunci tidak dikenal 'colour'" in str(problem)
    assert problem.in_language("en").endswith("unknown key 'colour'")
    assert "unknown key 'colour'" in caught.value.message_en


def test_problem_carries_line_number(tmp_path: Path) -> None:
    """The problem points at the line of the offending key."""
    text = BASE.format(slug="x").replace("by: appraiser", "by: bupati")
    problems = _problems(tmp_path, {"x": text})
    line = text.splitlines().index("    by: bupati") + 1
    assert any(p.startswith(f"{tmp_path / 'x.yaml'}:{line}:") for p in problems), problems


def test_yaml_error_carries_line_number(tmp_path: Path) -> None:
    """A YAML syntax error names its line."""
    problems = _problems(tmp_path, {"x": "agency: x\nversion: [1\nroles: {}\n"})
    assert any(":3: YAML tidak valid" in p or ":2: YAML tidak valid" in p for p in problems)


def test_extends_cycle_is_refused(tmp_path: Path) -> None:
    """Two definitions extending each other are refused as a cycle."""
    problems = _problems(tmp_path, {
        "a": "agency: a\nversion: 1\nextends: b\n",
        "b": "agency: b\nversion: 1\nextends: a\n",
    })
    assert any("siklus" in p for p in problems), problems


def test_extends_unknown_parent_is_refused(tmp_path: Path) -> None:
    """Extending a definition that does not exist is refused."""
    problems = _problems(tmp_path, {"a": "agency: a\nversion: 1\nextends: ghost\n"})
    assert any("'ghost'" in p for p in problems), problems


def test_one_bad_file_loads_nothing(tmp_path: Path) -> None:
    """A valid file is not loaded when another file in the folder is invalid."""
    (tmp_path / "good.yaml").write_text(BASE.format(slug="good"))
    (tmp_path / "bad.yaml").write_text("agency: bad\n: :\n")
    with pytest.raises(DefinitionError):
        load_definitions(tmp_path)


def test_extends_overrides_by_transition_name(tmp_path: Path) -> None:
    """A child replaces a parent's transition by name, removes one, and adds its own."""
    (tmp_path / "base.yaml").write_text(BASE.format(slug="base"))
    (tmp_path / "child.yaml").write_text(
        "agency: child\nversion: 4\nextends: base\n"
        "states: [draft, submitted, checked, finalized]\n"
        "transitions:\n"
        "  - {name: approve, remove: true}\n"
        "  - {name: check, from: submitted, to: checked, by: appraiser}\n"
        "  - {name: close, from: checked, to: finalized, by: appraiser}\n"
    )
    child = load_definitions(tmp_path)["child"]
    assert [t.name for t in child.transitions] == ["submit", "check", "close"]
    assert child.version == 4


def test_validate_paths_checks_a_new_file_against_the_folder(tmp_path: Path) -> None:
    """`definitions validate FILE` resolves `extends` against the definitions folder."""
    candidate = tmp_path / "kota-baru.yaml"
    candidate.write_text("agency: kota-baru\nversion: 1\nextends: default\nperiods: [monthly]\n")
    found = validate_paths([candidate], ROOT / "definitions")
    assert found["kota-baru"].periods == ("monthly",)
