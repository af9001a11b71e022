"""Reassignment in the admin (deactivation offers it, bulk form) and through the API."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.conftest import api_token
from tests.web.conftest import login
from workflow.models import Employee
from workflow.models import HistoryEvent


def _deactivate(client: FlaskClient, person: Employee, superior: Employee) -> str:
    response = client.post(f"/admin/employee/edit/?id={person.id}", data={
        "nip": person.nip, "name": person.name, "jabatan": person.jabatan,
        "pangkat": person.pangkat, "golongan": person.golongan,
        "unit_kerja": person.unit_kerja, "asn_type": "PNS",
        "superior": str(superior.id)}, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_deactivation_offers_reassignment_and_the_form_reassigns_in_bulk(
        client: FlaskClient, session: Session, two: tuple[World, World]) -> None:
    a, b = two
    login(client, a.people["kepala"])
    old, new = a.people["penilai"], a.people["tim"]
    page = _deactivate(client, old, a.people["atasan"])
    assert "masih memegang 2 peran" in page and f"/admin/pengalihan/?dari={old.id}" in page
    page = client.get(f"/admin/pengalihan/?dari={old.id}").get_data(as_text=True)
    assert "Pegawai Satu" in page and "Pegawai Dua" in page
    items = [f"{a.evaluations[w].id}:appraiser" for w in ("pegawai", "pegawai2")]
    # Another agency's evaluation among them: nothing changes.
    response = client.post("/admin/pengalihan/", data={
        "dari": old.id, "item": [*items, f"{b.evaluations['pegawai'].id}:appraiser"],
        "ke": new.id, "alasan": "Mutasi"}, follow_redirects=True)
    assert "Evaluasi tidak ditemukan" in response.get_data(as_text=True)
    assert session.scalar(select(HistoryEvent.id).where(
        HistoryEvent.kind == "reassignment")) is None
    response = client.post("/admin/pengalihan/", data={
        "dari": old.id, "item": items, "ke": new.id, "alasan": ""}, follow_redirects=True)
    assert "Alasan pengalihan wajib diisi" in response.get_data(as_text=True)
    response = client.post("/admin/pengalihan/", data={
        "dari": old.id, "item": items, "ke": new.id, "alasan": "Pensiun"},
        follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "2 peran dialihkan" in page and 'id="no-holdings"' in page
    events = session.scalars(select(HistoryEvent).where(
        HistoryEvent.kind == "reassignment")).all()
    assert {(e.comment, e.payload["to"]) for e in events} == {("Pensiun", new.nip)}
    assert len(events) == 2
    # The evaluation page shows the change in the timeline and the former appraiser.
    login(client, new)
    page = client.get(f"/evaluasi/{a.evaluations['pegawai'].id}").get_data(as_text=True)
    assert "Pejabat Penilai Kinerja dialihkan: Pejabat Penilai → Anggota Tim" in page
    assert "sebelumnya, dialihkan" in page


def test_api_reassigns_with_the_scope_and_refuses_strangers(
        client: FlaskClient, session: Session, two: tuple[World, World]) -> None:
    a, b = two
    ev = a.evaluations["pegawai"]
    body = {"evaluations": [ev.id], "role": "appraiser", "to": a.people["tim"].nip,
            "reason": "Tugas belajar"}
    read_only = api_token(session, a.people["kepala"], scope="read")
    admin = api_token(session, a.people["kepala"], name="admin", scope="read reassign")
    stranger = api_token(session, b.people["kepala"], name="b", scope="reassign")
    session.commit()
    url = "/api/v1/reassignments"
    assert client.post(url, json=body, headers={
        "Authorization": f"Bearer {read_only}"}).status_code == 403
    assert client.post(url, json=body, headers={
        "Authorization": f"Bearer {stranger}"}).status_code == 404
    bad = client.post(url, json={**body, "evaluations": "x", "extra": 1},
                      headers={"Authorization": f"Bearer {admin}"})
    assert bad.status_code == 400 and {"evaluations", "extra"} <= set(bad.json["errors"])
    response = client.post(url, json=body, headers={"Authorization": f"Bearer {admin}"})
    assert response.status_code == 200, response.json
    assert response.json["items"][0]["to"] == a.people["tim"].nip
    again = client.post(url, json=body, headers={"Authorization": f"Bearer {admin}"})
    assert again.status_code == 409 and "sudah memegang" in again.json["message"]
    shown = client.get(f"/api/v1/evaluations/{ev.id}",
                       headers={"Authorization": f"Bearer {admin}"}).json["participants"]
    former = [p for p in shown if p["former"]]
    assert [(p["role"], p["role_label"]) for p in former] == [
        (f"appraiser~{a.people['penilai'].id}", "Pejabat Penilai Kinerja")]
    blank = client.post(url, json={**body, "reason": " "},
                        headers={"Authorization": f"Bearer {admin}"})
    assert blank.status_code == 400 and "reason" in blank.json["errors"]


def test_the_superior_reassigns_her_staffs_roles_in_the_app(
        client: FlaskClient, session: Session, two: tuple[World, World]) -> None:
    """The Atasan Penilai sees the open roles of the Pejabat Penilai (her staff) on Bidang A's
    evaluations, and hands one over; someone with no staff sees none and can change nothing."""
    a, _b = two
    login(client, a.people["pegawai"])
    assert 'id="no-holdings"' in client.get("/pengalihan/").get_data(as_text=True)
    ev = a.evaluations["pegawai"]
    response = client.post("/pengalihan/", data={
        "item": [f"{ev.id}:appraiser"], "ke": a.people["tim"].id, "alasan": "x"},
        follow_redirects=True)
    assert "Hanya admin instansi" in response.get_data(as_text=True)
    client.post("/keluar")
    login(client, a.people["atasan"])
    page = client.get("/pengalihan/").get_data(as_text=True)
    assert "Pejabat Penilai" in page and f'value="{ev.id}:appraiser"' in page
    response = client.post("/pengalihan/", data={
        "item": [f"{ev.id}:appraiser"], "ke": a.people["tim"].id, "alasan": "Cuti besar"},
        follow_redirects=True)
    assert "1 peran dialihkan" in response.get_data(as_text=True)
    event = session.scalar(select(HistoryEvent).where(HistoryEvent.kind == "reassignment"))
    assert event is not None
    assert (event.actor_role, event.comment, event.payload["to"]) == (
        "superior", "Cuti besar", a.people["tim"].nip)
