"""Bulk export page: start an export of finalized evaluation documents, watch its progress."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import abort
from flask import current_app
from flask import flash
from flask import jsonify
from flask import redirect
from flask import request
from flask import send_file
from flask import url_for
from flask_admin import expose
from flask_sqlalchemy_lite import SQLAlchemy
from sqlalchemy import select
from werkzeug.wrappers import Response

from l10n import current_language
from reports.export import run_export
from reports.export import start_export
from workflow.errors import WorkflowError
from workflow.models import ExportJob
from workflow.models import Period
from workflow.models import utcnow
from workflow.org import units_of

from .security import SecureBaseView


def export_dir() -> Path:
    """Return where export ZIPs are written (inside the instance folder)."""
    return Path(current_app.instance_path) / "exports"


class ExportView(SecureBaseView):
    """Start an export and follow it; ZIPs are downloadable by the agency's admins only.

    ``public_base_url`` returns the address the documents' verification links start with.
    """

    def __init__(self, db: SQLAlchemy, public_base_url: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(db, **kwargs)
        self.public_base_url = public_base_url

    def _job(self, job_id: int) -> ExportJob:
        job = self.session.get(ExportJob, job_id)
        if job is None or job.agency_id != self.actor().agency_id:
            abort(404)
        return job

    @expose("/", methods=["GET", "POST"])
    def index(self) -> Response | str:
        """Show the export form and recent jobs; start a job on POST."""
        actor = self.actor()
        if request.method == "POST":
            period_id = request.form.get("period", type=int)
            try:
                job = start_export(self.session, actor, period_id,
                                   (request.form.get("unit") or "").strip(), utcnow())
            except WorkflowError as exc:
                self.session.rollback()
                flash(exc.in_language(current_language()), "error")
                return redirect(url_for(".index"))
            self.session.commit()
            self._launch(job.id)
            return redirect(url_for(".job", job_id=job.id))
        periods = self.session.scalars(select(Period).where(
            Period.agency_id == actor.agency_id).order_by(Period.starts_on.desc())).all()
        units = units_of(self.session, actor.agency_id)
        jobs = self.session.scalars(select(ExportJob).where(
            ExportJob.agency_id == actor.agency_id).order_by(ExportJob.id.desc()).limit(20)).all()
        return self.render("admin/export_index.html", periods=periods, units=units, jobs=jobs)

    def _launch(self, job_id: int) -> None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]  # really a LocalProxy
        wf = app.extensions["workflow"]
        args = (self.db.engine, wf.audit_key, job_id, export_dir(), self.public_base_url())
        options = {"checkpoint_dir": wf.checkpoint_dir}
        if not app.config.get("EXPORT_IN_BACKGROUND", True):
            run_export(*args, **options)
            return
        # The job's state lives in the database; the thread only does the work.
        threading.Thread(target=run_export, args=args, kwargs=options, name=f"export-{job_id}",
                         daemon=True).start()

    @expose("/<int:job_id>")
    def job(self, job_id: int) -> str:
        """Show one job's progress (the page refreshes itself while it runs) and errors."""
        return self.render("admin/export_job.html", job=self._job(job_id))

    @expose("/<int:job_id>.json")
    def progress(self, job_id: int) -> Response:
        """Return one job's progress as JSON."""
        job = self._job(job_id)
        return jsonify({"status": job.status, "done": job.done, "total": job.total,
                        "errors": job.errors})

    @expose("/<int:job_id>/unduh")
    def download(self, job_id: int) -> Response:
        """Send the finished ZIP."""
        job = self._job(job_id)
        if job.status != "done" or not job.path or not Path(job.path).exists():
            abort(404)
        return send_file(job.path, mimetype="application/zip", as_attachment=True,
                         download_name=Path(job.path).name)
