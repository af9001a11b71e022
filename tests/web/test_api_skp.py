"""The SKP operations of the JSON API (issue 13): each answer, each refusal, scopes."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.conftest import api_token
from tests.conftest import build_world
from workflow.models import HistoryEvent
from workflow.models import Skp
from workflow.service import Workflow

YEAR = 2027
SCOPE = "read transition skp"


def rhk(text: str = "Layanan perizinan tepat waktu", parent: int | None = None,
        target: Any = 95) -> dict[str, Any]:
    return {"jenis": "utama", "text": text, "parent_id": parent,
            "indicators": [{"aspek": "kuantitas", "text": "Persentase izin tepat waktu",
                            "target_min": target, "satuan": "persen"}]}


class Api:
    """Bearer-token calls as the named people of one world."""

    def __init__(self, client: FlaskClient, session: Session, world: World) -> None:
        self.client, self.session, self.world = client, session, world
        self.tokens: dict[tuple[str, str], str] = {}

    def headers(self, who: str, scope: str = SCOPE) -> dict[str, str]:
        if (who, scope) not in self.tokens:
            self.tokens[(who, scope)] = api_token(self.session, self.world.people[who],
                                                  "skp", scope=scope)
            self.session.commit()
        return {"Authorization": f"Bearer {self.tokens[(who, scope)]}"}

    def call(self, method: str, who: str, path: str, body: Any = None,
             scope: str = SCOPE) -> Any:
        return self.client.open(f"/api/v1{path}", method=method, json=body,
                                headers=self.headers(who, scope))

    def version(self, who: str, skp_id: int) -> int:
        answer = self.call("GET", who, f"/skp/{skp_id}")
        assert answer.status_code == 200, answer.get_json()
        return int(answer.get_json()["version"])

    def create(self, who: str, jenis: str = "JA", items: list[dict[str, Any]] | None = None
               ) -> dict[str, Any]:
        made = self.call("POST", who, "/skp", {"year": YEAR, "pendekatan": "kuantitatif",
                                               "jenis_jabatan": jenis})
        assert made.status_code == 201, made.get_json()
        skp = made.get_json()
        saved = self.call("PUT", who, f"/skp/{skp['id']}",
                          {"content": {"rhk": items or [rhk()]}, "version": skp["version"]})
        assert saved.status_code == 200, saved.get_json()
        body: dict[str, Any] = saved.get_json()
        return body

    def step(self, who: str, skp_id: int, name: str, comment: str | None = None) -> Any:
        return self.call("POST", who, f"/skp/{skp_id}/transitions/{name}",
                         {"comment": comment, "version": self.version(who, skp_id)})


@pytest.fixture(name="api")
def _api(client: FlaskClient, session: Session, mataram: World) -> Api:
    return Api(client, session, mataram)


def chain(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Kepala Dinas' SKP set; the Kepala Bidang's drafted under it."""
    top = api.create("kepala", "JPT")
    assert api.step("kepala", top["id"], "ajukan").status_code == 200
    assert api.step("kepala", top["id"], "tetapkan").status_code == 200
    top = api.call("GET", "kepala", f"/skp/{top['id']}").get_json()
    mid = api.create("atasan", items=[rhk("Layanan bidang A",
                                          parent=top["content"]["rhk"][0]["id"])])
    return top, mid


def state(session: Session, skp_id: int) -> tuple[str, int, int, int]:
    session.expire_all()
    skp = session.get(Skp, skp_id)
    assert skp is not None
    events = session.scalar(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.chain == f"skp:{skp_id}")) or 0
    return skp.status, skp.lock_version, skp.history_seq, events


def test_the_whole_cycle_through_the_api(api: Api, session: Session) -> None:
    top, mid = chain(api)
    assert top["state"] == "ditetapkan" and top["appraiser_id"] is None
    assert mid["state"] == "draft" and mid["may_edit"]
    assert mid["parents"][str(mid["content"]["rhk"][0]["id"])]["id"] == (
        top["content"]["rhk"][0]["id"])
    submitted = api.step("atasan", mid["id"], "ajukan")
    assert submitted.status_code == 200
    assert submitted.get_json()["event"]["to"] == "diajukan"
    returned = api.step("kepala", mid["id"], "kembalikan", "Naikkan target.")
    assert returned.status_code == 200
    again = api.call("GET", "atasan", f"/skp/{mid['id']}").get_json()
    assert again["state"] == "dikembalikan" and again["return_comment"] == "Naikkan target."
    assert [t["name"] for t in again["transitions"]] == ["ajukan"]
    assert api.step("atasan", mid["id"], "ajukan").status_code == 200
    assert api.step("kepala", mid["id"], "tetapkan").status_code == 200
    listed = api.call("GET", "kepala", f"/skp?year={YEAR}").get_json()
    assert [s["id"] for s in listed["mine"]] == [top["id"]]
    assert [s["id"] for s in listed["subordinates"]] == [mid["id"]]
    assert [e["trigger"] for e in api.call("GET", "atasan", f"/skp/{mid['id']}")
            .get_json()["history"]] == ["create", "save", "ajukan", "kembalikan", "ajukan",
                                         "tetapkan"]
    # The matrix and the tree.
    assigned = api.call("POST", "atasan", f"/skp/{mid['id']}/matriks",
                        {"rhk_id": mid["content"]["rhk"][0]["id"],
                         "subordinate_id": api.world.people["penilai"].id})
    assert assigned.status_code == 201, assigned.get_json()
    matrix = api.call("GET", "atasan", f"/skp/{mid['id']}/matriks").get_json()
    assert matrix["may_assign"] and matrix["cells"][0]["rhk"][0]["id"] == (
        assigned.get_json()["rhk"]["id"])
    tree = api.call("GET", "kepala", f"/skp/rhk/{top['content']['rhk'][0]['id']}/pohon")
    assert tree.status_code == 200
    node = tree.get_json()
    assert node["children"][0]["rhk"]["id"] == mid["content"]["rhk"][0]["id"]
    assert node["children"][0]["children"][0]["employee"]["nip"] == (
        api.world.people["penilai"].nip)
    # Perubahan: a new version, the old one replaced.
    version = api.version("atasan", mid["id"])
    changed = api.call("POST", "atasan", f"/skp/{mid['id']}/perubahan",
                       {"reason": "Refocusing anggaran", "version": version})
    assert changed.status_code == 201, changed.get_json()
    new = changed.get_json()
    assert (new["skp_version"], new["previous_id"], new["state"]) == (2, mid["id"], "draft")
    assert api.call("GET", "atasan", f"/skp/{mid['id']}").get_json()["state"] == "diganti"


def test_a_ja_without_parent_and_an_unset_appraiser_are_409(api: Api, session: Session) -> None:
    top = api.create("kepala", "JPT")
    mid = api.create("atasan")
    before = state(session, mid["id"])
    answer = api.step("atasan", mid["id"], "ajukan")
    assert answer.status_code == 409 and answer.get_json()["guard"] == "skp_appraiser_set"
    api.step("kepala", top["id"], "ajukan")
    api.step("kepala", top["id"], "tetapkan")
    answer = api.step("atasan", mid["id"], "ajukan")
    assert answer.status_code == 409 and answer.get_json()["guard"] == "skp_parent_rhk"
    assert state(session, mid["id"]) == before


def test_wrong_typed_content_is_400_and_changes_nothing(api: Api, session: Session) -> None:
    skp = api.create("kepala", "JPT")
    before = state(session, skp["id"])
    for content in ({"rhk": [{**rhk(), "indicators": [{"aspek": "kuantitas", "text": "x",
                                                       "target_min": "banyak"}]}]},
                    {"rhk": "x"}, {"unknown": 1}, "x"):
        answer = api.call("PUT", "kepala", f"/skp/{skp['id']}",
                          {"content": content, "version": skp["version"]})
        assert answer.status_code == 400, answer.get_json()
        assert answer.get_json()["error"] == "InvalidData"
    answer = api.call("PUT", "kepala", f"/skp/{skp['id']}",
                      {"content": {"rhk": [{**rhk(), "indicators": [
                          {"aspek": "kuantitas", "text": "x", "target_min": "banyak"}]}]},
                       "version": skp["version"]})
    assert "rhk[0].indicators[0].target_min" in answer.get_json()["errors"]
    for body in ({"content": {}, "version": "1"}, {"content": {}}, {"version": 1, "x": 1}, []):
        assert api.call("PUT", "kepala", f"/skp/{skp['id']}", body).status_code == 400
    assert state(session, skp["id"]) == before


def test_a_stale_version_is_409(api: Api, session: Session) -> None:
    skp = api.create("kepala", "JPT")
    stale = skp["version"] - 1
    before = state(session, skp["id"])
    answer = api.call("PUT", "kepala", f"/skp/{skp['id']}",
                      {"content": {"rhk": [rhk("Lain")]}, "version": stale})
    assert answer.status_code == 409 and answer.get_json()["error"] == "ConcurrentUpdate"
    answer = api.call("POST", "kepala", f"/skp/{skp['id']}/transitions/ajukan",
                      {"version": stale})
    assert answer.status_code == 409
    assert state(session, skp["id"]) == before


def test_scopes(api: Api, session: Session) -> None:
    skp = api.create("kepala", "JPT")
    before = state(session, skp["id"])
    for method, path, body in (
            ("PUT", f"/skp/{skp['id']}", {"content": {"rhk": []}, "version": skp["version"]}),
            ("POST", "/skp", {"year": YEAR + 1, "pendekatan": "kuantitatif",
                              "jenis_jabatan": "JPT"}),
            ("POST", f"/skp/{skp['id']}/transitions/ajukan", {"version": skp["version"]})):
        answer = api.call(method, "kepala", path, body, scope="read")
        assert answer.status_code == 403, (path, answer.get_json())
    assert api.call("POST", "kepala", f"/skp/{skp['id']}/transitions/ajukan",
                    {"version": skp["version"]}, scope="read transition:ajukan"
                    ).status_code == 200
    assert state(session, skp["id"])[0] == "diajukan" != before[0]
    assert api.call("GET", "kepala", f"/skp/{skp['id']}", scope="transition").status_code == 403


def test_another_agency_is_404(api: Api, session: Session, wf: Workflow) -> None:
    other = build_world(session, wf, "kota-kupang", offset=50)
    stranger = Api(api.client, session, other)
    skp = api.create("kepala", "JPT")
    rhk_id = skp["content"]["rhk"][0]["id"]
    before = state(session, skp["id"])
    for method, path, body in (
            ("GET", f"/skp/{skp['id']}", None),
            ("PUT", f"/skp/{skp['id']}", {"content": {"rhk": []}, "version": skp["version"]}),
            ("POST", f"/skp/{skp['id']}/transitions/ajukan", {"version": skp["version"]}),
            ("POST", f"/skp/{skp['id']}/perubahan", {"reason": "x",
                                                    "version": skp["version"]}),
            ("GET", f"/skp/{skp['id']}/matriks", None),
            ("POST", f"/skp/{skp['id']}/matriks", {"rhk_id": rhk_id, "subordinate_id": 1}),
            ("GET", f"/skp/rhk/{rhk_id}/pohon", None),
            ("GET", "/skp/99999999", None)):
        answer = stranger.call(method, "kepala", path, body)
        assert answer.status_code == 404, (path, answer.get_json())
        assert api.world.people["kepala"].nip not in answer.get_data(as_text=True)
    assert state(session, skp["id"]) == before
    assert stranger.call("GET", "kepala", "/skp").get_json() == {"mine": [], "subordinates": []}


def test_bad_list_parameters_are_400(api: Api) -> None:
    assert api.call("GET", "kepala", "/skp?year=abc").status_code == 400
    assert api.call("GET", "kepala", "/skp?tahun=2027").status_code == 400


def test_mutasi_by_an_admin(api: Api, session: Session, wf: Workflow) -> None:
    top, mid = chain(api)
    staff = api.world.people["atasan"]
    body = {"employee_id": staff.id, "on_date": f"{YEAR}-07-01",
            "new_appraiser_id": api.world.people["ppk"].id, "reason": "Mutasi (SK 1/2027)",
            "copy_rhk": True}
    before = state(session, mid["id"])
    for who, want in (("atasan", 403), ("auditor", 403)):
        assert api.call("POST", who, "/skp/mutasi", body).status_code == want
    for bad in ({**body, "on_date": "1-7-2027"}, {**body, "copy_rhk": "ya"},
                {**body, "reason": ""}, {**body, "new_appraiser_id": staff.id}):
        assert api.call("POST", "kepala", "/skp/mutasi", bad).status_code == 400
    other = build_world(session, wf, "kota-kupang", offset=50)
    assert api.call("POST", "kepala", "/skp/mutasi",
                    {**body, "employee_id": other.people["atasan"].id}).status_code == 404
    assert state(session, mid["id"]) == before
    answer = api.call("POST", "kepala", "/skp/mutasi", body)
    assert answer.status_code == 201, answer.get_json()
    new = answer.get_json()
    assert (new["starts_on"], new["ends_on"], new["state"]) == (
        f"{YEAR}-07-01", f"{YEAR}-12-31", "draft")
    assert new["appraiser_id"] == api.world.people["ppk"].id
    old = api.call("GET", "kepala", f"/skp/{mid['id']}").get_json()
    assert (old["state"], old["ends_on"]) == ("ditutup", f"{YEAR}-06-30")
    assert top["id"] != new["id"]


def test_an_evaluation_names_the_skp_it_reads(api: Api, session: Session, wf: Workflow) -> None:
    from workflow.models import Evaluation
    from workflow.periods import ensure_period
    from workflow.periods import open_period

    top, mid = chain(api)
    period = ensure_period(session, api.world.agency, "annual", YEAR)
    open_period(session, wf, api.world.actor("kepala"), period.id)
    session.commit()
    evaluation = session.scalar(select(Evaluation).where(
        Evaluation.period_id == period.id,
        Evaluation.employee_id == api.world.people["atasan"].id))
    assert evaluation is not None
    body = api.call("GET", "atasan", f"/evaluations/{evaluation.id}").get_json()
    assert body["skp_id"] == mid["id"] != top["id"]
