"""Activation codes and password changes: issue, use once, expiry, throttling, isolation."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import World
from tests.conftest import build_world
from workflow.accounts import ACTIVATION_DAYS
from workflow.accounts import LoginRefused
from workflow.accounts import account_rows
from workflow.accounts import activate_account
from workflow.accounts import agency_employees
from workflow.accounts import authenticate
from workflow.accounts import change_password
from workflow.accounts import end_sessions
from workflow.accounts import issue_activation_codes
from workflow.accounts import issue_token
from workflow.accounts import parse_scope
from workflow.accounts import password_matches
from workflow.accounts import revoke_token
from workflow.accounts import revoke_tokens_of
from workflow.accounts import set_password
from workflow.accounts import token_allows
from workflow.actors import Actor
from workflow.errors import InvalidData
from workflow.errors import NotFound
from workflow.errors import NotPermitted
from workflow.history import verify_chain
from workflow.models import ActivationCode
from workflow.models import ApiToken
from workflow.models import Employee
from workflow.models import HistoryEvent
from workflow.service import Workflow

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NEW_PASSWORD = "kata-sandi-baru-1"


def issue(session: Session, wf: Workflow, world: World, *who: str, now: datetime = NOW,
          days: int = ACTIVATION_DAYS) -> list[str]:
    issued = issue_activation_codes(session, wf.audit_key, world.actor("kepala"),
                                    [world.people[w] for w in who], now=now, days=days)
    session.commit()
    return [item.code for item in issued]


def activate(session: Session, wf: Workflow, nip: str, code: str, password: str = NEW_PASSWORD,
             now: datetime = NOW) -> Employee:
    try:
        return activate_account(session, wf.audit_key, nip, code, password, now=now)
    finally:
        session.commit()  # as the view does: a refusal's counter must persist


def triggers(session: Session) -> list[str]:
    return list(session.scalars(select(HistoryEvent.trigger).where(
        HistoryEvent.kind == "auth").order_by(HistoryEvent.id)))


def test_a_code_sets_the_password_once_and_is_recorded(session: Session, wf: Workflow,
                                                       world: World) -> None:
    employee = world.people["pegawai"]
    (code,) = issue(session, wf, world, "pegawai")
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", code)
    stored = session.get(ActivationCode, employee.id)
    assert stored is not None and code.replace("-", "") not in stored.digest
    # Typed on a phone: lower case, spaces instead of dashes.
    activated = activate(session, wf, employee.nip, code.lower().replace("-", " "))
    assert activated.id == employee.id
    assert password_matches(employee, NEW_PASSWORD)
    # Without a configured method: Werkzeug's scrypt at production cost (N=2^15, r=8, p=1).
    assert (employee.password_hash or "").startswith("scrypt:32768:8:1$")
    assert session.get(ActivationCode, employee.id) is None
    with pytest.raises(LoginRefused):
        activate(session, wf, employee.nip, code, "yang-lain-lagi")
    assert password_matches(employee, NEW_PASSWORD)
    assert triggers(session) == ["activation_issued", "account_activated", "activation_failed"]
    issued = session.scalar(select(HistoryEvent).where(
        HistoryEvent.trigger == "activation_issued"))
    assert issued is not None and issued.actor_nip == world.people["kepala"].nip
    assert issued.payload["nip"] == employee.nip
    assert code not in str(issued.payload) and code.replace("-", "") not in str(issued.payload)
    assert verify_chain(session, wf.audit_key, world.agency).ok


def test_expired_wrong_and_foreign_codes_are_refused_alike(session: Session, wf: Workflow,
                                                          world: World) -> None:
    pegawai, pegawai2 = world.people["pegawai"], world.people["pegawai2"]
    code, code2 = issue(session, wf, world, "pegawai", "pegawai2", days=3)
    messages = set()
    for nip, given, when in ((pegawai.nip, code, NOW + timedelta(days=3)),  # expired
                             (pegawai.nip, code2, NOW),  # someone else's code
                             ("199912312020121999", code, NOW)):  # no such NIP
        with pytest.raises(LoginRefused) as refused:
            activate(session, wf, nip, given, now=when)
        messages.add(refused.value.message)
    assert len(messages) == 1 and "kode aktivasi salah" in messages.pop()
    assert pegawai.password_hash is None and pegawai2.password_hash is None
    assert activate(session, wf, pegawai.nip, code, now=NOW + timedelta(days=2, hours=23))


def test_repeated_wrong_codes_lock_the_nip(session: Session, wf: Workflow,
                                           world: World) -> None:
    employee = world.people["pegawai"]
    (code,) = issue(session, wf, world, "pegawai")
    for _ in range(5):
        with pytest.raises(LoginRefused):
            activate(session, wf, employee.nip, "AAAA-BBBB-CCCC")
    with pytest.raises(LoginRefused, match="Terlalu banyak percobaan"):
        activate(session, wf, employee.nip, code)
    assert employee.password_hash is None
    assert activate(session, wf, employee.nip, code, now=NOW + timedelta(minutes=16))


def test_an_unacceptable_password_keeps_the_code(session: Session, wf: Workflow,
                                                 world: World) -> None:
    employee = world.people["pegawai"]
    (code,) = issue(session, wf, world, "pegawai")
    for weak, field_en in (("pendek", "at least 12"), ("Password2024!", "too common"),
                           (f"x{employee.nip}x", "NIP")):
        with pytest.raises(InvalidData) as invalid:
            activate_account(session, wf.audit_key, employee.nip, code, weak, now=NOW)
        session.rollback()
        assert field_en in invalid.value.errors_en["password"][0]
    assert employee.password_hash is None
    assert activate(session, wf, employee.nip, code)


def test_a_new_code_replaces_the_old_one(session: Session, wf: Workflow, world: World) -> None:
    employee = world.people["pegawai"]
    (old,) = issue(session, wf, world, "pegawai")
    (new,) = issue(session, wf, world, "pegawai", now=NOW + timedelta(hours=1))
    assert session.scalar(select(func.count()).select_from(ActivationCode)) == 1
    with pytest.raises(LoginRefused):
        activate(session, wf, employee.nip, old)
    assert activate(session, wf, employee.nip, new)


def test_issuing_keeps_the_old_password_until_the_code_is_used(session: Session, wf: Workflow,
                                                               world: World) -> None:
    employee = world.people["pegawai"]
    set_password(employee, "password-lama-1", hash_method=CHEAP_HASH)
    session.commit()
    (code,) = issue(session, wf, world, "pegawai")
    assert authenticate(session, wf.audit_key, employee.nip, "password-lama-1", now=NOW)
    activate(session, wf, employee.nip, code)
    assert not password_matches(employee, "password-lama-1")


def test_only_an_admin_of_the_agency_issues_codes(session: Session, wf: Workflow,
                                                  world: World) -> None:
    other = build_world(session, wf, "kota-mataram", offset=50)
    people = [world.people["pegawai"]]
    with pytest.raises(NotPermitted):
        issue_activation_codes(session, wf.audit_key, world.actor("penilai"), people, now=NOW)
    with pytest.raises(NotFound):
        issue_activation_codes(session, wf.audit_key, other.actor("kepala"), people, now=NOW)
    with pytest.raises(NotFound):  # one foreign id spoils the whole batch
        agency_employees(session, world.agency.id,
                         [world.people["pegawai"].id, other.people["pegawai"].id])
    world.people["pegawai2"].active = False
    with pytest.raises(InvalidData):
        issue_activation_codes(session, wf.audit_key, world.actor("kepala"),
                               [world.people["pegawai"], world.people["pegawai2"]], now=NOW)
    with pytest.raises(InvalidData):
        issue_activation_codes(session, wf.audit_key, world.actor("kepala"), people, now=NOW,
                               days=91)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ActivationCode)) == 0
    assert triggers(session) == []
    # The CLI issues as the system actor of the agency.
    issued = issue_activation_codes(session, wf.audit_key, Actor.system(world.agency.id),
                                    people, now=NOW)
    assert len(issued) == 1


def test_change_password_checks_the_current_one(session: Session, wf: Workflow,
                                                world: World) -> None:
    employee = world.people["pegawai"]
    set_password(employee, "password-lama-1", hash_method=CHEAP_HASH)
    session.commit()
    with pytest.raises(InvalidData) as wrong:
        change_password(session, wf.audit_key, employee, "salah-sekali", NEW_PASSWORD, now=NOW)
    session.commit()
    assert "current_password" in wrong.value.errors
    with pytest.raises(InvalidData) as weak:
        change_password(session, wf.audit_key, employee, "password-lama-1", "pendek", now=NOW)
    session.rollback()
    assert "new_password" in weak.value.errors
    assert password_matches(employee, "password-lama-1")
    change_password(session, wf.audit_key, employee, "password-lama-1", NEW_PASSWORD, now=NOW)
    session.commit()
    assert password_matches(employee, NEW_PASSWORD)
    assert triggers(session) == ["password_changed"]
    # Wrong current passwords count as failed log-ins.
    for _ in range(4):
        with pytest.raises(InvalidData):
            change_password(session, wf.audit_key, employee, "salah", "apa-saja-123", now=NOW)
        session.commit()
    with pytest.raises(LoginRefused, match="Terlalu banyak"):
        authenticate(session, wf.audit_key, employee.nip, NEW_PASSWORD, now=NOW)


def test_account_rows_show_who_can_log_in(session: Session, wf: Workflow, world: World) -> None:
    set_password(world.people["penilai"], "password-lama-1", hash_method=CHEAP_HASH)
    issue(session, wf, world, "pegawai", days=1)
    issue(session, wf, world, "pegawai2", now=NOW - timedelta(days=5), days=1)

    def states(**filters: str) -> dict[str, str]:
        rows, total = account_rows(session, world.agency.id, now=NOW, **filters)
        assert total == len(rows)
        return {row.employee.nip: row.state(NOW) for row in rows}

    everyone = states()
    assert len(everyone) == len(world.people)
    assert everyone[world.people["penilai"].nip] == "password"
    assert everyone[world.people["pegawai"].nip] == "code"
    assert everyone[world.people["pegawai2"].nip] == "expired"
    assert everyone[world.people["kepala"].nip] == "none"
    for state in ("password", "code", "expired", "none"):
        assert states(state=state) == {k: v for k, v in everyone.items() if v == state}
    assert set(states(search="Pegawai")) == {world.people["pegawai"].nip,
                                             world.people["pegawai2"].nip}
    assert set(states(unit="Inspektorat")) == {world.people["auditor"].nip}
    rows, total = account_rows(session, world.agency.id, now=NOW, limit=2)
    assert (len(rows), total) == (2, len(world.people))


def test_only_an_admin_of_the_agency_manages_tokens_and_sessions(
        session: Session, wf: Workflow, world: World) -> None:
    """Issuing tokens and ending sessions need the agency admin (or the system); revoking a
    token needs its owner or an admin of its agency; nothing is written on refusal."""
    other = build_world(session, wf, "kota-mataram", offset=50)
    pegawai, admin = world.people["pegawai"], world.actor("kepala")
    for actor, error in ((world.actor("penilai"), NotPermitted),
                         (other.actor("kepala"), NotFound)):
        with pytest.raises(error):
            issue_token(session, wf.audit_key, actor, pegawai, now=NOW)
        with pytest.raises(error):
            end_sessions(session, wf.audit_key, actor, pegawai, now=NOW)
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 0
    assert pegawai.session_epoch == 0
    token = issue_token(session, wf.audit_key, admin, pegawai, now=NOW, scope="read").row
    for actor in (world.actor("pegawai2"), other.actor("kepala")):
        with pytest.raises(NotFound):
            revoke_token(session, wf.audit_key, actor, token.id, now=NOW)
        with pytest.raises(NotFound):
            revoke_tokens_of(session, wf.audit_key, actor, pegawai, now=NOW)
    assert token.revoked_at is None
    assert revoke_tokens_of(session, wf.audit_key, world.actor("pegawai"), pegawai,
                            now=NOW) == 1
    assert token.revoked_at == NOW
    session.commit()
    assert verify_chain(session, wf.audit_key, world.agency).ok


@pytest.mark.parametrize(("scope", "allowed", "refused"), [
    ("read", ["read"], ["transition:submit"]),
    ("transition", ["transition:submit", "transition:appeal"], ["read"]),
    ("transition:submit read", ["read", "transition:submit"], ["transition:appeal"]),
])
def test_a_token_scope_allows_only_its_operations(scope: str, allowed: list[str],
                                                  refused: list[str]) -> None:
    normal = parse_scope(scope)
    assert all(token_allows(normal, op) for op in allowed)
    assert not any(token_allows(normal, op) for op in refused)


@pytest.mark.parametrize("scope", ["", "admin", "transition:", "transition:Submit", "write"])
def test_an_unknown_token_scope_is_refused(scope: str) -> None:
    with pytest.raises(InvalidData) as invalid:
        parse_scope(scope)
    assert "scope" in invalid.value.errors
