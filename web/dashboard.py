"""Dashboard for agency admins and auditors: states, overdue, predikat distribution.

Read-only (GET). The figures come from ``workflow.stats.dashboard``: counts from the tallies
kept as evaluations change, the units kerja a page at a time (``setelah_unit``: the name the
page starts after), so the page costs the same for 100 evaluations or a million. Every unit kerja is
checked against the pattern of the period's recorded organisation achievement (*capaian
kinerja organisasi*, recorded by the admin); the ``capaian`` select shows another pattern as
a what-if.
"""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import request
from flask_babel import lazy_gettext as _l

from l10n import current_language
from l10n import localized
from workflow.rating import CapaianOrganisasi
from workflow.rating import Predikat
from workflow.rating import rule_lines
from workflow.stats import PREDIKAT_ORDER
from workflow.stats import dashboard

from .auth import auditor_required
from .auth import current_actor
from .extensions import db
from .inputs import int_arg

bp = Blueprint("dashboard", __name__, url_prefix="/dasbor")

# Bar colours per predikat, Sangat Kurang → Sangat Baik (Bootstrap palette, readable on white).
BAR_COLOURS = {
    Predikat.SANGAT_KURANG: "#b02a37",
    Predikat.KURANG: "#e35d6a",
    Predikat.BUTUH_PERBAIKAN: "#cc9a06",
    Predikat.BAIK: "#198754",
    Predikat.SANGAT_BAIK: "#0d6efd",
}
REASONS = {
    "tenggat": _l("tenggat terlewati"),
    "periode": _l("periode sudah berakhir"),
}
MODES = {
    "off": _l("tidak diperiksa (off)"),
    "warn": _l("peringatan (warn)"),
    "block": _l("memblokir (block)"),
}


@bp.get("/")
@auditor_required
def index() -> str:
    """Show evaluations per state and unit, overdue ones, and the predikat distribution."""
    raw = request.args.get("capaian", "")
    asked = CapaianOrganisasi(raw) if raw in CapaianOrganisasi.__members__ else None
    period_id = int_arg("periode")
    unit_after = (request.args.get("setelah_unit") or "")[:200]
    now = current_app.extensions["workflow"].clock()
    figures = dashboard(db.session, current_actor(), now, period_id, asked,
                        lang=current_language(), unit_after=unit_after)
    capaian = figures.distribution.capaian
    return render_template(
        "dashboard/index.html", d=figures, capaian=capaian, asked=asked,
        capaians=list(CapaianOrganisasi),
        rules=[localized(line) for line in rule_lines(capaian)], order=PREDIKAT_ORDER,
        colours=BAR_COLOURS, reasons=REASONS, modes=MODES, now=now,
        args={k: v for k, v in request.args.items() if k != "setelah_unit" and v},
    )
