"""The request id of the work in progress: one id follows a request (or a job) through the
logs and into the history events it writes.

A context variable, so each thread (a gunicorn thread, a test client) and each task sees its
own. The web layer binds it per request (``X-Request-ID`` from the client or the load
balancer when well-formed, else a new one); the job queue binds the id of the request that
queued a job around the job (``bound``). ``history.event_fields`` records it on every event
(``HistoryEvent.request_id``, inside the HMAC); the JSON logs print it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from contextvars import Token

# What a request id may look like: the shapes load balancers and proxies send (UUIDs, nginx's
# $request_id hex, AWS's Root=1-…) — letters, digits and . _ - : = / +, at most 64. Anything
# else (a log-injection attempt, a line break, a megabyte) is replaced by a new id.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:=/+-]{1,64}")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    """Return a fresh random request id (32 hex characters)."""
    return secrets.token_hex(16)


def accepted_request_id(given: str | None) -> str:
    """Return ``given`` if it is a well-formed request id, else a new one."""
    if given and REQUEST_ID.fullmatch(given):
        return given
    return new_request_id()


def current_request_id() -> str | None:
    """Return the request id bound in this context (``None`` outside requests and jobs)."""
    return _current.get()


@contextmanager
def bound(request_id: str | None) -> Iterator[str | None]:
    """Bind ``request_id`` for the work inside the block (a job carries its request's id)."""
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)


def bind(request_id: str | None) -> Token[str | None]:
    """Bind ``request_id`` until ``unbind`` with the returned token (request hooks)."""
    return _current.set(request_id)


def unbind(token: Token[str | None]) -> None:
    """Undo a ``bind``."""
    _current.reset(token)
