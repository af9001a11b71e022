"""Map domain errors to HTTP in one place: JSON for ``/api/``, a page (or flash) otherwise."""

from __future__ import annotations

import logging

from flask import Flask
from flask import Response
from flask import g
from flask import jsonify
from flask import render_template
from flask import request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from l10n import current_language
from workflow.errors import GuardFailed
from workflow.errors import InvalidData
from workflow.errors import NotFound
from workflow.errors import NotPermitted
from workflow.errors import WorkflowError

from .extensions import db

log = logging.getLogger("penilaian.security")


def wants_json() -> bool:
    """Return whether the request is an API call."""
    return request.path.startswith("/api/")


def workflow_error_response(exc: WorkflowError) -> tuple[Response | str, int]:
    """Render a domain error for an API client or a browser.

    Nothing of the request is kept, except the record an error says must be kept (a refusal
    of a changed evaluation row is written to the agency's chain for the auditors).
    """
    if getattr(exc, "keeps_record", False):
        db.session.commit()
    else:
        db.session.rollback()
    if isinstance(exc, NotFound | NotPermitted):
        actor = g.get("actor_nip", "-")
        log.warning("refused %s %s for %s: %s", request.method, request.path, actor,
                    exc.message_en)
    message = exc.in_language(current_language())
    if wants_json():
        body: dict[str, object] = {"error": type(exc).__name__, "message": message}
        if isinstance(exc, InvalidData):
            body["errors"] = exc.errors_in(current_language())
        if isinstance(exc, GuardFailed):
            body["guard"] = exc.guard
        return jsonify(body), exc.status
    return render_template("error.html", status=exc.status, message=message), exc.status


def register_error_handlers(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(WorkflowError)
    def _workflow(exc: WorkflowError) -> tuple[Response | str, int]:
        return workflow_error_response(exc)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> tuple[Response | str, int]:
        message = ("Sesi formulir kedaluwarsa atau tidak sah; muat ulang halaman lalu coba "
                   "lagi." if current_language() != "en" else
                   "The form session expired or is invalid; reload the page and try again.")
        if wants_json():
            return jsonify({"error": "CSRFError", "message": message}), 400
        return render_template("error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response | str, int] | HTTPException:
        if exc.code is None or exc.code < 400:
            return exc
        if wants_json():
            return jsonify({"error": exc.name, "message": exc.description}), exc.code
        return render_template("error.html", status=exc.code, message=exc.description), exc.code
