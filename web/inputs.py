"""What every request's input must be, checked once before any view runs (docs/security.md).

- **Text**: no NUL character and no lone UTF-16 surrogate anywhere — query string, form
  fields, URL parts, JSON keys and values. PostgreSQL cannot store either, so they would fail
  deep inside a query; here they get a 400 that names the parameter.
- **Numbers that become database values**: a URL id (``<int:…>``, the ``DatabaseId``
  converter) above the 32-bit ``INTEGER`` range is simply not found (404); a query or form
  parameter with an integer name (``INT_PARAMS``) must be a whole number in its range, else
  400. Views read them with ``int_arg``/``int_form``, which apply the same ranges.
- **JSON bodies**: at most ``MAX_JSON_BYTES`` (else 413), nested at most ``MAX_JSON_DEPTH``
  deep, no ``NaN``/``Infinity`` (PostgreSQL's ``jsonb`` refuses them); the parsed body is
  cached, so views reading ``request.get_json()`` get the checked value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any

from flask import Flask
from flask import Request
from flask import request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from workflow.errors import InvalidData

INT_MAX = 2**31 - 1  # PostgreSQL INTEGER (and every id column of this schema)
MAX_JSON_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32


class BadInput(InvalidData):
    """Request parameters no view may receive: 400 with ``errors`` per parameter, like every
    other invalid input (``web/errors.py``)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors, _("Parameter tidak valid."), "Invalid parameters.")

    @classmethod
    def one(cls, name: str, problem: str) -> BadInput:
        """One parameter and why."""
        return cls({name: [problem]})


# --- integers ----------------------------------------------------------------------------------

# Query/form parameters that name a row, a page or a count: (minimum, maximum).
PAGE_MAX = 1_000_000
_PAGE = (1, PAGE_MAX)
INT_PARAMS: dict[str, tuple[int, int]] = {
    "id": (1, INT_MAX), "rowid": (1, INT_MAX), "employee": (1, INT_MAX),
    "period_id": (1, INT_MAX), "period": (1, INT_MAX), "periode": (1, INT_MAX),
    "evaluasi": (1, INT_MAX), "version": (0, INT_MAX), "days": (1, INT_MAX),
    "page": _PAGE, "halaman": _PAGE, "per_page": (1, 100),
}
_PAGE_PREFIX = "hal_"  # the inbox's per-section pages: hal_appraiser, hal_team…


def int_range(name: str, *, query: bool = True) -> tuple[int, int] | None:
    """Return the allowed range of an integer parameter, or None if ``name`` is not one
    (``query``: a query-string parameter; the inbox's ``hal_…`` pages are only those)."""
    if query and name.startswith(_PAGE_PREFIX):
        return _PAGE
    return INT_PARAMS.get(name)


def parse_int(name: str, raw: str | None, default: int | None = None) -> int | None:
    """Return a parameter's value as an int in its range (``default`` when empty).

    :raises BadInput: not a whole number, or outside the parameter's range.
    """
    low, high = int_range(name) or (1, INT_MAX)
    text = (raw or "").strip()
    if not text:
        return default
    if not re.fullmatch(r"[0-9]{1,10}", text):
        raise BadInput.one(name, _("Harus bilangan bulat %(low)d–%(high)d.", low=low,
                                   high=high))
    value = int(text)
    if not low <= value <= high:
        raise BadInput.one(name, _("Harus bilangan bulat %(low)d–%(high)d.", low=low,
                                   high=high))
    return value


def int_arg(name: str, default: int | None = None) -> int | None:
    """Read an integer query parameter (checked like every request by ``check_request``)."""
    return parse_int(name, request.args.get(name), default)


def int_form(name: str, default: int | None = None) -> int | None:
    """Read an integer form field (checked like every request by ``check_request``)."""
    return parse_int(name, request.form.get(name), default)


class DatabaseId(IntegerConverter):
    """``<int:…>`` in every route: a non-negative integer that fits the id columns; a larger
    one matches no route (404) instead of overflowing PostgreSQL's INTEGER (500)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT_MAX)
        super().__init__(url_map, *args, **kwargs)


# --- text --------------------------------------------------------------------------------------


def text_problem(value: str) -> str | None:
    """Return why a string cannot be stored (NUL, lone surrogate), or None."""
    if "\x00" in value:
        return _("Memuat karakter NUL.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("Memuat karakter Unicode yang tidak sah (surrogate tunggal).")
    return None


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Yield ``(path, string)`` for every key and string value of parsed JSON (iteratively)."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, dict):
            for key, child in item.items():
                yield where, key
                stack.append((f"{where}.{key}", child))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", child) for i, child in enumerate(item))


def _depth(value: Any) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_JSON_DEPTH:
                children = item.values() if isinstance(item, dict) else item
                stack.extend((child, level + 1) for child in children)
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(_("%(name)s tidak diizinkan dalam JSON.", name=name))


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(_("Angka di luar jangkauan."))
    return number


class LimitedJSONProvider(DefaultJSONProvider):
    """The app's JSON: ``loads`` (request bodies) refuses what the database cannot keep and
    bodies nested too deep to be data; ``dumps`` is Flask's."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = json.loads(s, parse_constant=_no_constant, parse_float=_finite_float)
        except RecursionError:
            raise ValueError(_("JSON bersarang terlalu dalam.")) from None
        if _depth(value) > MAX_JSON_DEPTH:
            raise ValueError(_("JSON bersarang lebih dari %(n)d tingkat.", n=MAX_JSON_DEPTH))
        for where, text in _strings(value, "$"):
            problem = text_problem(text)
            if problem:
                raise ValueError(f"{where}: {problem}")
        return value


class InputRequest(Request):
    """The app's request class: a JSON body that breaks the rules is a clear 400."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:  # not JSON at all: Flask's own 415
            return super().on_json_loading_failed(e)
        raise BadInput({"_body": [_("Badan JSON tidak dapat dibaca: %(problem)s",
                                    problem=str(e))]})


# --- the check ---------------------------------------------------------------------------------


def _parameters() -> Iterable[tuple[str, str, bool]]:
    """Yield ``(name, value, in the query string)`` for every text parameter."""
    for name, value in request.args.items(multi=True):
        yield name, value, True
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            yield name, value, False
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            # A multipart part whose name Werkzeug cannot read comes back as None: "".
            yield name or "", value or "", False


def check_request() -> None:
    """Refuse the request (400/413) if any input breaks the rules of this module."""
    errors: dict[str, list[str]] = {}
    for name, value, query in _parameters():
        problem = text_problem(name) or text_problem(value)
        if problem:
            errors.setdefault(name if not text_problem(name) else "_name", []).append(problem)
        elif int_range(name, query=query) is not None:
            try:
                parse_int(name, value)
            except BadInput as exc:
                errors.setdefault(name, []).extend(exc.errors[name])
    if errors:
        raise BadInput(errors)
    if request.is_json and request.method not in ("GET", "HEAD", "OPTIONS"):
        request.max_content_length = MAX_JSON_BYTES  # 413 past it
        if request.get_data(cache=True):
            request.get_json()  # parsed and cached under the limits, or 400


def init_inputs(app: Flask) -> None:
    """Install the JSON provider, request class, id converter and the check."""
    app.json = LimitedJSONProvider(app)
    app.request_class = InputRequest
    app.url_map.converters["int"] = DatabaseId
    app.before_request(check_request)
