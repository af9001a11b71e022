"""The recap of a period for payroll (TPP) and SIASN: a preview and CSV/XLSX downloads.

The rows are ``reports.recap``'s (the one rule the API follows too); this page only picks the
period and unit kerja and writes the file.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask import request
from flask_admin import expose

from l10n import current_language
from reports.recap import RECAP_COLUMNS
from reports.recap import recap_cells
from reports.recap import recap_csv
from reports.recap import recap_of
from reports.recap import recap_periods
from reports.recap import recap_xlsx
from workflow.org import units_of

from .security import SecureBaseView

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RecapView(SecureBaseView):
    """Pick a period and unit; see the recap; download it as CSV or XLSX."""

    @expose("/")
    def index(self) -> Any:
        """Show the picker and, once a period is chosen, the recap."""
        session = self.session
        agency_id = self.actor().agency_id
        periods = recap_periods(session, agency_id)
        period_id = request.args.get("period_id", type=int)
        unit = request.args.get("unit", "").strip()
        result = recap_of(session, agency_id, period_id, unit) if period_id else None
        lang = current_language()
        return self.render("admin/recap.html", periods=periods, units=units_of(session,
                                                                                agency_id),
                           period_id=period_id, unit=unit, result=result,
                           columns=RECAP_COLUMNS,
                           rows=[recap_cells(r, lang) for r in result.rows] if result else [])

    @expose("/<int:period_id>.<any(csv, xlsx):kind>")
    def download(self, period_id: int, kind: str) -> Response:
        """Download the recap of a period (``?unit=`` for one unit kerja)."""
        result = recap_of(self.session, self.actor().agency_id, period_id,
                          request.args.get("unit", "").strip())
        lang = current_language()
        name = f"rekap-{result.period.label}".replace(" ", "-").replace("/", "-")
        if result.unit_kerja:
            name += "-" + result.unit_kerja.replace(" ", "-").replace("/", "-")[:60]
        if kind == "csv":
            body: str | bytes = "\ufeff" + recap_csv(result.rows, lang)  # BOM: Excel reads UTF-8
            mimetype = "text/csv; charset=utf-8"
        else:
            body = recap_xlsx(result.rows, lang)
            mimetype = XLSX_TYPE
        response = Response(body, mimetype=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
        return response
