"""The one way YAML typed by people (definition files, form specs, the browser editors) is read.

PyYAML's safe loader builds only plain data, but it still expands aliases (a 2.9 KB "billion
laughs" post becomes gigabytes), recurses once per nesting level (deep nesting ends in a
``RecursionError``) and turns some scalars into exceptions that are not ``YAMLError`` (an
impossible date, an integer of thousands of digits). ``load_yaml`` first walks the event
stream (iterative, no objects built) and refuses, before anything is constructed:

- a text longer than ``MAX_CHARS`` characters,
- any alias (``*name``): specs and definitions never need one, and refusing them caps the
  expansion at the size of the text,
- nesting deeper than ``MAX_DEPTH`` mappings and lists,

then loads with the caller's safe loader class. Every refusal and every syntax or value error
is a ``YamlRefused`` naming the file and, where known, the line.
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import Problem
from .errors import WorkflowError
from .texts import Text
from .texts import in_language

#: libyaml's parser when PyYAML was built with it (about 6x faster), with the same safe
#: constructors as ``yaml.safe_load``; the pure-Python SafeLoader otherwise.
FAST_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: The largest text accepted (the shipped files are under 5 KB).
MAX_CHARS = 256 * 1024
#: The deepest nesting of mappings and lists accepted (the shipped files use 5 levels).
MAX_DEPTH = 20


class YamlRefused(WorkflowError):
    """A YAML text that is not read: too big, too deep, an alias, or invalid."""

    status = 400

    def __init__(self, file: str, line: int | None, message: Text) -> None:
        self.problem = Problem(file, line, message)
        super().__init__(str(self.problem), self.problem.in_language("en"))


def _line(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


def check_yaml(text: str, file: str) -> None:
    """Refuse a text too long, nested too deep, with an alias, or not YAML at all.

    :raises YamlRefused: naming the first problem and its line.
    """
    if len(text) > MAX_CHARS:
        raise YamlRefused(file, None, Text(
            f"teks YAML terlalu panjang ({len(text)} karakter; maksimum {MAX_CHARS})",
            f"the YAML text is too long ({len(text)} characters; at most {MAX_CHARS})"))
    depth = 0
    try:
        for event in yaml.parse(text, Loader=FAST_SAFE_LOADER):
            if isinstance(event, yaml.AliasEvent):
                raise YamlRefused(file, _line(event.start_mark), Text(
                    f"alias YAML (*{event.anchor}) tidak diizinkan; tulis nilainya lengkap",
                    f"YAML aliases (*{event.anchor}) are not allowed; write the value out"))
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlRefused(file, _line(event.start_mark), Text(
                        f"YAML bersarang terlalu dalam (maksimum {MAX_DEPTH} tingkat)",
                        f"the YAML is nested too deeply (at most {MAX_DEPTH} levels)"))
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        raise _invalid(exc, file) from exc


def _invalid(exc: yaml.YAMLError, file: str) -> YamlRefused:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return YamlRefused(file, _line(mark), Text(f"YAML tidak valid: {problem}",
                                               f"invalid YAML: {in_language(problem, 'en')}"))


def load_yaml(text: str, file: str, loader: type[yaml.SafeLoader] = FAST_SAFE_LOADER) -> Any:
    """Check ``text`` (``check_yaml``), then load it with ``loader`` (a ``SafeLoader``).

    :raises YamlRefused: on anything ``check_yaml`` refuses, a syntax error, or a value the
        loader cannot build (an impossible date, an integer too long to convert).
    """
    check_yaml(text, file)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - callers pass SafeLoader subclasses
    except yaml.YAMLError as exc:
        raise _invalid(exc, file) from exc
    except (ValueError, RecursionError) as exc:
        raise YamlRefused(file, None, Text(f"YAML tidak valid: nilai tidak terbaca ({exc})",
                                           f"invalid YAML: unreadable value ({exc})")) from exc
