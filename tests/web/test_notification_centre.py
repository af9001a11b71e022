"""The notification centre on the web: badge, list, mark read / all read (CSRF forms, only her
own), the e-mail preference; e-mail addresses in the org chart (CSV and the admin form)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import ORG_HEADER
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import nip
from tests.web.conftest import login
from workflow.models import Employee
from workflow.models import Notification
from workflow.org import OrgImportError
from workflow.org import import_org_csv
from workflow.service import Workflow
from workflow.service import apply_transition


def _submitted(session: Session, wf: Workflow, world: World) -> Notification:
    ev = world.evaluations["pegawai"]
    apply_transition(session, wf, world.actor("pegawai"), ev.id, "submit", data=SELF)
    session.commit()
    return session.scalars(select(Notification).where(
        Notification.recipient_id == world.people["penilai"].id)).one()


def test_badge_list_and_mark_read(client: FlaskClient, session: Session, wf: Workflow,
                                  two: tuple[World, World]) -> None:
    a, _ = two
    notification = _submitted(session, wf, a)
    login(client, a.people["penilai"])
    page = client.get("/notifikasi/").get_data(as_text=True)
    assert 'id="notifications-badge"' in page
    assert 'Notifikasi: 1 belum dibaca' in page
    assert "Penilaian kinerja: Ajukan ke Pejabat Penilai" in page
    assert "Pegawai: Pegawai Satu" in page
    response = client.post(f"/notifikasi/{notification.id}/baca")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/evaluasi/{a.evaluations['pegawai'].id}")
    session.expire_all()
    assert session.get(Notification, notification.id).read_at is not None
    page = client.get("/notifikasi/").get_data(as_text=True)
    assert 'Notifikasi: 0 belum dibaca' in page


def test_english(client: FlaskClient, session: Session, wf: Workflow,
                 two: tuple[World, World]) -> None:
    a, _ = two
    _submitted(session, wf, a)
    login(client, a.people["penilai"])
    client.get("/bahasa/en")
    page = client.get("/notifikasi/").get_data(as_text=True)
    assert "Performance evaluation: Submit to appraiser" in page
    assert "Employee: Pegawai Satu" in page
    assert "Notifications: 1 unread" in page and "Mark all as read" in page


def test_someone_elses_notification_is_not_found(client: FlaskClient, session: Session,
                                                 wf: Workflow, two: tuple[World, World]) -> None:
    a, b = two
    notification = _submitted(session, wf, a)
    for person in (a.people["pegawai"], b.people["penilai"]):
        client.post("/keluar")
        login(client, person)
        assert client.post(f"/notifikasi/{notification.id}/baca").status_code == 404
    session.expire_all()
    assert session.get(Notification, notification.id).read_at is None


def test_mark_all_read_and_email_preference(client: FlaskClient, session: Session,
                                            wf: Workflow, two: tuple[World, World]) -> None:
    a, _ = two
    _submitted(session, wf, a)
    penilai = a.people["penilai"]
    login(client, penilai)
    assert client.post("/notifikasi/baca-semua").status_code == 302
    assert "0 belum dibaca" in client.get("/notifikasi/").get_data(as_text=True)
    assert client.post("/notifikasi/email", data={}).status_code == 302  # unticked: off
    session.expire_all()
    assert session.get(Employee, penilai.id).email_notifications is False
    client.post("/notifikasi/email", data={"email_notifications": "y"})
    session.expire_all()
    assert session.get(Employee, penilai.id).email_notifications is True


def test_forms_need_csrf(app, client: FlaskClient, session: Session, wf: Workflow,  # type: ignore[no-untyped-def]
                         two: tuple[World, World]) -> None:
    a, _ = two
    notification = _submitted(session, wf, a)
    login(client, a.people["penilai"])
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/notifikasi/{notification.id}/baca").status_code == 400
    assert client.post("/notifikasi/baca-semua").status_code == 400
    session.expire_all()
    assert session.get(Notification, notification.id).read_at is None


def test_org_import_reads_email_and_refuses_a_bad_one(session: Session, wf: Workflow,
                                                      two: tuple[World, World]) -> None:
    a, _ = two
    header = ORG_HEADER.strip() + ",email\n"
    good = header + f"{nip(4)},Pegawai Satu,Analis,Penata Muda,III/a,Bidang A,PNS,{nip(3)},," \
        "satu@mataram.go.id\n"
    import_org_csv(session, wf.audit_key, a.agency, good)
    session.commit()
    assert a.people["pegawai"].email == "satu@mataram.go.id"
    bad = header + f"{nip(4)},Pegawai Satu,Analis,Penata Muda,III/a,Bidang A,PNS,{nip(3)},," \
        "bukan-email\n"
    with pytest.raises(OrgImportError) as refused:
        import_org_csv(session, wf.audit_key, a.agency, bad)
    session.rollback()
    assert "alamat e-mail 'bukan-email' tidak sah" in str(refused.value.problems[0])
    # A file without the column leaves the addresses as they are.
    without = ORG_HEADER + f"{nip(4)},Pegawai Satu,Analis Ahli,Penata Muda,III/a,Bidang A," \
        f"PNS,{nip(3)},\n"
    import_org_csv(session, wf.audit_key, a.agency, without)
    session.commit()
    session.expire_all()
    person = session.get(Employee, a.people["pegawai"].id)
    assert person.jabatan == "Analis Ahli" and person.email == "satu@mataram.go.id"


def test_admin_form_validates_email(client: FlaskClient, session: Session,
                                    two: tuple[World, World]) -> None:
    a, _ = two
    login(client, a.people["kepala"])
    person = a.people["pegawai"]
    data = {"nip": person.nip, "name": person.name, "jabatan": person.jabatan,
            "pangkat": person.pangkat, "golongan": person.golongan,
            "unit_kerja": person.unit_kerja, "asn_type": "PNS",
            "superior": str(a.people["penilai"].id), "active": "y"}
    response = client.post(f"/admin/employee/edit/?id={person.id}",
                           data={**data, "email": "salah@"})
    assert response.status_code == 200
    assert "tidak sah" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Employee, person.id).email == ""
    response = client.post(f"/admin/employee/edit/?id={person.id}",
                           data={**data, "email": "satu@mataram.go.id"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Employee, person.id).email == "satu@mataram.go.id"
