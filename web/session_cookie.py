"""The signed session cookie, timed by the app's clock.

Flask checks a permanent session's age (``PERMANENT_SESSION_LIFETIME``, our idle limit) with
itsdangerous, which reads the wall clock. Here the signature's timestamp and the cookie's
expiry come from the clock of the app's ``Workflow`` instead (``utcnow`` in production), so
the idle expiry follows the same time as everything else and a test can move it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.sessions import SessionMixin
from itsdangerous import TimestampSigner
from itsdangerous import URLSafeTimedSerializer

from workflow.service import Workflow


class ClockedSigner(TimestampSigner):
    """A timestamp signer whose "now" is a given clock (aware datetimes)."""

    def __init__(self, *args: Any, clock: Callable[[], datetime], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock

    def get_timestamp(self) -> int:
        """Return the clock's time in whole seconds since the epoch."""
        return int(self.clock().timestamp())


def _clock(app: Flask) -> Callable[[], datetime]:
    wf: Workflow = app.extensions["workflow"]
    return wf.clock


class ClockedSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, signed and aged with the app's workflow clock."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Return Flask's serializer (same keys, salt and digest) with a clocked signer."""
        serializer = super().get_signing_serializer(app)
        if serializer is None:
            return None
        return URLSafeTimedSerializer(
            serializer.secret_keys, salt=self.salt, serializer=self.serializer,
            signer=ClockedSigner, signer_kwargs={**serializer.signer_kwargs,
                                                 "clock": _clock(app)})

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> datetime | None:
        """Return when the cookie of a permanent session expires, by the app's clock."""
        if session.permanent:
            return _clock(app)() + app.permanent_session_lifetime
        return None
