"""Credentials: passwords, activation codes and API tokens. Only hashes are stored.

Passwords use Werkzeug's scrypt hashing (the caller passes the app's ``hash_method``; the
default is ``PASSWORD_HASH_METHOD``); API tokens are random 32-byte secrets stored as
SHA-256 digests (a token is high-entropy, so a fast hash is the right tool for lookups).

An employee gets her first password (or a new one after she forgot it) with a one-time
**activation code** the agency admin issues: 12 characters a person can read off paper, valid
for a few days, stored as an HMAC under the server's key (so neither a database copy nor the
admin can use it later), refused after repeated wrong tries like a log-in. Every issue, use and
password change is recorded in the agency's history; the code and passwords never are.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from .actors import Actor
from .errors import InvalidData
from .errors import NotFound
from .errors import NotPermitted
from .errors import WorkflowError
from .history import append_event
from .models import ActivationCode
from .models import ApiToken
from .models import Employee
from .models import LoginThrottle

# Password rules after NIST SP 800-63B §3.1.1.2: long enough, not a known common password, no
# composition rules (a passphrase of a few words is the easiest good password), no expiry.
MIN_PASSWORD_LENGTH = 12
# Werkzeug's scrypt with its defaults (N=2^15, r=8, p=1: ~32 MiB and tens of milliseconds per
# hash). A stored hash names its own parameters, so checking never depends on this setting.
PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - the name of a hashing method, not a password
MAX_PASSWORD_LENGTH = 200
# The 10,000 most common passwords (one a line, ``#`` comments): the file says where from.
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt")
# Digits, punctuation and spaces around a word: "Password2024!" is the word "password".
_AFFIXES = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$", re.DOTALL)
MIN_DISTINCT_CHARACTERS = 5


@functools.cache
def common_passwords() -> frozenset[str]:
    """Return the shipped list of common passwords, case-folded."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines
                     if line.strip() and not line.startswith("#"))


def is_guessable(password: str) -> bool:
    """Return whether a password is a common one, dressed up or not: a listed password (any
    case, with digits or symbols around it, or repeated), only digits and symbols, or a few
    characters over and over."""
    folded = unicodedata.normalize("NFKC", password).casefold()
    if len(set(folded)) < MIN_DISTINCT_CHARACTERS:
        return True
    match = _AFFIXES.match(folded)
    core = match.group(1) if match else folded
    if not core:
        return True
    common = common_passwords()
    if folded in common or core in common:
        return True
    for times in (2, 3, 4):
        part, rest = divmod(len(core), times)
        if not rest and core == core[:part] * times and core[:part] in common:
            return True
    return False


def password_problem(employee: Employee, password: str) -> tuple[str, str] | None:
    """Return why a new password is not acceptable (Indonesian, English), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return (f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter; frasa beberapa kata "
                "paling mudah diingat.",
                f"A password needs at least {MIN_PASSWORD_LENGTH} characters; a phrase of a few "
                "words is easiest to remember.")
    if len(password) > MAX_PASSWORD_LENGTH:
        return (f"Kata sandi paling panjang {MAX_PASSWORD_LENGTH} karakter.",
                f"A password has at most {MAX_PASSWORD_LENGTH} characters.")
    if employee.nip and employee.nip in password:
        return ("Kata sandi tidak boleh memuat NIP.", "A password must not contain the NIP.")
    if is_guessable(password):
        return ("Kata sandi ini terlalu umum atau mudah ditebak; pilih frasa beberapa kata yang "
                "hanya Anda ketahui.",
                "This password is too common or easy to guess; choose a phrase of a few words "
                "only you know.")
    return None


def set_password(employee: Employee, password: str, *,
                 hash_method: str = PASSWORD_HASH_METHOD) -> None:
    """Hash and store a password (``hash_method``: a Werkzeug method, scrypt by default).

    :raises ValueError: the password is not acceptable (``password_problem``).
    """
    problem = password_problem(employee, password)
    if problem:
        raise ValueError(problem[0])
    employee.password_hash = generate_password_hash(password, method=hash_method)


def session_fingerprint(employee: Employee) -> str:
    """Return a short digest of the password hash: a log-in session carries it, so changing
    the password ends every other session of the account."""
    return hashlib.sha256((employee.password_hash or "").encode()).hexdigest()[:16]


def password_matches(employee: Employee | None, password: str, *,
                     hash_method: str = PASSWORD_HASH_METHOD) -> bool:
    """Check a password in constant time; a missing account still costs one hash (made with
    ``hash_method``, the method new passwords are stored with)."""
    if employee is None or not employee.password_hash:
        check_password_hash(_dummy_hash(hash_method), password)
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
def _dummy_hash(hash_method: str) -> str:
    return generate_password_hash("dummy-password-for-timing", method=hash_method)


class LoginRefused(WorkflowError):
    """Wrong NIP or password, or too many failures; the message never says which."""

    status = 401


def _throttle(session: Session, key: str, now: datetime) -> LoginThrottle | None:
    """Lock and return the failure counter of ``key``; refuse while it is locked."""
    throttle = session.get(LoginThrottle, key, with_for_update=True)
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        minutes = max(1, int((throttle.locked_until - now).total_seconds() // 60) + 1)
        raise LoginRefused(
            f"Terlalu banyak percobaan gagal. Coba lagi dalam {minutes} menit.",
            f"Too many failed attempts. Try again in {minutes} minutes.",
        )
    return throttle


def _count_failure(session: Session, throttle: LoginThrottle | None, key: str, now: datetime,
                   max_failures: int, lock_minutes: int) -> None:
    """Count one failure of ``key``; lock it after ``max_failures`` within ``lock_minutes``."""
    if throttle is None:
        throttle = LoginThrottle(key=key, failures=0, first_failure_at=now)
        session.add(throttle)
    window_start = throttle.first_failure_at or now
    if now - window_start > timedelta(minutes=lock_minutes):
        throttle.failures, throttle.first_failure_at = 0, now
    throttle.failures += 1
    if throttle.failures >= max_failures:
        throttle.locked_until = now + timedelta(minutes=lock_minutes)


def authenticate(
    session: Session, audit_key: bytes, nip: str, password: str, *, now: datetime,
    max_failures: int = 5, lock_minutes: int = 15, source: str = "",
    hash_method: str = PASSWORD_HASH_METHOD,
) -> Employee:
    """Check a log-in, throttle repeated failures per NIP, and record the attempt in history.

    The counter lives in the database so every app process shares it. The caller commits
    (also on refusal: the failure must be recorded).

    :raises LoginRefused: with a message that does not reveal whether the NIP exists.
    """
    key = f"nip:{nip}"
    throttle = _throttle(session, key, now)
    employee = session.scalar(select(Employee).where(Employee.nip == nip, Employee.active))
    ok = password_matches(employee, password, hash_method=hash_method)
    if employee is not None:
        append_event(session, audit_key, employee.agency, kind="auth", at=now,
                     actor_id=employee.id, actor_nip=employee.nip,
                     trigger="login" if ok else "login_failed", payload={"source": source})
    if ok and employee is not None:
        if throttle is not None:
            session.delete(throttle)
        return employee
    _count_failure(session, throttle, key, now, max_failures, lock_minutes)
    raise LoginRefused("NIP atau kata sandi salah.", "Wrong NIP or password.")


def change_password(
    session: Session, audit_key: bytes, employee: Employee, current: str, new: str, *,
    now: datetime, max_failures: int = 5, lock_minutes: int = 15,
    hash_method: str = PASSWORD_HASH_METHOD,
) -> None:
    """Change one's own password after checking the current one; recorded in history.

    A wrong current password counts as a failed log-in (same counter), so a left-open
    session cannot be used to guess it. The caller commits (also on refusal).

    :raises LoginRefused: the account is locked after too many failures.
    :raises InvalidData: wrong current password (``current_password``) or an unacceptable
        new one (``new_password``); nothing is changed.
    """
    key = f"nip:{employee.nip}"
    throttle = _throttle(session, key, now)
    if not password_matches(employee, current, hash_method=hash_method):
        _count_failure(session, throttle, key, now, max_failures, lock_minutes)
        raise InvalidData.of({"current_password": ("Kata sandi saat ini salah.",
                                                   "The current password is wrong.")})
    problem = password_problem(employee, new)
    if problem:
        raise InvalidData.of({"new_password": problem})
    set_password(employee, new, hash_method=hash_method)
    append_event(session, audit_key, employee.agency, kind="auth", at=now,
                 actor_id=employee.id, actor_nip=employee.nip, trigger="password_changed")


# --- activation codes ---------------------------------------------------------------------

# No 0/O, 1/I/L: read off paper and typed on a phone without guessing. 31^12 ≈ 2^59.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
ACTIVATION_DAYS = 7


def new_activation_code() -> str:
    """Return a fresh code, grouped for reading: ``ABCD-EFGH-JKMN``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def _code_digest(audit_key: bytes, employee_id: int, code: str) -> str:
    """HMAC of a code (spaces, dashes and case ignored), bound to its employee."""
    clean = "".join(ch for ch in code.upper() if ch.isalnum())
    key = hmac.new(audit_key, b"activation-code", hashlib.sha256).digest()  # own purpose
    return hmac.new(key, f"{employee_id}:{clean}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A code as issued: shown (or printed) once, never stored in clear."""

    employee: Employee
    code: str
    expires_at: datetime


def issue_activation_codes(
    session: Session, audit_key: bytes, admin: Actor, employees: Iterable[Employee], *,
    now: datetime, days: int = ACTIVATION_DAYS,
) -> list[IssuedCode]:
    """Issue a new code for each employee (replacing an older one); record each in history.

    An employee's password stays valid until she uses the code: issuing is not locking out.
    The caller commits.

    :raises NotPermitted: ``admin`` is neither an agency admin nor the system (CLI).
    :raises NotFound: an employee of another agency (nothing is issued).
    :raises InvalidData: an inactive employee, or ``days`` outside 1–90.
    """
    if not (admin.is_admin or admin.is_system):
        raise NotPermitted("Hanya admin instansi yang dapat membuat kode aktivasi.",
                           "Only the agency admin can issue activation codes.")
    people = list(employees)
    if any(person.agency_id != admin.agency_id for person in people):
        raise NotFound("Pegawai tidak ditemukan.", "Employee not found.")
    inactive = [person.nip for person in people if not person.active]
    if inactive:
        raise InvalidData.of({"employees": (
            f"Pegawai tidak aktif: {', '.join(inactive)}.",
            f"Inactive employees: {', '.join(inactive)}.")})
    if not 1 <= days <= 90:
        raise InvalidData.of({"days": ("Masa berlaku kode 1–90 hari.",
                                       "A code is valid for 1–90 days.")})
    expires_at = now + timedelta(days=days)
    issued = []
    for person in people:
        code = new_activation_code()
        row = session.get(ActivationCode, person.id) or ActivationCode(employee_id=person.id)
        row.digest = _code_digest(audit_key, person.id, code)
        row.expires_at, row.issued_at, row.issued_by_id = expires_at, now, admin.employee_id
        session.add(row)
        append_event(session, audit_key, person.agency, kind="auth", at=now,
                     actor_id=admin.employee_id, actor_nip=admin.nip,
                     actor_role="system" if admin.is_system else "admin",
                     trigger="activation_issued",
                     payload={"nip": person.nip, "expires_at": expires_at.isoformat()})
        issued.append(IssuedCode(person, code, expires_at))
    return issued


def activate_account(
    session: Session, audit_key: bytes, nip: str, code: str, password: str, *, now: datetime,
    max_failures: int = 5, lock_minutes: int = 15, source: str = "",
    hash_method: str = PASSWORD_HASH_METHOD,
) -> Employee:
    """Set one's password with a valid activation code, which is used up; recorded in history.

    Wrong codes are counted per NIP like failed log-ins. The caller commits (also on refusal).

    :raises LoginRefused: wrong NIP or code, expired code, or too many failures — the message
        does not say which.
    :raises InvalidData: the new password is not acceptable (the code is kept).
    """
    key = f"activation:{nip}"
    throttle = _throttle(session, key, now)
    employee = session.scalar(select(Employee).where(Employee.nip == nip, Employee.active))
    row = (session.get(ActivationCode, employee.id, with_for_update=True)
           if employee is not None else None)
    given = _code_digest(audit_key, employee.id if employee is not None else 0, code)
    if row is None or employee is None or row.expires_at <= now or not hmac.compare_digest(
            row.digest, given):
        if employee is not None:
            append_event(session, audit_key, employee.agency, kind="auth", at=now,
                         actor_id=employee.id, actor_nip=employee.nip,
                         trigger="activation_failed", payload={"source": source})
        _count_failure(session, throttle, key, now, max_failures, lock_minutes)
        raise LoginRefused(
            "NIP atau kode aktivasi salah, atau kode sudah kedaluwarsa. Mintalah kode baru "
            "kepada admin instansi bila perlu.",
            "Wrong NIP or activation code, or the code has expired. Ask your agency admin for "
            "a new code if needed.",
        )
    problem = password_problem(employee, password)
    if problem:
        raise InvalidData.of({"password": problem})
    set_password(employee, password, hash_method=hash_method)
    session.delete(row)
    if throttle is not None:
        session.delete(throttle)
    append_event(session, audit_key, employee.agency, kind="auth", at=now, actor_id=employee.id,
                 actor_nip=employee.nip, trigger="account_activated", payload={"source": source})
    return employee


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


# --- the admin's overview -----------------------------------------------------------------

ACCOUNT_STATES = ("password", "code", "expired", "none")


@dataclass(frozen=True, slots=True)
class AccountRow:
    """An employee and where her account stands."""

    employee: Employee
    has_password: bool
    code_expires_at: datetime | None

    def state(self, now: datetime) -> str:
        """``password`` (can log in), ``code`` (a valid code is out), ``expired`` or ``none``."""
        if self.has_password:
            return "password"
        if self.code_expires_at is None:
            return "none"
        return "code" if self.code_expires_at > now else "expired"


def account_rows(
    session: Session, agency_id: int, *, now: datetime, unit: str = "", state: str = "",
    search: str = "", limit: int = 200,
) -> tuple[list[AccountRow], int]:
    """Return the agency's active employees with their account state, and how many match.

    ``state`` is one of ``ACCOUNT_STATES`` (or empty for all); ``search`` matches NIP or name.
    """
    has_password = Employee.password_hash.is_not(None)
    query = (
        select(Employee, has_password, ActivationCode.expires_at)
        .outerjoin(ActivationCode, ActivationCode.employee_id == Employee.id)
        .where(Employee.agency_id == agency_id, Employee.active)
    )
    if unit:
        query = query.where(Employee.unit_kerja == unit)
    if search:
        like = f"%{search.strip()}%"
        query = query.where(Employee.nip.like(like) | Employee.name.ilike(like))
    if state == "password":
        query = query.where(has_password)
    elif state in ("code", "expired", "none"):
        query = query.where(~has_password)
        if state == "none":
            query = query.where(ActivationCode.expires_at.is_(None))
        elif state == "code":
            query = query.where(ActivationCode.expires_at > now)
        else:
            query = query.where(ActivationCode.expires_at <= now)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Employee.unit_kerja, Employee.name).limit(limit))
    return [AccountRow(e, bool(p), x) for e, p, x in rows], total


def agency_employees(session: Session, agency_id: int, ids: Iterable[int]) -> list[Employee]:
    """Return the employees with these ids, all of the agency.

    :raises NotFound: an id that is not an employee of the agency (never says which).
    """
    wanted = set(ids)
    people = list(session.scalars(
        select(Employee).where(Employee.agency_id == agency_id, Employee.id.in_(wanted))
        .order_by(Employee.unit_kerja, Employee.name))) if wanted else []
    if len(people) != len(wanted):
        raise NotFound("Pegawai tidak ditemukan.", "Employee not found.")
    return people
