"""Independence, ``requires``, the hearing and the appeal's original over HTTP (page and API).

The service-level rules are in tests/integration/test_appeals.py; here the same refusals reach
people: a field error on the page and a 400 with ``errors`` naming the field in the API, a
403/409 for a team member who rated the evaluation, and the same "original" on the page and
in the API.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import api_token
from workflow.accounts import set_password
from workflow.models import Evaluation
from workflow.models import Group
from workflow.models import GroupMember
from workflow.models import Period
from workflow.service import Workflow
from workflow.service import apply_transition

PASSWORD = "rahasia-kinerja-123"
RATING_LOW = {"rating_hasil_kerja": "di_bawah", "rating_perilaku_kerja": "sesuai",
              "umpan_balik": "Target layanan tidak tercapai.",
              "justifikasi": "Tiga laporan terlambat dan bukti dukung tidak lengkap."}
APPEAL = {"butir_keberatan": ["rating_hasil_kerja"],
          "alasan": "Keterlambatan disebabkan gangguan sistem yang sudah dilaporkan."}


def at(wf: Workflow, day: int) -> Workflow:
    return replace(wf, clock=lambda: datetime(2026, 2, day, 3, tzinfo=UTC))


@pytest.fixture(name="login")
def _login(client: FlaskClient, session: Session, world: World):
    for person in world.people.values():
        set_password(person, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()

    def login(who: str) -> None:
        client.post("/keluar")
        response = client.post("/masuk", data={"nip": world.people[who].nip,
                                               "password": PASSWORD})
        assert response.status_code == 302

    return login


def api(client: FlaskClient, session: Session, world: World, who: str, method: str,
        path: str, body: Any = None) -> Any:
    token = api_token(session, world.people[who], "test")
    session.commit()
    return client.open(f"/api/v1{path}", method=method, json=body,
                       headers={"Authorization": f"Bearer {token}"})


def at_team(session: Session, wf: Workflow, world: World, who: str,
            appraiser: str) -> Evaluation:
    ev = world.evaluations[who]
    apply_transition(session, at(wf, 2), world.actor(who), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, 3), world.actor(appraiser), ev.id, "send_to_team",
                     data=RATING_LOW)
    session.commit()
    return ev


def test_page_and_api_refuse_a_recommendation_that_disagrees(
        client: FlaskClient, session: Session, wf: Workflow, world: World, login) -> None:
    """Approve with *Tinjau ulang*: a field error under Rekomendasi; nothing changes."""
    ev = at_team(session, wf, world, "pegawai", "penilai")
    version = ev.lock_version
    login("tim")
    response = client.post(f"/evaluasi/{ev.id}/langkah/team_review",
                           data={"pendapat_tim": "Perlu ditinjau.", "rekomendasi": "tinjau_ulang",
                                 "version": str(version)})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "tidak sesuai dengan langkah" in body and "Setujui penilaian (Tim)" in body
    response = api(client, session, world, "tim", "POST",
                   f"/evaluations/{ev.id}/transitions/team_return",
                   {"data": {"pendapat_tim": "Sesuai.", "rekomendasi": "setuju"},
                    "comment": "Kembali.", "version": version})
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert list(errors) == ["rekomendasi"]
    session.expire_all()
    fresh = session.get(Evaluation, ev.id)
    assert fresh is not None and (fresh.status, fresh.lock_version) == ("team_review", version)
    # The agreeing answer goes through.
    response = api(client, session, world, "tim", "POST",
                   f"/evaluations/{ev.id}/transitions/team_review",
                   {"data": {"pendapat_tim": "Sesuai.", "rekomendasi": "setuju"},
                    "version": version})
    assert response.status_code == 200, response.get_json()


def test_a_team_member_who_rated_gets_no_button_and_a_refusal(
        client: FlaskClient, session: Session, wf: Workflow, world: World, login) -> None:
    """The kepala joins the team and rates the atasan: neither page nor API lets him review."""
    team = session.scalar(select(Group).where(Group.agency_id == world.agency.id,
                                              Group.slug == "tim-penilai-kinerja"))
    assert team is not None
    session.add(GroupMember(group_id=team.id, employee_id=world.people["kepala"].id))
    session.commit()
    ev = at_team(session, wf, world, "atasan", "kepala")
    login("kepala")
    page = client.get(f"/evaluasi/{ev.id}").get_data(as_text=True)
    assert 'data-trigger="team_review"' not in page and 'data-trigger="team_return"' not in page
    response = client.post(f"/evaluasi/{ev.id}/langkah/team_review",
                           data={"pendapat_tim": "Setuju.", "rekomendasi": "setuju",
                                 "version": str(ev.lock_version)})
    assert response.status_code == 409
    assert "penelaah independen" in response.get_data(as_text=True)
    response = api(client, session, world, "kepala", "POST",
                   f"/evaluations/{ev.id}/transitions/team_review",
                   {"data": {"pendapat_tim": "Setuju.", "rekomendasi": "setuju"},
                    "version": ev.lock_version})
    assert response.status_code == 409 and response.get_json()["guard"] == "independent"
    detail = api(client, session, world, "kepala", "GET", f"/evaluations/{ev.id}").get_json()
    assert [t["name"] for t in detail["transitions"]] == []
    # Another member sees both buttons.
    login("tim")
    page = client.get(f"/evaluasi/{ev.id}").get_data(as_text=True)
    assert 'data-trigger="team_review"' in page and 'data-trigger="team_return"' in page


def test_page_and_api_agree_on_the_original_after_a_team_return(
        client: FlaskClient, session: Session, wf: Workflow, world: World, login) -> None:
    """Re-rated after a team return, then appealed and upheld: nothing was revised."""
    ev = at_team(session, wf, world, "pegawai", "penilai")
    apply_transition(session, at(wf, 4), world.actor("tim"), ev.id, "team_return",
                     data={"pendapat_tim": "Tinjau.", "rekomendasi": "tinjau_ulang"},
                     comment="Tinjau ulang.")
    apply_transition(session, at(wf, 5), world.actor("penilai"), ev.id, "send_to_team",
                     data={**RATING_LOW, "rating_hasil_kerja": "sesuai"})
    apply_transition(session, at(wf, 6), world.actor("tim"), ev.id, "team_review",
                     data={"pendapat_tim": "Sesuai.", "rekomendasi": "setuju"})
    apply_transition(session, at(wf, 7), world.actor("pegawai"), ev.id, "appeal", data=APPEAL)
    apply_transition(session, at(wf, 8), world.actor("atasan"), ev.id, "decide_appeal",
                     data={"keputusan": "dikuatkan", "pertimbangan": "Penilaian sudah tepat."})
    session.commit()
    login("pegawai")
    page = client.get(f"/evaluasi/{ev.id}").get_data(as_text=True)
    assert "data-revision" not in page  # the withdrawn rating is no "original"
    appeal = api(client, session, world, "pegawai", "GET",
                 f"/evaluations/{ev.id}").get_json()["appeal"]
    assert appeal["revised"] is False
    assert appeal["original"]["hasil_kerja"]["value"] == "sesuai"
    assert appeal["original"] == appeal["result"]


def test_page_and_api_agree_on_the_original_of_a_revised_appeal(
        client: FlaskClient, session: Session, wf: Workflow, world: World, login) -> None:
    """A revised appeal: the page's *Semula* and the API's original are the appealed rating."""
    ev = at_team(session, wf, world, "pegawai", "penilai")
    apply_transition(session, at(wf, 4), world.actor("tim"), ev.id, "team_review",
                     data={"pendapat_tim": "Sesuai.", "rekomendasi": "setuju"})
    apply_transition(session, at(wf, 5), world.actor("pegawai"), ev.id, "appeal", data=APPEAL)
    apply_transition(session, at(wf, 6), world.actor("atasan"), ev.id, "decide_appeal",
                     data={"keputusan": "diubah", "rating_hasil_kerja_baru": "sesuai",
                           "rating_perilaku_kerja_baru": "sesuai",
                           "pertimbangan": "Bukti tiket sah."})
    session.commit()
    login("pegawai")
    page = client.get(f"/evaluasi/{ev.id}").get_data(as_text=True)
    assert "data-revision" in page
    assert '<td data-original="hasil_kerja">Di bawah ekspektasi</td>' in page
    appeal = api(client, session, world, "pegawai", "GET",
                 f"/evaluations/{ev.id}").get_json()["appeal"]
    assert appeal["revised"] is True
    assert appeal["original"]["hasil_kerja"]["value"] == "di_bawah"
    assert appeal["result"]["hasil_kerja"]["value"] == "sesuai"


def test_admin_dry_run_lists_undecidable_appeals_as_errors(
        client: FlaskClient, session: Session, world: World, login) -> None:
    """Without a PPK the dry run shows each blocked employee with the fix; opening skips them."""
    ppk = session.scalar(select(Group).where(Group.agency_id == world.agency.id,
                                             Group.slug == "ppk"))
    assert ppk is not None
    session.query(GroupMember).filter_by(group_id=ppk.id).delete()
    session.commit()
    login("kepala")
    client.post("/admin/period/new/", data={"kind": "quarterly", "year": "2026", "number": "3"})
    period = session.scalar(select(Period).where(Period.agency_id == world.agency.id,
                                                 Period.kind == "quarterly"))
    assert period is not None
    page = client.get(f"/admin/buka-periode/{period.id}").get_data(as_text=True)
    blocked = page.split('id="blocked"')[1].split("</div>")[0]
    for who in ("atasan", "tim", "auditor"):
        assert world.people[who].nip in blocked
    assert "Putuskan keberatan" in blocked and "grup &#39;ppk&#39;" in blocked
    assert world.people["pegawai"].nip not in blocked
    client.post(f"/admin/buka-periode/{period.id}", data={"unit": ""})
    opened = set(session.scalars(select(Evaluation.employee_id).where(
        Evaluation.period_id == period.id)))
    assert world.people["pegawai"].id in opened
    assert world.people["atasan"].id not in opened


def test_the_hearing_through_the_pages(
        client: FlaskClient, session: Session, wf: Workflow, world: World, login) -> None:
    """The decider asks, each party reads the question and answers, the decision prints both."""
    ev = at_team(session, wf, world, "pegawai", "penilai")
    apply_transition(session, at(wf, 4), world.actor("tim"), ev.id, "team_review",
                     data={"pendapat_tim": "Sesuai.", "rekomendasi": "setuju"})
    apply_transition(session, at(wf, 5), world.actor("pegawai"), ev.id, "appeal", data=APPEAL)
    session.commit()

    def post(trigger: str, data: dict[str, str]) -> None:
        session.expire_all()
        fresh = session.get(Evaluation, ev.id)
        assert fresh is not None
        response = client.post(f"/evaluasi/{ev.id}/langkah/{trigger}",
                               data={**data, "version": str(fresh.lock_version)})
        assert response.status_code == 302, response.get_data(as_text=True)

    login("atasan")
    page = client.get(f"/evaluasi/{ev.id}").get_data(as_text=True)
    assert 'data-trigger="ask_explanations"' in page and 'data-trigger="decide_appeal"' in page
    post("ask_explanations", {"pertanyaan_penilai": "PERTANYAAN-UNTUK-PENILAI",
                              "pertanyaan_pegawai": "PERTANYAAN-UNTUK-PEGAWAI"})
    for who, trigger, answer in (("penilai", "explain_appraiser", "JAWABAN-PENILAI-77"),
                                 ("pegawai", "explain_employee", "JAWABAN-PEGAWAI-88")):
        login(who)
        page = client.get(f"/evaluasi/{ev.id}").get_data(as_text=True)
        assert "PERTANYAAN-UNTUK-PENILAI" in page and "PERTANYAAN-UNTUK-PEGAWAI" in page
        assert f'data-trigger="{trigger}"' in page
        assert "data-predikat" in page  # the rating stays in view during the hearing
        assert 'data-trigger="decide_appeal"' not in page
        post(trigger, {"penjelasan": f"{answer} dengan rincian yang cukup."})
    login("atasan")
    page = client.get(f"/evaluasi/{ev.id}").get_data(as_text=True)
    assert "JAWABAN-PENILAI-77" in page and "JAWABAN-PEGAWAI-88" in page
    # A decision drafted during the hearing is not printable as a decision.
    session.expire_all()
    fresh = session.get(Evaluation, ev.id)
    assert fresh is not None
    assert client.post(f"/evaluasi/{ev.id}/draf/appeal-decision",
                       data={"keputusan": "dikuatkan", "version": str(fresh.lock_version)}
                       ).status_code == 302
    assert client.get(f"/evaluasi/{ev.id}/dokumen/appeal-decision.pdf").status_code == 409
    post("decide_appeal", {"keputusan": "dikuatkan", "pertimbangan": "Penilaian tepat.",
                           "konfirmasi": "decide_appeal"})
    response = client.get(f"/evaluasi/{ev.id}/dokumen/appeal-decision.pdf")
    assert response.status_code == 200
    text = " ".join(" ".join((p.extract_text() or "").split())
                    for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "JAWABAN-PENILAI-77" in text and "JAWABAN-PEGAWAI-88" in text
