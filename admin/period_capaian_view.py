"""Record a period's organisation achievement (*capaian kinerja organisasi*) and its basis,
agency-wide or per unit kerja, and show the *penetapan predikat kinerja* (each unit's
achievement and its employees' predikat)."""

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
from workflow.distribution import penetapan
from workflow.errors import InvalidData
from workflow.errors import WorkflowError
from workflow.models import Period
from workflow.org import units_of
from workflow.periods import set_capaian
from workflow.rating import CapaianOrganisasi
from workflow.rating import Predikat
from workflow.unit_achievement import CAPAIAN_DASAR_MAX
from workflow.unit_achievement import set_unit_capaian

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
        return self._page(period, errors, chosen, dasar, {}, "", "", "")

    @expose("/<int:period_id>/unit", methods=["POST"])
    def unit(self, period_id: int) -> Response | str:
        """Record one unit kerja's own achievement (the admin on behalf of the leader above
        its head: ``unit_achievement.set_unit_capaian``)."""
        session = self.session
        period = self.own_period(period_id)
        unit = request.form.get("unit_kerja", "")
        chosen = request.form.get("capaian", "")
        dasar = request.form.get("dasar", "")
        try:
            set_unit_capaian(session, current_app.extensions["workflow"], self.actor(),
                             period.id, unit, chosen, dasar)
        except InvalidData as exc:
            session.rollback()
            return self._page(period, {}, period.capaian_organisasi or "",
                              period.capaian_dasar or "", exc.errors_in(current_language()),
                              unit, chosen, dasar)
        except WorkflowError as exc:
            session.rollback()
            flash(exc.in_language(current_language()), "error")
            return redirect(url_for("period_capaian.edit", period_id=period.id))
        session.commit()
        flash(_("Capaian unit %(unit)s pada %(period)s dicatat: %(capaian)s.", unit=unit.strip(),
                period=period.label, capaian=capaian_label(chosen)), "success")
        return redirect(url_for("period_capaian.edit", period_id=period.id))

    def _page(self, period: Period, errors: dict[str, list[str]], chosen: str, dasar: str,
              unit_errors: dict[str, list[str]], unit: str, unit_chosen: str,
              unit_dasar: str) -> str:
        actor = self.actor()
        return self.render(
            "admin/period_capaian.html", period=period, errors=errors, chosen=chosen,
            dasar=dasar, dasar_max=CAPAIAN_DASAR_MAX,
            choices=[(c.value, capaian_label(c)) for c in CapaianOrganisasi],
            units=units_of(self.session, actor.agency_id), unit_errors=unit_errors,
            unit=unit, unit_chosen=unit_chosen, unit_dasar=unit_dasar,
            penetapan=penetapan(self.session, actor.agency_id, period.id),
            predikats=[(p, predikat_label(p)) for p in Predikat], capaian_text=capaian_label)


def predikat_label(value: Predikat) -> str:
    """Return the label of a predikat in the user's language."""
    return value.label_en if current_language() == "en" else value.label


def capaian_label(value: str) -> str:
    """Return the label of a stored achievement in the user's language."""
    return CapaianOrganisasi(value).label_in(current_language())
