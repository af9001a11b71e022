"""Read agency flow definitions from YAML files, resolve ``extends``, validate them all.

The only module that reads definition files. Nothing is returned unless every file is valid:
one bad file makes ``load_definitions`` raise ``DefinitionError`` listing each problem with
its file and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .definition import WorkflowDefinition
from .errors import DefinitionError
from .errors import Problem
from .texts import Text
from .validation import check_definition
from .yamltext import YamlRefused
from .yamltext import load_yaml


class LineMap(dict[str | int | float, Any]):
    """A mapping that remembers the file and the line of itself and of each key."""

    file: str = ""
    line: int | None = None
    key_lines: dict[str, int]

    def key_line(self, key: str) -> int | None:
        """Return the line of ``key`` in its file."""
        return self.key_lines.get(key, self.line)


def _key_line(node: object, key: str) -> int | None:
    """Return the line of ``key`` when ``node`` was read from a file (a plain dict has none)."""
    return node.key_line(key) if isinstance(node, LineMap) else None


class LineList(list[Any]):
    """A list that remembers its file and line."""

    file: str = ""
    line: int | None = None


def _loader_for(file: str) -> type[yaml.SafeLoader]:
    class Loader(yaml.SafeLoader):
        """SafeLoader that keeps line numbers (yaml marks are 0-based)."""

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineMap:
        loader.flatten_mapping(node)
        result = LineMap()
        result.file, result.line, result.key_lines = file, node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                raise yaml.constructor.ConstructorError(
                    None, None, Text("kunci harus teks", "keys must be text"), key_node.start_mark
                )
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, Text(f"kunci ganda '{key}'", f"duplicate key '{key}'"),
                    key_node.start_mark
                )
            result[key] = loader.construct_object(value_node, deep=True)
            result.key_lines[str(key)] = key_node.start_mark.line + 1
        return result

    def construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LineList:
        result = LineList(loader.construct_object(child, deep=True) for child in node.value)
        result.file, result.line = file, node.start_mark.line + 1
        return result

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_sequence)
    return Loader


def parse_yaml(text: str, file: str) -> Any:
    """Parse YAML safely (``workflow.yamltext``: no aliases, bounded size and depth), keeping
    line numbers.

    :raises DefinitionError: on anything the safe loader refuses, naming the line.
    """
    try:
        return load_yaml(text, file, _loader_for(file))
    except YamlRefused as exc:
        raise DefinitionError([exc.problem]) from exc


def _merge(parent: Mapping[str, Any], child: Mapping[str, Any]) -> LineMap:
    """Overlay ``child`` on ``parent``: mappings merge, transitions merge by name, rest replaces."""
    merged = LineMap(parent)
    merged.file = getattr(child, "file", "")
    merged.line = getattr(child, "line", None)
    merged.key_lines = dict(getattr(child, "key_lines", {}))
    for key, value in child.items():
        if key == "extends":
            continue
        if key in ("roles", "deadlines", "labels", "role_labels", "rating") and isinstance(
            parent.get(key), Mapping
        ) and isinstance(value, Mapping):
            both = LineMap({**parent[key], **value})
            both.file, both.line = getattr(value, "file", ""), getattr(value, "line", None)
            both.key_lines = {**getattr(parent[key], "key_lines", {}),
                              **getattr(value, "key_lines", {})}
            merged[key] = both
        elif key == "transitions" and isinstance(parent.get(key), list) and isinstance(
            value, list
        ):
            by_name = {t.get("name"): t for t in parent[key] if _named(t)}
            order = list(by_name)
            for t in value:
                if not _named(t):
                    continue
                name = t.get("name")
                if t.get("remove") is True:
                    by_name.pop(name, None)
                    continue
                if name not in by_name:
                    order.append(name)
                by_name[name] = t
            result = LineList(by_name[n] for n in order if n in by_name)
            result.file, result.line = getattr(value, "file", ""), getattr(value, "line", None)
            # Transitions of the child without a usable name still need validating (the
            # validator names what is wrong with them).
            result.extend(t for t in value if not _named(t))
            merged[key] = result
        else:
            merged[key] = value
    return merged


def overlay(parent: Mapping[str, Any], child: Mapping[Any, Any]) -> LineMap:
    """Return ``child`` (a definition with ``extends``) merged on its resolved ``parent``, as
    a file in ``definitions/`` is (the browser's flow editor publishes overlays this way)."""
    return _merge(parent, child)


def _named(transition: Any) -> bool:
    """Whether a raw transition can be matched by name when merging (a mapping, text name)."""
    return isinstance(transition, Mapping) and isinstance(transition.get("name"), str)


def _duplicate_names(node: Mapping[str, Any]) -> list[Problem]:
    """Name each transition an ``extends`` file lists twice (merging would keep only the last).

    A file without ``extends`` is checked by the validator itself; a child's list is merged
    by name first, so its duplicates must be caught before.
    """
    transitions = node.get("transitions")
    if not isinstance(transitions, list):
        return []
    problems: list[Problem] = []
    seen: set[str] = set()
    for t in transitions:
        if not _named(t):
            continue
        name = t["name"]
        if name in seen:
            problems.append(Problem(getattr(t, "file", "") or getattr(node, "file", ""),
                                    _key_line(t, "name"),
                                    Text(f"nama transisi '{name}' ganda",
                                         f"duplicate transition name '{name}'")))
        seen.add(name)
    return problems


def read_definition_files(paths: list[Path]) -> tuple[dict[str, Any], list[Problem]]:
    """Read each file into a raw mapping keyed by the file's stem (the agency slug).

    Also returns the problems of the files that could not be read: not readable, not UTF-8,
    not YAML, or not a mapping (an empty file included); those files are left out.
    """
    raw: dict[str, Any] = {}
    problems: list[Problem] = []
    for path in paths:
        try:
            node = parse_yaml(path.read_text(encoding="utf-8"), str(path))
        except DefinitionError as exc:
            problems.extend(exc.problems)
            continue
        except UnicodeDecodeError as exc:
            problems.append(Problem(str(path), None, Text(
                f"bukan teks UTF-8 (byte {exc.start}): simpan berkas sebagai UTF-8",
                f"not UTF-8 text (byte {exc.start}): save the file as UTF-8")))
            continue
        except OSError as exc:
            problems.append(Problem(str(path), None, Text(f"tidak dapat dibaca: {exc}",
                                                          f"cannot be read: {exc}")))
            continue
        if node is None:
            problems.append(Problem(str(path), None, Text(
                "berkas kosong: definisi alur harus mapping YAML (kunci: nilai)",
                "the file is empty: a flow definition must be a YAML mapping (key: value)")))
        elif not isinstance(node, Mapping):
            problems.append(Problem(str(path), getattr(node, "line", 1), Text(
                "isi berkas harus berupa mapping YAML (kunci: nilai)",
                "the file must be a YAML mapping (key: value)")))
        else:
            raw[path.stem] = node
    return raw, problems


def resolve_definitions(
    raw: Mapping[str, Any], unread: list[Problem] | None = None
) -> dict[str, WorkflowDefinition]:
    """Resolve ``extends`` for every raw mapping and validate each result.

    ``unread`` are the problems of files that could not be read (``read_definition_files``):
    they are reported with the rest, and a file extending one of them is not checked further.

    :raises DefinitionError: listing every problem in every file; nothing is returned then.
    """
    problems: list[Problem] = list(unread or [])
    unreadable = {Path(p.file).stem for p in problems}
    resolved: dict[str, Any] = {}

    def resolve(slug: str, chain: tuple[str, ...]) -> Any:
        if slug in resolved:
            return resolved[slug]
        node = raw[slug]
        file = getattr(node, "file", slug)
        if not isinstance(node, Mapping):
            resolved[slug] = node
            return node
        parent_slug = node.get("extends")
        if parent_slug is None:
            resolved[slug] = node
            return node
        if not isinstance(parent_slug, str):
            problems.append(Problem(file, _key_line(node, "extends"),
                                    Text("extends harus nama satu definisi (teks)",
                                         "extends must name one definition (text)")))
            resolved[slug] = None
            return None
        duplicates = _duplicate_names(node)
        if duplicates:
            problems.extend(duplicates)
            resolved[slug] = None
            return None
        if parent_slug in chain or parent_slug == slug:
            cycle = " → ".join((*chain, slug, parent_slug))
            problems.append(Problem(file, _key_line(node, "extends"),
                                    Text(f"extends membentuk siklus: {cycle}",
                                         f"extends forms a cycle: {cycle}")))
            resolved[slug] = None
            return None
        if parent_slug in unreadable:
            resolved[slug] = None
            return None
        if parent_slug not in raw:
            problems.append(Problem(file, _key_line(node, "extends"),
                                    Text(f"extends menunjuk definisi yang tidak ada "
                                         f"'{parent_slug}'",
                                         f"extends names a definition that does not exist "
                                         f"'{parent_slug}'")))
            resolved[slug] = None
            return None
        parent = resolve(parent_slug, (*chain, slug))
        if not isinstance(parent, Mapping):
            resolved[slug] = None
            return None
        resolved[slug] = _merge(parent, node)
        return resolved[slug]

    definitions: dict[str, WorkflowDefinition] = {}
    for slug in raw:
        mapping = resolve(slug, ())
        if mapping is None:
            continue
        file = getattr(raw[slug], "file", slug)
        definition, found = check_definition(mapping, file)
        if definition is not None and definition.agency != slug:
            found.append(Problem(file, _key_line(raw[slug], "agency"),
                                 Text(f"agency '{definition.agency}' harus sama dengan nama "
                                      f"berkas '{slug}'",
                                      f"agency '{definition.agency}' must equal the file name "
                                      f"'{slug}'")))
        problems.extend(found)
        if definition is not None and not found:
            definitions[slug] = definition
    if problems:
        # A problem of a parent file is found again through each file extending it.
        raise DefinitionError(list(dict.fromkeys(problems)))
    return definitions


def definition_files(directory: Path) -> list[Path]:
    """Return the flow definition files of a directory (``*.yaml``, sub-folders excluded)."""
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


#: Definitions already loaded in this process, by the files' paths, sizes and modification
#: times: every app created in one process (the test suite creates hundreds) parses them once.
_LOADED: dict[tuple[tuple[str, int, int], ...], dict[str, WorkflowDefinition]] = {}


def load_definitions(directory: str | Path) -> dict[str, WorkflowDefinition]:
    """Load and validate every ``*.yaml`` flow definition in ``directory``.

    A directory whose files are unchanged since they were last loaded in this process is not
    parsed again (definitions are immutable values).

    :raises DefinitionError: if any file is invalid; nothing is loaded then.
    """
    files = definition_files(Path(directory))
    try:
        stamp = tuple((str(p), (st := p.stat()).st_mtime_ns, st.st_size) for p in files)
    except OSError:  # gone since the listing: read_definition_files reports it
        return resolve_definitions(*read_definition_files(files))
    if stamp not in _LOADED:
        _LOADED[stamp] = resolve_definitions(*read_definition_files(files))
    return dict(_LOADED[stamp])


def validate_paths(paths: list[Path], directory: Path) -> dict[str, WorkflowDefinition]:
    """Validate the given files together with the rest of ``directory`` (for ``extends``)."""
    files = {p.stem: p for p in definition_files(directory)}
    files.update({p.stem: p for p in paths})
    return resolve_definitions(*read_definition_files(list(files.values())))
