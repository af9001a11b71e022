"""Record a period's organisation achievement (*capaian kinerja organisasi*) and its basis."""

from __future__ import annotations

from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_admin import expose
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from l10n import current_language
from workflow.errors import InvalidData
from workflow.errors import WorkflowError
from workflow.periods import CAPAIAN_DASAR_MAX
from workflow.periods import set_capaian
from workflow.rating import CapaianOrganisasi

from .period_page import PeriodPage


class PeriodCapaianView(PeriodPage):
    """GET: the current achievement and a form; POST: record it (agency chain, one commit)."""

    @expose("/<int:period_id>", methods=["GET", "POST"])
    def edit(self, period_id: int) -> Response | str:
        """Show or record the achievement of one period of the admin's agency."""
        session = self.session
        actor = self.actor()
        period = self.own_period(period_id)
        errors: dict[str, list[str]] = {}
        chosen = period.capaian_organisasi or ""
        dasar = period.capaian_dasar or ""
        if request.method == "POST":
            chosen = request.form.get("capaian", "")
            dasar = request.form.get("dasar", "")
            try:
                set_capaian(session, current_app.extensions["workflow"], actor, period.id,
                            chosen, dasar)
            except InvalidData as exc:
                session.rollback()
                errors = exc.errors_in(current_language())
            except WorkflowError as exc:
                session.rollback()
                flash(exc.in_language(current_language()), "error")
                return redirect(url_for("period.index_view"))
            else:
                session.commit()
                flash(_("Capaian organisasi %(period)s dicatat: %(capaian)s.",
                        period=period.label, capaian=capaian_label(chosen)), "success")
                return redirect(url_for("period.index_view"))
        return self.render("admin/period_capaian.html", period=period, errors=errors,
                           chosen=chosen, dasar=dasar, dasar_max=CAPAIAN_DASAR_MAX,
                           choices=[(c.value, capaian_label(c)) for c in CapaianOrganisasi])


def capaian_label(value: str) -> str:
    """Return the label of a stored achievement in the user's language."""
    return CapaianOrganisasi(value).label_in(current_language())
