"""``GET /metrics``: Prometheus figures, for the operator's monitoring only.

Protected from the public: the endpoint answers 404 unless ``METRICS_TOKEN`` is set, and then
only to ``Authorization: Bearer <METRICS_TOKEN>`` (compared in constant time); block
``/metrics`` at the load balancer as well. Under gunicorn set ``PROMETHEUS_MULTIPROC_DIR``
(deploy/gunicorn.conf.py does) so the figures of every worker process are summed.

Figures: request latency by endpoint, method and status (``observe_request``, called by
``web.logs`` for every request); what the core counts (``workflow.metrics``: transitions
fired, job queue depth and failures); and readings from the database at scrape time (the
newest chain verification).
"""

from __future__ import annotations

import hmac
import logging
import os

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import request
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client import REGISTRY
from prometheus_client import CollectorRegistry
from prometheus_client import Histogram
from prometheus_client import generate_latest
from prometheus_client import multiprocess
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from workflow.metrics import DATABASE_READINGS

from .extensions import db

bp = Blueprint("metrics", __name__)
log = logging.getLogger(__name__)

REQUEST_SECONDS = Histogram(
    "penilaian_http_request_duration_seconds", "Time to answer a request, by endpoint",
    ["endpoint", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    """Record one answered request (the status as its class: 2xx, 4xx …, bounded labels)."""
    REQUEST_SECONDS.labels(endpoint=endpoint, method=method,
                           status=f"{status // 100}xx").observe(seconds)


class _DatabaseReadings(Collector):
    """Runs ``workflow.metrics.DATABASE_READINGS`` in the request's session at scrape time."""

    def collect(self) -> list[Metric]:
        metrics: list[Metric] = []
        try:
            for reading in DATABASE_READINGS:
                metrics.extend(reading(db.session))
        except SQLAlchemyError:  # the database away: the process figures still answer
            log.warning("metrics: database readings failed", exc_info=True)
            db.session.rollback()
        return metrics


def _authorized() -> bool:
    token = str(current_app.config.get("METRICS_TOKEN") or "")
    if not token:
        return False
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@bp.get("/metrics")
def metrics() -> Response:
    """The Prometheus exposition of this process (or of every worker, multiprocess mode)."""
    if not _authorized():
        abort(404)  # not even its existence is told to the public
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    readings = CollectorRegistry()
    readings.register(_DatabaseReadings())
    body += generate_latest(readings)
    db.session.rollback()  # read-only
    return Response(body, content_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})
