"""What each person may see, and when: Kupang's rating stays hidden until the team approved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from forms.parsing import parse_form_spec
from forms.rules import may_see
from tests.conftest import CHEAP_HASH
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import api_token
from tests.integration.test_service import RATING_LOW
from tests.integration.test_service import at
from workflow.accounts import set_password
from workflow.errors import InvalidData
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.service import save_draft

PASSWORD = "rahasia-kinerja-123"
TEAM = {"pendapat_tim": "Sesuai bukti dukung.", "rekomendasi": "setuju"}


def test_per_role_states_in_spec() -> None:
    """`visible_in_states: {employee: [...]}` gates the employee only, not other roles."""
    spec = parse_form_spec({"key": "x", "title": "X", "fields": [
        {"name": "nilai", "type": "text", "label": "Nilai", "editable_by": ["appraiser"],
         "visible_in_states": {"employee": ["reviewed"]}}]})
    field = spec.field("nilai")
    assert not may_see(field, "employee", "team_review")
    assert may_see(field, "employee", "reviewed")
    assert may_see(field, "evaluation_team", "team_review")
    assert may_see(field, "appraiser", "team_review")


def _login(client: FlaskClient, world: World, who: str) -> None:
    client.post("/keluar")
    assert client.post("/masuk", data={"nip": world.people[who].nip,
                                       "password": PASSWORD}).status_code == 302


@pytest.fixture(name="in_team_review")
def _in_team_review(session: Session, wf: Workflow, world: World) -> int:
    for person in world.people.values():
        set_password(person, PASSWORD, hash_method=CHEAP_HASH)
    ev = world.evaluations["pegawai"]
    apply_transition(session, at(wf, 2), world.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, 3), world.actor("penilai"), ev.id, "send_to_team",
                     data=RATING_LOW)
    session.commit()
    return ev.id


def test_kupang_employee_sees_rating_only_after_team(client: FlaskClient, session: Session,
                                                    wf: Workflow, world: World,
                                                    in_team_review: int) -> None:
    """While the team reviews, the employee sees no rating and cannot print it; then she can."""
    _login(client, world, "pegawai")
    page = client.get(f"/evaluasi/{in_team_review}").get_data(as_text=True)
    assert "Butuh Perbaikan" not in page and "Tiga laporan terlambat" not in page
    assert client.get(f"/evaluasi/{in_team_review}/dokumen/evaluation.pdf").status_code == 409
    _login(client, world, "tim")
    page = client.get(f"/evaluasi/{in_team_review}").get_data(as_text=True)
    assert "Tiga laporan terlambat" in page  # the team sees what it reviews
    apply_transition(session, at(wf, 4), world.actor("tim"), in_team_review, "team_review",
                     data=TEAM)
    session.commit()
    _login(client, world, "pegawai")
    page = client.get(f"/evaluasi/{in_team_review}").get_data(as_text=True)
    assert "Butuh Perbaikan" in page and "Tiga laporan terlambat" in page
    assert client.get(f"/evaluasi/{in_team_review}/dokumen/evaluation.pdf").status_code == 200


def test_draft_may_be_incomplete_but_not_wrong(session: Session, wf: Workflow,
                                               world: World) -> None:
    """A draft keeps a half-filled row; a value outside a choice list is still refused."""
    ev = world.evaluations["pegawai"]
    save_draft(session, at(wf, 2), world.actor("pegawai"), ev.id, "self-assessment",
               {"hasil_kerja": [{"rencana_hasil_kerja": "Layanan SKM", "target": "4"}]})
    session.commit()
    assert ev.values("self-assessment")["hasil_kerja"][0]["rencana_hasil_kerja"] == "Layanan SKM"
    apply_transition(session, at(wf, 3), world.actor("pegawai"), ev.id, "submit", data=SELF)
    with pytest.raises(InvalidData) as caught:
        save_draft(session, at(wf, 4), world.actor("penilai"), ev.id, "appraiser-rating",
                   {"rating_hasil_kerja": "luar-biasa"})
    assert "rating_hasil_kerja" in caught.value.errors


def test_kupang_employee_api_shows_no_rating_before_the_team_approved(
        client: FlaskClient, session: Session, wf: Workflow, world: World,
        in_team_review: int) -> None:
    """While the team reviews (and after it returns the rating to the appraiser), the
    employee's API detail, list and history carry no rating, predikat or appraiser's words;
    once the team approved, all three do (issue 12)."""
    token = api_token(session, world.people["pegawai"])
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}

    def api() -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
        detail = client.get(f"/api/v1/evaluations/{in_team_review}", headers=headers)
        listed = client.get("/api/v1/evaluations", headers=headers)
        history = client.get(f"/api/v1/evaluations/{in_team_review}/history", headers=headers)
        item = next(i for i in listed.get_json()["items"] if i["id"] == in_team_review)
        changes = [c for e in history.get_json()["events"] for c in e["changes"]]
        return detail.get_json(), item, changes

    def hidden() -> None:
        detail, item, changes = api()
        assert detail["predikat"] is None and item["predikat"] is None
        assert detail["ratings"] == {"hasil_kerja": None, "perilaku_kerja": None}
        assert "appraiser-rating" not in detail["data"] or not detail["data"][
            "appraiser-rating"]["values"]
        rated = [c for c in changes if c["field"] in ("predikat", "rating_hasil_kerja")
                 or c["field"].startswith("appraiser-rating.")]
        assert rated and all(c.get("hidden") and "new" not in c for c in rated)
        text = json.dumps([detail, item, changes])
        for leak in ("di_bawah", "BUTUH_PERBAIKAN", "Butuh Perbaikan",
                     "Tiga laporan terlambat"):
            assert leak not in text, leak

    hidden()
    apply_transition(session, at(wf, 4), world.actor("tim"), in_team_review, "team_return",
                     data={"pendapat_tim": "Bukti belum lengkap.", "rekomendasi": "tinjau_ulang"},
                     comment="Bukti dukung belum lengkap.")
    session.commit()
    hidden()  # back with the appraiser: the recorded rating stays hers only after approval
    apply_transition(session, at(wf, 5), world.actor("penilai"), in_team_review,
                     "send_to_team", data=RATING_LOW)
    apply_transition(session, at(wf, 6), world.actor("tim"), in_team_review, "team_review",
                     data=TEAM)
    session.commit()
    detail, item, changes = api()
    assert detail["predikat"]["value"] == item["predikat"]["value"] == "BUTUH_PERBAIKAN"
    assert detail["ratings"]["hasil_kerja"]["value"] == "di_bawah"
    assert any(c["field"] == "predikat" and c["new"] == "BUTUH_PERBAIKAN" for c in changes)
