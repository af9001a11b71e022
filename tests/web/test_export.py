"""Bulk export: an admin exports every finalized document of a period into one ZIP."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import build_world
from tests.integration.test_service import RATING_LOW
from tests.integration.test_service import at
from workflow.accounts import set_password
from workflow.models import Document
from workflow.models import Job
from workflow.service import Workflow
from workflow.service import apply_transition

PASSWORD = "rahasia-kinerja-123"


def finalize(session: Session, wf: Workflow, w: World, who: str) -> None:
    ev = w.evaluations[who]
    appraiser = "penilai" if who.startswith("pegawai") else "kepala"
    apply_transition(session, at(wf, 2), w.actor(who), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, 3), w.actor(appraiser), ev.id, "review", data=RATING_LOW)
    apply_transition(session, at(wf, 4), w.actor(who), ev.id, "accept")


def test_admin_exports_finalized_documents(app: Flask, client: FlaskClient, session: Session,
                                           wf: Workflow, tmp_path: Path) -> None:
    """Two finalized evaluations give a ZIP of two PDFs; drafts are not exported."""
    w = build_world(session, wf, "kota-mataram")
    for who in ("pegawai", "pegawai2"):
        finalize(session, wf, w, who)
    set_password(w.people["kepala"], PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    client.post("/masuk", data={"nip": w.people["kepala"].nip, "password": PASSWORD})
    response = client.post("/admin/ekspor/", data={"period": "", "unit": ""})
    assert response.status_code == 302
    job = session.scalar(select(Job))
    assert job is not None
    session.refresh(job)
    assert (job.status, job.total, job.done, job.errors) == ("done", 2, 2, [])
    progress = client.get(f"/admin/ekspor/{job.id}.json").get_json()
    assert progress["status"] == "done"
    download = client.get(f"/admin/ekspor/{job.id}/unduh")
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    download.close()
    names = sorted(archive.namelist())
    assert len(names) == 2 and all(n.endswith(".pdf") for n in names)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(archive.read(names[0]))).pages)
    assert "DOKUMEN EVALUASI KINERJA PEGAWAI" in text
    assert len(session.scalars(select(Document)).all()) == 2


def test_nothing_to_export_is_a_clear_error(app: Flask, client: FlaskClient, session: Session,
                                            wf: Workflow) -> None:
    """With no finalized evaluation the export is refused with a message and no job."""
    w = build_world(session, wf, "kota-mataram")
    set_password(w.people["kepala"], PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    client.post("/masuk", data={"nip": w.people["kepala"].nip, "password": PASSWORD})
    page = client.post("/admin/ekspor/", data={"period": "", "unit": ""},
                       follow_redirects=True).get_data(as_text=True)
    assert "Tidak ada evaluasi final" in page
    assert session.scalar(select(Job)) is None


def test_other_agency_job_is_not_found(app: Flask, client: FlaskClient, session: Session,
                                       wf: Workflow) -> None:
    """An admin cannot see or download another agency's export."""
    a = build_world(session, wf, "kota-mataram")
    b = build_world(session, wf, "kota-kupang", offset=50)
    job = Job(agency_id=b.agency.id, kind="export", status="done", total=1, done=1,
              result_key="exports/x.zip", result_name="x.zip")
    session.add(job)
    set_password(a.people["kepala"], PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    client.post("/masuk", data={"nip": a.people["kepala"].nip, "password": PASSWORD})
    assert client.get(f"/admin/ekspor/{job.id}").status_code == 404
    assert client.get(f"/admin/ekspor/{job.id}/unduh").status_code == 404
