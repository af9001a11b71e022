"""gunicorn settings for production: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Every value can be overridden from the environment (the systemd unit in docs/operations.md
sets them); the defaults suit one app server behind one load balancer. Logs: the app writes
one JSON line per request (web/logs.py), so gunicorn's own access log is off and its error
log uses the same JSON format. Prometheus: every worker writes its figures into
``PROMETHEUS_MULTIPROC_DIR``, emptied at start, and ``/metrics`` sums them (web/metrics.py).
"""

import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# CPU-bound work (password hashing, PDFs) runs in the request: about two workers per core.
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Opening a period for a large agency still runs in one request until the job queue takes it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then (bounded memory), not all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Only the load balancer may say which scheme a request came with (X-Forwarded-Proto); the
# client's address is read by the app's ProxyFix (PROXY_COUNT), not by gunicorn.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "web.logs.JsonFormatter"}},
    "handlers": {"error_console": {"class": "logging.StreamHandler", "formatter": "json",
                                   "stream": "ext://sys.stderr"},
                 "console": {"class": "logging.StreamHandler", "formatter": "json",
                             "stream": "ext://sys.stderr"}},
    "loggers": {"gunicorn.error": {"handlers": ["error_console"], "propagate": False}},
    # The app attaches its own handler to the root logger (web/logs.py): none here, or every
    # line would be written twice.
    "root": {"level": "INFO", "handlers": []},
}

# Set before any worker imports prometheus_client.
metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    os.path.join(tempfile.gettempdir(), f"penilaian-prometheus-{os.getuid()}"))


def on_starting(server):
    """Start the figures from zero: files of a previous run would be summed in."""
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, mode=0o700, exist_ok=True)


def child_exit(server, worker):
    """A worker that ended leaves its counters in the sums but not its live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
