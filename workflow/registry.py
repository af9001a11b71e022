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
from .texts import in_language
from .validation import check_definition


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
    """Parse YAML safely, keeping line numbers.

    :raises DefinitionError: on a YAML syntax error, naming the line.
    """
    try:
        return yaml.load(text, Loader=_loader_for(file))  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        message = Text(f"YAML tidak valid: {problem}",
                       f"invalid YAML: {in_language(problem, 'en')}")
        raise DefinitionError([Problem(file, line, message)]) from exc


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
            by_name = {t.get("name"): t for t in parent[key] if isinstance(t, Mapping)}
            order = list(by_name)
            for t in value:
                name = t.get("name") if isinstance(t, Mapping) else None
                if isinstance(t, Mapping) and t.get("remove") is True:
                    by_name.pop(name, None)
                    continue
                if name not in by_name:
                    order.append(name)
                by_name[name] = t
            result = LineList(by_name[n] for n in order if n in by_name)
            result.file, result.line = getattr(value, "file", ""), getattr(value, "line", None)
            # Transitions of the child that are not mappings still need validating.
            result.extend(t for t in value if not isinstance(t, Mapping))
            merged[key] = result
        else:
            merged[key] = value
    return merged


def read_definition_files(paths: list[Path]) -> dict[str, Any]:
    """Read each file into a raw mapping keyed by the file's stem (the agency slug)."""
    raw: dict[str, Any] = {}
    problems: list[Problem] = []
    for path in paths:
        try:
            raw[path.stem] = parse_yaml(path.read_text(encoding="utf-8"), str(path))
        except DefinitionError as exc:
            problems.extend(exc.problems)
        except OSError as exc:
            problems.append(Problem(str(path), None, Text(f"tidak dapat dibaca: {exc}",
                                                          f"cannot be read: {exc}")))
    if problems:
        raise DefinitionError(problems)
    return raw


def resolve_definitions(raw: Mapping[str, Any]) -> dict[str, WorkflowDefinition]:
    """Resolve ``extends`` for every raw mapping and validate each result.

    :raises DefinitionError: listing every problem in every file; nothing is returned then.
    """
    problems: list[Problem] = []
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
        if parent_slug in chain or parent_slug == slug:
            cycle = " → ".join((*chain, slug, parent_slug))
            problems.append(Problem(file, _key_line(node, "extends"),
                                    Text(f"extends membentuk siklus: {cycle}",
                                         f"extends forms a cycle: {cycle}")))
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
        raise DefinitionError(problems)
    return definitions


def definition_files(directory: Path) -> list[Path]:
    """Return the flow definition files of a directory (``*.yaml``, sub-folders excluded)."""
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def load_definitions(directory: str | Path) -> dict[str, WorkflowDefinition]:
    """Load and validate every ``*.yaml`` flow definition in ``directory``.

    :raises DefinitionError: if any file is invalid; nothing is loaded then.
    """
    return resolve_definitions(read_definition_files(definition_files(Path(directory))))


def validate_paths(paths: list[Path], directory: Path) -> dict[str, WorkflowDefinition]:
    """Validate the given files together with the rest of ``directory`` (for ``extends``)."""
    files = {p.stem: p for p in definition_files(directory)}
    files.update({p.stem: p for p in paths})
    return resolve_definitions(read_definition_files(list(files.values())))
