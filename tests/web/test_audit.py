"""Auditor pages: history search, timeline with diffs, chain verification, CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import build_world
from tests.conftest import tampering
from workflow.accounts import set_password
from workflow.models import HistoryEvent
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.service import save_draft
from workflow.trail import CSV_COLUMNS

PASSWORD = "rahasia-kinerja-123"
RATING = {"rating_hasil_kerja": "sesuai", "rating_perilaku_kerja": "di_atas",
          "umpan_balik": "Kinerja baik."}


@pytest.fixture(name="mataram")
def _mataram(mataram: World, session: Session, wf: Workflow) -> World:
    """Mataram with the employee's evaluation submitted and rated."""
    world = mataram
    ev = world.evaluations["pegawai"]
    apply_transition(session, wf, world.actor("pegawai"), ev.id, "submit", data=SELF,
                     comment="=HYPERLINK(\"http://evil\")")
    apply_transition(session, wf, world.actor("penilai"), ev.id, "review", data=RATING)
    session.commit()
    return world


def login(client: FlaskClient, session: Session, world: World, who: str) -> None:
    employee = world.people[who]
    set_password(employee, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    assert client.post("/masuk", data={"nip": employee.nip,
                                       "password": PASSWORD}).status_code == 302


def test_search_lists_and_filters_events(client: FlaskClient, session: Session,
                                         mataram: World) -> None:
    """The auditor finds events by transition, actor NIP, kind and evaluation id."""
    login(client, session, mataram, "auditor")
    page = client.get("/audit/").get_data(as_text=True)
    assert "Jejak audit" in page and "review" in page and "org_import" in page
    ev = mataram.evaluations["pegawai"]
    only_review = client.get("/audit/?trigger=review").get_data(as_text=True)
    assert "1 peristiwa ditemukan" in only_review
    by_actor = client.get(f"/audit/?actor_nip={mataram.people['penilai'].nip}")
    assert "1 peristiwa ditemukan" in by_actor.get_data(as_text=True)
    by_eval = client.get(f"/audit/?evaluasi={ev.id}").get_data(as_text=True)
    assert "3 peristiwa ditemukan" in by_eval
    auth_only = client.get("/audit/?kind=auth").get_data(as_text=True)
    assert "login" in auth_only and "review" not in auth_only.split("<tbody>")[1]


def test_search_date_range_and_unit(client: FlaskClient, session: Session,
                                    mataram: World) -> None:
    """A date range outside every event finds nothing; a unit filter keeps its evaluations."""
    login(client, session, mataram, "auditor")
    empty = client.get("/audit/?dari=2001-01-01&sampai=2001-12-31").get_data(as_text=True)
    assert "0 peristiwa ditemukan" in empty
    unit = client.get("/audit/?unit_kerja=Inspektorat").get_data(as_text=True)
    assert "1 peristiwa ditemukan" in unit  # the auditor's own evaluation was opened


def test_invalid_filter_is_400(client: FlaskClient, session: Session, mataram: World) -> None:
    """A malformed NIP or date is reported on the form with 400."""
    login(client, session, mataram, "auditor")
    response = client.get("/audit/?actor_nip=12ab&dari=kemarin")
    assert response.status_code == 400
    assert "18 digit" in response.get_data(as_text=True)
    assert client.get("/audit/ekspor.csv?actor_nip=12ab").status_code == 400


def test_search_is_paginated(client: FlaskClient, session: Session, wf: Workflow,
                             mataram: World) -> None:
    """More than one page of events offers the next page, 25 events per page."""
    ev = mataram.evaluations["pegawai2"]
    for n in range(25):
        save_draft(session, wf, mataram.actor("pegawai2"), ev.id, "self-assessment",
                   {"kendala": f"Kendala {n}"})
    session.commit()
    login(client, session, mataram, "auditor")
    first = client.get("/audit/").get_data(as_text=True)
    assert "Halaman 1 dari 2" in first and "halaman=2" in first
    second = client.get("/audit/?halaman=2").get_data(as_text=True)
    assert "Halaman 2 dari 2" in second
    assert first.count("<tr>") - 1 == 25


def test_timeline_shows_diffs_actors_and_hashes(client: FlaskClient, session: Session,
                                                mataram: World) -> None:
    """One evaluation's timeline names actors and roles and shows old → new and hashes."""
    login(client, session, mataram, "auditor")
    ev = mataram.evaluations["pegawai"]
    page = client.get(f"/audit/evaluasi/{ev.id}").get_data(as_text=True)
    assert "Pejabat Penilai" in page and "Pejabat Penilai Kinerja" in page
    assert "appraiser-rating.umpan_balik" in page and "Kinerja baik." in page
    assert "predikat" in page and "BAIK" in page
    events = session.scalars(select(HistoryEvent).where(
        HistoryEvent.evaluation_id == ev.id)).all()
    for event in events:
        assert event.hash in page
    assert "OK" in page and "RUSAK" not in page
    assert "versi definisi" in page


def test_tampering_shows_rusak_with_first_broken_link(client: FlaskClient, session: Session,
                                                      mataram: World) -> None:
    """An edited event turns the timeline and the agency check to RUSAK naming the link."""
    ev = mataram.evaluations["pegawai"]
    event = session.scalar(select(HistoryEvent).where(HistoryEvent.evaluation_id == ev.id,
                                                      HistoryEvent.seq == 2))
    assert event is not None
    with tampering(session):
        event.comment = "diubah"
    login(client, session, mataram, "kepala")
    timeline = client.get(f"/audit/evaluasi/{ev.id}").get_data(as_text=True)
    assert "RUSAK" in timeline and "peristiwa #2" in timeline
    agency = client.get("/audit/verifikasi").get_data(as_text=True)
    assert "RUSAK" in agency and "1 dari" in agency
    assert "#2: isi peristiwa telah diubah" in agency


def test_clean_agency_verifies_ok(client: FlaskClient, session: Session,
                                  mataram: World) -> None:
    """Untouched chains verify OK, the agency chain included."""
    login(client, session, mataram, "auditor")
    page = client.get("/audit/verifikasi").get_data(as_text=True)
    assert "OK" in page and "RUSAK</strong>" not in page
    assert "Rantai instansi" in page


def test_csv_export(client: FlaskClient, session: Session, mataram: World) -> None:
    """The export is UTF-8 with BOM, has the documented columns and defuses formulas."""
    login(client, session, mataram, "auditor")
    ev = mataram.evaluations["pegawai"]
    response = client.get(f"/audit/ekspor.csv?evaluasi={ev.id}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r[CSV_COLUMNS.index("transisi")] for r in rows[1:]] == ["open", "submit", "review"]
    submit = rows[2]
    assert submit[CSV_COLUMNS.index("catatan")].startswith("'=")
    assert submit[CSV_COLUMNS.index("nip_pelaku")] == mataram.people["pegawai"].nip
    assert '"self-assessment.hasil_kerja"' in submit[CSV_COLUMNS.index("perubahan_json")]


def test_export_stays_in_the_agency(client: FlaskClient, session: Session, wf: Workflow,
                                    mataram: World) -> None:
    """Another agency's events never appear in the export or the search."""
    other = build_world(session, wf, "kota-kupang", offset=50)
    login(client, session, mataram, "auditor")
    body = client.get("/audit/ekspor.csv").get_data().decode("utf-8-sig")
    assert other.people["pegawai"].nip not in body
    assert mataram.people["pegawai"].nip in body
    assert client.get(f"/audit/evaluasi/{other.evaluations['pegawai'].id}").status_code == 404
    assert client.get(f"/audit/?evaluasi={other.evaluations['pegawai'].id}").get_data(
        as_text=True).count("0 peristiwa ditemukan") == 1


@pytest.mark.parametrize("path", ["/audit/", "/audit/verifikasi", "/audit/ekspor.csv",
                                  "/audit/evaluasi/1"])
def test_employees_cannot_reach_audit(client: FlaskClient, session: Session, mataram: World,
                                      path: str) -> None:
    """An ordinary employee gets 403 on every audit page."""
    login(client, session, mataram, "pegawai")
    assert client.get(path).status_code == 403


def test_anonymous_is_sent_to_login(client: FlaskClient, mataram: World) -> None:
    """Without a session the audit pages redirect to the log-in page."""
    response = client.get("/audit/")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]
