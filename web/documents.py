"""PDF downloads for logged-in users, and the public verification page of issued documents."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from reports.issuing import issue_document
from reports.issuing import verify_code
from workflow.models import utcnow

from .auth import current_actor
from .config import DEVELOPMENT_BASE_URL
from .extensions import db

bp = Blueprint("documents", __name__)


def public_base_url() -> str:
    """Return the public base URL printed on documents and activation slips: the configured
    one (required in production), never the request's Host header, which the client picks."""
    return str(current_app.config.get("PUBLIC_BASE_URL") or DEVELOPMENT_BASE_URL)


def pdf_response(pdf: bytes, filename: str) -> Response:
    """Send PDF bytes as a download that is never cached by shared caches."""
    response = current_app.response_class(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/evaluasi/<int:evaluation_id>/dokumen/<kind>.pdf")
@login_required
def download(evaluation_id: int, kind: str) -> Response:
    """Render, record and send one document of an evaluation."""
    pdf, prepared = issue_document(db.session, current_app.extensions["workflow"].audit_key,
                                   current_actor(), evaluation_id, kind, public_base_url(),
                                   utcnow())
    db.session.commit()
    return pdf_response(pdf, prepared.filename)


@bp.get("/verify/")
def verify_form() -> ResponseReturnValue:
    """Let anyone type a verification code."""
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("documents.verify", code=code))
    return render_template("documents/verify.html", result=None, code="")


@bp.get("/verify/<code>")
def verify(code: str) -> tuple[str, int]:
    """Show what the document with this code should say, and whether it was superseded.

    A document or evaluation changed behind the app's back is refused (409) and the refusal
    recorded for the auditors.
    """
    result = verify_code(db.session, current_app.extensions["workflow"].audit_key, code,
                         utcnow())
    db.session.commit()
    page = render_template("documents/verify.html", result=result, code=code)
    return page, (404 if result is None else 409 if result.refused else 200)
