"""The operator's baseline: request ids (logs, responses, history events), JSON logs, the
Prometheus endpoint and who may read it, the API's per-address limit, and ProxyFix."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import api_token
from tests.conftest import build_world
from tests.integration.test_service import at
from tests.web.conftest import PASSWORD
from web import create_app
from web.extensions import db
from web.logs import JsonFormatter
from workflow.accounts import set_password
from workflow.correlation import bound
from workflow.models import Base
from workflow.models import HistoryEvent
from workflow.service import Workflow
from workflow.service import apply_transition

METRICS_TOKEN = "metrics-rahasia-123"


def _newest_event(session: Session) -> HistoryEvent:
    session.rollback()
    event = session.scalars(select(HistoryEvent).order_by(HistoryEvent.id.desc())).first()
    assert event is not None
    return event


# --- request ids -------------------------------------------------------------------------------


def test_a_well_formed_request_id_is_kept_and_reaches_the_history(
        app: Flask, session: Session, two: tuple[World, World]) -> None:
    a, _ = two
    client = app.test_client()
    response = client.post("/masuk", data={"nip": a.people["pegawai"].nip, "password": PASSWORD},
                           headers={"X-Request-ID": "lb-7f3a-0001"})
    assert response.status_code == 302
    assert response.headers["X-Request-ID"] == "lb-7f3a-0001"
    event = _newest_event(session)
    assert event.trigger == "login" and event.request_id == "lb-7f3a-0001"
    assert event.hash_version == 3  # inside the HMAC


@pytest.mark.parametrize("given", ["", "a" * 65, "x y", "id;drop", "<script>", "ä"])
def test_a_missing_or_malformed_request_id_is_replaced(app: Flask, given: str) -> None:
    response = app.test_client().get("/masuk", headers={"X-Request-ID": given} if given else {})
    made = response.headers["X-Request-ID"]
    assert made != given and len(made) == 32 and int(made, 16) >= 0


def test_each_request_gets_its_own_id(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/masuk").headers["X-Request-ID"] != client.get(
        "/masuk").headers["X-Request-ID"]


def test_a_job_carries_its_request_id_into_history(
        session: Session, wf: Workflow, world: World) -> None:
    """What the job queue does: bind the id of the request that queued the job."""
    ev = world.evaluations["pegawai"]
    with bound("job-from-request-42"):
        apply_transition(session, at(wf, 2), world.actor("pegawai"), ev.id, "submit", data=SELF)
    session.commit()
    assert _newest_event(session).request_id == "job-from-request-42"


# --- structured logs -----------------------------------------------------------------------------


@pytest.fixture(name="access_lines")
def _access_lines() -> Iterator[io.StringIO]:
    """The access log's lines, formatted as production formats them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("penilaian.access")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def test_access_log_is_json_with_time_request_id_and_request(
        app: Flask, access_lines: io.StringIO) -> None:
    client = app.test_client()
    client.get("/masuk?x=1", headers={"X-Request-ID": "req-abc"})
    line = json.loads(access_lines.getvalue().splitlines()[-1])
    assert line["request_id"] == "req-abc" and line["logger"] == "penilaian.access"
    assert line["time"].endswith("Z") and "T" in line["time"]
    assert line["method"] == "GET" and line["path"] == "/masuk" and line["status"] == 200
    assert line["endpoint"] == "auth.login" and line["duration_ms"] >= 0
    assert line["remote_addr"] == "127.0.0.1" and line["level"] == "INFO"


def test_json_formatter_keeps_exceptions_and_fields() -> None:
    try:
        raise ValueError("rusak")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "gagal %s", ("ekspor",), exc_info=sys.exc_info(),
            extra={"job_id": 7})
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "gagal ekspor" and line["job_id"] == 7
    assert "ValueError: rusak" in line["exception"]


# --- metrics -------------------------------------------------------------------------------------


def test_metrics_are_hidden_without_the_token(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/metrics").status_code == 404  # no METRICS_TOKEN: no endpoint
    app.config["METRICS_TOKEN"] = METRICS_TOKEN
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer salah"}).status_code == 404
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def _scrape(app: Flask) -> str:
    app.config["METRICS_TOKEN"] = METRICS_TOKEN
    response = app.test_client().get(
        "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _value(text: str, prefix: str) -> float:
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
              if line.startswith(prefix)]
    return sum(values)


def test_metrics_count_requests_transitions_and_verification(
        app: Flask, session: Session, wf: Workflow, world: World) -> None:
    before = _scrape(app)
    app.test_client().get("/masuk")
    ev = world.evaluations["pegawai"]
    apply_transition(session, at(wf, 2), world.actor("pegawai"), ev.id, "submit", data=SELF)
    session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    after = _scrape(app)
    latency = ('penilaian_http_request_duration_seconds_count{endpoint="auth.login",'
               'method="GET",status="2xx"}')
    assert _value(after, latency) == _value(before, latency) + 1
    fired = 'penilaian_transitions_fired_total{trigger="submit"}'
    assert _value(after, fired) == _value(before, fired) + 1
    assert _value(after, 'penilaian_chain_verification_last_broken_chains{mode="full"}') == 0
    assert _value(after, 'penilaian_chain_verification_last_chains{mode="full"}') >= 2
    assert _value(after, "penilaian_chain_verification_last_finished_timestamp_seconds") > 0
    assert "penilaian_job_queue_depth" in after and "penilaian_job_failures" in after


# --- the API's per-address limit ---------------------------------------------------------------


def test_the_api_limits_requests_per_address(
        app: Flask, session: Session, two: tuple[World, World]) -> None:
    a, _ = two
    token = api_token(session, a.people["pegawai"])
    session.commit()
    app.config["API_ADDRESS_LIMIT"] = "3 per minute"
    here, there = app.test_client(), app.test_client()
    there.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    headers = {"Authorization": f"Bearer {token}"}
    statuses = [here.get("/api/v1/evaluations", headers=headers).status_code for _ in range(3)]
    statuses.append(here.get(f"/api/v1/evaluations/{a.evaluations['pegawai'].id}",
                             headers=headers).status_code)  # one budget for the whole API
    assert statuses == [200, 200, 200, 429]
    refused = here.get("/api/v1/evaluations", headers=headers)
    assert refused.status_code == 429 and refused.is_json and int(refused.headers["Retry-After"])
    assert refused.get_json()["error"] == "Too Many Requests"
    assert there.get("/api/v1/evaluations", headers=headers).status_code == 200


def test_the_limit_on_failed_activations_is_per_address(app: Flask, two: tuple[World, World]
                                                        ) -> None:
    """Activation shares the log-in's per-address limit on failures (existing rule, kept)."""
    a, _ = two
    client = app.test_client()
    form = {"nip": a.people["pegawai"].nip, "code": "AAAAAAAAAAAA",
            "password": "kuda makan rumput hijau", "password_again": "kuda makan rumput hijau"}
    statuses = [client.post("/aktivasi", data=form).status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


# --- ProxyFix ----------------------------------------------------------------------------------


@pytest.fixture(name="proxied")
def _proxied(app: Flask) -> Iterator[Flask]:
    """The app as built behind one trusted proxy (``PROXY_COUNT=1``), on its own database."""
    names = ("TESTING", "SECRET_KEY", "AUDIT_KEY", "WTF_CSRF_ENABLED", "SERVER_NAME",
             "PASSWORD_HASH_METHOD", "PUBLIC_BASE_URL", "AUDIT_CHECKPOINT_DIR", "AUDIT_KEYRING")
    proxied = create_app({**{name: app.config[name] for name in names},
                          "SQLALCHEMY_ENGINES": {"default": "sqlite://"}, "PROXY_COUNT": 1})
    with proxied.app_context():
        Base.metadata.create_all(db.engine)
    yield proxied
    with proxied.app_context():
        db.engine.dispose()


def test_behind_a_trusted_proxy_the_history_records_the_persons_address(proxied: Flask) -> None:
    with proxied.app_context():
        world = build_world(db.session, proxied.extensions["workflow"], "kota-mataram")
        person = world.people["pegawai"]
        set_password(person, PASSWORD, hash_method=CHEAP_HASH)
        db.session.commit()
        client = proxied.test_client()
        client.environ_base["REMOTE_ADDR"] = "10.0.0.2"  # the load balancer
        headers = {"X-Forwarded-For": "203.0.113.50"}
        assert client.post("/masuk", data={"nip": person.nip, "password": "salah-sekali-1"},
                           headers=headers).status_code == 401
        event = _newest_event(db.session)
        assert event.trigger == "login_failed" and event.payload["source"] == "203.0.113.50"
        # A client cannot claim an address through a proxy that is not there: only the last
        # hop (the one trusted proxy) is believed.
        assert client.post("/masuk", data={"nip": person.nip, "password": "salah-sekali-1"},
                           headers={"X-Forwarded-For": "1.2.3.4, 203.0.113.51"}
                           ).status_code == 401
        assert _newest_event(db.session).payload["source"] == "203.0.113.51"


def test_without_proxy_count_the_forwarded_header_is_ignored(
        app: Flask, session: Session, two: tuple[World, World]) -> None:
    a, _ = two
    client = app.test_client()
    client.post("/masuk", data={"nip": a.people["pegawai"].nip, "password": "salah-sekali-1"},
                headers={"X-Forwarded-For": "203.0.113.50"})
    assert _newest_event(session).payload["source"] == "127.0.0.1"
