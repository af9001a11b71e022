"""Open an evaluation period: a dry run lists who would get an evaluation, then confirm."""

from __future__ import annotations

from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from l10n import current_language
from workflow.errors import WorkflowError
from workflow.jobs import create_job
from workflow.org import units_of
from workflow.periods import open_period

from .period_page import PeriodPage


class PeriodOpenView(PeriodPage):
    """Dry run and confirmation of opening a period for the agency or one unit kerja."""

    @expose("/<int:period_id>", methods=["GET", "POST"])
    def dry_run(self, period_id: int) -> Response | str:
        """GET: show what would be created. POST: create it."""
        session = self.session
        actor = self.actor()
        period = self.own_period(period_id)
        unit = (request.values.get("unit") or "").strip() or None
        wf = current_app.extensions["workflow"]
        try:
            report = open_period(session, wf, actor, period.id, unit_kerja=unit, dry_run=True)
        except WorkflowError as exc:
            session.rollback()
            flash(exc.in_language(current_language()), "error")
            return redirect(url_for("period.index_view"))
        if request.method == "POST":
            # The opening itself is a job: a large agency's runs in a worker, not in this
            # request (web/tasks.py, open_period_task).
            job = create_job(session, "open_period", actor.agency_id, actor.nip,
                             {"period_id": period.id, "unit_kerja": unit or ""}, wf.clock(),
                             total=len(report.created))
            session.commit()
            current_app.extensions["jobs"].enqueue(job)
            session.refresh(job)
            if job.status != "done":
                flash(_("Periode %(period)s sedang dibuka di latar belakang (pekerjaan "
                        "#%(job)s): evaluasinya muncul di daftar begitu selesai.",
                        period=period.label, job=job.id), "info")
                return redirect(url_for("evaluation.index_view"))
            count = job.done
            if unit:
                message = ngettext("%(num)d evaluasi dibuat untuk %(period)s — %(unit)s.",
                                   "%(num)d evaluasi dibuat untuk %(period)s — %(unit)s.",
                                   count, period=period.label, unit=unit)
            else:
                message = ngettext("%(num)d evaluasi dibuat untuk %(period)s.",
                                   "%(num)d evaluasi dibuat untuk %(period)s.",
                                   count, period=period.label)
            flash(message, "success")
            return redirect(url_for("evaluation.index_view"))
        units = units_of(session, actor.agency_id)
        return self.render("admin/period_open.html", period=period, report=report, unit=unit,
                           units=units)
