"""Credentials: passwords, activation codes and API tokens. Only hashes are stored.

Passwords use Werkzeug's scrypt hashing (the caller passes the app's ``hash_method``; the
default is ``PASSWORD_HASH_METHOD``); API tokens are random 32-byte secrets stored as
SHA-256 digests (a token is high-entropy, so a fast hash is the right tool for lookups).

An employee gets her first password (or a new one after she forgot it) with a one-time
**activation code** the agency admin issues: 12 characters a person can read off paper, valid
for a few days, stored as an HMAC under the server's key (so neither a database copy nor the
admin can use it later), refused after repeated wrong tries like a log-in. Every issue, use and
password change is recorded in the agency's history; the code and passwords never are.

Failed checks are throttled per account and address and per account (``ThrottleRules``: growing
waits, never a lock a stranger can cause). A log-in session belongs to the account's
``session_epoch``; log-out, a password change, an activation and ``end_sessions`` move it on.
API tokens have a scope and an expiry; their issue and revocation are in the history too.
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

from sqlalchemy import bindparam
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
from .models import Group
from .models import GroupMember
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


# --- throttling ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThrottleRules:
    """How failed checks slow down further checks of an account.

    Two counters per account, kept in the database: failures **from one address**
    (``pair_*``) and failures **from anywhere** (``account_*``). After ``pair_free``
    failures from one address, that address waits before its next check: ``pair_first``,
    doubled by every further failure, at most ``pair_cap``. Other addresses are not
    affected, so a stranger cannot lock the owner out. After ``account_free`` failures from
    any addresses together, every check of the account waits ``1 s`` doubled by every
    further failure, at most ``account_cap`` (30 s: the owner still gets in within a minute).
    A success clears both counters; failures older than ``window`` are forgotten.
    """

    pair_free: int = 5
    pair_first: timedelta = timedelta(minutes=1)
    pair_cap: timedelta = timedelta(minutes=15)
    account_free: int = 20
    account_cap: timedelta = timedelta(seconds=30)
    window: timedelta = timedelta(hours=24)


def _locked_counter(session: Session, key: str) -> LoginThrottle:
    """Return the counter of ``key``, created if missing and locked until the caller commits.

    ``INSERT … ON CONFLICT DO NOTHING`` then ``SELECT … FOR UPDATE``: parallel first
    failures of a new key never collide on the primary key (no error), and they wait for each
    other, so each sees the count the previous one left (no extra checks). On SQLite the
    insert takes the database's write lock, which serialises them the same way.
    """
    values = {"key": key, "failures": 0}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(pg_insert(LoginThrottle).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite_insert(LoginThrottle).values(values).on_conflict_do_nothing())
    elif session.get(LoginThrottle, key) is None:  # another database: no race protection
        session.add(LoginThrottle(**values))
        session.flush()
    counter = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
    assert counter is not None
    return counter


def _refuse_while_waiting(counter: LoginThrottle, now: datetime) -> None:
    """Refuse (without checking anything) while the counter asks for a wait."""
    if counter.locked_until is None or counter.locked_until <= now:
        return
    seconds = max(1, int((counter.locked_until - now).total_seconds() + 0.999))
    if seconds < 60:
        raise LoginRefused(
            f"Terlalu banyak percobaan gagal. Coba lagi dalam {seconds} detik.",
            f"Too many failed attempts. Try again in {seconds} seconds.",
        )
    minutes = (seconds + 59) // 60
    raise LoginRefused(
        f"Terlalu banyak percobaan gagal. Coba lagi dalam {minutes} menit.",
        f"Too many failed attempts. Try again in {minutes} minutes.",
    )


def _count_failure(counter: LoginThrottle, now: datetime, free: int, first: timedelta,
                   cap: timedelta, window: timedelta) -> None:
    """Count one failure; from the ``free``-th on, ask for a wait of ``first`` doubled by each
    further failure, at most ``cap``."""
    if counter.first_failure_at is None or now - counter.first_failure_at > window:
        counter.failures, counter.first_failure_at = 0, now
    counter.failures += 1
    if counter.failures >= free:
        doublings = min(counter.failures - free, 30)
        counter.locked_until = now + min(first * 2 ** doublings, cap)


@dataclass(slots=True)
class _Check:
    """The two locked counters of one check of an account from one address."""

    account: LoginThrottle
    pair: LoginThrottle
    rules: ThrottleRules

    @classmethod
    def begin(cls, session: Session, purpose: str, nip: str, address: str, now: datetime,
              rules: ThrottleRules) -> _Check:
        """Lock both counters (always the account's first: no deadlocks) and refuse while
        either asks for a wait."""
        account = _locked_counter(session, f"{purpose}:{nip}")
        pair = _locked_counter(session, f"{purpose}:{nip}@{address}"[:100])
        _refuse_while_waiting(pair, now)
        _refuse_while_waiting(account, now)
        return cls(account, pair, rules)

    def failed(self, now: datetime) -> None:
        """Count a failed check on both counters."""
        r = self.rules
        _count_failure(self.pair, now, r.pair_free, r.pair_first, r.pair_cap, r.window)
        _count_failure(self.account, now, r.account_free, timedelta(seconds=1), r.account_cap,
                       r.window)

    def succeeded(self) -> None:
        """Clear both counters."""
        for counter in (self.account, self.pair):
            counter.failures, counter.first_failure_at, counter.locked_until = 0, None, None


def authenticate(
    session: Session, audit_key: bytes, nip: str, password: str, *, now: datetime,
    rules: ThrottleRules = ThrottleRules(), source: str = "",
    hash_method: str = PASSWORD_HASH_METHOD,
) -> Employee:
    """Check a log-in from the address ``source``, throttle failures (``ThrottleRules``), and
    record the attempt in history.

    The counters live in the database so every app process shares them; they stay locked
    until the caller commits, which it does also on refusal (the failure must be recorded).

    :raises LoginRefused: with a message that does not reveal whether the NIP exists.
    """
    check = _Check.begin(session, "login", nip, source, now, rules)
    employee = session.scalar(select(Employee).where(Employee.nip == nip, Employee.active))
    ok = password_matches(employee, password, hash_method=hash_method)
    if employee is not None:
        append_event(session, audit_key, employee.agency, kind="auth", at=now,
                     actor_id=employee.id, actor_nip=employee.nip,
                     trigger="login" if ok else "login_failed", payload={"source": source})
    if ok and employee is not None:
        check.succeeded()
        return employee
    check.failed(now)
    raise LoginRefused("NIP atau kata sandi salah.", "Wrong NIP or password.")


def change_password(
    session: Session, audit_key: bytes, employee: Employee, current: str, new: str, *,
    now: datetime, rules: ThrottleRules = ThrottleRules(), source: str = "",
    hash_method: str = PASSWORD_HASH_METHOD, revoke_tokens: bool = False,
) -> int:
    """Change one's own password after checking the current one; recorded in history.

    Every session of the account ends (the caller starts a new one for the person changing
    it), and with ``revoke_tokens`` her API tokens are revoked too. A wrong current password
    counts as a failed log-in from ``source`` (same counters), so a left-open session cannot
    be used to guess it. The caller commits (also on refusal). Returns how many tokens were
    revoked.

    :raises LoginRefused: too many failures; wait.
    :raises InvalidData: wrong current password (``current_password``) or an unacceptable
        new one (``new_password``); nothing is changed.
    """
    check = _Check.begin(session, "login", employee.nip, source, now, rules)
    if not password_matches(employee, current, hash_method=hash_method):
        check.failed(now)
        raise InvalidData.of({"current_password": ("Kata sandi saat ini salah.",
                                                   "The current password is wrong.")})
    problem = password_problem(employee, new)
    if problem:
        raise InvalidData.of({"new_password": problem})
    set_password(employee, new, hash_method=hash_method)
    employee.session_epoch += 1
    append_event(session, audit_key, employee.agency, kind="auth", at=now,
                 actor_id=employee.id, actor_nip=employee.nip, trigger="password_changed")
    revoked = 0
    if revoke_tokens:
        revoked = revoke_tokens_of(session, audit_key, Actor.of(employee), employee, now=now)
    return revoked


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
    rules: ThrottleRules = ThrottleRules(), source: str = "",
    hash_method: str = PASSWORD_HASH_METHOD,
) -> Employee:
    """Set one's password with a valid activation code, which is used up; recorded in history.

    Wrong codes are throttled like failed log-ins (``ThrottleRules``; counters of their own),
    every older session of the account ends. The caller commits (also on refusal).

    :raises LoginRefused: wrong NIP or code, expired code, or too many failures — the message
        does not say which.
    :raises InvalidData: the new password is not acceptable (the code is kept).
    """
    check = _Check.begin(session, "activation", nip, source, now, rules)
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
        check.failed(now)
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
    employee.session_epoch += 1
    session.delete(row)
    check.succeeded()
    append_event(session, audit_key, employee.agency, kind="auth", at=now, actor_id=employee.id,
                 actor_nip=employee.nip, trigger="account_activated", payload={"source": source})
    return employee


# --- sessions -------------------------------------------------------------------------------


def record_logout(session: Session, audit_key: bytes, employee: Employee, now: datetime) -> None:
    """End every log-in session of the account (its epoch moves on) and record the log-out."""
    employee.session_epoch += 1
    append_event(session, audit_key, employee.agency, kind="auth", at=now, actor_id=employee.id,
                 actor_nip=employee.nip, trigger="logout")


def end_sessions(session: Session, audit_key: bytes, admin: Actor, employee: Employee, *,
                 now: datetime) -> None:
    """End every log-in session of an employee (the admin's or the CLI's "end all sessions");
    recorded in the agency's history. The caller commits.

    :raises NotPermitted: ``admin`` is neither an agency admin nor the system (CLI).
    :raises NotFound: an employee of another agency.
    """
    _require_admin(admin, employee)
    employee.session_epoch += 1
    append_event(session, audit_key, employee.agency, kind="auth", at=now,
                 actor_id=admin.employee_id, actor_nip=admin.nip,
                 actor_role="system" if admin.is_system else "admin",
                 trigger="sessions_ended", payload={"nip": employee.nip})


def _require_admin(admin: Actor, employee: Employee) -> None:
    if not (admin.is_admin or admin.is_system):
        raise NotPermitted("Hanya admin instansi yang dapat melakukan ini.",
                           "Only the agency admin can do this.")
    if employee.agency_id != admin.agency_id:
        raise NotFound("Pegawai tidak ditemukan.", "Employee not found.")


# --- API tokens -----------------------------------------------------------------------------

# What a token may do: ``read`` (every GET of the API) and ``transition`` (every transition),
# or ``transition:<name>`` for one named transition only (e.g. ``transition:submit``).
TOKEN_SCOPES = ("read", "transition", "skp", "reassign")  # skp: write SKPs (docs/api.md)
_TRANSITION_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # as definitions name them
TOKEN_DAYS = 90
TOKEN_MAX_DAYS = 365
# A token's last use is written at most this often: reading with a token is not a write.
TOKEN_USE_RESOLUTION = timedelta(minutes=5)


def parse_scope(text: str) -> str:
    """Return the normalised scope (sorted, space-separated operations).

    :raises InvalidData: an unknown operation, or none at all (``scope``).
    """
    parts = sorted(set(text.replace(",", " ").split()))
    wrong = [p for p in parts if p not in TOKEN_SCOPES and not (
        p.startswith("transition:") and _TRANSITION_NAME.match(p.removeprefix("transition:")))]
    if wrong or not parts:
        allowed = ", ".join((*TOKEN_SCOPES, "transition:<nama>"))
        raise InvalidData.of({"scope": (
            f"Cakupan token tidak dikenal: {' '.join(wrong) or '(kosong)'}. Pilih dari: "
            f"{allowed}.",
            f"Unknown token scope: {' '.join(wrong) or '(empty)'}. Choose from: {allowed}.")})
    return " ".join(parts)


def token_allows(scope: str, operation: str) -> bool:
    """Return whether a token's scope allows ``operation`` (``read``, ``transition:<name>``)."""
    granted = set(scope.split())
    if operation in granted:
        return True
    return operation.startswith("transition:") and "transition" in granted


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token as issued: shown once, stored only as a digest."""

    row: ApiToken
    token: str


def issue_token(
    session: Session, audit_key: bytes, issuer: Actor, employee: Employee, *, now: datetime,
    name: str = "", scope: str = "read", days: int = TOKEN_DAYS,
) -> IssuedToken:
    """Create an API token for an employee with a scope and an expiry; recorded in the agency's
    history. The token is returned once (only its digest is stored). The caller commits.

    :raises NotPermitted: ``issuer`` is neither an agency admin nor the system (CLI).
    :raises NotFound: an employee of another agency.
    :raises InvalidData: an inactive employee, an unknown scope, ``days`` outside
        1–``TOKEN_MAX_DAYS``, or a name longer than 100 characters.
    """
    _require_admin(issuer, employee)
    scope = parse_scope(scope)
    if not employee.active:
        raise InvalidData.of({"nip": ("Pegawai tidak aktif.", "The employee is inactive.")})
    if not 1 <= days <= TOKEN_MAX_DAYS:
        raise InvalidData.of({"days": (f"Masa berlaku token 1–{TOKEN_MAX_DAYS} hari.",
                                       f"A token is valid for 1–{TOKEN_MAX_DAYS} days.")})
    name = name.strip()
    if len(name) > 100:
        raise InvalidData.of({"name": ("Nama token paling panjang 100 karakter.",
                                       "A token name has at most 100 characters.")})
    token, digest = new_token()
    row = ApiToken(employee_id=employee.id, digest=digest, name=name, scope=scope,
                   created_at=now, expires_at=now + timedelta(days=days))
    session.add(row)
    session.flush()
    append_event(session, audit_key, employee.agency, kind="auth", at=now,
                 actor_id=issuer.employee_id, actor_nip=issuer.nip,
                 actor_role="system" if issuer.is_system else "admin", trigger="token_issued",
                 payload={"nip": employee.nip, "token_id": row.id, "name": name,
                          "scope": scope, "expires_at": row.expires_at.isoformat()})
    return IssuedToken(row, token)


def revoke_token(session: Session, audit_key: bytes, actor: Actor, token_id: int, *,
                 now: datetime) -> ApiToken:
    """Revoke one token (its owner, or an admin of its agency); recorded in history. Revoking
    a revoked token changes nothing. The caller commits.

    :raises NotFound: no such token in the actor's agency, or not the actor's own.
    """
    row = session.get(ApiToken, token_id)
    if row is None or row.employee.agency_id != actor.agency_id or not (
            actor.is_admin or actor.is_system or row.employee_id == actor.employee_id):
        raise NotFound("Token tidak ditemukan.", "Token not found.")
    if row.revoked_at is None:
        _revoke(session, audit_key, actor, row, now)
    return row


def revoke_tokens_of(session: Session, audit_key: bytes, actor: Actor, employee: Employee, *,
                     now: datetime) -> int:
    """Revoke every live token of an employee (herself, or an admin of her agency); return how
    many. Each revocation is recorded in history. The caller commits.

    :raises NotFound: an employee of another agency, or someone else's tokens for a non-admin.
    """
    if employee.agency_id != actor.agency_id or not (
            actor.is_admin or actor.is_system or employee.id == actor.employee_id):
        raise NotFound("Pegawai tidak ditemukan.", "Employee not found.")
    rows = session.scalars(select(ApiToken).where(
        ApiToken.employee_id == employee.id, ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > now).order_by(ApiToken.id)).all()
    for row in rows:
        _revoke(session, audit_key, actor, row, now)
    return len(rows)


def _revoke(session: Session, audit_key: bytes, actor: Actor, row: ApiToken,
            now: datetime) -> None:
    row.revoked_at = now
    session.flush()  # the agency's chain head moved by an earlier event must be written first
    role = "system" if actor.is_system else "admin" if (
        actor.is_admin and actor.employee_id != row.employee_id) else ""
    append_event(session, audit_key, row.employee.agency, kind="auth", at=now,
                 actor_id=actor.employee_id, actor_nip=actor.nip, actor_role=role,
                 trigger="token_revoked",
                 payload={"nip": row.employee.nip, "token_id": row.id, "name": row.name})


def tokens_of(session: Session, agency_id: int, *, nip: str = "",
              include_dead: bool = False, now: datetime) -> list[ApiToken]:
    """Return an agency's tokens (or one employee's), newest first; without ``include_dead``
    only the live ones (neither revoked nor expired)."""
    query = (select(ApiToken).join(ApiToken.employee)
             .where(Employee.agency_id == agency_id).order_by(ApiToken.id.desc()))
    if nip:
        query = query.where(Employee.nip == nip)
    if not include_dead:
        query = query.where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)
    return list(session.scalars(query))


def live_token_count(session: Session, employee: Employee, now: datetime) -> int:
    """Return how many live tokens an employee has."""
    return session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.employee_id == employee.id, ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > now)) or 0


@dataclass(frozen=True, slots=True)
class TokenUse:
    """A live API token as one request uses it: who acts with it and what it may do.

    ``touched``: its ``last_used_at`` was just written (the caller commits it, so the stamp
    stays even when the request then fails); otherwise the lookup wrote nothing.
    """

    token_id: int
    scope: str
    actor: Actor
    touched: bool


_TOKEN = ApiToken.__table__
_EMPLOYEE = Employee.__table__
_MEMBER = GroupMember.__table__
_GROUP = Group.__table__
# The token, its employee and her groups in one statement (one row per group, or one row
# with no group); built once, so its compiled form is cached.
_TOKEN_LOOKUP = (
    select(_TOKEN.c.id, _TOKEN.c.scope, _TOKEN.c.last_used_at, _EMPLOYEE.c.id,
           _EMPLOYEE.c.nip, _EMPLOYEE.c.name, _EMPLOYEE.c.agency_id, _GROUP.c.slug)
    .select_from(_TOKEN.join(_EMPLOYEE, _EMPLOYEE.c.id == _TOKEN.c.employee_id)
                 .outerjoin(_MEMBER, _MEMBER.c.employee_id == _EMPLOYEE.c.id)
                 .outerjoin(_GROUP, _GROUP.c.id == _MEMBER.c.group_id))
    .where(_TOKEN.c.digest == bindparam("digest"), _TOKEN.c.revoked_at.is_(None),
           _TOKEN.c.expires_at > bindparam("now"), _EMPLOYEE.c.active)
)
_TOKEN_TOUCH = (
    _TOKEN.update()
    .where(_TOKEN.c.id == bindparam("token_id"),
           _TOKEN.c.last_used_at.is_(None) | (_TOKEN.c.last_used_at <= bindparam("stale")))
    .values(last_used_at=bindparam("now"))
)


def token_for_request(session: Session, token: str, now: datetime) -> TokenUse | None:
    """Return the live token (unrevoked, unexpired, of an active employee) with its actor,
    or None; one statement reads the token, the employee and her groups.

    Its ``last_used_at`` is written only when older than ``TOKEN_USE_RESOLUTION`` (one
    conditional ``UPDATE``), so most requests read without writing.
    """
    connection = session.connection()
    rows = connection.execute(_TOKEN_LOOKUP, {"digest": token_digest(token), "now": now}).all()
    if not rows:
        return None
    token_id, scope, last_used_at, employee_id, nip, name, agency_id, _slug = rows[0]
    actor = Actor(employee_id, nip, name, agency_id,
                  frozenset(row[-1] for row in rows if row[-1] is not None))
    stale = now - TOKEN_USE_RESOLUTION
    touched = last_used_at is None or last_used_at <= stale
    if touched:
        connection.execute(_TOKEN_TOUCH, {"token_id": token_id, "stale": stale, "now": now})
    return TokenUse(token_id, scope, actor, touched)


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


def agency_employee_by_nip(session: Session, agency_id: int, nip: str) -> Employee:
    """Return the agency's employee with this NIP.

    :raises NotFound: no such employee in the agency.
    """
    employee = session.scalar(select(Employee).where(Employee.agency_id == agency_id,
                                                     Employee.nip == nip.strip()))
    if employee is None:
        raise NotFound("Pegawai tidak ditemukan.", "Employee not found.")
    return employee
