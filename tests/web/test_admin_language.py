"""The admin area is Indonesian: Flask-Admin's own strings are translated (its "admin"
domain, admin/translations), and no English Flask-Admin string shows on an Indonesian admin
page — text, buttons, titles, placeholders (issue 16 item 7)."""

from __future__ import annotations

import functools
from html.parser import HTMLParser
from pathlib import Path

import flask_admin
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.web.conftest import login

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "admin" / "translations" / "id" / "LC_MESSAGES" / "admin.po"


@functools.cache
def flask_admin_strings() -> frozenset[str]:
    """Every string the installed Flask-Admin translates (its Python code and bootstrap4
    templates), read from its sources, so an upgrade's new strings are found too."""
    package = Path(flask_admin.__file__).parent
    found = extract_from_dir(
        str(package),
        method_map=[("**/tests/**", "ignore"), ("**/templates/bootstrap4/**.html",
                                                "jinja2.ext:babel_extract"),
                    ("**.py", "python")],
        keywords={"_gettext": None, "gettext": None, "lazy_gettext": None, "_": None,
                  "ngettext": (1, 2), "_ngettext": (1, 2)},
        options_map={"**/templates/bootstrap4/**.html": {"extensions": "jinja2.ext.do"}})
    strings: set[str] = set()
    for _file, _line, message, _comments, _context in found:
        for text in (message if isinstance(message, tuple) else (message,)):
            if text:
                strings.add(text)
    return frozenset(strings)


def test_every_flask_admin_string_has_an_indonesian_translation() -> None:
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="id")
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and (
        m.string if isinstance(m.string, str) else all(m.string))}
    missing = sorted(s for s in flask_admin_strings() if s not in translated and not any(
        isinstance(m.id, tuple) and s in m.id for m in catalog))
    assert len(flask_admin_strings()) > 80
    assert missing == []


class _Visible(HTMLParser):
    """Text a reader meets on a page: text nodes and the attributes shown or read out."""

    SHOWN = ("title", "placeholder", "aria-label", "alt", "data-original-title")

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if value and (name in self.SHOWN or (tag == "input" and name == "value" and (
                    ("type", "submit") in attrs or ("type", "button") in attrs))):
                self.texts.append(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def english_on(page: str) -> list[str]:
    """Return the Flask-Admin English strings a page shows."""
    parser = _Visible()
    parser.feed(page)
    # Flask-Admin's own words outside its catalog: a column named by its attribute, a boolean.
    english = {s.replace("%%", "%") for s in flask_admin_strings() if "%(" not in s} | {
        "True", "False", "true", "false", "Session Epoch", "Password Hash"}
    found = [t for t in parser.texts if t in english]
    # Longer strings inside a text node (e.g. a flashed "Record was successfully saved.").
    found += [s for s in english if len(s.split()) >= 3 and any(s in t for t in parser.texts)]
    return sorted(set(found))


def admin_pages(app: Flask) -> list[str]:
    """Every admin page an agency admin can open without an id, plus the model views' forms."""
    urls: set[str] = set()
    with app.test_request_context():
        for view in app.extensions["admin"][0]._views:
            endpoint = view.endpoint
            if endpoint in ("agency_setup",):
                continue
            index = "index_view" if hasattr(view, "index_view") else "index"
            rules = [r for r in app.url_map.iter_rules() if r.endpoint == f"{endpoint}.{index}"]
            if rules:
                urls.add(rules[0].rule)
            if getattr(view, "can_create", False) and hasattr(view, "create_view"):
                urls.add(next(r.rule for r in app.url_map.iter_rules()
                              if r.endpoint == f"{endpoint}.create_view"))
    return sorted(urls)


def test_no_english_flask_admin_string_on_an_indonesian_admin_page(
        app: Flask, client: FlaskClient, session: Session, two: tuple[World, World]) -> None:
    a, _ = two
    login(client, a.people["kepala"])
    pages = admin_pages(app)
    assert "/admin/employee/" in pages and "/admin/employee/new/" in pages
    # Details and edit pages of a row, a filtered list and a search.
    employee = a.people["pegawai"].id
    pages += [f"/admin/employee/details/?id={employee}", f"/admin/employee/edit/?id={employee}",
              "/admin/employee/?search=Pegawai", "/admin/employee/?flt0_0=Bidang+A",
              "/admin/evaluation/?search=Pegawai", "/admin/history/"]
    problems = {}
    for url in pages:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        english = english_on(response.get_data(as_text=True))
        if english:
            problems[url] = english
    assert problems == {}


def test_the_english_check_finds_flask_admins_english(app: Flask, client: FlaskClient,
                                                       two: tuple[World, World]) -> None:
    """The check can fail: the same page in English shows Flask-Admin's English strings."""
    a, _ = two
    login(client, a.people["kepala"])
    client.get("/bahasa/en")
    from flask_babel import refresh
    refresh()
    try:
        english = english_on(client.get("/admin/employee/").get_data(as_text=True))
    finally:
        client.get("/bahasa/id")
        refresh()
    assert {"List", "Create", "Search"} <= set(english) or "Add Filter" in english, english
