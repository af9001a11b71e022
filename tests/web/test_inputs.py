"""Input rules (web/inputs.py, web/errors.py): no 5xx on malformed input, on SQLite and
PostgreSQL alike — NUL and lone surrogates, ids past INTEGER, pages out of range, deep or huge
JSON, 405 with Allow, 503 with Retry-After while the database is away, stale pool connections.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import PG_URL
from tests.conftest import World
from tests.web.conftest import PASSWORD
from tests.web.conftest import login
from tests.web.test_api import Api
from tests.web.test_api import snapshot
from web import create_app
from web.config import sqlalchemy_url
from web.extensions import db
from web.inputs import MAX_JSON_BYTES
from workflow.accounts import set_password

BIG = 2**31  # one past PostgreSQL's INTEGER


@pytest.fixture(name="api")
def _api(client: FlaskClient, session: Session, mataram: World) -> Api:
    return Api(client, session, mataram)


# --- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["q=%00", "state=draft%00", "role=a%00b", "q%00=x"])
def test_nul_in_query_is_400(api: Api, query: str) -> None:
    """A NUL byte in any query parameter (name or value) is refused before any query runs."""
    response = api.get("penilai", f"/evaluations?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"] == "BadInput"


def test_nul_in_url_part_is_400(api: Api, mataram: World, session: Session) -> None:
    """A NUL in a path segment that becomes a value (the transition name) is refused."""
    ev = mataram.evaluations["pegawai"]
    before = snapshot(session, ev.id)
    response = api.post("pegawai", f"/evaluations/{ev.id}/transitions/sub%00mit",
                        {"data": {}, "version": ev.lock_version})
    assert response.status_code == 400
    assert snapshot(session, ev.id) == before


@pytest.mark.parametrize("comment", ["\ud800", "a\udfffb", "nul\x00byte"],
                         ids=["lone-high", "lone-low", "nul"])
def test_bad_text_in_json_is_400(api: Api, mataram: World, session: Session,
                                 comment: str) -> None:
    """Lone surrogates (valid JSON escapes, unstorable text) and NUL in JSON strings: 400,
    nothing written."""
    ev = mataram.evaluations["pegawai"]
    before = snapshot(session, ev.id)
    body = json.dumps({"data": {}, "comment": comment, "version": ev.lock_version})
    assert "\\u" in body  # the surrogate travels as an escape, as a client would send it
    response = api.post("pegawai", f"/evaluations/{ev.id}/transitions/submit", data=body,
                        content_type="application/json")
    assert response.status_code == 400
    assert "_body" in response.get_json()["errors"]
    assert snapshot(session, ev.id) == before


def test_bad_text_in_json_key_is_400(api: Api, mataram: World) -> None:
    """Keys are checked like values."""
    ev = mataram.evaluations["pegawai"]
    body = '{"data": {"\\u0000x": 1}, "version": 1}'
    response = api.post("pegawai", f"/evaluations/{ev.id}/transitions/submit", data=body,
                        content_type="application/json")
    assert response.status_code == 400


def test_nul_in_form_is_400(client: FlaskClient, two: Any) -> None:
    """Posted form fields are checked too: a NUL in the log-in NIP is a 400 page."""
    response = client.post("/masuk", data={"nip": "1980\x00", "password": PASSWORD})
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_nul_in_page_search_is_400(client: FlaskClient, two: Any) -> None:
    """A page's search box with NUL: 400, not a database error."""
    login(client, two[0].people["auditor"])
    assert client.get("/evaluasi/?q=%00").status_code == 400
    assert client.get("/audit/?unit_kerja=%00").status_code == 400


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [f"/evaluations/{BIG}", f"/evaluations/{BIG}/history",
                                  f"/evaluations/{10**30}/verify",
                                  f"/evaluations/{BIG}/documents/evaluation.pdf"])
def test_huge_api_id_is_404(api: Api, path: str) -> None:
    """An id past INTEGER is simply not found."""
    response = api.get("pegawai", path)
    assert response.status_code == 404
    assert response.is_json


def test_huge_page_id_is_404(client: FlaskClient, two: Any) -> None:
    """The pages' ids too (and the admin's)."""
    login(client, two[0].people["kepala"])
    assert client.get(f"/evaluasi/{BIG}").status_code == 404
    assert client.get(f"/audit/evaluasi/{BIG}").status_code == 404
    assert client.get(f"/evaluasi/{BIG}/dokumen/evaluation.pdf").status_code == 404


@pytest.mark.parametrize(("query", "bad"), [
    ("per_page=0", "per_page"), ("page=0", "page"), ("page=-1", "page"),
    (f"page={BIG}", "page"), (f"period_id={BIG}", "period_id"), ("period_id=0", "period_id"),
    ("per_page=1e3", "per_page"), ("period_id=%EF%BC%91", "period_id"),  # a fullwidth 1
])
def test_list_parameters_out_of_range_are_400(api: Api, query: str, bad: str) -> None:
    """Paging and filter numbers are checked against their range, not passed to SQL."""
    response = api.get("penilai", f"/evaluations?{query}")
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {bad}


def test_transition_version_out_of_range_is_400(api: Api, mataram: World) -> None:
    """The JSON ``version`` is a database value too."""
    ev = mataram.evaluations["pegawai"]
    response = api.post("pegawai", f"/evaluations/{ev.id}/transitions/submit",
                        {"data": {}, "version": 2**63})
    assert response.status_code == 400
    assert "version" in response.get_json()["errors"]


def test_page_numbers_out_of_range_are_400(client: FlaskClient, two: Any) -> None:
    """The pages' integer parameters follow the same rule."""
    login(client, two[0].people["kepala"])
    assert client.get(f"/audit/?evaluasi={BIG}").status_code == 400
    assert client.get(f"/audit/?halaman={BIG}").status_code == 400
    assert client.get(f"/dasbor/?periode={BIG}").status_code == 400
    assert client.get(f"/evaluasi/?hal_appraiser={BIG}").status_code == 400
    assert client.get("/admin/employee/details/?id=99999999999").status_code == 400


# --- JSON bodies ------------------------------------------------------------------------------


def test_deep_json_is_400(api: Api, mataram: World) -> None:
    """Deeply nested JSON is refused (it used to reach the recursion limit: 500)."""
    ev = mataram.evaluations["pegawai"]
    deep = '{"data": {"x": ' + "[" * 100_000 + "]" * 100_000 + '}, "version": 1}'
    response = api.post("pegawai", f"/evaluations/{ev.id}/transitions/submit", data=deep,
                        content_type="application/json")
    assert response.status_code == 400
    moderately = '{"data": {"x": ' + "[" * 40 + "]" * 40 + '}, "version": 1}'
    response = api.post("pegawai", f"/evaluations/{ev.id}/transitions/submit",
                        data=moderately, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_json_numbers_are_400(api: Api, mataram: World, number: str) -> None:
    """NaN and infinities are not JSON and PostgreSQL's jsonb refuses them."""
    ev = mataram.evaluations["pegawai"]
    body = f'{{"data": {{"x": {number}}}, "version": 1}}'
    response = api.post("pegawai", f"/evaluations/{ev.id}/transitions/submit", data=body,
                        content_type="application/json")
    assert response.status_code == 400


def test_huge_json_is_413(api: Api, mataram: World) -> None:
    """A JSON body past the limit is refused before it is parsed."""
    ev = mataram.evaluations["pegawai"]
    body = json.dumps({"data": {"x": "a" * MAX_JSON_BYTES}, "version": 1})
    response = api.post("pegawai", f"/evaluations/{ev.id}/transitions/submit", data=body,
                        content_type="application/json")
    assert response.status_code == 413
    assert response.is_json


# --- methods ----------------------------------------------------------------------------------


def test_405_carries_allow(api: Api, client: FlaskClient, mataram: World) -> None:
    """Method Not Allowed names the allowed methods, on the API and on pages."""
    response = client.delete("/api/v1/evaluations", headers=api.headers("pegawai"))
    assert response.status_code == 405
    assert response.is_json
    assert "GET" in response.headers["Allow"]
    response = client.put("/masuk")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


# --- the database away ------------------------------------------------------------------------


def _unreachable_app(url: str) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "k", "AUDIT_KEY": "a",
                       "SQLALCHEMY_ENGINES": {"default": url}, "SERVER_NAME": "localhost",
                       "WTF_CSRF_ENABLED": False,
                       "PASSWORD_HASH_METHOD": CHEAP_HASH})


@pytest.mark.parametrize("url", [
    "sqlite:////nonexistent-directory/penilaian.sqlite",
    "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2",
], ids=["sqlite", "postgresql"])
def test_database_outage_is_503(url: str) -> None:
    """While the database cannot be reached: 503 with Retry-After (page and API), never 500."""
    app = _unreachable_app(url)
    client = app.test_client()
    response = client.post("/masuk", data={"nip": "198001012005011001", "password": "x" * 12})
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.mimetype == "text/html"
    response = client.get("/api/v1/evaluations", headers={"Authorization": "Bearer pk_x"})
    assert response.status_code == 503
    assert response.get_json()["error"] == "ServiceUnavailable"
    assert int(response.headers["Retry-After"]) > 0
    with app.app_context():
        db.engine.dispose()


def test_engine_pre_pings(app: Flask) -> None:
    """Every engine checks a pooled connection before use."""
    with app.app_context():
        assert db.engine.pool._pre_ping  # no public accessor


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (set TEST_DATABASE_URL)")
def test_postgresql_restart_costs_no_500(app: Flask, client: FlaskClient, session: Session,
                                         mataram: World) -> None:
    """Connections the server dropped (as a restart does) are replaced, not handed to a
    request: the next requests all succeed."""
    set_password(mataram.people["pegawai"], PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    api = Api(client, session, mataram)
    for _ in range(3):
        assert api.get("pegawai", "/evaluations").status_code == 200
    session.close()
    killer = create_engine(sqlalchemy_url(str(PG_URL)), isolation_level="AUTOCOMMIT")
    with killer.connect() as conn:
        killed = conn.scalar(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    killer.dispose()
    assert killed
    for _ in range(3):
        assert api.get("pegawai", "/evaluations").status_code == 200


def test_form_fields_cannot_take_an_integer_parameter_name() -> None:
    """A form field named like a checked integer parameter would be refused on every post:
    the form specs reserve those names."""
    from forms.spec import RESERVED_NAMES
    from web.inputs import INT_PARAMS

    assert set(INT_PARAMS) <= RESERVED_NAMES
