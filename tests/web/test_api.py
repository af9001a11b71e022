"""The JSON API: token auth, every status code, nothing changed on errors, filters, OpenAPI."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import api_token
from tests.conftest import build_world
from tests.conftest import tampering
from workflow.accounts import set_password
from workflow.models import ApiToken
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.periods import set_capaian
from workflow.service import Workflow

RATING = {"rating_hasil_kerja": "sesuai", "rating_perilaku_kerja": "di_atas",
          "umpan_balik": "Kinerja baik.", "catatan_pribadi": "Rahasia penilai."}


class Api:
    """A client that sends each named person's bearer token."""

    def __init__(self, client: FlaskClient, session: Session, world: World) -> None:
        self.client, self.session, self.world = client, session, world
        self.tokens: dict[str, str] = {}

    def headers(self, who: str) -> dict[str, str]:
        if who not in self.tokens:
            self.tokens[who] = api_token(self.session, self.world.people[who], "test")
            self.session.commit()
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, who: str, path: str) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers(who))

    def post(self, who: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        if body is not None:
            kwargs["json"] = body
        return self.client.post(f"/api/v1{path}", headers=self.headers(who), **kwargs)

    def act(self, who: str, evaluation: Evaluation, name: str, data: Any = None,
            comment: str | None = None, version: int | None = None) -> Any:
        if version is None:
            version = self.get(who, f"/evaluations/{evaluation.id}").get_json()["version"]
        return self.post(who, f"/evaluations/{evaluation.id}/transitions/{name}",
                         {"data": data or {}, "comment": comment, "version": version})


@pytest.fixture(name="api")
def _api(client: FlaskClient, session: Session, mataram: World) -> Api:
    return Api(client, session, mataram)


def snapshot(session: Session, evaluation_id: int) -> tuple[str, int, int, int]:
    """Return status, lock_version, chain head and event count, read fresh from the database."""
    session.expire_all()
    ev = session.get(Evaluation, evaluation_id)
    assert ev is not None
    count = session.scalar(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.evaluation_id == evaluation_id))
    return ev.status, ev.lock_version, ev.history_seq, count or 0


# --- authentication ---------------------------------------------------------------------------


def test_missing_token_is_401_json(client: FlaskClient, mataram: World) -> None:
    """Without a token the API answers 401 JSON with a Bearer challenge."""
    response = client.get("/api/v1/evaluations")
    assert response.status_code == 401
    assert response.get_json()["error"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer pk_salah", "Basic dXNlcjpwdw==", "Bearer ", "pk_x"])
def test_bad_token_is_401(client: FlaskClient, mataram: World, header: str) -> None:
    """A wrong, empty or non-bearer credential is refused with 401."""
    response = client.get("/api/v1/evaluations", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.is_json


def test_revoked_token_is_401(api: Api, session: Session) -> None:
    """A revoked token no longer works."""
    headers = api.headers("pegawai")
    row = session.scalar(select(ApiToken))
    assert row is not None
    row.revoked_at = row.created_at
    session.commit()
    assert api.client.get("/api/v1/evaluations", headers=headers).status_code == 401


def test_session_cookie_does_not_authenticate(client: FlaskClient, session: Session,
                                              mataram: World) -> None:
    """A browser logged in with a cookie still gets 401 from the API: only tokens count."""
    employee = mataram.people["pegawai"]
    set_password(employee, "rahasia-kinerja-123", hash_method=CHEAP_HASH)
    session.commit()
    assert client.post("/masuk", data={"nip": employee.nip,
                                       "password": "rahasia-kinerja-123"}).status_code == 302
    assert client.get("/api/v1/evaluations").status_code == 401


def test_token_use_is_recorded(api: Api, session: Session) -> None:
    """A successful call stamps the token's last_used_at."""
    assert api.get("pegawai", "/evaluations").status_code == 200
    session.expire_all()
    row = session.scalar(select(ApiToken))
    assert row is not None and row.last_used_at is not None


# --- reads ------------------------------------------------------------------------------------


def test_list_shows_only_my_evaluations(api: Api, mataram: World) -> None:
    """An employee lists only her own evaluation."""
    body = api.get("pegawai", "/evaluations").get_json()
    assert body["total"] == 1
    assert body["items"][0]["employee"]["nip"] == mataram.people["pegawai"].nip
    assert body["items"][0]["version"] == mataram.evaluations["pegawai"].lock_version


def test_list_filters(api: Api, mataram: World) -> None:
    """Role, state, search, period and pagination filters narrow the list."""
    def nips(body: dict) -> list[str]:
        return sorted(i["employee"]["nip"] for i in body["items"])

    everything = api.get("penilai", "/evaluations").get_json()
    assert everything["total"] == 3  # her own plus the two she appraises
    appraised = api.get("penilai", "/evaluations?role=appraiser").get_json()
    assert nips(appraised) == sorted([mataram.people["pegawai"].nip,
                                      mataram.people["pegawai2"].nip])
    assert api.get("penilai", "/evaluations?role=appraiser&q=dua").get_json()["total"] == 1
    assert api.get("penilai", "/evaluations?state=submitted").get_json()["total"] == 0
    assert api.get("penilai", "/evaluations?state=draft").get_json()["total"] == 3
    period = mataram.evaluations["pegawai"].period_id
    assert api.get("penilai", f"/evaluations?period_id={period}").get_json()["total"] == 3
    assert api.get("penilai", f"/evaluations?period_id={period + 99}").get_json()["total"] == 0
    first = api.get("penilai", "/evaluations?per_page=2").get_json()
    second = api.get("penilai", "/evaluations?per_page=2&page=2").get_json()
    assert (first["pages"], len(first["items"]), len(second["items"])) == (2, 2, 1)
    assert api.get("penilai", "/evaluations?per_page=100").get_json()["per_page"] == 100
    assert api.get("penilai", "/evaluations?per_page=101").status_code == 400


def test_auditor_lists_the_whole_agency_only(api: Api, session: Session, wf: Workflow,
                                              mataram: World) -> None:
    """An auditor lists every evaluation of her agency and none of another agency."""
    build_world(session, wf, "kota-kupang", offset=50)
    body = api.get("auditor", "/evaluations?per_page=100").get_json()
    assert body["total"] == len(mataram.evaluations)
    assert {i["id"] for i in body["items"]} == {e.id for e in mataram.evaluations.values()}


def test_bad_list_parameters_are_400(api: Api) -> None:
    """Non-integer paging or period values are field errors."""
    response = api.get("pegawai", "/evaluations?page=abc&period_id=x")
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"page", "period_id"}


def test_detail_lists_transitions_with_fields(api: Api, mataram: World) -> None:
    """The employee sees her version, the submit step and its pinned form fields."""
    ev = mataram.evaluations["pegawai"]
    body = api.get("pegawai", f"/evaluations/{ev.id}").get_json()
    assert (body["state"], body["state_label"], body["version"]) == ("draft", "Draf",
                                                                      ev.lock_version)
    assert body["roles"] == ["employee"]
    [submit] = body["transitions"]
    assert (submit["name"], submit["to"], submit["form"]) == ("submit", "submitted",
                                                              "self-assessment")
    fields = {f["name"]: f for f in submit["fields"]}
    assert fields["hasil_kerja"]["type"] == "rows" and fields["hasil_kerja"]["required"]
    assert {c["name"] for c in fields["hasil_kerja"]["columns"]} >= {"target", "realisasi"}
    assert all(f["visible"] and f["editable"] for f in submit["fields"])
    roles = {p["role"]: p["identity"]["nip"] for p in body["participants"]}
    assert roles["appraiser"] == mataram.people["penilai"].nip
    assert body["period"] == {"id": ev.period_id, "label": ev.period.label,
                              "capaian_organisasi": None}


def test_detail_carries_the_recorded_capaian(api: Api, session: Session, wf: Workflow,
                                             mataram: World) -> None:
    ev = mataram.evaluations["pegawai"]
    set_capaian(session, wf, mataram.actor("kepala"), ev.period_id, "ISTIMEWA", "Kep. 1/2026")
    session.commit()
    body = api.get("pegawai", f"/evaluations/{ev.id}").get_json()
    assert body["period"]["capaian_organisasi"] == {"value": "ISTIMEWA", "label": "Istimewa"}


def test_rating_options_come_from_the_spec(api: Api, mataram: World) -> None:
    """The appraiser's review step lists the national rating options."""
    ev = mataram.evaluations["pegawai"]
    assert api.act("pegawai", ev, "submit", SELF).status_code == 200
    body = api.get("penilai", f"/evaluations/{ev.id}").get_json()
    review = next(t for t in body["transitions"] if t["name"] == "review")
    rating = next(f for f in review["fields"] if f["name"] == "rating_hasil_kerja")
    assert [o["value"] for o in rating["options"]] == ["di_atas", "sesuai", "di_bawah"]


# --- writes -----------------------------------------------------------------------------------


def test_transition_succeeds(api: Api, session: Session, mataram: World) -> None:
    """A valid submit moves the evaluation and returns the new state and the event hash."""
    ev = mataram.evaluations["pegawai"]
    response = api.act("pegawai", ev, "submit", SELF, comment="Mohon dinilai.")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["evaluation"]["state"] == "submitted"
    status, version, seq, _count = snapshot(session, ev.id)
    assert (status, body["evaluation"]["version"], body["event"]["seq"]) == ("submitted",
                                                                             version, seq)
    event = session.scalar(select(HistoryEvent).where(HistoryEvent.evaluation_id == ev.id,
                                                      HistoryEvent.seq == seq))
    assert event is not None and event.hash == body["event"]["hash"]
    assert event.actor_nip == mataram.people["pegawai"].nip and event.comment == "Mohon dinilai."


def test_field_errors_are_400_and_change_nothing(api: Api, session: Session,
                                                 mataram: World) -> None:
    """An incomplete form gives 400 with errors per field; nothing is written."""
    ev = mataram.evaluations["pegawai"]
    before = snapshot(session, ev.id)
    response = api.act("pegawai", ev, "submit", {"kendala": "x"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "InvalidData" and "hasil_kerja" in body["errors"]
    assert snapshot(session, ev.id) == before


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"data": "not json", "content_type": "application/json"}, "_body"),
    ({"data": "[1, 2]", "content_type": "application/json"}, "_body"),
    ({"data": "version=1", "content_type": "application/x-www-form-urlencoded"}, "_body"),
    ({"body": {"data": {}, "version": "2"}}, "version"),
    ({"body": {"data": {}, "version": True}}, "version"),
    ({"body": {"data": {}}}, "version"),
    ({"body": {"data": [], "version": 2}}, "data"),
    ({"body": {"data": {}, "comment": 5, "version": 2}}, "comment"),
    ({"body": {"data": {}, "version": 2, "extra": 1}}, "extra"),
], ids=["bad-json", "json-array", "form-encoded", "version-string", "version-bool",
        "version-missing", "data-list", "comment-number", "unknown-key"])
def test_malformed_body_is_400(api: Api, session: Session, mataram: World,
                               kwargs: dict[str, Any], field: str) -> None:
    """A malformed body or wrong types give 400 naming the problem; nothing is written."""
    ev = mataram.evaluations["pegawai"]
    before = snapshot(session, ev.id)
    response = api.post("pegawai", f"/evaluations/{ev.id}/transitions/submit", **kwargs)
    assert response.status_code == 400
    assert field in response.get_json()["errors"]
    assert snapshot(session, ev.id) == before


def test_wrong_role_is_403(api: Api, session: Session, mataram: World) -> None:
    """The employee cannot rate her own evaluation: 403, nothing changes."""
    ev = mataram.evaluations["pegawai"]
    assert api.act("pegawai", ev, "submit", SELF).status_code == 200
    before = snapshot(session, ev.id)
    response = api.act("pegawai", ev, "review", RATING)
    assert response.status_code == 403
    assert response.get_json()["error"] == "NotPermitted"
    assert snapshot(session, ev.id) == before


def test_colleague_without_role_is_404(api: Api, session: Session, mataram: World) -> None:
    """For a colleague of the same agency with no role the evaluation does not exist: 404 on
    every endpoint, as on the evaluation page."""
    ev = mataram.evaluations["pegawai"]
    before = snapshot(session, ev.id)
    for path in ("", "/history", "/verify", "/documents/skp.pdf"):
        assert api.get("pegawai2", f"/evaluations/{ev.id}{path}").status_code == 404, path
    assert api.act("pegawai2", ev, "submit", SELF, version=before[1]).status_code == 404
    assert snapshot(session, ev.id) == before


def test_other_agency_and_unknown_ids_are_404(api: Api, session: Session, wf: Workflow,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """Another agency's evaluation is indistinguishable from a missing one, and logged."""
    other = build_world(session, wf, "kota-kupang", offset=50)
    target = other.evaluations["pegawai"]
    before = snapshot(session, target.id)
    with caplog.at_level(logging.WARNING, logger="penilaian.security"):
        for path in (f"/evaluations/{target.id}", f"/evaluations/{target.id}/history",
                     f"/evaluations/{target.id}/verify", "/evaluations/999999"):
            response = api.get("pegawai", path)
            assert response.status_code == 404
            assert response.get_json()["error"] == "NotFound"
        response = api.post("pegawai", f"/evaluations/{target.id}/transitions/submit",
                            {"data": SELF, "version": before[1]})
        assert response.status_code == 404
    assert snapshot(session, target.id) == before
    assert any("refused" in r.getMessage() for r in caplog.records)


def test_stale_version_is_409(api: Api, session: Session, mataram: World) -> None:
    """Acting with a version older than the current one is a conflict; nothing changes."""
    ev = mataram.evaluations["pegawai"]
    seen = api.get("pegawai", f"/evaluations/{ev.id}").get_json()["version"]
    before = snapshot(session, ev.id)
    response = api.act("pegawai", ev, "submit", SELF, version=seen - 1)
    assert response.status_code == 409
    assert response.get_json()["error"] == "ConcurrentUpdate"
    assert snapshot(session, ev.id) == before


def test_wrong_state_is_409(api: Api, session: Session, mataram: World) -> None:
    """Appealing a draft is not possible in that state: 409, nothing changes."""
    ev = mataram.evaluations["pegawai"]
    before = snapshot(session, ev.id)
    response = api.act("pegawai", ev, "appeal", {"butir_keberatan": ["rating_hasil_kerja"],
                                                 "alasan": "x" * 30})
    assert response.status_code == 409
    assert response.get_json()["error"] == "TransitionNotAllowed"
    unknown = api.act("pegawai", ev, "terbang")
    assert unknown.status_code == 409
    assert snapshot(session, ev.id) == before


def test_guard_refusal_is_409_with_guard_name(api: Api, session: Session,
                                              mataram: World) -> None:
    """Finalizing before the appeal window closed is refused by the named guard."""
    ev = mataram.evaluations["pegawai"]
    assert api.act("pegawai", ev, "submit", SELF).status_code == 200
    assert api.act("penilai", ev, "review", RATING).status_code == 200
    before = snapshot(session, ev.id)
    response = api.act("penilai", ev, "finalize")
    assert response.status_code == 409
    body = response.get_json()
    assert (body["error"], body["guard"]) == ("GuardFailed", "after_deadline")
    assert snapshot(session, ev.id) == before


# --- history, redaction, verification ----------------------------------------------------------


def test_history_hides_fields_the_reader_may_not_see(api: Api, mataram: World) -> None:
    """The employee and the auditor see that the private note changed (name and digest), not
    its value; only the appraiser (the one role it names) sees it."""
    ev = mataram.evaluations["pegawai"]
    api.act("pegawai", ev, "submit", SELF)
    api.act("penilai", ev, "review", RATING)

    def change(who: str) -> dict[str, Any]:
        events = api.get(who, f"/evaluations/{ev.id}/history").get_json()["events"]
        review = next(e for e in events if e["trigger"] == "review")
        return {c["field"]: c for c in review["changes"]}

    mine = change("pegawai")
    hidden = mine["appraiser-rating.catatan_pribadi"]
    assert set(hidden) == {"field", "hidden", "digest"} and hidden["hidden"] is True
    assert len(hidden["digest"]) == 64
    assert mine["predikat"]["new"] == "BAIK"
    assert set(change("auditor")["appraiser-rating.catatan_pribadi"]) == set(hidden)
    assert change("penilai")["appraiser-rating.catatan_pribadi"]["new"] == "Rahasia penilai."
    detail = api.get("pegawai", f"/evaluations/{ev.id}").get_json()
    assert "catatan_pribadi" not in detail["data"]["appraiser-rating"]["values"]
    assert detail["data"]["appraiser-rating"]["values"]["umpan_balik"] == "Kinerja baik."
    assert detail["predikat"] == {"value": "BAIK", "label": "Baik"}
    assert "appeal_window" in detail["deadlines"]


def test_history_lists_every_event_with_hashes(api: Api, mataram: World) -> None:
    """History events carry seq, actor, role, from/to and link by prev_hash."""
    ev = mataram.evaluations["pegawai"]
    api.act("pegawai", ev, "submit", SELF)
    events = api.get("pegawai", f"/evaluations/{ev.id}/history").get_json()["events"]
    assert [e["trigger"] for e in events] == ["open", "submit"]
    assert events[1]["prev_hash"] == events[0]["hash"]
    assert (events[1]["from"], events[1]["to"], events[1]["role"]) == ("draft", "submitted",
                                                                       "employee")


def test_verify_reports_an_intact_and_a_broken_chain(api: Api, session: Session,
                                                     mataram: World) -> None:
    """Verification is OK for an untouched chain and names the first edited event."""
    ev = mataram.evaluations["pegawai"]
    api.act("pegawai", ev, "submit", SELF)
    ok = api.get("pegawai", f"/evaluations/{ev.id}/verify").get_json()
    assert (ok["ok"], ok["events"], ok["chain"]) == (True, 2, f"evaluation:{ev.id}")
    event = session.scalar(select(HistoryEvent).where(HistoryEvent.evaluation_id == ev.id,
                                                      HistoryEvent.seq == 2))
    assert event is not None
    with tampering(session):
        event.comment = "diubah diam-diam"
    broken = api.get("auditor", f"/evaluations/{ev.id}/verify").get_json()
    assert (broken["ok"], broken["broken_seq"]) == (False, 2)


# --- OpenAPI ----------------------------------------------------------------------------------


def test_openapi_lists_every_route(app: Flask, client: FlaskClient) -> None:
    """openapi.json is valid JSON (OpenAPI 3.1) and describes every API route and method."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.get_data(as_text=True))
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        assert path in doc["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], (path, method)
    post = doc["paths"]["/evaluations/{evaluation_id}/transitions/{name}"]["post"]
    assert set(post["responses"]) == {"200", "400", "401", "403", "404", "409", "429"}
    refs = re.findall(r'"#/components/schemas/(\w+)"', json.dumps(doc))
    assert set(refs) <= set(doc["components"]["schemas"])
