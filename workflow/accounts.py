"""Passwords and API tokens: only hashes are stored.

Passwords use Werkzeug's scrypt hashing; API tokens are random 32-byte secrets stored as
SHA-256 digests (a token is high-entropy, so a fast hash is the right tool for lookups).
"""

from __future__ import annotations

import functools
import hashlib
import secrets

from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from .models import Employee

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
