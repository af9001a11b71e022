"""Separation of duties: who may never take the steps that judge an evaluation.

Pure, on a validated list of transitions; ``validation.py`` reports what this finds with the
file and line of the transition. The judging steps are recognised by what they do, not by
their names:

- a **rating** step records the rating (effect ``record_rating``, or the national
  ``appraiser-rating`` form);
- a **team review** step leaves a state a rating step enters, and is taken by a group or
  fills the ``team-opinion`` form (Kupang's Tim Penilai Kinerja);
- an **appeal decision** step applies the decision (effect ``apply_appeal_decision``, or the
  ``appeal-decision`` form).

Rules (PP 30/2019 Ps 59 and the product's promise that nobody judges their own case):

1. the employee evaluated (a role resolved as ``owner``) takes none of them;
2. a group role on one of them needs the guard ``not_own_evaluation`` (a member may be the
   employee evaluated);
3. the appeal is not decided by a role that rates, nor by a person role as far up the
   reporting line as a rating role (that is the original appraiser);
4. when the decider or a rater is a group, the decision needs ``not_original_appraiser``.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass

from .definition import RoleSpec
from .definition import TransitionRule
from .texts import Text

RATING_EFFECT = "record_rating"
DECISION_EFFECT = "apply_appeal_decision"
RATING_FORM = "appraiser-rating"
TEAM_FORM = "team-opinion"
DECISION_FORM = "appeal-decision"
KINDS = {"rating": ("penilaian", "rating"), "team": ("telaah tim", "team review"),
         "decision": ("putusan keberatan", "appeal decision")}


@dataclass(frozen=True, slots=True)
class DutyProblem:
    """A rule broken by one transition; ``key`` is the transition's key to point at."""

    transition: str
    key: str
    message: Text


def _effects(rule: TransitionRule) -> set[str]:
    return {e.name for e in rule.effects}


#: Guards that imply others (``independent``: neither the employee nor her appraiser).
IMPLIED = {"independent": {"not_own_evaluation", "not_original_appraiser"}}


def _guards(rule: TransitionRule) -> set[str]:
    names = {g.name for g in rule.guards}
    return names.union(*(IMPLIED.get(name, set()) for name in names))


def judging_steps(
    rules: Sequence[TransitionRule], roles: Mapping[str, RoleSpec]
) -> dict[str, str]:
    """Return ``{transition name: "rating" | "team" | "decision"}`` for the judging steps."""
    kinds: dict[str, str] = {}
    for rule in rules:
        if DECISION_EFFECT in _effects(rule) or rule.form == DECISION_FORM:
            kinds[rule.name] = "decision"
        elif RATING_EFFECT in _effects(rule) or rule.form == RATING_FORM:
            kinds[rule.name] = "rating"
    rated = {rule.dest for rule in rules if kinds.get(rule.name) == "rating"}
    for rule in rules:
        if rule.name in kinds or not rated.intersection(rule.sources):
            continue
        by_group = any(roles[r].group for r in rule.by if r in roles)
        if by_group or rule.form == TEAM_FORM:
            kinds[rule.name] = "team"
    return kinds


def duty_problems(
    rules: Sequence[TransitionRule], roles: Mapping[str, RoleSpec]
) -> list[DutyProblem]:
    """Return every separation-of-duties rule the transitions break (module docstring)."""
    kinds = judging_steps(rules, roles)
    raters = {r for rule in rules if kinds.get(rule.name) == "rating" for r in rule.by
              if r in roles}
    rater_hops = {roles[r].hops for r in raters if roles[r].hops is not None}
    group_raters = any(roles[r].group for r in raters)
    problems: list[DutyProblem] = []
    for rule in rules:
        kind = kinds.get(rule.name)
        if kind is None:
            continue
        what_id, what_en = KINDS[kind]
        actors = [roles[r] for r in rule.by if r in roles]
        for role in actors:
            if role.hops == 0:
                problems.append(DutyProblem(rule.name, "by", Text(
                    f"pegawai yang dinilai (peran '{role.name}') tidak boleh menjalankan "
                    f"langkah {what_id} '{rule.name}'",
                    f"the employee evaluated (role '{role.name}') may not take the {what_en} "
                    f"step '{rule.name}'")))
        groups = [role.name for role in actors if role.group]
        if groups and "not_own_evaluation" not in _guards(rule):
            problems.append(DutyProblem(rule.name, "guards", Text(
                f"grup '{groups[0]}' bisa memuat pegawai yang dinilai: tambahkan guard "
                f"not_own_evaluation pada langkah {what_id} '{rule.name}'",
                f"group '{groups[0]}' may include the employee evaluated: add the guard "
                f"not_own_evaluation to the {what_en} step '{rule.name}'")))
        if kind != "decision":
            continue
        for role in actors:
            if role.name in raters or (role.hops is not None and role.hops in rater_hops):
                problems.append(DutyProblem(rule.name, "by", Text(
                    f"Pejabat Penilai Kinerja yang menilai (peran '{role.name}') tidak boleh "
                    f"memutus keberatan di '{rule.name}'",
                    f"the original appraiser (role '{role.name}') may not decide the appeal "
                    f"in '{rule.name}'")))
        if (groups or group_raters) and "not_original_appraiser" not in _guards(rule):
            problems.append(DutyProblem(rule.name, "guards", Text(
                f"penilai dan pemutus keberatan bisa orang yang sama (grup): tambahkan guard "
                f"not_original_appraiser pada '{rule.name}'",
                f"the appraiser and the appeal decider may be the same person (a group): add "
                f"the guard not_original_appraiser to '{rule.name}'")))
    return problems
