"""Throttling that strangers cannot turn into a lock-out.

Failures slow down the account *from the failing address* (growing waits), the account as a
whole only for at most 30 s, and each address over all accounts (Flask-Limiter). The counters
are updated atomically: parallel wrong passwords give no 500 and no extra checks (threads
against a real database: a SQLite file, or PostgreSQL with ``TEST_DATABASE_URL``). Times are
the app's injected clock, nothing sleeps.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from forms import store as form_store
from tests.conftest import CHEAP_HASH
from tests.conftest import PG_URL
from tests.conftest import World
from tests.conftest import build_world
from tests.conftest import empty_tables
from tests.web.conftest import PASSWORD
from web import create_app
from web.extensions import db
from web.extensions import limiter
from workflow import service
from workflow.accounts import issue_activation_codes
from workflow.accounts import set_password
from workflow.actors import Actor
from workflow.models import Base
from workflow.models import Employee
from workflow.models import HistoryEvent
from workflow.models import utcnow
from workflow.service import Workflow

WRONG = "salah-sekali-1"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
NEW_PASSWORD = "kata-sandi-baru-1"


@pytest.fixture(autouse=True)
def _own_contexts(own_contexts: None) -> None:
    """Several clients act in each test here (see ``own_contexts``)."""


def client_at(app: Flask, address: str) -> FlaskClient:
    """Return a client whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def log_in(client: FlaskClient, nip: str, password: str) -> tuple[int, str]:
    response = client.post("/masuk", data={"nip": nip, "password": password})
    return response.status_code, response.get_data(as_text=True)


def checks(session: Session, trigger: str = "login_failed") -> int:
    """Return how many passwords (or codes) were checked and found wrong."""
    session.expire_all()
    return session.scalar(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.trigger == trigger)) or 0


@pytest.fixture(name="clock")
def _clock(app: Flask, wf: Workflow) -> list[datetime]:
    """The app's clock, moved by the test (starting at the real now)."""
    moment = [utcnow().replace(microsecond=0)]
    app.extensions["workflow"] = replace(wf, clock=lambda: moment[0])
    return moment


def test_a_strangers_50_wrong_passwords_do_not_lock_the_owner_out(
        app: Flask, session: Session, two: tuple[World, World], clock: list[datetime]) -> None:
    a, _ = two
    nip = a.people["pegawai"].nip
    stranger, owner = client_at(app, "203.0.113.66"), client_at(app, "198.51.100.7")
    statuses = []
    for _ in range(50):
        statuses.append(log_in(stranger, nip, WRONG)[0])
        clock[0] += timedelta(seconds=1)
    assert set(statuses) <= {401, 429} and 429 in statuses  # slowed, never an error
    assert checks(session) == app.config["LOGIN_MAX_FAILURES"]  # then the address waits
    status, page = log_in(stranger, nip, PASSWORD)
    assert status in (401, 429) and "Terlalu banyak percobaan" in page  # even the right one
    assert log_in(owner, nip, PASSWORD)[0] == 302  # the owner, right away


def test_the_stranger_waits_longer_after_each_failure(
        app: Flask, session: Session, two: tuple[World, World], clock: list[datetime]) -> None:
    """From the fifth failure on, the address waits 1, 2, 4… minutes (at most 15)."""
    a, _ = two
    nip = a.people["pegawai"].nip
    app.config["LOGIN_ADDRESS_LIMIT"] = "1000 per minute"  # not what is tested here
    stranger = client_at(app, "203.0.113.66")
    for _ in range(5):
        assert log_in(stranger, nip, WRONG)[0] == 401
    waits = []
    for _ in range(6):
        status, page = log_in(stranger, nip, WRONG)
        assert status == 401 and "Terlalu banyak percobaan" in page
        waited = 0
        while "Terlalu banyak percobaan" in page:
            clock[0] += timedelta(seconds=30)
            waited += 30
            status, page = log_in(stranger, nip, WRONG)
        waits.append(waited)
    assert waits == [60, 120, 240, 480, 900, 900]
    assert checks(session) == 11


def test_many_addresses_slow_the_account_only_briefly(
        app: Flask, session: Session, two: tuple[World, World], clock: list[datetime]) -> None:
    """Failures from 50 addresses slow every try of the account, at most 30 s: the owner, who
    retries, is in within a minute."""
    a, _ = two
    nip = a.people["pegawai"].nip
    for n in range(50):
        stranger = client_at(app, f"203.0.113.{n + 1}")
        assert log_in(stranger, nip, WRONG)[0] == 401
        clock[0] += timedelta(seconds=31)  # each as soon as the account allows
    assert checks(session) == 50
    stranger = client_at(app, "203.0.113.200")
    clock[0] -= timedelta(seconds=31)
    status, page = log_in(stranger, nip, WRONG)  # right after the last failure: wait
    assert status == 401 and "Coba lagi dalam" in page and "detik" in page
    assert checks(session) == 50
    owner = client_at(app, "198.51.100.7")
    start, tries = clock[0], 0
    while log_in(owner, nip, PASSWORD)[0] != 302:
        tries += 1
        clock[0] += timedelta(seconds=10)
    assert clock[0] - start <= timedelta(seconds=30) and tries >= 1
    assert log_in(stranger, nip, WRONG)[0] == 401 and checks(session) == 51  # counters reset


def test_one_password_sprayed_over_many_nips_is_slowed_per_address(
        app: Flask, session: Session, two: tuple[World, World]) -> None:
    a, b = two
    people = [*a.people.values(), *b.people.values()]
    sprayer = client_at(app, "203.0.113.66")
    statuses = [log_in(sprayer, person.nip, WRONG)[0] for person in people]
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    refused = sprayer.post("/masuk", data={"nip": people[0].nip, "password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Terlalu banyak percobaan gagal dari alamat ini" in refused.get_data(as_text=True)
    assert checks(session) == 10  # nothing checked once the address is over its limit
    # Another address is not affected, nor are successful log-ins from a shared address.
    assert log_in(client_at(app, "198.51.100.7"), people[0].nip, PASSWORD)[0] == 302
    office = client_at(app, "198.51.100.8")
    for person in people:
        assert log_in(office, person.nip, PASSWORD)[0] == 302
        office.post("/keluar")


def test_a_strangers_wrong_activation_codes_do_not_lock_the_owner_out(
        app: Flask, session: Session, wf: Workflow, two: tuple[World, World],
        clock: list[datetime]) -> None:
    a, _ = two
    pegawai = a.people["pegawai"]
    (issued,) = issue_activation_codes(session, wf.audit_key, Actor.of(a.people["kepala"]),
                                       [pegawai], now=clock[0])
    session.commit()
    stranger, owner = client_at(app, "203.0.113.66"), client_at(app, "198.51.100.7")
    form = {"nip": pegawai.nip, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    for _ in range(30):
        status = stranger.post("/aktivasi", data={**form, "code": "AAAA-BBBB-CCCC"}).status_code
        assert status in (401, 429)
        clock[0] += timedelta(seconds=1)
    assert checks(session, "activation_failed") == app.config["LOGIN_MAX_FAILURES"]
    assert owner.post("/aktivasi", data={**form, "code": issued.code}).status_code == 302


@pytest.mark.skipif(not REDIS_URL, reason="set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/5)")
def test_with_redis_the_address_limit_outlives_the_process(
        app: Flask, two: tuple[World, World]) -> None:
    """With ``REDIS_URL`` the per-address counts live in Redis: a new app (another worker
    process) sees the address over its limit."""
    a, _ = two
    prefix = f"test-{uuid.uuid4().hex}"
    app.config.update(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix)
    limiter.init_app(app)
    sprayer = client_at(app, "203.0.113.66")
    statuses = [log_in(sprayer, person.nip, WRONG)[0] for person in a.people.values()]
    statuses += [log_in(sprayer, person.nip, WRONG)[0] for person in a.people.values()]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429] * (len(statuses) - 10)
    store = redis.Redis.from_url(REDIS_URL)
    try:
        assert store.keys(f"*{prefix}*")
        limiter.init_app(app)  # a fresh storage client, as in a new process
        assert log_in(sprayer, a.people["pegawai"].nip, PASSWORD)[0] == 429
        assert log_in(client_at(app, "198.51.100.7"), a.people["pegawai"].nip,
                      PASSWORD)[0] == 302
    finally:
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)
        store.close()


def test_an_unreachable_redis_is_no_error(app: Flask, two: tuple[World, World]) -> None:
    """Redis down: the address limit counts in memory meanwhile; log-ins answer as usual."""
    a, _ = two
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:9/0"  # nothing listens there
    limiter.init_app(app)
    client = client_at(app, "203.0.113.66")
    statuses = [log_in(client, a.people["pegawai"].nip, WRONG)[0] for _ in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429] * 2
    assert log_in(client_at(app, "198.51.100.7"), a.people["pegawai"].nip, PASSWORD)[0] == 302


# --- parallel attempts ------------------------------------------------------------------------


@pytest.fixture(name="shared")
def _shared(tmp_path: Path, database_url: str) -> Iterator[tuple[Flask, dict[str, Person]]]:
    """An app on a database that several threads can share: a SQLite file (the in-memory test
    database is one connection), or the run's PostgreSQL database."""
    service.clear_caches()
    form_store.clear_caches()
    url = database_url if PG_URL else f"sqlite:///{tmp_path / 'shared.sqlite'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key",
                      "AUDIT_KEY": "test-audit-key", "SQLALCHEMY_ENGINES": {"default": url},
                      "WTF_CSRF_ENABLED": False, "SERVER_NAME": "localhost",
                      "PASSWORD_HASH_METHOD": CHEAP_HASH})
    try:
        with app.app_context():
            if PG_URL:
                empty_tables(db.engine)
            else:
                Base.metadata.create_all(db.engine)
            world = build_world(db.session, app.extensions["workflow"], "kota-mataram")
            for person in world.people.values():
                set_password(person, PASSWORD, hash_method=CHEAP_HASH)
            db.session.commit()
            people = {name: Person(p.id, p.nip) for name, p in world.people.items()}
            db.session.close()
        yield app, people
    finally:  # also when the setup fails: no connection is left for the collector to find
        with app.app_context():
            db.engine.dispose()


@dataclass(frozen=True)
class Person:
    """An employee of the shared app, by id and NIP (no ORM object crosses threads)."""

    id: int
    nip: str


def in_parallel(count: int, job: Callable[[int], int]) -> list[int | BaseException]:
    """Run ``job(i)`` in ``count`` threads released together; return their results."""
    barrier = threading.Barrier(count)
    results: list[int | BaseException] = [0] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = job(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _count(app: Flask, trigger: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(HistoryEvent).where(
            HistoryEvent.trigger == trigger)) or 0


def test_30_parallel_wrong_passwords_give_no_error_and_no_extra_checks(
        shared: tuple[Flask, dict[str, Person]]) -> None:
    app, people = shared
    nip = people["pegawai2"].nip

    def attempt(_i: int) -> int:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "203.0.113.66"
        return client.post("/masuk", data={"nip": nip, "password": WRONG}).status_code

    results = in_parallel(30, attempt)
    assert all(result in (401, 429) for result in results), results
    assert _count(app, "login_failed") == app.config["LOGIN_MAX_FAILURES"]


def test_30_parallel_first_failures_from_30_addresses_give_no_error(
        shared: tuple[Flask, dict[str, Person]]) -> None:
    """Thirty new counters at once (one account, 30 addresses): no key collision, every
    failure counted once on the account."""
    app, people = shared
    nip = people["pegawai"].nip

    def attempt(i: int) -> int:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"203.0.113.{i + 1}"
        return client.post("/masuk", data={"nip": nip, "password": WRONG}).status_code

    results = in_parallel(30, attempt)
    assert all(result == 401 for result in results), results
    checked = _count(app, "login_failed")
    # The account's free failures, then its 1 s, 2 s… waits refuse the rest (same instant).
    assert checked == app.config["LOGIN_ACCOUNT_FAILURES"]


def test_30_parallel_wrong_activation_codes_give_no_error_and_no_extra_checks(
        shared: tuple[Flask, dict[str, Person]]) -> None:
    app, people = shared
    pegawai = people["pegawai"]
    with app.app_context():
        person = db.session.get(Employee, pegawai.id)
        admin = db.session.get(Employee, people["kepala"].id)
        assert person is not None and admin is not None
        issue_activation_codes(db.session, app.extensions["workflow"].audit_key,
                               Actor.of(admin), [person], now=utcnow())
        db.session.commit()
    form = {"nip": pegawai.nip, "code": "AAAA-BBBB-CCCC", "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD}

    def attempt(_i: int) -> int:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "203.0.113.66"
        return client.post("/aktivasi", data=form).status_code

    results = in_parallel(30, attempt)
    assert all(result in (401, 429) for result in results), results
    assert _count(app, "activation_failed") == app.config["LOGIN_MAX_FAILURES"]
