"""Passwords and API tokens: only hashes are stored.

Passwords use Werkzeug's scrypt hashing; API tokens are random 32-byte secrets stored as
SHA-256 digests (a token is high-entropy, so a fast hash is the right tool for lookups).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from .errors import WorkflowError
from .history import append_event
from .models import ApiToken
from .models import Employee
from .models import LoginThrottle

MIN_PASSWORD_LENGTH = 8


def set_password(employee: Employee, password: str) -> None:
    """Hash and store a password (scrypt)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter.")
    employee.password_hash = generate_password_hash(password, method="scrypt")


def password_matches(employee: Employee | None, password: str) -> bool:
    """Check a password in constant time; a missing account still costs one hash."""
    if employee is None or not employee.password_hash:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(employee.password_hash, password)


def new_token() -> tuple[str, str]:
    """Return a new API token and the digest to store."""
    token = "pk_" + secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    """Return the stored form of an API token."""
    return hashlib.sha256(token.encode()).hexdigest()


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("dummy-password-for-timing", method="scrypt")


class LoginRefused(WorkflowError):
    """Wrong NIP or password, or too many failures; the message never says which."""

    status = 401


def authenticate(
    session: Session, audit_key: bytes, nip: str, password: str, *, now: datetime,
    max_failures: int = 5, lock_minutes: int = 15, source: str = "",
) -> Employee:
    """Check a log-in, throttle repeated failures per NIP, and record the attempt in history.

    The counter lives in the database so every app process shares it. The caller commits
    (also on refusal: the failure must be recorded).

    :raises LoginRefused: with a message that does not reveal whether the NIP exists.
    """
    key = f"nip:{nip}"
    throttle = session.get(LoginThrottle, key, with_for_update=True)
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        minutes = max(1, int((throttle.locked_until - now).total_seconds() // 60) + 1)
        raise LoginRefused(
            f"Terlalu banyak percobaan gagal. Coba lagi dalam {minutes} menit.",
            f"Too many failed attempts. Try again in {minutes} minutes.",
        )
    employee = session.scalar(select(Employee).where(Employee.nip == nip, Employee.active))
    ok = password_matches(employee, password)
    if employee is not None:
        append_event(session, audit_key, employee.agency, kind="auth", at=now,
                     actor_id=employee.id, actor_nip=employee.nip,
                     trigger="login" if ok else "login_failed", payload={"source": source})
    if ok and employee is not None:
        if throttle is not None:
            session.delete(throttle)
        return employee
    if throttle is None:
        throttle = LoginThrottle(key=key, failures=0, first_failure_at=now)
        session.add(throttle)
    window_start = throttle.first_failure_at or now
    if now - window_start > timedelta(minutes=lock_minutes):
        throttle.failures, throttle.first_failure_at = 0, now
    throttle.failures += 1
    if throttle.failures >= max_failures:
        throttle.locked_until = now + timedelta(minutes=lock_minutes)
    raise LoginRefused("NIP atau kata sandi salah.", "Wrong NIP or password.")


def record_logout(session: Session, audit_key: bytes, employee: Employee, now: datetime) -> None:
    """Record a log-out in the agency's history."""
    append_event(session, audit_key, employee.agency, kind="auth", at=now, actor_id=employee.id,
                 actor_nip=employee.nip, trigger="logout")


def issue_token(session: Session, employee: Employee, name: str = "") -> str:
    """Create an API token for an employee; return it once (only its digest is stored)."""
    token, digest = new_token()
    session.add(ApiToken(employee_id=employee.id, digest=digest, name=name))
    session.flush()
    return token


def employee_for_token(session: Session, token: str, now: datetime) -> Employee | None:
    """Return the active employee owning an unrevoked token, or None."""
    row = session.scalar(select(ApiToken).where(ApiToken.digest == token_digest(token),
                                                ApiToken.revoked_at.is_(None)))
    if row is None or not row.employee.active:
        return None
    row.last_used_at = now
    return row.employee
