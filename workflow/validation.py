"""Validate one resolved flow definition and build its frozen ``WorkflowDefinition``.

Pure: no file or database access. Every problem is collected (with file and line where the
loader kept them) so an agency admin sees all mistakes at once. Guards and effects are looked
up by name in their fixed libraries: a definition never names code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .definition import PERIOD_KINDS
from .definition import SYSTEM_ROLE
from .definition import Call
from .definition import Deadline
from .definition import RoleSpec
from .definition import TransitionRule
from .definition import WorkflowDefinition
from .definition import content_hash
from .definition import plain
from .effects import EFFECTS
from .errors import Problem
from .guards import GUARDS
from .rating import ROUNDINGS

TOP_KEYS = {
    "agency", "name", "name_en", "version", "extends", "periods", "roles", "states",
    "initial", "final", "deadlines", "transitions", "rating", "labels",
}
REQUIRED_TOP_KEYS = ("agency", "version", "roles", "states", "initial", "final", "transitions")
TRANSITION_KEYS = {
    "name", "from", "to", "by", "form", "guards", "effects", "comment", "label", "label_en",
    "remove",
}
IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ROLE_RESOLVER = re.compile(r"^(owner(\.superior)*|group:[a-z0-9][a-z0-9-]*)$")
RATING_KEYS = ("scheme", "distribution", "rounding")
SCHEME = "permenpanrb-6-2022"
DURATION = re.compile(r"^\s*(\d+)\s*(day|days|hari|hour|hours|jam|week|weeks|minggu)\s*$")
UNITS = {
    "day": "days", "days": "days", "hari": "days",
    "hour": "hours", "hours": "hours", "jam": "hours",
    "week": "weeks", "weeks": "weeks", "minggu": "weeks",
}
DEFAULT_STATE_LABELS = {
    "draft": ("Draf", "Draft"),
    "submitted": ("Diajukan", "Submitted"),
    "team_review": ("Telaah Tim Penilai", "Team review"),
    "reviewed": ("Dinilai", "Reviewed"),
    "appealed": ("Keberatan diajukan", "Appealed"),
    "finalized": ("Final", "Finalized"),
}


class _Checker:
    """Collect problems while reading one mapping; ``where`` finds file and line of a node."""

    def __init__(self, default_file: str) -> None:
        self.default_file = default_file
        self.problems: list[Problem] = []

    def add(self, node: Any, message: str, key: str | None = None) -> None:
        file = getattr(node, "file", None) or self.default_file
        line = None
        if key is not None and hasattr(node, "key_line"):
            line = node.key_line(key)
        if line is None:
            line = getattr(node, "line", None)
        self.problems.append(Problem(file, line, message))


def parse_definition(mapping: Mapping[str, Any], file: str = "<definisi>") -> WorkflowDefinition:
    """Validate a resolved definition mapping and build the frozen definition.

    :raises DefinitionError: listing every problem found, with file and line where known.
    """
    from .errors import DefinitionError

    definition, problems = check_definition(mapping, file)
    if problems or definition is None:
        raise DefinitionError(problems)
    return definition


def check_definition(
    m: Mapping[str, Any], file: str = "<definisi>"
) -> tuple[WorkflowDefinition | None, list[Problem]]:
    """Return the definition and the problems found (the definition is None if any)."""
    c = _Checker(file)
    if not isinstance(m, Mapping):
        c.add(m, "isi berkas harus berupa mapping YAML (kunci: nilai) / the file must be a mapping")
        return None, c.problems
    for key in m:
        if key not in TOP_KEYS:
            c.add(m, f"kunci tidak dikenal '{key}' / unknown key", key)
    for key in REQUIRED_TOP_KEYS:
        if key not in m:
            c.add(m, f"kunci wajib '{key}' tidak ada / required key missing")
    if c.problems:
        return None, c.problems

    agency = m["agency"]
    if not isinstance(agency, str) or not SLUG.match(agency):
        c.add(m, f"agency '{agency}' harus slug huruf kecil (a-z, 0-9, -)", "agency")
    version = m["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        c.add(m, f"version harus bilangan bulat ≥ 1, bukan {version!r}", "version")

    periods = m.get("periods", ["annual"])
    if not isinstance(periods, list) or not periods:
        c.add(m, "periods harus daftar tidak kosong", "periods")
        periods = []
    for p in periods:
        if p not in PERIOD_KINDS:
            c.add(m, f"periode tidak dikenal '{p}' (pilihan: {', '.join(PERIOD_KINDS)})", "periods")

    states = m["states"]
    if not isinstance(states, list) or not states or not all(isinstance(s, str) for s in states):
        c.add(m, "states harus daftar nama status", "states")
        states = []
    seen_states: set[str] = set()
    for s in states:
        if not IDENT.match(s):
            c.add(m, f"nama status '{s}' harus huruf kecil/angka/garis bawah", "states")
        if s in seen_states:
            c.add(m, f"status '{s}' ditulis dua kali / duplicate state", "states")
        seen_states.add(s)

    initial = m["initial"]
    if initial not in seen_states:
        c.add(m, f"status awal '{initial}' tidak ada di states / unknown initial state", "initial")
    final = m["final"] if isinstance(m["final"], list) else [m["final"]]
    for s in final:
        if s not in seen_states:
            c.add(m, f"status akhir '{s}' tidak ada di states / unknown final state", "final")

    roles = _check_roles(c, m)
    deadlines = _check_deadlines(c, m)
    rules = _check_transitions(c, m, seen_states, set(final), roles, deadlines)
    labels = _check_labels(c, m, seen_states)
    rating = m.get("rating") or {"scheme": "permenpanrb-6-2022"}
    if not isinstance(rating, Mapping):
        c.add(m, "rating harus mapping", "rating")
        rating = {}
    else:
        _check_rating(c, rating)

    if not c.problems:
        _check_graph(c, m, states, initial, set(final), rules)
    if c.problems:
        return None, c.problems

    source = plain(m)
    source.pop("extends", None)
    return (
        WorkflowDefinition(
            agency=agency,
            name=str(m.get("name") or agency),
            version=version,
            periods=tuple(periods),
            roles=roles,
            states=tuple(states),
            initial=initial,
            final=tuple(final),
            deadlines=deadlines,
            transitions=tuple(rules),
            state_labels=labels,
            rating=plain(rating),
            content_hash=content_hash(source),
            source=source,
        ),
        [],
    )


def _check_roles(c: _Checker, m: Mapping[str, Any]) -> dict[str, RoleSpec]:
    roles: dict[str, RoleSpec] = {}
    raw = m["roles"]
    if not isinstance(raw, Mapping):
        c.add(m, "roles harus mapping nama_peran: penentu", "roles")
        return roles
    for name, resolver in raw.items():
        if not isinstance(name, str) or not IDENT.match(name) or name == SYSTEM_ROLE:
            c.add(raw, f"nama peran '{name}' tidak sah (huruf kecil; 'system' dicadangkan)", name)
            continue
        if not isinstance(resolver, str) or not ROLE_RESOLVER.match(resolver):
            c.add(
                raw,
                f"penentu peran '{resolver}' untuk '{name}' tidak dikenal; gunakan owner, "
                "owner.superior[.superior…] atau group:<slug>",
                name,
            )
            continue
        roles[name] = RoleSpec(name, resolver)
    if "employee" in roles and roles["employee"].resolver != "owner":
        c.add(raw, "peran employee harus 'owner' (pegawai yang dinilai)", "employee")
    return roles


def _check_rating(c: _Checker, rating: Mapping[str, Any]) -> None:
    for key in rating:
        if key not in RATING_KEYS:
            c.add(rating, f"kunci tidak dikenal '{key}' di rating (dikenal: "
                          f"{', '.join(RATING_KEYS)}) / unknown key", key)
    if rating.get("scheme", SCHEME) != SCHEME:
        c.add(rating, f"rating.scheme harus {SCHEME}", "scheme")
    if rating.get("distribution", "warn") not in ("off", "warn", "block"):
        c.add(rating, "rating.distribution harus off, warn atau block", "distribution")
    if rating.get("rounding", "floor") not in ROUNDINGS:
        c.add(rating, f"rating.rounding harus salah satu dari {', '.join(ROUNDINGS)}",
              "rounding")


def _check_deadlines(c: _Checker, m: Mapping[str, Any]) -> dict[str, Deadline]:
    out: dict[str, Deadline] = {}
    raw = m.get("deadlines") or {}
    if not isinstance(raw, Mapping):
        c.add(m, "deadlines harus mapping nama: durasi", "deadlines")
        return out
    for name, spec in raw.items():
        counting = "calendar"
        text = spec
        if isinstance(spec, Mapping):
            text = spec.get("duration")
            counting = spec.get("counting", "calendar")
            extra = set(spec) - {"duration", "counting"}
            if extra:
                c.add(spec, f"kunci tidak dikenal di tenggat '{name}': {sorted(extra)}")
        match = DURATION.match(str(text)) if text is not None else None
        if not match:
            c.add(raw, f"durasi tenggat '{name}' tidak terbaca: {text!r} (contoh: '14 days')", name)
            continue
        if counting not in ("calendar", "working"):
            c.add(raw, f"counting tenggat '{name}' harus calendar atau working", name)
            continue
        out[name] = Deadline(name, int(match.group(1)), UNITS[match.group(2)], counting)
    return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _calls(
    c: _Checker, node: Any, key: str, library: Mapping[str, Any], kind: str,
    deadlines: Mapping[str, Deadline], tname: str,
) -> tuple[Call, ...]:
    calls: list[Call] = []
    for entry in _as_list(node.get(key)):
        if isinstance(entry, Mapping) and len(entry) == 1:
            name, arg = next(iter(entry.items()))
        elif isinstance(entry, str):
            name, arg = entry, None
        else:
            c.add(node, f"{kind} di transisi '{tname}' harus nama atau {{nama: argumen}}", key)
            continue
        spec = library.get(name)
        if spec is None:
            known = ", ".join(sorted(library))
            c.add(node, f"{kind} tidak dikenal '{name}' di transisi '{tname}' (dikenal: {known})",
                  key)
            continue
        if spec.arg == "deadline":
            if arg not in deadlines:
                c.add(node, f"{kind} '{name}' di transisi '{tname}' butuh nama tenggat yang "
                      f"terdefinisi, bukan {arg!r}", key)
                continue
        elif arg is not None:
            c.add(node, f"{kind} '{name}' tidak menerima argumen", key)
            continue
        calls.append(Call(name, arg))
    return tuple(calls)


def _check_transitions(
    c: _Checker, m: Mapping[str, Any], states: set[str], final: set[str],
    roles: Mapping[str, RoleSpec], deadlines: Mapping[str, Deadline],
) -> list[TransitionRule]:
    rules: list[TransitionRule] = []
    raw = m["transitions"]
    if not isinstance(raw, list) or not raw:
        c.add(m, "transitions harus daftar tidak kosong", "transitions")
        return rules
    names: set[str] = set()
    for t in raw:
        if not isinstance(t, Mapping):
            c.add(raw, "setiap transisi harus mapping")
            continue
        for key in t:
            if key not in TRANSITION_KEYS:
                c.add(t, f"kunci tidak dikenal '{key}' di transisi", key)
        name = t.get("name")
        if not isinstance(name, str) or not IDENT.match(name):
            c.add(t, f"nama transisi '{name}' tidak sah (huruf kecil/angka/garis bawah)", "name")
            continue
        if name in names:
            c.add(t, f"nama transisi '{name}' ganda / duplicate transition name", "name")
        names.add(name)
        sources = _as_list(t.get("from"))
        dest = t.get("to")
        if not sources:
            c.add(t, f"transisi '{name}' tanpa 'from'", "name")
        for s in sources:
            if s not in states:
                c.add(t, f"transisi '{name}' berangkat dari status tak dikenal '{s}'", "from")
            elif s in final:
                c.add(t, f"transisi '{name}' keluar dari status akhir '{s}'", "from")
        if dest not in states:
            c.add(t, f"transisi '{name}' menuju status tak dikenal '{dest}'", "to")
        by = _as_list(t.get("by"))
        if not by:
            c.add(t, f"transisi '{name}' tanpa 'by' (siapa yang boleh menjalankan)", "name")
        for role in by:
            if role != SYSTEM_ROLE and role not in roles:
                c.add(t, f"peran tidak dikenal '{role}' di transisi '{name}'", "by")
        comment = t.get("comment", "optional")
        if comment not in ("required", "optional"):
            c.add(t, f"comment di transisi '{name}' harus required atau optional", "comment")
        form = t.get("form")
        if form is not None and (not isinstance(form, str) or not SLUG.match(form)):
            c.add(t, f"form di transisi '{name}' harus kunci formulir (slug)", "form")
        guards = _calls(c, t, "guards", GUARDS, "guard", deadlines, name)
        effects = _calls(c, t, "effects", EFFECTS, "effect", deadlines, name)
        if any(g.name == "form_complete" for g in guards) and not form:
            c.add(t, f"guard form_complete di transisi '{name}' butuh 'form'", "guards")
        rules.append(
            TransitionRule(
                name=name, sources=tuple(sources), dest=str(dest), by=tuple(by), form=form,
                guards=guards, effects=effects, comment=comment,
                label=str(t.get("label") or name.replace("_", " ").capitalize()),
                label_en=str(t.get("label_en") or t.get("label") or name.replace("_", " ")),
            )
        )
    return rules


def _check_labels(
    c: _Checker, m: Mapping[str, Any], states: set[str]
) -> dict[str, tuple[str, str]]:
    labels = {s: DEFAULT_STATE_LABELS.get(s, (s, s)) for s in states}
    raw = m.get("labels") or {}
    if not isinstance(raw, Mapping):
        c.add(m, "labels harus mapping status: {id, en}", "labels")
        return labels
    for state, text in raw.items():
        if state not in states:
            c.add(raw, f"label untuk status tak dikenal '{state}'", state)
        elif isinstance(text, Mapping) and "id" in text:
            labels[state] = (str(text["id"]), str(text.get("en", text["id"])))
        elif isinstance(text, str):
            labels[state] = (text, text)
        else:
            c.add(raw, f"label status '{state}' harus teks atau {{id, en}}", state)
    return labels


def _check_graph(
    c: _Checker, m: Mapping[str, Any], states: list[str], initial: str, final: set[str],
    rules: list[TransitionRule],
) -> None:
    edges: dict[str, set[str]] = {s: set() for s in states}
    for rule in rules:
        for s in rule.sources:
            edges[s].add(rule.dest)
    reachable = {initial}
    frontier = [initial]
    while frontier:
        for nxt in edges[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    for s in states:
        if s not in reachable:
            c.add(m, f"status '{s}' tidak dapat dicapai dari '{initial}' / unreachable state",
                  "states")
    if not reachable & final:
        c.add(m, f"tidak ada jalan dari '{initial}' ke status akhir / no path to a final state",
              "final")
    for s in states:
        if s not in final and not edges[s]:
            c.add(m, f"status '{s}' buntu: tidak ada transisi keluar dan bukan status akhir",
                  "states")
    # A state from which no final state can be reached traps evaluations forever.
    reverse: dict[str, set[str]] = {s: set() for s in states}
    for src, dests in edges.items():
        for d in dests:
            reverse[d].add(src)
    can_finish = set(final)
    frontier = list(final)
    while frontier:
        for prev in reverse[frontier.pop()]:
            if prev not in can_finish:
                can_finish.add(prev)
                frontier.append(prev)
    for s in states:
        if s in reachable and s not in can_finish and edges[s]:
            c.add(m, f"dari status '{s}' tidak ada jalan ke status akhir", "states")
