"""Map domain errors to HTTP in one place: JSON for ``/api/``, a page (or flash) otherwise."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask
from flask import Response
from flask import current_app
from flask import g
from flask import jsonify
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import InterfaceError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from l10n import current_language
from workflow.errors import GuardFailed
from workflow.errors import InvalidData
from workflow.errors import NotFound
from workflow.errors import NotPermitted
from workflow.errors import WorkflowError

from .extensions import db

log = logging.getLogger("penilaian.security")
outage_log = logging.getLogger("penilaian.database")

# Seconds a client should wait before retrying while the database is unreachable.
RETRY_AFTER_SECONDS = 30


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
    def _http(exc: HTTPException) -> Response | HTTPException:
        if exc.code is None or exc.code < 400:
            return exc
        if wants_json():
            response = jsonify({"error": exc.name, "message": exc.description})
        else:
            response = app.make_response(render_template(
                "error.html", status=exc.code, message=exc.description))
        response.status_code = exc.code
        # The exception's own headers: Allow on 405, WWW-Authenticate on 401, Retry-After…
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_down(exc: DBAPIError) -> Response:
        return database_unavailable(exc)

    @app.errorhandler(DBAPIError)
    def _database_error(exc: DBAPIError) -> Response:
        if exc.connection_invalidated:  # the connection died under the statement
            return database_unavailable(exc)
        raise exc


def database_unavailable(exc: DBAPIError) -> Response:
    """Answer 503 with ``Retry-After`` while the database cannot be reached (never a 500)."""
    outage_log.error("database unavailable for %s %s: %s", request.method, request.path,
                     type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__)
    with contextlib.suppress(DBAPIError):  # the connection is gone: nothing to roll back
        db.session.rollback()
    message = _("Basis data sedang tidak dapat dihubungi; coba lagi sebentar lagi.")
    if wants_json():
        response = jsonify({"error": "ServiceUnavailable", "message": message})
    else:  # a page that reads nothing from the database (base.html would: the menu's user)
        response = current_app.make_response(render_template("unavailable.html",
                                                             message=message))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response
