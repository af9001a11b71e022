"""Structured logs and request ids: one JSON object per line on stderr, with the time (UTC),
the level, the logger, the message, the request id and the fields a record carries.

Each request gets an id: the client's (or load balancer's) ``X-Request-ID`` when it is
well-formed (``workflow.correlation``), else a new one. It is bound for the request, so every
log line and every history event the request writes carry it, and it is sent back in the
response's ``X-Request-ID``. One access line per request records method, path, endpoint,
status, duration and the client address (after ``ProxyFix``). ``LOG_FORMAT=text`` prints
plain lines instead (development); ``LOG_LEVEL`` sets the level (``INFO``).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC
from datetime import datetime
from typing import Any

from flask import Flask
from flask import g
from flask import request
from werkzeug.wrappers import Response

from workflow.correlation import accepted_request_id
from workflow.correlation import bind
from workflow.correlation import current_request_id
from workflow.correlation import unbind

from .metrics import observe_request

HEADER = "X-Request-ID"
access_log = logging.getLogger("penilaian.access")

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is
# printed as a field of its own.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


_installed: list[logging.Handler] = []


def configure_logging(*, level: str = "INFO", text: bool = False) -> None:
    """Send every logger's records to stderr as JSON lines (or plain text) at ``level``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s") if text else JsonFormatter())
    root = logging.getLogger()
    if _installed:  # configured before (another app in this process): replace ours only
        root.removeHandler(_installed.pop())
    _installed.append(handler)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("transitions").setLevel(logging.WARNING)  # logs every state enter/exit


def init_request_logging(app: Flask) -> None:
    """Bind a request id per request, answer it in ``X-Request-ID``, log one access line and
    observe the request's latency."""

    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()
        g.request_id_token = bind(accepted_request_id(request.headers.get(HEADER)))

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = current_request_id()
        if request_id:
            response.headers[HEADER] = request_id
        started = g.get("request_started")
        if started is not None:
            seconds = time.perf_counter() - started
            endpoint = request.endpoint or "<unmatched>"
            observe_request(endpoint, request.method, response.status_code, seconds)
            access_log.info("%s %s %s", request.method, request.path, response.status_code,
                            extra={"method": request.method, "path": request.path,
                                   "endpoint": endpoint, "status": response.status_code,
                                   "duration_ms": round(seconds * 1000, 1),
                                   "remote_addr": request.remote_addr})
        return response

    @app.teardown_request
    def _unbind(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            unbind(token)
