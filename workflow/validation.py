"""Validate one resolved flow definition and build its frozen ``WorkflowDefinition``.

Pure: no file or database access. Every problem is collected (with file and line where the
loader kept them) so an agency admin sees all mistakes at once. Guards and effects are looked
up by name in their fixed libraries: a definition never names code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Mapping
from typing import Any

from .definition import PERIOD_KINDS
from .definition import SLUG
from .definition import SLUG_PATTERN
from .definition import SYSTEM_ROLE
from .definition import Call
from .definition import Deadline
from .definition import Requirement
from .definition import RoleSpec
from .definition import TransitionRule
from .definition import WorkflowDefinition
from .definition import content_hash
from .definition import plain
from .duties import duty_problems
from .effects import EFFECTS
from .errors import Problem
from .guards import GUARDS
from .localtime import DEFAULT_ZONE
from .localtime import ZONES
from .rating import RATING_VALUES
from .rating import ROUNDINGS
from .rating import CapaianOrganisasi
from .texts import Text

TOP_KEYS = {
    "agency", "name", "name_en", "version", "extends", "periods", "roles", "states",
    "initial", "final", "deadlines", "transitions", "rating", "labels", "role_labels",
    "timezone", "skp", "evidence",
}
#: ``evidence:`` — the agency's limits on evidence files (``workflow.evidence.limits_of``), MB.
EVIDENCE_KEYS = ("max_file_mb", "max_period_mb")
REQUIRED_TOP_KEYS = ("agency", "version", "roles", "states", "initial", "final", "transitions")
TRANSITION_KEYS = {
    "name", "from", "to", "by", "form", "guards", "effects", "comment", "label", "label_en",
    "remove", "requires", "due", "notify",
}
#: The largest number a definition may give (a PostgreSQL ``integer`` column stores it).
MAX_INT = 2**31 - 1
IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
ROLE_RESOLVER = re.compile(rf"^(owner(\.superior)*|group:{SLUG_PATTERN})$")
RATING_KEYS = ("scheme", "distribution", "rounding", "leader_mapping")
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

    def add(self, node: Any, message: Text, key: str | None = None) -> None:
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
        c.add(m, Text("isi berkas harus berupa mapping YAML (kunci: nilai)",
                      "the file must be a YAML mapping (key: value)"))
        return None, c.problems
    for key in m:
        if key not in TOP_KEYS:
            c.add(m, Text(f"kunci tidak dikenal '{key}'", f"unknown key '{key}'"), key)
    for key in REQUIRED_TOP_KEYS:
        if key not in m:
            c.add(m, Text(f"kunci wajib '{key}' tidak ada", f"required key '{key}' is missing"))
    if c.problems:
        return None, c.problems

    agency = m["agency"]
    if not isinstance(agency, str) or not SLUG.match(agency):
        c.add(m, Text(f"agency '{agency}' harus slug huruf kecil (a-z, 0-9, -)",
                      f"agency '{agency}' must be a lowercase slug (a-z, 0-9, -)"), "agency")
    version = m["version"]
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= MAX_INT:
        c.add(m, Text(f"version harus bilangan bulat ≥ 1, bukan {version!r}",
                      f"version must be an integer ≥ 1, not {version!r}"), "version")

    periods = m.get("periods", ["annual"])
    if not isinstance(periods, list) or not periods:
        c.add(m, Text("periods harus daftar tidak kosong", "periods must be a non-empty list"),
              "periods")
        periods = []
    for p in periods:
        if p not in PERIOD_KINDS:
            c.add(m, Text(f"periode tidak dikenal '{p}' (pilihan: {', '.join(PERIOD_KINDS)})",
                          f"unknown period '{p}' (choices: {', '.join(PERIOD_KINDS)})"),
                  "periods")

    evidence = m.get("evidence", {})
    if not isinstance(evidence, dict) or set(evidence) - set(EVIDENCE_KEYS) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 10240
            for v in evidence.values()):
        c.add(m, Text("evidence hanya berisi max_file_mb dan max_period_mb (angka MB, "
                      "lebih dari 0 sampai 10240)",
                      "evidence holds only max_file_mb and max_period_mb (numbers of MB, "
                      "above 0 up to 10240)"), "evidence")

    states = m["states"]
    if not isinstance(states, list) or not states or not all(isinstance(s, str) for s in states):
        c.add(m, Text("states harus daftar nama status", "states must be a list of state names"),
              "states")
        states = []
    seen_states: set[str] = set()
    for s in states:
        if not IDENT.match(s):
            c.add(m, Text(f"nama status '{s}' harus huruf kecil/angka/garis bawah",
                          f"state name '{s}' must be lowercase letters/digits/underscores"),
                  "states")
        if s in seen_states:
            c.add(m, Text(f"status '{s}' ditulis dua kali", f"state '{s}' is listed twice"),
                  "states")
        seen_states.add(s)

    initial = m["initial"]
    if not isinstance(initial, str) or initial not in seen_states:
        c.add(m, Text(f"status awal '{initial}' tidak ada di states",
                      f"initial state '{initial}' is not in states"), "initial")
    final = m["final"] if isinstance(m["final"], list) else [m["final"]]
    for s in final:
        if not isinstance(s, str) or s not in seen_states:
            c.add(m, Text(f"status akhir '{s}' tidak ada di states",
                          f"final state '{s}' is not in states"), "final")
    final = [s for s in final if isinstance(s, str)]

    timezone = _check_timezone(c, m)
    roles = _check_roles(c, m)
    deadlines = _check_deadlines(c, m)
    rules = _check_transitions(c, m, seen_states, set(final), roles, deadlines)
    labels = _check_labels(c, m, seen_states)
    role_labels = _check_role_labels(c, m)
    rating = m.get("rating") or {"scheme": "permenpanrb-6-2022"}
    if not isinstance(rating, Mapping):
        c.add(m, Text("rating harus mapping", "rating must be a mapping"), "rating")
        rating = {}
    else:
        _check_rating(c, rating)

    if not c.problems:
        _check_graph(c, m, states, initial, set(final), rules)
        _check_duties(c, m, roles, rules)
    skp = _check_skp(c, m, agency, version) if "skp" in m else None
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
            role_labels=role_labels,
            rating=plain(rating),
            content_hash=content_hash(source),
            source=source,
            timezone=timezone,
            skp=skp,
        ),
        [],
    )


def _check_skp(c: _Checker, m: Mapping[str, Any], agency: Any,
               version: Any) -> WorkflowDefinition | None:
    """Validate the agency's own SKP flow (``skp:``) like a flow of its own (``skp_flow``)."""
    from .skp_flow import skp_mapping
    from .skp_flow import skp_problems

    raw = m["skp"]
    if not isinstance(raw, Mapping):
        c.add(m, Text("skp harus mapping alur SKP (roles, states, transitions, …)",
                      "skp must be a mapping of the SKP flow (roles, states, transitions, …)"),
              "skp")
        return None
    for key in ("agency", "version", "extends", "skp"):
        if key in raw:
            c.add(raw, Text(f"'{key}' tidak boleh di dalam skp (diambil dari definisi)",
                            f"'{key}' may not appear inside skp (taken from the definition)"),
                  key)
    if c.problems:
        return None
    definition, problems = check_definition(skp_mapping(raw, agency, version), c.default_file)
    c.problems.extend(problems)
    if definition is None:
        return None
    for problem in skp_problems(definition):
        c.add(raw, problem)
    return definition if not c.problems else None


def _check_timezone(c: _Checker, m: Mapping[str, Any]) -> str:
    zone = m.get("timezone", DEFAULT_ZONE)
    if isinstance(zone, str) and zone in ZONES:
        return zone
    choices = ", ".join(f"{name} ({abbr})" for name, abbr in ZONES.items())
    c.add(m, Text(f"timezone '{zone}' bukan zona waktu Indonesia; pilihan: {choices}",
                  f"timezone '{zone}' is not an Indonesian time zone; choices: {choices}"),
          "timezone")
    return DEFAULT_ZONE


def _check_roles(c: _Checker, m: Mapping[str, Any]) -> dict[str, RoleSpec]:
    roles: dict[str, RoleSpec] = {}
    raw = m["roles"]
    if not isinstance(raw, Mapping):
        c.add(m, Text("roles harus mapping nama_peran: penentu",
                      "roles must be a mapping role_name: resolver"), "roles")
        return roles
    for name, resolver in raw.items():
        if not isinstance(name, str) or not IDENT.match(name) or name == SYSTEM_ROLE:
            c.add(raw, Text(f"nama peran '{name}' tidak sah (huruf kecil; 'system' dicadangkan)",
                            f"invalid role name '{name}' (lowercase; 'system' is reserved)"),
                  name)
            continue
        if isinstance(resolver, Mapping):
            spec = _role_with_fallback(c, raw, name, resolver)
            if spec is not None:
                roles[name] = spec
            continue
        if not isinstance(resolver, str) or not ROLE_RESOLVER.match(resolver):
            c.add(
                raw,
                Text(f"penentu peran '{resolver}' untuk '{name}' tidak dikenal; gunakan owner, "
                     "owner.superior[.superior…] atau group:<slug>",
                     f"unknown role resolver '{resolver}' for '{name}'; use owner, "
                     "owner.superior[.superior…] or group:<slug>"),
                name,
            )
            continue
        roles[name] = RoleSpec(name, resolver)
    if "employee" in roles and roles["employee"].resolver != "owner":
        c.add(raw, Text("peran employee harus 'owner' (pegawai yang dinilai)",
                        "the employee role must be 'owner' (the employee evaluated)"), "employee")
    return roles


def _check_rating(c: _Checker, rating: Mapping[str, Any]) -> None:
    for key in rating:
        if key not in RATING_KEYS:
            c.add(rating, Text(f"kunci tidak dikenal '{key}' di rating (dikenal: "
                               f"{', '.join(RATING_KEYS)})",
                               f"unknown key '{key}' in rating (known: "
                               f"{', '.join(RATING_KEYS)})"), key)
    if rating.get("scheme", SCHEME) != SCHEME:
        c.add(rating, Text(f"rating.scheme harus {SCHEME}", f"rating.scheme must be {SCHEME}"),
              "scheme")
    if rating.get("distribution", "warn") not in ("off", "warn", "block"):
        c.add(rating, Text("rating.distribution harus off, warn atau block",
                           "rating.distribution must be off, warn or block"), "distribution")
    mapping = rating.get("leader_mapping", {})
    if not isinstance(mapping, Mapping) or any(
            key not in CapaianOrganisasi.__members__ or value not in RATING_VALUES
            for key, value in mapping.items()):
        c.add(rating, Text(
            "rating.leader_mapping memetakan capaian organisasi (ISTIMEWA, BAIK, "
            f"BUTUH_PERBAIKAN, KURANG, SANGAT_KURANG) ke {', '.join(RATING_VALUES)}",
            "rating.leader_mapping maps organisation achievements (ISTIMEWA, BAIK, "
            f"BUTUH_PERBAIKAN, KURANG, SANGAT_KURANG) to {', '.join(RATING_VALUES)}"),
            "leader_mapping")
    if rating.get("rounding", "floor") not in ROUNDINGS:
        c.add(rating, Text(f"rating.rounding harus salah satu dari {', '.join(ROUNDINGS)}",
                           f"rating.rounding must be one of {', '.join(ROUNDINGS)}"),
              "rounding")


def _check_deadlines(c: _Checker, m: Mapping[str, Any]) -> dict[str, Deadline]:
    out: dict[str, Deadline] = {}
    raw = m.get("deadlines") or {}
    if not isinstance(raw, Mapping):
        c.add(m, Text("deadlines harus mapping nama: durasi",
                      "deadlines must be a mapping name: duration"), "deadlines")
        return out
    for name, spec in raw.items():
        counting = "calendar"
        text = spec
        if isinstance(spec, Mapping):
            text = spec.get("duration")
            counting = spec.get("counting", "calendar")
            extra = set(spec) - {"duration", "counting"}
            if extra:
                c.add(spec, Text(f"kunci tidak dikenal di tenggat '{name}': {sorted(extra)}",
                                 f"unknown keys in deadline '{name}': {sorted(extra)}"))
        match = DURATION.match(str(text)) if text is not None else None
        if not match:
            c.add(raw, Text(f"durasi tenggat '{name}' tidak terbaca: {text!r} (contoh: '14 days')",
                            f"cannot read the duration of deadline '{name}': {text!r} "
                            "(e.g. '14 days')"), name)
            continue
        if counting not in ("calendar", "working"):
            c.add(raw, Text(f"counting tenggat '{name}' harus calendar atau working",
                            f"counting of deadline '{name}' must be calendar or working"), name)
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
            c.add(node, Text(f"{kind} di transisi '{tname}' harus nama atau {{nama: argumen}}",
                             f"{kind} in transition '{tname}' must be a name or "
                             "{name: argument}"), key)
            continue
        spec = library.get(name)
        if spec is None:
            known = ", ".join(sorted(library))
            c.add(node, Text(f"{kind} tidak dikenal '{name}' di transisi '{tname}' "
                             f"(dikenal: {known})",
                             f"unknown {kind} '{name}' in transition '{tname}' (known: {known})"),
                  key)
            continue
        if spec.arg == "deadline":
            if not isinstance(arg, str) or arg not in deadlines:
                c.add(node, Text(f"{kind} '{name}' di transisi '{tname}' butuh nama tenggat "
                                 f"yang terdefinisi, bukan {arg!r}",
                                 f"{kind} '{name}' in transition '{tname}' needs the name of "
                                 f"a defined deadline, not {arg!r}"), key)
                continue
        elif arg is not None:
            c.add(node, Text(f"{kind} '{name}' tidak menerima argumen",
                             f"{kind} '{name}' takes no argument"), key)
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
        c.add(m, Text("transitions harus daftar tidak kosong",
                      "transitions must be a non-empty list"), "transitions")
        return rules
    names: set[str] = set()
    for t in raw:
        if not isinstance(t, Mapping):
            c.add(raw, Text("setiap transisi harus mapping", "every transition must be a mapping"))
            continue
        for key in t:
            if key not in TRANSITION_KEYS:
                c.add(t, Text(f"kunci tidak dikenal '{key}' di transisi",
                              f"unknown key '{key}' in a transition"), key)
        name = t.get("name")
        if not isinstance(name, str) or not IDENT.match(name):
            c.add(t, Text(f"nama transisi '{name}' tidak sah (huruf kecil/angka/garis bawah)",
                          f"invalid transition name '{name}' (lowercase letters/digits/"
                          "underscores)"), "name")
            continue
        if name in names:
            c.add(t, Text(f"nama transisi '{name}' ganda", f"duplicate transition name '{name}'"),
                  "name")
        names.add(name)
        sources = _as_list(t.get("from"))
        dest = t.get("to")
        if not sources:
            c.add(t, Text(f"transisi '{name}' tanpa 'from'", f"transition '{name}' has no 'from'"),
                  "name")
        for s in sources:
            if not isinstance(s, str) or s not in states:
                c.add(t, Text(f"transisi '{name}' berangkat dari status tak dikenal '{s}'",
                              f"transition '{name}' leaves from unknown state '{s}'"), "from")
            elif s in final:
                c.add(t, Text(f"transisi '{name}' keluar dari status akhir '{s}'",
                              f"transition '{name}' leaves the final state '{s}'"), "from")
        if not isinstance(dest, str) or dest not in states:
            c.add(t, Text(f"transisi '{name}' menuju status tak dikenal '{dest}'",
                          f"transition '{name}' goes to unknown state '{dest}'"), "to")
        by = _as_list(t.get("by"))
        if not by:
            c.add(t, Text(f"transisi '{name}' tanpa 'by' (siapa yang boleh menjalankan)",
                          f"transition '{name}' has no 'by' (who may take it)"), "name")
        for role in by:
            if not isinstance(role, str) or (role != SYSTEM_ROLE and role not in roles):
                c.add(t, Text(f"peran tidak dikenal '{role}' di transisi '{name}'",
                              f"unknown role '{role}' in transition '{name}'"), "by")
        comment = t.get("comment", "optional")
        if comment not in ("required", "optional"):
            c.add(t, Text(f"comment di transisi '{name}' harus required atau optional",
                          f"comment in transition '{name}' must be required or optional"),
                  "comment")
        form = t.get("form")
        if form is not None and (not isinstance(form, str) or not SLUG.match(form)):
            c.add(t, Text(f"form di transisi '{name}' harus kunci formulir (slug)",
                          f"form in transition '{name}' must be a form key (slug)"), "form")
        _check_transition_texts(c, t, name)
        guards = _calls(c, t, "guards", GUARDS, "guard", deadlines, name)
        effects = _calls(c, t, "effects", EFFECTS, "effect", deadlines, name)
        if any(g.name == "form_complete" for g in guards) and not form:
            c.add(t, Text(f"guard form_complete di transisi '{name}' butuh 'form'",
                          f"guard form_complete in transition '{name}' needs a 'form'"),
                  "guards")
        rules.append(
            TransitionRule(
                name=name, sources=tuple(sources), dest=str(dest), by=tuple(by), form=form,
                guards=guards, effects=effects, comment=comment,
                label=str(t.get("label") or name.replace("_", " ").capitalize()),
                label_en=str(t.get("label_en") or t.get("label") or name.replace("_", " ")),
                requires=_check_requires(c, t, name, form),
                due=_check_due(c, t, name, deadlines),
                notify=_check_notify(c, t, name, roles),
            )
        )
    return rules


def _check_notify(c: _Checker, t: Mapping[str, Any], name: str,
                  roles: Mapping[str, RoleSpec]) -> tuple[str, ...]:
    """Return the roles a step notifies (``notify:``), refusing one the flow does not know."""
    notify = _as_list(t.get("notify"))
    for role in notify:
        if not isinstance(role, str) or role not in roles:
            c.add(t, Text(f"peran tidak dikenal '{role}' di notify transisi '{name}'",
                          f"unknown role '{role}' in notify of transition '{name}'"), "notify")
    return tuple(str(r) for r in notify if isinstance(r, str) and r in roles)


def _check_transition_texts(c: _Checker, t: Mapping[str, Any], name: str) -> None:
    """Refuse a transition's label that is not text and a ``remove`` that is not ``true``."""
    for key in ("label", "label_en"):
        if key in t and not isinstance(t[key], str):
            c.add(t, Text(f"{key} di transisi '{name}' harus teks, bukan {t[key]!r}",
                          f"{key} in transition '{name}' must be text, not {t[key]!r}"), key)
    if "remove" in t and t["remove"] is not True:
        c.add(t, Text(f"remove di transisi '{name}' hanya boleh true",
                      f"remove in transition '{name}' may only be true"), "remove")


def _check_duties(
    c: _Checker, m: Mapping[str, Any], roles: Mapping[str, RoleSpec],
    rules: list[TransitionRule],
) -> None:
    """Report separation-of-duties breaches (``workflow.duties``) at their transition's line."""
    raw = {t.get("name"): t for t in m["transitions"]
           if isinstance(t, Mapping) and isinstance(t.get("name"), str)}
    for problem in duty_problems(rules, roles):
        c.add(raw.get(problem.transition, m), problem.message, problem.key)


def _check_labels(
    c: _Checker, m: Mapping[str, Any], states: set[str]
) -> dict[str, tuple[str, str]]:
    labels = {s: DEFAULT_STATE_LABELS.get(s, (s, s)) for s in states}

    def unknown(state: Any) -> Text | None:
        return None if state in states else Text(f"label untuk status tak dikenal '{state}'",
                                                 f"label for unknown state '{state}'")

    labels.update(_read_labels(c, m, "labels", ("status", "state"), unknown))
    return labels


def _check_role_labels(c: _Checker, m: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Read ``role_labels``: role → its official name. Any valid role name may have one, so the
    national defaults can name roles that only some agencies add."""

    def invalid(role: Any) -> Text | None:
        if isinstance(role, str) and IDENT.match(role):
            return None
        return Text(f"nama peran '{role}' di role_labels tidak sah (huruf kecil/angka/garis "
                    "bawah)",
                    f"invalid role name '{role}' in role_labels (lowercase letters/digits/"
                    "underscores)")

    return _read_labels(c, m, "role_labels", ("peran", "role"), invalid)


def _read_labels(
    c: _Checker, m: Mapping[str, Any], key: str, noun: tuple[str, str],
    refuse: Callable[[Any], Text | None],
) -> dict[str, tuple[str, str]]:
    """Read a ``name: text | {id, en}`` mapping; ``refuse`` says why a name may not have one."""
    labels: dict[str, tuple[str, str]] = {}
    raw = m.get(key) or {}
    if not isinstance(raw, Mapping):
        c.add(m, Text(f"{key} harus mapping {noun[0]}: {{id, en}}",
                      f"{key} must be a mapping {noun[1]}: {{id, en}}"), key)
        return labels
    for name, text in raw.items():
        problem = refuse(name)
        if problem is not None:
            c.add(raw, problem, str(name))
        elif (isinstance(text, Mapping) and isinstance(text.get("id"), str)
              and isinstance(text.get("en", ""), str)):
            labels[name] = (text["id"], text.get("en", text["id"]))
        elif isinstance(text, str):
            labels[name] = (text, text)
        else:
            c.add(raw, Text(f"label {noun[0]} '{name}' harus teks atau {{id, en}}",
                            f"label of {noun[1]} '{name}' must be text or {{id, en}}"), name)
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
            c.add(m, Text(f"status '{s}' tidak dapat dicapai dari '{initial}'",
                          f"state '{s}' cannot be reached from '{initial}'"), "states")
    if not reachable & final:
        c.add(m, Text(f"tidak ada jalan dari '{initial}' ke status akhir",
                      f"no path from '{initial}' to a final state"), "final")
    for s in states:
        if s not in final and not edges[s]:
            c.add(m, Text(f"status '{s}' buntu: tidak ada transisi keluar dan bukan status akhir",
                          f"state '{s}' is a dead end: no way out and not a final state"),
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
            c.add(m, Text(f"dari status '{s}' tidak ada jalan ke status akhir",
                          f"no path from state '{s}' to a final state"), "states")


# --- appeals: who decides when the reporting line ends, what a step's data must say, when a
# --- step is due (issue 11 items 3-4) -----------------------------------------------------------

ROLE_KEYS = ("resolver", "fallback")


def _role_with_fallback(
    c: _Checker, raw: Mapping[str, Any], name: str, spec: Mapping[str, Any],
) -> RoleSpec | None:
    """Read ``name: {resolver: owner.superior.superior, fallback: group:ppk}``.

    The fallback plays the role when the reporting line ends before reaching it (the
    appraiser has no superior); only a person role can run out, and the fallback may not be
    the employee herself.
    """
    problems = len(c.problems)
    for key in spec:
        if key not in ROLE_KEYS:
            c.add(spec, Text(f"kunci tidak dikenal '{key}' di peran '{name}' (dikenal: "
                             "resolver, fallback)",
                             f"unknown key '{key}' in role '{name}' (known: resolver, "
                             "fallback)"), str(key))
    resolver, fallback = spec.get("resolver"), spec.get("fallback")
    for key, value in (("resolver", resolver), ("fallback", fallback)):
        if value is None and key == "fallback":
            continue
        if not isinstance(value, str) or not ROLE_RESOLVER.match(value):
            c.add(spec, Text(f"{key} peran '{name}' tidak dikenal: {value!r}; gunakan owner, "
                             "owner.superior[.superior…] atau group:<slug>",
                             f"unknown {key} {value!r} for role '{name}'; use owner, "
                             "owner.superior[.superior…] or group:<slug>"), key)
    if len(c.problems) > problems:
        return None
    role = RoleSpec(name, str(resolver), str(fallback) if fallback is not None else None)
    if role.fallback is not None and not role.hops:
        c.add(spec, Text(f"fallback peran '{name}' hanya untuk peran dari rantai atasan "
                         "(owner.superior…): peran lain tidak pernah kosong",
                         f"a fallback of role '{name}' is only for roles up the reporting "
                         "line (owner.superior…): other roles never run out"), "fallback")
        return None
    if role.fallback == "owner":
        c.add(spec, Text(f"fallback peran '{name}' tidak boleh pegawai yang dinilai (owner)",
                         f"the fallback of role '{name}' may not be the employee (owner)"),
              "fallback")
        return None
    return role


def _check_requires(
    c: _Checker, t: Mapping[str, Any], name: str, form: Any,
) -> tuple[Requirement, ...]:
    """Read ``requires: {field: f, in: [...]}`` (or ``not_in``), one mapping or a list of them.

    The step fires only when its form data agrees (e.g. approving needs the recommendation
    *setuju*); a step with requirements needs a ``form`` whose data they read.
    """
    raw = t.get("requires")
    if raw is None:
        return ()
    if not form:
        c.add(t, Text(f"requires di transisi '{name}' butuh 'form'",
                      f"requires in transition '{name}' needs a 'form'"), "requires")
        return ()
    out: list[Requirement] = []
    for entry in _as_list(raw):
        ok = isinstance(entry, Mapping) and isinstance(entry.get("field"), str) and (
            ("in" in entry) != ("not_in" in entry)) and set(entry) <= {"field", "in", "not_in"}
        values = entry.get("in", entry.get("not_in")) if ok else None
        values = _as_list(values)
        if not ok or not values or not all(isinstance(v, str | int) and not isinstance(v, bool)
                                           for v in values):
            c.add(t, Text(f"requires di transisi '{name}' harus {{field: nama, in: [nilai]}} "
                          "atau {field: nama, not_in: [nilai]}",
                          f"requires in transition '{name}' must be {{field: name, in: "
                          "[values]} or {field: name, not_in: [values]}"), "requires")
            continue
        out.append(Requirement(str(entry["field"]), tuple(str(v) for v in values),
                               negate="not_in" in entry))
    return tuple(out)


def _check_due(
    c: _Checker, t: Mapping[str, Any], name: str, deadlines: Mapping[str, Deadline],
) -> str | None:
    """Read ``due: <deadline>``: the step should be taken before that window closes."""
    due = t.get("due")
    if due is None:
        return None
    if not isinstance(due, str) or due not in deadlines:
        c.add(t, Text(f"due di transisi '{name}' harus nama tenggat yang terdefinisi, "
                      f"bukan {due!r}",
                      f"due in transition '{name}' must name a defined deadline, not {due!r}"),
              "due")
        return None
    return str(due)
