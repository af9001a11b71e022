"""Bulk export page: start an export of finalized evaluation documents, follow it, cancel it,
download its ZIP (from the storage: any app server serves it)."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from typing import Any

from flask import abort
from flask import current_app
from flask import flash
from flask import jsonify
from flask import redirect
from flask import request
from flask import url_for
from flask_admin import expose
from flask_sqlalchemy_lite import SQLAlchemy
from sqlalchemy import select
from werkzeug.wrappers import Response

from l10n import current_language
from reports.export import start_export
from workflow.errors import WorkflowError
from workflow.jobs import request_cancel
from workflow.models import Job
from workflow.models import Period
from workflow.models import utcnow
from workflow.org import units_of

from .security import SecureBaseView


class ExportView(SecureBaseView):
    """Start an export and follow it; ZIPs are downloadable by the agency's admins only.

    ``public_base_url`` returns the address the documents' verification links start with.
    The queue and the storage are ``app.extensions["jobs"]`` (``web.tasks.JobQueue``).
    """

    def __init__(self, db: SQLAlchemy, public_base_url: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(db, **kwargs)
        self.public_base_url = public_base_url

    def _job(self, job_id: int) -> Job:
        job = self.session.get(Job, job_id)
        if job is None or job.kind != "export" or job.agency_id != self.actor().agency_id:
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
            current_app.extensions["jobs"].enqueue(job)
            return redirect(url_for(".job", job_id=job.id))
        periods = self.session.scalars(select(Period).where(
            Period.agency_id == actor.agency_id).order_by(Period.starts_on.desc())).all()
        units = units_of(self.session, actor.agency_id)
        jobs = self.session.scalars(select(Job).where(
            Job.agency_id == actor.agency_id, Job.kind == "export")
            .order_by(Job.id.desc()).limit(20)).all()
        return self.render("admin/export_index.html", periods=periods, units=units, jobs=jobs,
                           keep_hours=current_app.config["JOB_RESULT_HOURS"])

    @expose("/<int:job_id>")
    def job(self, job_id: int) -> str:
        """Show one job's progress (the page refreshes itself while it runs) and errors."""
        return self.render("admin/export_job.html", job=self._job(job_id))

    @expose("/<int:job_id>.json")
    def progress(self, job_id: int) -> Response:
        """Return one job's progress as JSON."""
        job = self._job(job_id)
        return jsonify({"status": job.status, "done": job.done, "total": job.total,
                        "errors": job.errors, "cancel_requested": job.cancel_requested,
                        "expires_at": job.expires_at.isoformat() if job.expires_at else None})

    @expose("/<int:job_id>/batal", methods=["POST"])
    def cancel(self, job_id: int) -> Response:
        """Cancel a queued job at once, a running one at its next heartbeat."""
        self._job(job_id)
        try:
            request_cancel(self.session, self.actor().agency_id, job_id, utcnow())
        except WorkflowError as exc:
            self.session.rollback()
            flash(exc.in_language(current_language()), "error")
            return redirect(url_for(".job", job_id=job_id))
        self.session.commit()
        return redirect(url_for(".job", job_id=job_id))

    @expose("/<int:job_id>/unduh")
    def download(self, job_id: int) -> Response:
        """Stream the finished ZIP from the storage, a chunk at a time."""
        job = self._job(job_id)
        if job.status != "done" or not job.result_key:
            abort(404)
        try:
            chunks = current_app.extensions["jobs"].storage().chunks(job.result_key)
        except FileNotFoundError:
            abort(404)

        def body() -> Iterator[bytes]:
            yield from chunks

        response = current_app.response_class(body(), mimetype="application/zip")
        response.headers["Content-Disposition"] = f'attachment; filename="{job.result_name}"'
        response.headers["Content-Length"] = str(job.result_size)
        response.headers["Cache-Control"] = "private, no-store"
        return response
