"""Load the form specs of a directory (``<key>.yaml`` files) all at once, or not at all."""

from __future__ import annotations

import os
from pathlib import Path

from workflow.texts import Text
from workflow.yamltext import YamlRefused
from workflow.yamltext import load_yaml

from .parsing import parse_form_spec
from .slots import slot_problems
from .spec import FormSpec
from .spec import FormSpecError


def read_form_file(path: Path) -> object:
    """Read one spec file with the safe loader definitions use (no aliases, bounded size/depth).

    :raises FormSpecError: naming the file and the line when it cannot be read.
    """
    try:
        return load_yaml(path.read_text(encoding="utf-8"), path.name)
    except YamlRefused as exc:
        raise FormSpecError([Text(str(exc.problem), exc.problem.in_language("en"))]) from exc
    except UnicodeDecodeError as exc:
        raise FormSpecError([Text(
            f"{path.name}: bukan teks UTF-8 (byte {exc.start}): simpan berkas sebagai UTF-8",
            f"{path.name}: not UTF-8 text (byte {exc.start}): save the file as UTF-8")]) from exc
    except OSError as exc:
        raise FormSpecError([Text(f"{path.name}: tidak dapat dibaca: {exc}",
                                  f"{path.name}: cannot be read: {exc}")]) from exc


def load_form_specs(directory: str | os.PathLike[str]) -> dict[str, FormSpec]:
    """Parse every ``*.yaml`` file in ``directory`` into a spec keyed by its ``key``.

    Each file's ``key`` must equal its file name without ``.yaml``, and a form whose fields fill
    printed slots of the official documents must still provide them (``forms.slots``). Any
    problem in any file raises one ``FormSpecError`` whose ``problems`` name the file; nothing
    is returned then.
    """
    root = Path(directory)
    if not root.is_dir():
        raise FormSpecError([f"{root}: direktori tidak ditemukan."])
    paths = sorted(root.glob("*.yaml"))
    try:
        stamp = tuple((str(p), (st := p.stat()).st_mtime_ns, st.st_size) for p in paths)
    except OSError:  # gone since the listing: read_form_file reports it
        return _parse_form_files(root, paths)
    if stamp not in _LOADED:
        _LOADED[stamp] = _parse_form_files(root, paths)
    return dict(_LOADED[stamp])


#: Form specs already parsed in this process, by the files' paths, sizes and modification
#: times: every app created in one process (the test suite creates hundreds) parses them once.
_LOADED: dict[tuple[tuple[str, int, int], ...], dict[str, FormSpec]] = {}


def _parse_form_files(root: Path, paths: list[Path]) -> dict[str, FormSpec]:
    specs: dict[str, FormSpec] = {}
    problems: list[str | Text] = []
    for path in paths:
        try:
            mapping = read_form_file(path)
        except FormSpecError as exc:
            problems.extend(exc.problems)
            continue
        try:
            spec = parse_form_spec(mapping)
        except FormSpecError as exc:
            problems.extend(f"{path.name}: {problem}" for problem in exc.problems)
            continue
        if spec.key != path.stem:
            problems.append(
                f"{path.name}: key {spec.key!r} harus sama dengan nama file {path.stem!r}."
            )
            continue
        unprintable = slot_problems(spec)
        if unprintable:
            problems.extend(Text(f"{path.name}: {p}", f"{path.name}: {p.en}") for p in unprintable)
            continue
        specs[spec.key] = spec
    if problems:
        raise FormSpecError(problems, source=str(root))
    return specs


def load_form_sources(directory: str | os.PathLike[str]) -> dict[str, dict[str, object]]:
    """Return the raw mappings of a directory's specs (for storing), after validating them all.

    :raises FormSpecError: as ``load_form_specs``; nothing is returned then.
    """
    load_form_specs(directory)
    sources: dict[str, dict[str, object]] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        mapping = read_form_file(path)
        assert isinstance(mapping, dict)  # load_form_specs parsed it as a spec
        sources[path.stem] = mapping
    return sources


def agency_form_dirs(directory: str | os.PathLike[str]) -> dict[str, Path]:
    """Return the agencies' own form folders (``<forms dir>/<agency-slug>/``)."""
    return {p.name: p for p in sorted(Path(directory).iterdir()) if p.is_dir()}
