"""The agency admin: access, isolation between agencies, org chart, forms, periods."""

from __future__ import annotations

import html
import io
import re

import pytest
from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.views import EmployeeView
from tests.conftest import ORG_HEADER
from tests.conftest import World
from tests.conftest import api_token
from tests.conftest import nip
from tests.web.conftest import admin_events
from tests.web.conftest import login
from workflow.models import ApiToken
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import FormVersion
from workflow.models import HistoryEvent
from workflow.models import Period
from workflow.service import Workflow


def test_anonymous_is_sent_to_login(client: FlaskClient, two: tuple[World, World]) -> None:
    """Without a log-in the admin redirects to the log-in page."""
    for url in ("/admin/", "/admin/employee/", "/admin/formulir/"):
        response = client.get(url)
        assert response.status_code == 302 and "/masuk" in response.headers["Location"]


def test_non_admin_is_refused(client: FlaskClient, two: tuple[World, World]) -> None:
    """An employee who is not an agency admin gets 403 everywhere in the admin."""
    login(client, two[0].people["pegawai"])
    for url in ("/admin/", "/admin/employee/", "/admin/formulir/", "/admin/history/"):
        assert client.get(url).status_code == 403


def test_list_shows_only_own_agency(client: FlaskClient, two: tuple[World, World]) -> None:
    """The employee list of agency A's admin shows A's people and none of B's."""
    a, b = two
    login(client, a.people["kepala"])
    page = client.get("/admin/employee/?page_size=100").get_data(as_text=True)
    assert all(p.nip in page for p in a.people.values())
    assert not any(p.nip in page for p in b.people.values())
    history = client.get("/admin/history/?page_size=100").get_data(as_text=True)
    assert a.people["kepala"].nip in history and b.people["kepala"].nip not in history


def test_direct_url_to_other_agency_is_not_found(client: FlaskClient, session: Session,
                                                  two: tuple[World, World]) -> None:
    """Edit and details URLs of agency B's rows give A's admin 404; POSTs change nothing."""
    a, b = two
    login(client, a.people["kepala"])
    other = b.people["pegawai"]
    assert client.get(f"/admin/employee/edit/?id={other.id}").status_code == 404
    assert client.get(f"/admin/employee/details/?id={other.id}").status_code == 404
    response = client.post(f"/admin/employee/edit/?id={other.id}",
                           data={"nip": other.nip, "name": "Diretas", "asn_type": "PNS"})
    assert response.status_code == 404
    session.expire_all()
    assert session.get(Employee, other.id).name == "Pegawai Satu"
    evaluation = b.evaluations["pegawai"]
    assert client.get(f"/admin/evaluation/details/?id={evaluation.id}").status_code == 404


def test_edit_employee_is_recorded(client: FlaskClient, session: Session,
                                   two: tuple[World, World]) -> None:
    """Changing an employee's jabatan saves it and appends an admin event with the change."""
    a, _ = two
    login(client, a.people["kepala"])
    person = a.people["pegawai"]
    response = client.post(f"/admin/employee/edit/?id={person.id}", data={
        "nip": person.nip, "name": person.name, "jabatan": "Analis Ahli Muda",
        "pangkat": person.pangkat, "golongan": person.golongan,
        "unit_kerja": person.unit_kerja, "asn_type": "PNS",
        "superior": str(a.people["penilai"].id), "active": "y"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Employee, person.id).jabatan == "Analis Ahli Muda"
    event = session.scalar(select(HistoryEvent).where(HistoryEvent.trigger == "employee_update"))
    assert event is not None
    assert event.payload["changes"]["jabatan"] == ["Analis", "Analis Ahli Muda"]
    assert event.actor_nip == a.people["kepala"].nip


def test_superior_from_other_agency_is_refused(client: FlaskClient, session: Session,
                                               two: tuple[World, World]) -> None:
    """Picking agency B's employee as superior is not a valid choice for agency A."""
    a, b = two
    login(client, a.people["kepala"])
    person = a.people["pegawai"]
    client.post(f"/admin/employee/edit/?id={person.id}", data={
        "nip": person.nip, "name": person.name, "asn_type": "PNS",
        "superior": str(b.people["penilai"].id), "active": "y"})
    session.expire_all()
    assert session.get(Employee, person.id).superior_id == a.people["penilai"].id


def test_csv_import_all_or_nothing(client: FlaskClient, session: Session,
                                   two: tuple[World, World]) -> None:
    """A CSV with one bad row shows the row's problem and imports nothing; a good one imports."""
    a, _ = two
    login(client, a.people["kepala"])
    before = session.scalar(select(func.count()).select_from(Employee))
    bad = ORG_HEADER + f"{nip(30)},Baru Satu,,,,Bidang A,PNS,{nip(3)},\n12345,Salah,,,,,PNS,,\n"
    page = client.post("/admin/impor-pegawai/", data={"file": (io.BytesIO(bad.encode()), "o.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "baris 3" in page and "18 digit" in page
    assert session.scalar(select(func.count()).select_from(Employee)) == before
    client.get("/bahasa/en")
    refresh()  # the fixtures keep one app context open: reset Flask-Babel's locale cache
    english = client.post("/admin/impor-pegawai/",
                          data={"file": (io.BytesIO(bad.encode()), "o.csv")},
                          content_type="multipart/form-data").get_data(as_text=True)
    assert "row 3: A NIP has 18 digits (&#39;12345&#39;)" in english and "baris 3" not in english
    client.get("/bahasa/id")
    refresh()
    good = ORG_HEADER + f"{nip(30)},Baru Satu,,,,Bidang A,PNS,{nip(3)},\n"
    response = client.post("/admin/impor-pegawai/",
                           data={"file": (io.BytesIO(good.encode()), "o.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert session.scalar(select(func.count()).select_from(Employee)) == before + 1


def _draft_id(session: Session, key: str) -> int:
    return session.scalar(select(FormVersion.id).where(
        FormVersion.key == key, FormVersion.agency_id.is_not(None),
        FormVersion.published_at.is_(None)))


def test_form_authoring_and_version_pinning(client: FlaskClient, session: Session, wf: Workflow,
                                            two: tuple[World, World]) -> None:
    """Add a field, reorder, publish: new evaluations get it, running ones keep the old form."""
    a, _ = two
    login(client, a.people["kepala"])
    assert client.post("/admin/formulir/self-assessment/draf").status_code == 302
    draft = _draft_id(session, "self-assessment")
    response = client.post(f"/admin/formulir/draf/{draft}/field", data={
        "name": "inovasi", "type": "textarea", "label": "Inovasi yang dilakukan",
        "label_en": "Innovation", "required": "y", "max_length": "2000"})
    assert response.status_code == 302
    client.post(f"/admin/formulir/draf/{draft}/field/inovasi/geser", data={"arah": "-1"})
    preview = client.get(f"/admin/formulir/versi/{draft}/pratinjau").get_data(as_text=True)
    assert "Inovasi yang dilakukan" in preview
    assert client.post(f"/admin/formulir/draf/{draft}/terbitkan").status_code == 302
    published = session.get(FormVersion, draft)
    assert published is not None and published.published_at is not None
    names = [f["name"] for f in published.spec["fields"]]
    assert names.index("inovasi") == len(names) - 2  # moved up by one
    assert admin_events(session, "form_published") == 1

    old = a.evaluations["pegawai"]
    assert old.form_versions["self-assessment"] != draft
    client.post("/admin/period/new/", data={"kind": "monthly", "year": "2026", "number": "7"})
    period = session.scalar(select(Period).where(Period.number == 7))
    assert period is not None and period.label == "Juli 2026"
    dry = client.get(f"/admin/buka-periode/{period.id}").get_data(as_text=True)
    assert "Uji coba" in dry and a.people["pegawai"].name in dry
    assert session.scalar(select(func.count()).select_from(Evaluation).where(
        Evaluation.period_id == period.id)) == 0
    client.post(f"/admin/buka-periode/{period.id}", data={"unit": ""})
    new = session.scalar(select(Evaluation).where(Evaluation.period_id == period.id,
                                                  Evaluation.employee_id == old.employee_id))
    assert new is not None and new.form_versions["self-assessment"] == draft
    session.refresh(old)
    assert old.form_versions["self-assessment"] != draft


def test_published_version_cannot_be_edited(client: FlaskClient, session: Session,
                                            two: tuple[World, World]) -> None:
    """After publishing, posting a field change to that version is refused and changes nothing."""
    a, _ = two
    login(client, a.people["kepala"])
    client.post("/admin/formulir/appeal/draf")
    draft = _draft_id(session, "appeal")
    client.post(f"/admin/formulir/draf/{draft}/terbitkan")
    before = session.get(FormVersion, draft).spec
    client.post(f"/admin/formulir/draf/{draft}/field", data={
        "name": "tambahan", "type": "text", "label": "Tambahan"})
    session.expire_all()
    assert session.get(FormVersion, draft).spec == before


def test_invalid_field_is_refused_with_reason(client: FlaskClient, session: Session,
                                              two: tuple[World, World]) -> None:
    """A field named like the Form API, or a condition on an unknown field, is refused."""
    a, _ = two
    login(client, a.people["kepala"])
    client.post("/admin/formulir/appeal/draf")
    draft = _draft_id(session, "appeal")
    page = client.post(f"/admin/formulir/draf/{draft}/field", data={
        "name": "data", "type": "text", "label": "Data"}).get_data(as_text=True)
    assert "Perubahan ditolak" in page and "data" in page
    page = client.post(f"/admin/formulir/draf/{draft}/field", data={
        "name": "catatan", "type": "text", "label": "Catatan",
        "required_when": "tidak_ada=x"}).get_data(as_text=True)
    assert "Perubahan ditolak" in page
    fields = [f["name"] for f in session.get(FormVersion, draft).spec["fields"]]
    assert "data" not in fields and "catatan" not in fields


def test_publishing_a_renamed_printed_field_is_refused_in_the_editor(
        client: FlaskClient, session: Session, two: tuple[World, World]) -> None:
    """The editor shows which slot each field fills; renaming a printed field is flagged on the
    draft and publishing it is refused naming the slot; a field the admin marks to be printed
    is stored with its ``prints`` key."""
    a, _ = two
    login(client, a.people["kepala"])
    client.post("/admin/formulir/appraiser-rating/draf")
    draft = _draft_id(session, "appraiser-rating")
    page = client.get(f"/admin/formulir/draf/{draft}").get_data(as_text=True)
    assert "Dokumen Evaluasi Kinerja Pegawai: CATATAN/REKOMENDASI" in page
    assert 'id="unprintable"' not in page
    response = client.post(
        f"/admin/formulir/draf/{draft}/field?replace=catatan_rekomendasi",
        data={"name": "catatan_pimpinan", "type": "textarea", "label": "Catatan Pimpinan"})
    assert response.status_code == 302
    page = client.get(f"/admin/formulir/draf/{draft}").get_data(as_text=True)
    assert 'id="unprintable"' in page and "evaluasi.catatan_rekomendasi" in page
    refused = client.post(f"/admin/formulir/draf/{draft}/terbitkan", follow_redirects=True)
    text = refused.get_data(as_text=True)
    assert "Slot cetak &#39;evaluasi.catatan_rekomendasi&#39;" in text
    session.expire_all()
    assert session.get(FormVersion, draft).published_at is None
    client.post(f"/admin/formulir/draf/{draft}/field", data={
        "name": "rekomendasi_diklat", "type": "text", "label": "Rekomendasi Diklat",
        "prints": "evaluasi.keterangan_tambahan"})
    session.expire_all()
    added = session.get(FormVersion, draft).spec["fields"][-1]
    assert added["prints"] == "evaluasi.keterangan_tambahan"


def test_other_agency_draft_is_not_found(client: FlaskClient, session: Session,
                                         two: tuple[World, World]) -> None:
    """Agency A's admin cannot open or publish agency B's draft."""
    a, b = two
    login(client, b.people["kepala"])
    client.post("/admin/formulir/appeal/draf")
    draft = _draft_id(session, "appeal")
    client.post("/keluar")
    login(client, a.people["kepala"])
    assert client.get(f"/admin/formulir/draf/{draft}").status_code == 404
    assert client.post(f"/admin/formulir/draf/{draft}/terbitkan").status_code in (302, 404)
    session.expire_all()
    assert session.get(FormVersion, draft).published_at is None


def test_definition_diagram(client: FlaskClient, session: Session,
                            two: tuple[World, World]) -> None:
    """The definition version page draws the flow as SVG with the Kupang team step."""
    _, b = two
    login(client, b.people["kepala"])
    version_id = b.evaluations["pegawai"].definition_version_id
    assert client.get(f"/admin/definition/details/?id={version_id}").status_code == 200
    svg = client.get(f"/admin/definition/diagram/{version_id}.svg")
    assert svg.mimetype == "image/svg+xml"
    assert "Telaah Tim Penilai Kinerja" in svg.get_data(as_text=True)


def test_evaluations_are_read_only(client: FlaskClient, session: Session,
                                   two: tuple[World, World]) -> None:
    """The admin has no way to edit an evaluation (its state has one writer: the engine)."""
    a, _ = two
    login(client, a.people["kepala"])
    evaluation = a.evaluations["pegawai"]
    response = client.post(f"/admin/evaluation/edit/?id={evaluation.id}",
                           data={"status": "finalized"})
    assert response.status_code in (302, 403, 404)
    session.expire_all()
    assert session.get(Evaluation, evaluation.id).status == "draft"


def test_admin_adds_a_step_to_the_flow(client: FlaskClient, session: Session, wf: Workflow,
                                       two: tuple[World, World]) -> None:
    """The admin adds a verification step in the browser; new evaluations get it, old ones not."""
    import html

    import yaml

    from workflow.models import DefinitionVersion
    from workflow.service import available_transitions

    a, _ = two
    login(client, a.people["kepala"])
    page = client.get("/admin/definition/ubah/").get_data(as_text=True)
    assert "agency: kota-mataram" in page
    textarea = page.split('id="flow-source" rows="30" spellcheck="false">')[1]
    source = yaml.safe_load(html.unescape(textarea.split("</textarea>")[0]))
    source["states"].insert(2, "verified")
    for t in source["transitions"]:
        if t["name"] == "review":
            t["from"] = "verified"
    source["transitions"].append({"name": "verify", "label": "Verifikasi bukti dukung",
                                  "from": "submitted", "to": "verified", "by": "appraiser"})

    broken = yaml.safe_dump({**source, "initial": "nowhere"}, sort_keys=False)
    page = client.post("/admin/definition/ubah/", data={"source": broken}).get_data(as_text=True)
    assert "Definisi ditolak" in page and "nowhere" in page
    client.get("/bahasa/en")
    refresh()  # the fixtures keep one app context open: reset Flask-Babel's locale cache
    page = client.post("/admin/definition/ubah/", data={"source": broken}).get_data(as_text=True)
    assert "initial state &#39;nowhere&#39; is not in states" in page
    client.get("/bahasa/id")
    refresh()
    assert session.scalar(select(func.count()).select_from(DefinitionVersion).where(
        DefinitionVersion.agency_id == a.agency.id)) == 1

    response = client.post("/admin/definition/ubah/",
                           data={"source": yaml.safe_dump(source, sort_keys=False)})
    assert response.status_code == 302
    newest = session.scalar(select(DefinitionVersion).where(
        DefinitionVersion.agency_id == a.agency.id).order_by(DefinitionVersion.version.desc()))
    assert newest is not None and newest.version == 6 and "verified" in newest.source["states"]
    assert admin_events(session, "definition_published") == 1

    old = a.evaluations["pegawai"]
    assert old.definition_version_id != newest.id
    client.post("/admin/period/new/", data={"kind": "monthly", "year": "2026", "number": "8"})
    period = session.scalar(select(Period).where(Period.number == 8))
    client.post(f"/admin/buka-periode/{period.id}", data={"unit": ""})
    new = session.scalar(select(Evaluation).where(Evaluation.period_id == period.id,
                                                  Evaluation.employee_id == old.employee_id))
    assert new is not None and new.definition_version_id == newest.id
    from tests.conftest import SELF
    from workflow.service import apply_transition

    for ev in (old, new):
        apply_transition(session, wf, a.actor("pegawai"), ev.id, "submit", data=SELF)
    names = {ev.id: [r.name for r in available_transitions(
        session, wf, a.actor("penilai"), ev.id).transitions] for ev in (old, new)}
    assert names[old.id] == ["return_for_revision", "review"]
    assert names[new.id] == ["return_for_revision", "verify"]


SKIPPED_LINKS = ("delete", "logout", "keluar", "unduh", ".svg", "/static/")


def test_no_secret_in_any_admin_response(client: FlaskClient, session: Session,
                                         two: tuple[World, World]) -> None:
    """No password hash or token digest appears on any admin page: every list, details page,
    sort, filter and search the admin can reach by following links is crawled."""
    a, _b = two
    api_token(session, a.people["pegawai"], "integrasi")
    session.commit()
    secrets = {e.password_hash for e in session.scalars(select(Employee))
               if e.password_hash} | set(session.scalars(select(ApiToken.digest)))
    # The hash itself and its salt/digest parts (a page could print either).
    needles = secrets | {part for s in secrets for part in s.split("$")[1:] if len(part) > 8}
    assert needles
    login(client, a.people["kepala"])
    start = ["/admin/", "/admin/employee/?sort=0&desc=1",
             "/admin/employee/?search=scrypt", "/admin/employee/?sort=password_hash"]
    seen: set[str] = set()
    queue = list(start)
    while queue and len(seen) < 250:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        body = response.get_data(as_text=True)
        response.close()
        leaked = [n for n in needles if n in body]
        assert not leaked, (url, response.status_code)
        assert "scrypt:" not in body, url
        for href in re.findall(r'href="(/admin/[^"#]*)"', body):
            href = html.unescape(href)
            if any(word in href for word in SKIPPED_LINKS):
                continue
            queue.append(href)
    assert any("/admin/employee/details/" in u for u in seen)
    assert any("/admin/history/details/" in u for u in seen)
    assert any("/admin/evaluation/details/" in u for u in seen)


def test_admin_views_refuse_secret_filters() -> None:
    """A view that would filter, search or sort by a secret column cannot even be built."""

    class Leaky(EmployeeView):
        column_searchable_list = ("nip", "password_hash")

    with pytest.raises(ValueError, match="password_hash"):
        Leaky(Employee, None, endpoint="leaky")
