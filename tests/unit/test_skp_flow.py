"""The SKP flow as a definition: the national one, an agency's own ``skp:`` section resolved
through ``extends``, and what the validator refuses (issue 13)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from workflow.context import SkpFacts
from workflow.context import TransitionContext
from workflow.engine import flow_for
from workflow.errors import DefinitionError
from workflow.errors import GuardFailed
from workflow.errors import NotPermitted
from workflow.guards import GUARDS
from workflow.registry import load_definitions
from workflow.skp_flow import national_flow
from workflow.skp_flow import skp_flow_of

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2027, 1, 10, tzinfo=UTC)

BASE = """\
agency: {slug}
version: 1
roles:
  employee: owner
  appraiser: owner.superior
states: [draft, finalized]
initial: draft
final: [finalized]
transitions:
  - name: approve
    from: draft
    to: finalized
    by: appraiser
"""

# An agency's SKP flow: the national one plus a review by the unit's planner (group).
OWN_SKP = """\
skp:
  roles:
    pegawai: owner
    penilai: owner.superior
    admin: group:admin
    perencana: group:perencana
  states: [draft, diajukan, diperiksa, dikembalikan, ditetapkan, ditutup, diganti]
  initial: draft
  final: [ditutup, diganti]
  transitions:
    - {name: ajukan, from: [draft, dikembalikan], to: diperiksa, by: pegawai,
       guards: [skp_content_complete, skp_appraiser_set, skp_parent_rhk]}
    - {name: periksa, from: diperiksa, to: diajukan, by: perencana}
    - {name: kembalikan, from: [diperiksa, diajukan], to: dikembalikan, by: penilai,
       comment: required, guards: [skp_setter]}
    - {name: tetapkan, from: diajukan, to: ditetapkan, by: penilai, guards: [skp_setter]}
    - {name: ubah, from: ditetapkan, to: diganti, by: [pegawai, penilai], comment: required}
    - {name: tutup, from: [draft, diperiksa, diajukan, dikembalikan, ditetapkan],
       to: ditutup, by: [admin, system], comment: required}
"""


def test_shipped_definitions_run_the_national_skp_flow() -> None:
    definitions = load_definitions(ROOT / "definitions")
    for definition in definitions.values():
        assert definition.skp is None
        assert skp_flow_of(definition) is national_flow()
    flow = national_flow()
    assert flow.initial == "draft" and set(flow.final) == {"ditutup", "diganti"}
    assert flow.label("dikembalikan") == "Dikembalikan untuk perbaikan"


def test_an_agency_section_is_validated_inherited_and_published_with_its_version(
        tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(BASE.format(slug="base") + OWN_SKP)
    (tmp_path / "child.yaml").write_text("agency: child\nversion: 3\nextends: base\n")
    definitions = load_definitions(tmp_path)
    base, child = definitions["base"], definitions["child"]
    assert base.skp is not None and base.skp.transition("periksa") is not None
    assert child.skp is not None and child.skp.states == base.skp.states
    assert child.skp.version == 3 and child.skp.agency == "child"
    assert "skp" in child.source  # stored with the definition version it belongs to
    assert skp_flow_of(child) is child.skp


@pytest.mark.parametrize(("section", "message"), [
    ("skp: [1]\n", "skp harus mapping"),
    ("skp:\n  version: 2\n", "'version' tidak boleh di dalam skp"),
    (OWN_SKP.replace("name: kembalikan", "name: tolak"), "langkah 'kembalikan'"),
    (OWN_SKP.replace("skp_setter]}\n    - {name: tetapkan", "nope]}\n    - {name: tetapkan"),
     "guard tidak dikenal 'nope'"),
])
def test_a_broken_section_is_refused_with_its_reason(tmp_path: Path, section: str,
                                                     message: str) -> None:
    (tmp_path / "bad.yaml").write_text(BASE.format(slug="bad") + section)
    with pytest.raises(DefinitionError) as refused:
        load_definitions(tmp_path)
    assert message in str(refused.value)


def _ctx(actor: int, roles: set[str], facts: SkpFacts, owner: int = 1,
         appraiser: int | None = 2) -> TransitionContext:
    people = {"pegawai": owner} | ({"penilai": appraiser} if appraiser else {})
    return TransitionContext(actor_id=actor, actor_roles=frozenset(roles), owner_id=owner,
                             participants=people, now=NOW, comment="catatan", skp=facts)


def test_the_guards_refuse_each_for_its_reason() -> None:
    flow = flow_for(national_flow())
    complete = SkpFacts("JA", True, "ditetapkan", utama_count=1)
    assert flow.fire("draft", "ajukan", _ctx(1, {"pegawai"}, complete)).dest == "diajukan"
    for facts, guard in (
            (SkpFacts("JA", True, "ditetapkan"), "skp_content_complete"),
            (SkpFacts("JA", True, "ditetapkan", utama_count=1, rhk_without_indicator=(2,)),
             "skp_content_complete"),
            (SkpFacts("JA", True, "diajukan", utama_count=1), "skp_appraiser_set"),
            (SkpFacts("JA", True, None, utama_count=1), "skp_appraiser_set"),
            (SkpFacts("JF", True, "ditetapkan", utama_count=1, utama_without_parent=(1,)),
             "skp_parent_rhk")):
        with pytest.raises(GuardFailed) as refused:
            flow.fire("draft", "ajukan", _ctx(1, {"pegawai"}, facts))
        assert refused.value.guard == guard
    # A JPT, and the top of the agency, need no parent; the top waits for nobody.
    orphan = SkpFacts("JPT", True, "ditetapkan", utama_count=1, utama_without_parent=(1,))
    assert flow.fire("draft", "ajukan", _ctx(1, {"pegawai"}, orphan)).dest == "diajukan"
    top = SkpFacts("JA", False, None, utama_count=1, utama_without_parent=(1,))
    assert flow.fire("draft", "ajukan", _ctx(1, {"pegawai"}, top, appraiser=None))
    # Setting: the appraiser; for the top, herself or an admin; nobody else.
    assert flow.fire("diajukan", "tetapkan", _ctx(2, {"penilai"}, complete)).dest == "ditetapkan"
    with pytest.raises(GuardFailed):
        flow.fire("diajukan", "tetapkan", _ctx(1, {"pegawai"}, complete))
    with pytest.raises(GuardFailed):
        flow.fire("diajukan", "tetapkan", _ctx(9, {"admin"}, complete))
    assert flow.fire("diajukan", "tetapkan", _ctx(1, {"pegawai"}, top, appraiser=None))
    assert flow.fire("diajukan", "tetapkan", _ctx(9, {"admin"}, top, appraiser=None))
    with pytest.raises(NotPermitted):
        flow.fire("diajukan", "tetapkan", _ctx(9, set(), top, appraiser=None))


def test_skp_guards_refuse_outside_the_skp_flow() -> None:
    ctx = TransitionContext(actor_id=1, actor_roles=frozenset({"employee"}), owner_id=1,
                            participants={}, now=NOW)
    for name in ("skp_content_complete", "skp_parent_rhk", "skp_appraiser_set", "skp_setter"):
        assert not GUARDS[name].check(ctx, None)
