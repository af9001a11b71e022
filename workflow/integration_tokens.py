"""Agency-level integration tokens: a system (payroll/TPP, a SIASN sync) reads the recap.

Not an employee's token (``workflow.accounts``): it belongs to the agency, acts as nobody,
and may do only what its scope names (``INTEGRATION_SCOPES``: ``recap``, the period recap of
``reports.recap``). It expires, can be revoked, and only its SHA-256 digest is stored; every
issue and revocation is in the agency's history. Tokens start with ``pki_`` so the API knows
which kind it was sent without a second lookup.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts import TOKEN_DAYS
from .accounts import TOKEN_MAX_DAYS
from .accounts import TOKEN_USE_RESOLUTION
from .accounts import token_digest
from .actors import Actor
from .errors import InvalidData
from .errors import NotFound
from .errors import NotPermitted
from .history import append_event
from .models import Agency
from .models import IntegrationToken

PREFIX = "pki_"
INTEGRATION_SCOPES = ("recap",)


def is_integration_token(token: str) -> bool:
    """Tell whether a bearer token is an integration token (by its prefix)."""
    return token.startswith(PREFIX)


def parse_integration_scope(text: str) -> str:
    """Return the normalised scope. :raises InvalidData: an unknown or empty scope."""
    parts = sorted(set(text.replace(",", " ").split()))
    wrong = [p for p in parts if p not in INTEGRATION_SCOPES]
    if wrong or not parts:
        allowed = ", ".join(INTEGRATION_SCOPES)
        raise InvalidData.of({"scope": (
            f"Cakupan token integrasi tidak dikenal: {' '.join(wrong) or '(kosong)'}. "
            f"Pilih dari: {allowed}.",
            f"Unknown integration token scope: {' '.join(wrong) or '(empty)'}. "
            f"Choose from: {allowed}.")})
    return " ".join(parts)


@dataclass(frozen=True, slots=True)
class IssuedIntegrationToken:
    """A token as issued: shown once, stored only as a digest."""

    row: IntegrationToken
    token: str


def _require_admin_of(actor: Actor, agency: Agency) -> None:
    if actor.agency_id != agency.id:
        raise NotFound("Instansi tidak ditemukan.", "Agency not found.")
    if not (actor.is_admin or actor.is_system):
        raise NotPermitted("Hanya admin instansi yang dapat mengelola token integrasi.",
                           "Only the agency's admin can manage integration tokens.")


def issue_integration_token(
    session: Session, audit_key: bytes, issuer: Actor, agency: Agency, *, now: datetime,
    name: str, scope: str = "recap", days: int = TOKEN_DAYS,
) -> IssuedIntegrationToken:
    """Create an integration token of the agency (recorded in its history; the caller commits).

    :raises NotPermitted: the issuer is neither the agency's admin nor the system (CLI).
    :raises NotFound: another agency.
    :raises InvalidData: no name or one over 100 characters, an unknown scope, ``days``
        outside 1–``TOKEN_MAX_DAYS``.
    """
    _require_admin_of(issuer, agency)
    scope = parse_integration_scope(scope)
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidData.of({"name": (
            "Beri nama token integrasi (untuk apa), paling panjang 100 karakter.",
            "Give the integration token a name (what it is for), at most 100 characters.")})
    if not 1 <= days <= TOKEN_MAX_DAYS:
        raise InvalidData.of({"days": (f"Masa berlaku token 1–{TOKEN_MAX_DAYS} hari.",
                                       f"A token is valid for 1–{TOKEN_MAX_DAYS} days.")})
    token = PREFIX + secrets.token_urlsafe(32)
    row = IntegrationToken(agency_id=agency.id, digest=token_digest(token), name=name,
                           scope=scope, created_at=now, created_by_nip=issuer.nip,
                           expires_at=now + timedelta(days=days))
    session.add(row)
    session.flush()
    append_event(session, audit_key, agency, kind="auth", at=now,
                 actor_id=issuer.employee_id, actor_nip=issuer.nip,
                 actor_role="system" if issuer.is_system else "admin",
                 trigger="integration_token_issued",
                 payload={"token_id": row.id, "name": name, "scope": scope,
                          "expires_at": row.expires_at.isoformat()})
    return IssuedIntegrationToken(row, token)


def revoke_integration_token(session: Session, audit_key: bytes, actor: Actor, token_id: int, *,
                             now: datetime) -> IntegrationToken:
    """Revoke one integration token of the actor's agency (recorded; the caller commits).
    Revoking a revoked token changes nothing.

    :raises NotFound: no such token in the actor's agency.
    :raises NotPermitted: the actor is not the agency's admin (or the system).
    """
    row = session.get(IntegrationToken, token_id)
    agency = session.get(Agency, actor.agency_id)
    if row is None or agency is None or row.agency_id != actor.agency_id:
        raise NotFound("Token tidak ditemukan.", "Token not found.")
    _require_admin_of(actor, agency)
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
        append_event(session, audit_key, agency, kind="auth", at=now,
                     actor_id=actor.employee_id, actor_nip=actor.nip,
                     actor_role="system" if actor.is_system else "admin",
                     trigger="integration_token_revoked",
                     payload={"token_id": row.id, "name": row.name})
    return row


def integration_tokens_of(session: Session, agency_id: int, *, include_dead: bool = False,
                          now: datetime) -> list[IntegrationToken]:
    """Return an agency's integration tokens, newest first (only live ones unless asked)."""
    query = (select(IntegrationToken).where(IntegrationToken.agency_id == agency_id)
             .order_by(IntegrationToken.id.desc()))
    if not include_dead:
        query = query.where(IntegrationToken.revoked_at.is_(None),
                            IntegrationToken.expires_at > now)
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class IntegrationUse:
    """A live integration token as one request uses it (``touched``: last use written)."""

    token_id: int
    agency_id: int
    name: str
    scope: str
    touched: bool

    def allows(self, operation: str) -> bool:
        """Tell whether the token's scope names ``operation``."""
        return operation in self.scope.split()


_TABLE = IntegrationToken.__table__
_LOOKUP = (select(_TABLE.c.id, _TABLE.c.agency_id, _TABLE.c.name, _TABLE.c.scope,
                  _TABLE.c.last_used_at)
           .where(_TABLE.c.digest == bindparam("digest"), _TABLE.c.revoked_at.is_(None),
                  _TABLE.c.expires_at > bindparam("now")))
_TOUCH = (_TABLE.update()
          .where(_TABLE.c.id == bindparam("token_id"),
                 _TABLE.c.last_used_at.is_(None)
                 | (_TABLE.c.last_used_at <= bindparam("stale")))
          .values(last_used_at=bindparam("now")))


def integration_token_for_request(session: Session, token: str,
                                  now: datetime) -> IntegrationUse | None:
    """Return the live (unrevoked, unexpired) integration token, or None; its last use is
    written at most every ``TOKEN_USE_RESOLUTION``."""
    connection = session.connection()
    row = connection.execute(_LOOKUP, {"digest": token_digest(token), "now": now}).first()
    if row is None:
        return None
    token_id, agency_id, name, scope, last_used_at = row
    stale = now - TOKEN_USE_RESOLUTION
    touched = last_used_at is None or last_used_at <= stale
    if touched:
        connection.execute(_TOUCH, {"token_id": token_id, "stale": stale, "now": now})
    return IntegrationUse(token_id, agency_id, name, scope, touched)
