"""Configuration defaults; the environment overrides them (``DATABASE_URL``, ``SECRET_KEY``…).

Read by ``create_app``; nothing here touches the disk or the network at import.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from workflow.accounts import PASSWORD_HASH_METHOD

from .resources import shipped


def sqlalchemy_url(url: str) -> str:
    """Normalise a database URL: plain ``postgres(ql)://`` means psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


# Printed on documents made where no public address is configured: development and tests only
# (``check_production`` refuses to start a production app without PUBLIC_BASE_URL).
DEVELOPMENT_BASE_URL = "http://localhost:5000"


class ConfigurationError(RuntimeError):
    """A setting the app cannot start without is missing or wrong; the message (Indonesian /
    English) says which and how to set it. ``wsgi.py`` prints it without a traceback."""


def check_production(config: Mapping[str, Any], *, debug: bool) -> None:
    """Refuse to start in production (neither DEBUG nor TESTING) without the settings nothing
    may guess: the public address printed on documents and activation slips is never taken
    from a request's Host header, which the client chooses.

    :raises ConfigurationError: PUBLIC_BASE_URL is missing or not an absolute http(s) address.
    """
    url = str(config.get("PUBLIC_BASE_URL") or "")
    if debug or config.get("TESTING"):
        return
    parsed = urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigurationError(
            "PUBLIC_BASE_URL belum diatur (mis. https://kinerja.example.go.id): alamat itu "
            "dicetak pada dokumen dan slip aktivasi. / PUBLIC_BASE_URL is not set (e.g. "
            "https://kinerja.example.go.id): documents and activation slips print it; it is "
            "never taken from the request's Host header.")


def defaults(instance_path: str) -> dict[str, Any]:
    """Return the default configuration for an app whose instance folder is given."""
    database_url = os.environ.get(
        "DATABASE_URL", f"sqlite:///{Path(instance_path) / 'penilaian.sqlite'}"
    )
    return {
        "SQLALCHEMY_ENGINES": {"default": sqlalchemy_url(database_url)},
        # The tables' owner, for `init-db` and `db-roles` (PostgreSQL with a separate runtime
        # role in DATABASE_URL); empty: DATABASE_URL migrates too.
        "MIGRATION_DATABASE_URL": os.environ.get("MIGRATION_DATABASE_URL", ""),
        "SQLALCHEMY_SESSION_OPTIONS": {"expire_on_commit": False},
        "WORKFLOW_DEFINITIONS_DIR": str(shipped("definitions")),
        "WORKFLOW_FORMS_DIR": str(shipped("definitions") / "forms"),
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        # Key of the history hash chain. Rotating it makes old chains unverifiable: keep it.
        "AUDIT_KEY": os.environ.get("AUDIT_KEY"),
        # The agencies' own audit keys, by key id (``flask audit rotate-key``): a JSON file
        # outside the database and its backups, on every app server and worker (0600).
        "AUDIT_KEYRING": os.environ.get(
            "AUDIT_KEYRING", str(Path(instance_path) / "audit_keys.json")),
        # Where the signed checkpoints of the chain heads are appended (outside the database;
        # ship it where the database administrator cannot rewrite it: docs/audit.md).
        "AUDIT_CHECKPOINT_DIR": os.environ.get(
            "AUDIT_CHECKPOINT_DIR", str(Path(instance_path) / "checkpoints")),
        "BABEL_DEFAULT_LOCALE": "id",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "FORCE_HTTPS": os.environ.get("FORCE_HTTPS", "0") == "1",
        # A log-in session ends after this long without a page view (shared office computers).
        "PERMANENT_SESSION_LIFETIME": timedelta(
            minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "120"))),
        # ... and at the latest this long after log-in, however active (ASVS 3.3.1).
        "SESSION_ABSOLUTE_LIFETIME": timedelta(
            hours=int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))),
        # Renewed on page views only (web.auth), not by every response: a late response to a
        # request sent before "Keluar" (a 404, a script) must not set the old session again.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", ""),
        # Throttling (workflow.accounts.ThrottleRules): after LOGIN_MAX_FAILURES failures of an
        # account from one address, that address waits 1 minute, doubled per further failure,
        # at most LOGIN_LOCK_MINUTES; after LOGIN_ACCOUNT_FAILURES failures from anywhere, each
        # try of the account waits 1 s doubled per failure, at most LOGIN_ACCOUNT_DELAY_SECONDS.
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCK_MINUTES": 15,
        "LOGIN_ACCOUNT_FAILURES": 20,
        "LOGIN_ACCOUNT_DELAY_SECONDS": 30,
        # Failed log-ins and activations per address over all accounts (Flask-Limiter syntax).
        "LOGIN_ADDRESS_LIMIT": os.environ.get("LOGIN_ADDRESS_LIMIT",
                                              "10 per minute;30 per hour;100 per day"),
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,  # Retry-After on a 429
        "RATELIMIT_STRATEGY": "moving-window",  # no double burst at a window's edge
        # Redis unreachable: count in this process's memory meanwhile, never answer 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        # Reverse proxies in front of the app whose X-Forwarded-For is trusted (per-address
        # limits need the client's address, not the proxy's): 1 behind one nginx.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        # Logs: JSON lines on stderr (web.logs); LOG_FORMAT=text for plain lines.
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").upper(),
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json"),
        # GET /metrics answers only to "Authorization: Bearer <METRICS_TOKEN>"; unset: 404.
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
        # Every API request, per client address (Flask-Limiter syntax; 429 with Retry-After).
        "API_ADDRESS_LIMIT": os.environ.get("API_ADDRESS_LIMIT", "600 per minute;20000 per day"),
        # Werkzeug method new passwords are hashed with (scrypt, N=2^15). Only tests lower it
        # (their own config); a stored hash names its method, so raising it later is safe.
        "PASSWORD_HASH_METHOD": PASSWORD_HASH_METHOD,
        "WTF_CSRF_TIME_LIMIT": None,
        "FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION": False,
        "BOOTSTRAP_SERVE_LOCAL": True,  # agency intranets block CDNs; CI has no internet
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent / "translations"),
        # Where results (export ZIPs) are stored: empty = instance/storage; file:///dir; or
        # s3://bucket/prefix (endpoint below, credentials from AWS_ACCESS_KEY_ID/…).
        "STORAGE_URL": os.environ.get("STORAGE_URL", ""),
        "STORAGE_S3_ENDPOINT_URL": os.environ.get("STORAGE_S3_ENDPOINT_URL", ""),
        # Evidence files (bukti dukung): MB per file and MB of current files per SKP period,
        # unless the agency's definition sets its own (``evidence: {max_file_mb, …}``).
        "EVIDENCE_MAX_FILE_MB": float(os.environ.get("EVIDENCE_MAX_FILE_MB", "10")),
        "EVIDENCE_MAX_PERIOD_MB": float(os.environ.get("EVIDENCE_MAX_PERIOD_MB", "50")),
        # Jobs (web/tasks.py, workflow/jobs.py): results kept this long; jobs one agency may
        # run at once; a running job without a heartbeat this long is resumed or failed.
        "JOB_RESULT_HOURS": int(os.environ.get("JOB_RESULT_HOURS", "72")),
        "JOB_AGENCY_CONCURRENCY": int(os.environ.get("JOB_AGENCY_CONCURRENCY", "1")),
        "JOB_HEARTBEAT_TIMEOUT_SECONDS": int(os.environ.get("JOB_HEARTBEAT_TIMEOUT_SECONDS",
                                                            "120")),
        # PDF renderer processes per export job (stack-notes: at most the cores).
        "EXPORT_PROCESSES": int(os.environ.get("EXPORT_PROCESSES",
                                               str(min(2, os.cpu_count() or 1)))),
        # The deadline runner runs every this many minutes; /healthz reports it late after
        # DEADLINE_RUNNER_MAX_AGE_MINUTES without a finished run.
        "DEADLINE_RUN_MINUTES": int(os.environ.get("DEADLINE_RUN_MINUTES", "5")),
        "DEADLINE_RUNNER_MAX_AGE_MINUTES": int(os.environ.get("DEADLINE_RUNNER_MAX_AGE_MINUTES",
                                                              "60")),
        # Tests only: run each task where it is enqueued (Huey's immediate mode).
        "QUEUE_IMMEDIATE": False,
        # Notifications by e-mail (docs/operations.md "Notifications"): off unless SMTP_HOST
        # is set. Sent from the outbox by the job queue, never inside a request.
        "SMTP_HOST": os.environ.get("SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "587")),
        "SMTP_USER": os.environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS", "1").lower() not in ("0", "false", "no"),
        "SMTP_FROM": os.environ.get("SMTP_FROM", ""),
        # A WhatsApp/SMS gateway: dotted path of a class with send(message); "" = none.
        "NOTIFY_GATEWAY": os.environ.get("NOTIFY_GATEWAY", ""),
    }
