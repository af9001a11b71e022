"""Definitions, form files and YAML never crash: every mistake is a file:line problem, once."""

from __future__ import annotations

import contextlib
import copy
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from forms.library import load_form_specs
from forms.spec import FormSpecError
from workflow.errors import DefinitionError
from workflow.registry import load_definitions
from workflow.registry import parse_yaml
from workflow.registry import resolve_definitions
from workflow.yamltext import MAX_CHARS
from workflow.yamltext import MAX_DEPTH
from workflow.yamltext import YamlRefused
from workflow.yamltext import load_yaml

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = (ROOT / "definitions" / "default.yaml").read_text(encoding="utf-8")


def alias_bomb(levels: int = 9) -> str:
    """The classic "billion laughs": each level lists the previous one nine times (~3 KB)."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels + 1):
        refs = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def _problems(tmp_path: Path, files: dict[str, str]) -> list[str]:
    (tmp_path / "default.yaml").write_text(DEFAULT, encoding="utf-8")
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definitions(tmp_path)
    return [str(p) for p in caught.value.problems]


CHILD = "agency: kota-x\nversion: 1\nextends: default\n"
ACCEPT = "  - {{name: accept, from: reviewed, to: finalized, by: employee{extra}}}\n"

CASES = {
    # Merging by name would silently keep only the second 'accept'.
    "duplicate_name_under_extends": (
        CHILD + "transitions:\n" + ACCEPT.format(extra="")
        + "  - {name: accept, from: reviewed, to: finalized, by: appraiser}\n",
        ":6: nama transisi 'accept' ganda"),
    "guard_argument_list": (
        CHILD + "transitions:\n" + ACCEPT.format(extra=", guards: [{within_deadline: [a]}]"),
        ":5: guard 'within_deadline' di transisi 'accept' butuh nama tenggat"),
    "effect_argument_map": (
        CHILD + "transitions:\n" + ACCEPT.format(extra=", effects: [{start_deadline: {a: 1}}]"),
        ":5: effect 'start_deadline' di transisi 'accept' butuh nama tenggat"),
    "from_is_a_map": (
        CHILD + "transitions:\n  - {name: accept, from: {a: 1}, to: finalized, by: employee}\n",
        ":5: transisi 'accept' berangkat dari status tak dikenal"),
    "to_is_a_list": (
        CHILD + "transitions:\n  - {name: accept, from: reviewed, to: [finalized], by: employee}\n",
        ":5: transisi 'accept' menuju status tak dikenal"),
    "by_is_nested_list": (
        CHILD + "transitions:\n"
        "  - {name: accept, from: reviewed, to: finalized, by: [[employee]]}\n",
        ":5: peran tidak dikenal"),
    "name_is_a_list": (
        CHILD + "transitions:\n  - {name: [accept], from: reviewed, to: finalized, by: employee}\n",
        ":5: nama transisi '['accept']' tidak sah"),
    "initial_is_a_list": (CHILD + "initial: [draft]\n", ":4: status awal"),
    "final_is_nested": (CHILD + "final: [[finalized]]\n", ":4: status akhir"),
    "extends_is_a_list": ("agency: kota-x\nversion: 1\nextends: [default]\n",
                          ":3: extends harus nama satu definisi"),
    "version_too_large": (CHILD.replace("version: 1", "version: 99999999999999"),
                          ":2: version harus bilangan bulat"),
    "label_is_a_list": (
        CHILD + "transitions:\n" + ACCEPT.format(extra=", label: [Terima]"),
        ":5: label di transisi 'accept' harus teks"),
    "state_label_not_text": (CHILD + "labels: {draft: {id: [1]}}\n",
                             ":4: label status 'draft' harus teks"),
    "remove_not_true": (CHILD + "transitions:\n  - {name: accept, remove: yes please}\n",
                        ":5: remove di transisi 'accept' hanya boleh true"),
    "empty_file": ("", "kota-x.yaml: berkas kosong"),
    "only_a_comment": ("# nothing yet\n", "kota-x.yaml: berkas kosong"),
    "a_list": ("- agency\n- version\n", "kota-x.yaml:1: isi berkas harus berupa mapping"),
    "a_scalar": ("hello\n", "kota-x.yaml:1: isi berkas harus berupa mapping"),
    "alias": (CHILD + "name: &n Kota X\nname_en: *n\n", ":5: alias YAML (*n) tidak diizinkan"),
    "impossible_date": (CHILD + "name: 2026-02-30\n", "kota-x.yaml: YAML tidak valid"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_mistake_is_a_file_line_problem(tmp_path: Path, case: str) -> None:
    """Wrong types, empty files and names repeated under ``extends`` are named, not crashes."""
    text, expected = CASES[case]
    problems = _problems(tmp_path, {"kota-x": text})
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(str(tmp_path / "kota-x.yaml")) for p in problems), problems


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    """A definition saved in Windows-1252 is a problem of that file, not a UnicodeDecodeError."""
    (tmp_path / "default.yaml").write_text(DEFAULT, encoding="utf-8")
    (tmp_path / "kota-x.yaml").write_bytes((CHILD + "name: Pemerintah Kota Depok \xa9\n")
                                           .encode("cp1252"))
    with pytest.raises(DefinitionError) as caught:
        load_definitions(tmp_path)
    [problem] = caught.value.problems
    assert "bukan teks UTF-8" in str(problem) and "not UTF-8" in problem.in_language("en")


def test_a_parent_problem_is_reported_once(tmp_path: Path) -> None:
    """A mistake in the parent is found through each child too, but listed once."""
    broken = DEFAULT.replace("to: submitted\n", "to: limbo\n", 1)
    problems = _problems(tmp_path, {"default": broken, "kota-a": CHILD.replace("kota-x", "kota-a"),
                                    "kota-b": CHILD.replace("kota-x", "kota-b")})
    limbo = [p for p in problems if "limbo" in p]
    assert len(limbo) == 1, problems
    assert len(problems) == len(set(problems)), problems


ALTERNATIVES: tuple[Any, ...] = (["x"], {"a": 1}, 7, "teks", None, True, [["x"]], [{"a": [1]}])


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


@pytest.mark.parametrize("slug", ["default", "kota-kupang"])
def test_any_value_of_any_type_anywhere_is_a_problem_not_a_crash(slug: str) -> None:
    """Every node of a shipped definition replaced by a list, a map, a number, text, null or a
    boolean either still validates or raises ``DefinitionError`` — never anything else."""
    default = yaml.safe_load(DEFAULT)
    base = yaml.safe_load((ROOT / "definitions" / f"{slug}.yaml").read_text(encoding="utf-8"))
    for path in list(_paths(base))[1:]:
        for value in ALTERNATIVES:
            changed = copy.deepcopy(base)
            node = changed
            for step in path[:-1]:
                node = node[step]
            node[path[-1]] = value
            with contextlib.suppress(DefinitionError):
                resolve_definitions({"default": default, slug: changed})


def test_alias_bomb_is_refused_fast_with_bounded_memory() -> None:
    """A 2.9 KB billion-laughs text is refused before anything is expanded."""
    bomb = alias_bomb()
    assert len(bomb) < 3000
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(YamlRefused) as caught:
        load_yaml(bomb, "bomb.yaml")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 1.0 and peak < 5 * 1024 * 1024
    assert caught.value.problem.line == 2 and "alias YAML (*a0)" in str(caught.value)
    assert caught.value.status == 400


def test_deep_nesting_and_size_are_capped() -> None:
    """Nesting past ``MAX_DEPTH`` and text past ``MAX_CHARS`` are refused with a message."""
    deep = "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"  # the mapping is a level too
    with pytest.raises(YamlRefused, match="bersarang terlalu dalam"):
        load_yaml(deep, "deep.yaml")
    very_deep = "[" * 100_000 + "]" * 100_000  # RecursionError in the composer before
    with pytest.raises(YamlRefused, match="bersarang terlalu dalam"):
        load_yaml(very_deep, "deep.yaml")
    with pytest.raises(YamlRefused, match="terlalu panjang"):
        load_yaml("a: " + "x" * MAX_CHARS, "big.yaml")
    assert isinstance(load_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH, "ok.yaml"), list)


def test_definitions_use_the_safe_loader() -> None:
    """The definition parser (files and the browser editor) refuses the bomb with its line."""
    with pytest.raises(DefinitionError) as caught:
        parse_yaml(CHILD + alias_bomb(), "kota-x.yaml")
    [problem] = caught.value.problems
    assert problem.file == "kota-x.yaml" and problem.line == 5 and "alias" in str(problem)


def test_form_files_use_the_same_loader(tmp_path: Path) -> None:
    """A form file with an alias is a problem of that file; so is a deeply nested one."""
    (tmp_path / "bomb.yaml").write_text(alias_bomb(), encoding="utf-8")
    (tmp_path / "deep.yaml").write_text("key: deep\nfields: " + "[" * 50 + "]" * 50 + "\n",
                                        encoding="utf-8")
    with pytest.raises(FormSpecError) as caught:
        load_form_specs(tmp_path)
    problems = [str(p) for p in caught.value.problems]
    assert any(p.startswith("bomb.yaml:2: alias YAML") for p in problems), problems
    assert any(p.startswith("deep.yaml:2: YAML bersarang") for p in problems), problems


REVIEW = ("  - {{name: review, from: submitted, to: reviewed, by: {by}, form: appraiser-rating,\n"
          "     guards: [form_complete{guards}], effects: [record_rating, "
          "{{start_deadline: appeal_window}}]}}\n")
DECIDE = ("  - {{name: decide_appeal, from: [appealed, appeal_hearing], to: finalized, by: {by},\n"
          "     form: appeal-decision, guards: [form_complete{guards}], "
          "effects: [apply_appeal_decision]}}\n")
TEAM = (CHILD + "roles: {{team: 'group:tim-penilai-kinerja'}}\n"
        "states: [draft, submitted, team_review, reviewed, appealed, appeal_hearing, finalized]\n"
        "transitions:\n"
        "  - {{name: review, remove: true}}\n"
        "  - {{name: send, from: submitted, to: team_review, by: appraiser, "
        "form: appraiser-rating, effects: [record_rating]}}\n"
        "  - {{name: approve, from: team_review, to: reviewed, by: team{guards},\n"
        "     effects: [{{start_deadline: appeal_window}}]}}\n")

DUTY_CASES = {
    "employee_rates_herself": (
        CHILD + "transitions:\n" + REVIEW.format(by="[appraiser, employee]", guards=""),
        ":5: pegawai yang dinilai (peran 'employee') tidak boleh menjalankan langkah "
        "penilaian 'review'"),
    "renamed_owner_role_rates": (
        CHILD + "roles: {self: owner}\ntransitions:\n" + REVIEW.format(by="self", guards=""),
        ":6: pegawai yang dinilai (peran 'self') tidak boleh menjalankan langkah penilaian"),
    "employee_decides_her_appeal": (
        CHILD + "transitions:\n" + DECIDE.format(by="employee", guards=""),
        ":5: pegawai yang dinilai (peran 'employee') tidak boleh menjalankan langkah putusan "
        "keberatan 'decide_appeal'"),
    "appraiser_decides_the_appeal": (
        CHILD + "transitions:\n" + DECIDE.format(by="appraiser",
                                                  guards=", not_own_evaluation"),
        ":5: Pejabat Penilai Kinerja yang menilai (peran 'appraiser') tidak boleh memutus"),
    "same_level_under_another_name_decides": (
        CHILD + "roles: {boss: owner.superior}\ntransitions:\n"
        + DECIDE.format(by="boss", guards=", not_original_appraiser"),
        ":6: Pejabat Penilai Kinerja yang menilai (peran 'boss') tidak boleh memutus"),
    "group_decides_without_guards": (
        CHILD + "roles: {ppk: 'group:ppk'}\ntransitions:\n"
        + DECIDE.format(by="ppk", guards=""),
        ":7: grup 'ppk' bisa memuat pegawai yang dinilai: tambahkan guard not_own_evaluation"),
    "group_decider_may_be_the_appraiser": (
        CHILD + "roles: {ppk: 'group:ppk'}\ntransitions:\n"
        + DECIDE.format(by="ppk", guards=", not_own_evaluation"),
        ":7: penilai dan pemutus keberatan bisa orang yang sama (grup): tambahkan guard "
        "not_original_appraiser"),
    "team_review_without_own_guard": (
        TEAM.format(guards=""),
        ":9: grup 'team' bisa memuat pegawai yang dinilai: tambahkan guard not_own_evaluation "
        "pada langkah telaah tim 'approve'"),
}


@pytest.mark.parametrize("case", sorted(DUTY_CASES))
def test_separation_of_duties_is_enforced(tmp_path: Path, case: str) -> None:
    """Nobody judges their own case: such a definition is refused at the step's line."""
    text, expected = DUTY_CASES[case]
    problems = _problems(tmp_path, {"kota-x": text})
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(str(tmp_path / "kota-x.yaml")) for p in problems), problems


def test_separated_duties_are_accepted(tmp_path: Path) -> None:
    """The same shapes with the duties kept apart load (so each case above tests one rule)."""
    (tmp_path / "default.yaml").write_text(DEFAULT, encoding="utf-8")
    (tmp_path / "kota-a.yaml").write_text(
        TEAM.format(guards=", guards: [not_own_evaluation]").replace("kota-x", "kota-a"))
    (tmp_path / "kota-b.yaml").write_text(
        CHILD.replace("kota-x", "kota-b") + "roles: {ppk: 'group:ppk'}\ntransitions:\n"
        + DECIDE.format(by="[appeal_reviewer, ppk]",
                        guards=", not_own_evaluation, not_original_appraiser"))
    assert set(load_definitions(tmp_path)) == {"default", "kota-a", "kota-b"}
