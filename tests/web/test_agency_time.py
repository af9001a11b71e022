"""The agency's own time on the surfaces: the evaluation page, the API, the admin.

Mataram and Kupang are WITA (Asia/Makassar, their definitions' ``timezone``); the agency's
admin keeps its extra days off, every write recorded in the agency's history.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from flask_babel import refresh
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import api_token
from tests.web.conftest import admin_events
from tests.web.conftest import login
from workflow.models import AgencyDayOff
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.service import Workflow
from workflow.service import apply_transition

WITA = ZoneInfo("Asia/Makassar")
RATING = {"rating_hasil_kerja": "sesuai", "rating_perilaku_kerja": "sesuai",
          "umpan_balik": "Sesuai target."}
APPEAL = {"butir_keberatan": ["rating_hasil_kerja"],
          "alasan": "Keterlambatan disebabkan gangguan sistem yang sudah dilaporkan."}


def wita(*parts: int) -> datetime:
    """Return a wall-clock time in Mataram as a UTC instant."""
    return datetime(*parts, tzinfo=WITA).astimezone(UTC)


def rated(session: Session, wf: Workflow, world: World) -> Evaluation:
    """Pegawai's evaluation in Mataram, rated Monday 2 March 2026 at 10:00 WITA."""
    ev = world.evaluations["pegawai"]
    apply_transition(session, replace(wf, clock=lambda: wita(2026, 3, 2, 9, 0)),
                     world.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, replace(wf, clock=lambda: wita(2026, 3, 2, 10, 0)),
                     world.actor("penilai"), ev.id, "review", data=RATING)
    session.commit()
    return ev


def test_page_says_when_the_window_ends(app: Flask, client: FlaskClient, session: Session,
                                         wf: Workflow, two: tuple[World, World]) -> None:
    """The employee's page says 'berakhir Senin, 16 Maret 2026 pukul 23.59 WITA' (and English)."""
    mataram, _ = two
    ev = rated(session, wf, mataram)
    app.extensions["workflow"] = replace(wf, clock=lambda: wita(2026, 3, 16, 23, 0))
    login(client, mataram.people["pegawai"])
    body = client.get(f"/evaluasi/{ev.id}").get_data(as_text=True)
    assert 'data-window="open"' in body
    assert "berakhir Senin, 16 Maret 2026 pukul 23.59 WITA" in body
    assert "hari ini adalah hari terakhir" in body
    assert "2 Mar 2026, 10.00 WITA" in body  # the rating step in the timeline
    client.get("/bahasa/en")
    refresh()  # the fixtures keep one app context open: reset Flask-Babel's locale cache
    body = client.get(f"/evaluasi/{ev.id}").get_data(as_text=True)
    assert "ends Monday, 16 March 2026 at 23:59 WITA" in body
    client.get("/bahasa/id")
    refresh()


def test_api_refusal_speaks_local_time_and_fields_stay_utc(
        app: Flask, client: FlaskClient, session: Session, wf: Workflow,
        two: tuple[World, World]) -> None:
    """A late appeal through the API is refused in WITA words; `deadlines` stays a UTC instant."""
    mataram, _ = two
    ev = rated(session, wf, mataram)
    token = api_token(session, mataram.people["pegawai"], "test")
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    app.extensions["workflow"] = replace(wf, clock=lambda: wita(2026, 3, 17, 0, 1))
    detail = client.get(f"/api/v1/evaluations/{ev.id}", headers=headers).get_json()
    assert detail["deadlines"]["appeal_window"] == "2026-03-16T15:59:59+00:00"
    assert detail["timezone"] == {"name": "Asia/Makassar", "abbreviation": "WITA"}
    response = client.post(f"/api/v1/evaluations/{ev.id}/transitions/appeal", headers=headers,
                           json={"data": APPEAL, "version": detail["version"]})
    assert response.status_code == 409
    body = response.get_json()
    assert body["guard"] == "within_deadline"
    assert body["message"] == ("Batas waktu telah lewat (berakhir Senin, 16 Maret 2026 pukul "
                               "23.59 WITA).")


def pdf_text(client: FlaskClient, evaluation_id: int, kind: str) -> str:
    """Return the text of one of the evaluation's PDFs, whitespace collapsed."""
    response = client.get(f"/evaluasi/{evaluation_id}/dokumen/{kind}.pdf")
    assert response.status_code == 200
    pages = PdfReader(io.BytesIO(response.data)).pages
    return " ".join("\n".join(page.extract_text() or "" for page in pages).split())


def test_pdfs_print_local_times(client: FlaskClient, session: Session, wf: Workflow,
                                two: tuple[World, World]) -> None:
    """The PDFs print moments in WITA: events, the appeal window's end, the signature date."""
    mataram, _ = two
    ev = rated(session, wf, mataram)
    login(client, mataram.people["pegawai"])
    trail = pdf_text(client, ev.id, "audit-trail")
    assert "2 Maret 2026 10.00 WITA" in trail  # stored as 02:00 UTC
    assert "UTC" not in trail
    document = pdf_text(client, ev.id, "evaluation")
    assert "masa keberatan sampai 16 Maret 2026 23.59 WITA" in document
    assert "2 Maret 2026" in document  # signed on the day of the rating


def test_admin_shows_the_zone(client: FlaskClient, two: tuple[World, World]) -> None:
    """The admin home and the definition versions show Mataram's zone: Asia/Makassar (WITA)."""
    mataram, _ = two
    login(client, mataram.people["kepala"])
    home = client.get("/admin/").get_data(as_text=True)
    assert "Asia/Makassar (WITA)" in home
    versions = client.get("/admin/definition/").get_data(as_text=True)
    assert "Asia/Makassar (WITA)" in versions


def test_admin_keeps_days_off(app: Flask, session: Session, two: tuple[World, World],
                              own_contexts: None) -> None:
    """The admin adds, refuses and deletes extra days off; each write is an agency event.

    Another agency's admin neither sees nor deletes them.
    """
    mataram, kupang = two
    client = app.test_client()
    login(client, mataram.people["kepala"])
    url = "/admin/hari-libur/new/"
    added = client.post(url, data={"day": "2026-03-18", "name": "Cuti bersama Nyepi"})
    assert added.status_code == 302
    session.expire_all()
    row = session.scalar(select(AgencyDayOff).where(AgencyDayOff.agency_id == mataram.agency.id))
    assert row is not None and row.day == date(2026, 3, 18)
    row_id = row.id
    assert admin_events(session, "agency_day_off_create") == 1

    refusals = {
        "2026-03-21": "akhir pekan",                       # a Saturday
        "2026-03-19": "sudah libur nasional (Hari Suci Nyepi)",
        "2026-03-18": "sudah tercatat",                    # listed above
    }
    for day, reason in refusals.items():
        page = client.post(url, data={"day": day, "name": "Libur"}).get_data(as_text=True)
        assert reason in page, day
    page = client.post(url, data={"day": "2026-03-20", "name": "  "}).get_data(as_text=True)
    assert "Keterangan wajib diisi" in page
    assert session.scalar(select(AgencyDayOff.id).where(AgencyDayOff.day != date(2026, 3, 18))
                          ) is None

    listing = client.get("/admin/hari-libur/").get_data(as_text=True)
    assert "Cuti bersama Nyepi" in listing and "Hari Suci Nyepi" in listing  # national list
    client.post("/keluar")
    login(client, kupang.people["kepala"])
    assert "Cuti bersama Nyepi" not in client.get("/admin/hari-libur/").get_data(as_text=True)
    assert client.post("/admin/hari-libur/delete/", data={"id": row_id}).status_code in (302,
                                                                                          404)
    session.expire_all()
    assert session.get(AgencyDayOff, row_id) is not None

    client.post("/keluar")
    login(client, mataram.people["kepala"])
    assert client.post("/admin/hari-libur/delete/", data={"id": row_id}).status_code == 302
    session.expire_all()
    assert session.get(AgencyDayOff, row_id) is None
    deleted = session.scalar(select(HistoryEvent).where(
        HistoryEvent.trigger == "agency_day_off_delete"))
    assert deleted is not None and deleted.agency_id == mataram.agency.id
    assert deleted.payload["changes"]["day"] == ["2026-03-18", None]
