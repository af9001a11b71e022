"""The definition keys of issue 11 items 3-4: a role's ``fallback``, ``requires``, ``due``.

Each is read into the frozen definition, refused with file and line when malformed, and
``requires`` is judged by the engine when a step fires (a field error), never for buttons.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from workflow.context import TransitionContext
from workflow.engine import compile_flow
from workflow.errors import DefinitionError
from workflow.errors import InvalidData
from workflow.guards import independent
from workflow.registry import load_definitions
from workflow.validation import parse_definition

ROOT = Path(__file__).resolve().parents[2]

BASE = """\
agency: x
version: 1
roles:
  employee: owner
  appraiser: owner.superior
  reviewer: {ROLE}
states: [draft, submitted, finalized]
initial: draft
final: [finalized]
deadlines:
  decide: 5 days
transitions:
  - name: submit
    from: draft
    to: submitted
    by: employee
    form: f
  - name: approve
    from: submitted
    to: finalized
    by: reviewer
    form: f
{EXTRA}
"""


def load(tmp_path: Path, role: str = "owner.superior.superior", extra: str = "") -> object:
    (tmp_path / "x.yaml").write_text(BASE.replace("{ROLE}", role).replace("{EXTRA}", extra))
    return load_definitions(tmp_path)["x"]


def problems(tmp_path: Path, role: str = "owner.superior.superior", extra: str = "") -> str:
    with pytest.raises(DefinitionError) as caught:
        load(tmp_path, role, extra)
    return "\n".join(f"{p.file}:{p.line} {p.message}" for p in caught.value.problems)


def test_the_shipped_default_sends_appeals_to_the_ppk_and_sets_a_decision_deadline() -> None:
    definitions = load_definitions(ROOT / "definitions")
    for definition in definitions.values():
        role = definition.roles["appeal_reviewer"]
        assert (role.resolver, role.fallback) == ("owner.superior.superior", "group:ppk")
        decide = definition.transition("decide_appeal")
        assert decide is not None and decide.due == "appeal_decision"
        assert definition.deadlines["appeal_decision"].counting == "working"
        assert {"ask_explanations", "explain_appraiser", "explain_employee"} <= {
            r.name for r in definition.transitions}
    kupang = definitions["kota-kupang"]
    for name, value in (("team_review", "setuju"), ("team_return", "tinjau_ulang")):
        rule = kupang.transition(name)
        assert rule is not None and rule.form == "team-opinion"
        assert [(r.field, r.values, r.negate) for r in rule.requires] == [
            ("rekomendasi", (value,), False)]
        assert "independent" in {g.name for g in rule.guards}


def test_fallback_requires_and_due_are_read(tmp_path: Path) -> None:
    definition = load(tmp_path, "{resolver: owner.superior.superior, fallback: group:ppk}",
                      "    due: decide\n    requires: {field: ok, not_in: [tidak]}\n")
    assert definition.roles["reviewer"].fallback == "group:ppk"
    rule = definition.transition("approve")
    assert rule.due == "decide" and rule.requires[0].negate


@pytest.mark.parametrize(("role", "extra", "expected"), [
    ("{resolver: owner.superior.superior, fallback: owner}", "", "tidak boleh pegawai"),
    ("{resolver: group:tim, fallback: group:ppk}", "", "hanya untuk peran dari rantai atasan"),
    ("{resolver: owner.superior.superior, fallback: bupati}", "", "fallback peran 'reviewer' "
                                                                   "tidak dikenal"),
    ("{resolver: owner.superior.superior, cadangan: group:ppk}", "", "kunci tidak dikenal "
                                                                      "'cadangan'"),
    ("owner.superior.superior", "    due: besok\n", "due di transisi 'approve'"),
    ("owner.superior.superior", "    requires: {field: ok}\n", "requires di transisi"),
    ("owner.superior.superior", "    requires: {field: ok, in: [a], not_in: [b]}\n",
     "requires di transisi"),
    ("owner.superior.superior", "    requires: [ok]\n", "requires di transisi"),
])
def test_malformed_keys_are_refused_with_the_line(tmp_path: Path, role: str, extra: str,
                                                  expected: str) -> None:
    found = problems(tmp_path, role, extra)
    assert expected in found, found
    assert f"{tmp_path / 'x.yaml'}:" in found and ":None " not in found


def test_requires_needs_a_form(tmp_path: Path) -> None:
    text = BASE.replace("{ROLE}", "owner.superior.superior").replace("{EXTRA}", "").replace(
        "    by: reviewer\n    form: f\n", "    by: reviewer\n    requires: {field: a, in: [b]}\n")
    (tmp_path / "x.yaml").write_text(text)
    with pytest.raises(DefinitionError, match="requires di transisi 'approve' butuh 'form'"):
        load_definitions(tmp_path)


def test_requires_is_a_field_error_when_firing_and_no_bar_to_buttons(tmp_path: Path) -> None:
    source = dict(load(tmp_path, extra="    requires: {field: ok, in: [ya]}\n"
                       ).source)
    flow = compile_flow(parse_definition(source))

    def ctx(data: dict[str, str]) -> TransitionContext:
        return TransitionContext(actor_id=3, actor_roles=frozenset({"reviewer"}), owner_id=1,
                                 participants={"reviewer": 3}, now=datetime(2026, 1, 1,
                                                                            tzinfo=UTC),
                                 data=data, form_errors={})

    assert [r.name for r in flow.allowed("submitted", ctx({}))] == ["approve"]
    for data in ({}, {"ok": "tidak"}):
        with pytest.raises(InvalidData) as caught:
            flow.fire("submitted", "approve", ctx(data))
        assert list(caught.value.errors) == ["ok"]
        assert "approve" in caught.value.errors["ok"][0].lower()
    assert flow.fire("submitted", "approve", ctx({"ok": "ya"})).dest == "finalized"


def test_independent_refuses_the_employee_and_her_appraiser() -> None:
    def ctx(actor: int) -> TransitionContext:
        return TransitionContext(actor_id=actor, actor_roles=frozenset({"team"}), owner_id=1,
                                 participants={"employee": 1, "appraiser": 2},
                                 now=datetime(2026, 1, 1, tzinfo=UTC))

    assert not independent(ctx(1), None) and not independent(ctx(2), None)
    assert independent(ctx(5), None)
    refused = ctx(2)
    independent(refused, None)
    assert refused.failures[0][0] == "independent"
