"""Render evaluation snapshots to official-looking PDFs through a locked-down Jinja + WeasyPrint.

Must not import Flask or SQLAlchemy: it sees snapshots only (and writes dates and times with
``workflow.localtime``, the pure formatting every surface shares). User text
is escaped by the Jinja environment, and WeasyPrint may read nothing but files under
``reports/static`` (and ``data:`` URIs).
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import threading
import urllib.parse
from pathlib import Path
from typing import Any

import jinja2
from weasyprint import CSS
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher
from weasyprint.urls import URLFetcherResponse

from reports.layout import JPT
from reports.layout import plan_columns
from reports.layout import position_heading
from reports.snapshot import DocumentSnapshot
from reports.snapshot import Person
from reports.snapshot import SkpSnapshot
from reports.verification import qr_svg
from workflow.localtime import format_date
from workflow.localtime import format_moment

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
BASE_URL = STATIC_DIR.as_uri() + "/"

TEMPLATE_FOR_KIND = {
    "evaluation": "evaluation.html",
    "skp": "skp.html",
    "appeal-decision": "appeal_decision.html",
    "audit-trail": "audit_trail.html",
}

# One per process: WeasyPrint caches fonts on it, and every CSS and HTML must share it.
FONT_CONFIG = FontConfiguration()


class ForbiddenResourceError(ValueError):
    """WeasyPrint asked for a resource outside ``reports/static``."""


class StaticOnlyFetcher(URLFetcher):
    """Serve ``data:`` URIs and files under ``reports/static``; refuse everything else.

    Built with ``fail_on_errors=True``, so a refused URL aborts the rendering instead of
    being logged and skipped: a template must never reference anything remote.
    """

    def __init__(self) -> None:
        """Create a fetcher whose refusals are fatal to the rendering."""
        super().__init__(allowed_protocols=("data", "file"), fail_on_errors=True)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Return the resource at *url* or raise :class:`ForbiddenResourceError`."""
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            raise ForbiddenResourceError(f"refused non-local URL {url!r}")
        parsed = urllib.parse.urlsplit(url)
        if parsed.netloc not in ("", "localhost"):
            raise ForbiddenResourceError(f"refused remote file URL {url!r}")
        path = Path(urllib.parse.unquote(parsed.path)).resolve()
        if not path.is_relative_to(STATIC_DIR) or not path.is_file():
            raise ForbiddenResourceError(f"refused file outside reports/static: {url!r}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def tanggal(value: dt.date | None, upper: bool = False, zone: str | None = None) -> str:
    """Write a date the Indonesian way, e.g. ``23 November 2026``.

    A moment (datetime) is written as its date in ``zone`` (templates pass ``s.timezone``,
    the agency's); a moment without a zone is refused rather than printed in the wrong one.
    """
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        text = format_moment(value, _required(zone), "id", "full_date")
    else:
        text = format_date(value, "id", "full_date")
    return text.upper() if upper else text


def tanggal_waktu(value: dt.datetime | None, zone: str | None = None) -> str:
    """Write a moment as ``23 November 2026 14.05 WITA``, in ``zone`` (the agency's)."""
    if value is None:
        return "-"
    return format_moment(value, _required(zone), "id", "full_datetime")


def _required(zone: str | None) -> str:
    if not zone:
        raise ValueError("a moment printed without its zone: pass the snapshot's timezone")
    return zone


def _build_environment() -> jinja2.Environment:
    """Create the package's own autoescaping Jinja environment."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tanggal"] = tanggal
    env.filters["tanggal_waktu"] = tanggal_waktu
    return env


_ENV = _build_environment()
_FETCHER = StaticOnlyFetcher()
_STYLESHEET: CSS | None = None
_STYLESHEET_LOCK = threading.Lock()


def stylesheet() -> CSS:
    """Return ``static/print.css`` parsed once per process."""
    global _STYLESHEET
    if _STYLESHEET is None:
        with _STYLESHEET_LOCK:
            if _STYLESHEET is None:
                _STYLESHEET = CSS(
                    filename=str(STATIC_DIR / "print.css"),
                    base_url=BASE_URL,
                    url_fetcher=_FETCHER,
                    font_config=FONT_CONFIG,
                )
    return _STYLESHEET


def render_html(
    kind: str, snapshot: DocumentSnapshot, *, verification_code: str, verify_url: str
) -> str:
    """Return the HTML of one document; the same string :func:`render_pdf` lays out.

    :raises ValueError: for an unknown kind, or an appeal decision without an appeal.
    :raises TypeError: when *snapshot* is not an :class:`DocumentSnapshot`.
    """
    if kind not in TEMPLATE_FOR_KIND:
        raise ValueError(f"unknown document kind {kind!r}")
    if not isinstance(snapshot, DocumentSnapshot):
        raise TypeError(f"expected DocumentSnapshot, got {type(snapshot).__name__}")
    if kind == "appeal-decision" and snapshot.appeal is None:
        raise ValueError("an appeal decision needs a snapshot with an appeal")
    template = _ENV.get_template(TEMPLATE_FOR_KIND[kind])
    # The SKP prints the plan; the evaluation the employee's report of the same results.
    rows = snapshot.plan_results if kind == "skp" else snapshot.work_results
    return template.render(
        s=snapshot,
        kind=kind,
        code=verification_code,
        verify_url=verify_url,
        qr_uri=qr_svg(verify_url),
        utama=[w for w in rows if w.jenis == "utama"],
        tambahan=[w for w in rows if w.jenis == "tambahan"],
        columns=plan_columns(snapshot.jenis_jabatan, snapshot.pendekatan),
        position=position_heading(snapshot.jenis_jabatan),
        instansi=snapshot.agency_name if snapshot.jenis_jabatan == JPT else None,
    )


_NOBODY = Person(name="-", nip="-", pangkat_golongan="-", jabatan="-", unit_kerja="-")


def render_skp_html(snapshot: SkpSnapshot, *, verification_code: str, verify_url: str) -> str:
    """Return the HTML of the set SKP (``skp_set.html``), the string :func:`render_skp_pdf`
    lays out. Columns follow the variant: the parent RHK whenever a result cascades, the
    aspect on the quantitative JA/JF form, the perspective on the quantitative JPT form."""
    if not isinstance(snapshot, SkpSnapshot):
        raise TypeError(f"expected SkpSnapshot, got {type(snapshot).__name__}")
    jpt = snapshot.jenis_jabatan == JPT
    quantitative = snapshot.pendekatan == "KUANTITATIF"
    with_parent = not jpt or any(r.rhk_atasan for r in snapshot.results)
    with_aspek = quantitative and not jpt
    with_perspektif = quantitative and jpt
    width = 4 + with_parent + with_aspek + with_perspektif
    return _ENV.get_template("skp_set.html").render(
        s=snapshot, code=verification_code, verify_url=verify_url,
        qr_uri=qr_svg(verify_url) if verification_code else "",
        utama=[r for r in snapshot.results if r.jenis == "utama"],
        tambahan=[r for r in snapshot.results if r.jenis == "tambahan"],
        with_parent=with_parent, with_aspek=with_aspek, with_perspektif=with_perspektif,
        width=width, position=position_heading(snapshot.jenis_jabatan), empty=_NOBODY,
        instansi=snapshot.agency_name if jpt else None,
    )


def render_skp_pdf(snapshot: SkpSnapshot, *, verification_code: str, verify_url: str) -> bytes:
    """Return the PDF bytes of the set SKP."""
    return write_pdf_from_html(render_skp_html(snapshot, verification_code=verification_code,
                                               verify_url=verify_url))


def write_pdf_from_html(html: str) -> bytes:
    """Lay out *html* with the shared stylesheet, fonts and restricted fetcher."""
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=_FETCHER)
    return document.write_pdf(stylesheets=[stylesheet()], font_config=FONT_CONFIG)


def render_pdf(
    kind: str, snapshot: DocumentSnapshot, *, verification_code: str, verify_url: str
) -> bytes:
    """Return the PDF bytes of one document kind for *snapshot*."""
    html = render_html(kind, snapshot, verification_code=verification_code, verify_url=verify_url)
    return write_pdf_from_html(html)
