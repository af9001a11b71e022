"""PDF documents of an evaluation (SKP, evaluation result, appeal decision, audit trail).

``gather`` copies what a document prints from the database (SQLAlchemy, ``workflow``) into the
frozen :mod:`reports.snapshot` DTOs; ``render`` turns them into PDFs with its own Jinja
environment and WeasyPrint; ``issuing`` checks access (``forms`` visibility rules) and binds the
verification code; ``export``/``bulk`` run bulk exports. Never imports Flask. The rendering
functions are loaded lazily, so code that only builds snapshots or verification codes does not
load WeasyPrint and Pango.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING
from typing import Any

from reports.snapshot import AppealSnapshot
from reports.snapshot import Behaviour
from reports.snapshot import DocumentSnapshot
from reports.snapshot import HistoryEntry
from reports.snapshot import Person
from reports.snapshot import PrintedItem
from reports.snapshot import RatingSet
from reports.snapshot import WorkResult
from reports.snapshot import snapshot_digest
from reports.verification import make_code
from reports.verification import qr_svg

if TYPE_CHECKING:
    from reports.bulk import BulkResult
    from reports.bulk import export_zip
    from reports.render import render_html
    from reports.render import render_pdf
    from reports.render import write_pdf_from_html

_LAZY = {
    "render_html": "reports.render",
    "render_pdf": "reports.render",
    "write_pdf_from_html": "reports.render",
    "BulkResult": "reports.bulk",
    "export_zip": "reports.bulk",
}

__all__ = [
    "AppealSnapshot",
    "Behaviour",
    "BulkResult",
    "DocumentSnapshot",
    "HistoryEntry",
    "Person",
    "PrintedItem",
    "RatingSet",
    "WorkResult",
    "export_zip",
    "make_code",
    "qr_svg",
    "render_html",
    "render_pdf",
    "snapshot_digest",
    "write_pdf_from_html",
]


def __getattr__(name: str) -> Any:
    """Import the WeasyPrint-backed functions on first access."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'reports' has no attribute {name!r}")
