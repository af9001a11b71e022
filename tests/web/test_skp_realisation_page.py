"""The realisation page ``/skp/<id>/realisasi``: record, upload, open, submit; others 404."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import World
from tests.web.conftest import PASSWORD
from tests.web.conftest import login
from tests.web.test_evidence import PDF
from tests.web.test_evidence import YEAR
from tests.web.test_evidence import set_skp
from workflow.accounts import set_password
from workflow.models import SkpEvidence
from workflow.models import SkpRealisation
from workflow.service import Workflow

pytestmark = pytest.mark.usefixtures("own_contexts")


def test_employee_records_uploads_opens_and_submits(app: Flask, session: Session,
                                                     wf: Workflow, world: World) -> None:
    skp = set_skp(session, wf, world)
    for person in world.people.values():
        set_password(person, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    client = app.test_client()
    ind, rhk = skp.rhk[0].indicators[0], skp.rhk[0]
    login(client, world.people["kepala"])
    assert f'href="/skp/{skp.id}/realisasi"' in client.get(f"/skp/{skp.id}").get_data(True)
    page = client.get(f"/skp/{skp.id}/realisasi?masa={YEAR}-Q2")
    assert page.status_code == 200 and "Triwulan II" in page.get_data(True)
    saved = client.post(f"/skp/{skp.id}/realisasi/{YEAR}-Q2", data={
        "version": skp.lock_version, f"nilai-{ind.id}": "97", f"teks-{ind.id}": "Tercapai",
        f"aksi-{rhk.id}": "Sosialisasi"})
    assert saved.status_code == 302, saved.get_data(True)
    session.expire_all()
    assert session.scalar(select(SkpRealisation.text)) == "Tercapai"
    bad = client.post(f"/skp/{skp.id}/realisasi/{YEAR}-Q2", data={
        "version": skp.lock_version + 99, f"nilai-{ind.id}": "abc"})
    assert bad.status_code in (400, 409) and "data-error" in bad.get_data(True)
    refused = client.post(f"/skp/{skp.id}/realisasi/{YEAR}-Q2/bukti", data={
        "indicator_id": ind.id, "file": (io.BytesIO(b"not a pdf at all" * 20), "a.pdf")},
        content_type="multipart/form-data")
    assert refused.status_code == 400 and "Jenis berkas tidak diterima" in refused.get_data(True)
    sent = client.post(f"/skp/{skp.id}/realisasi/{YEAR}-Q2/bukti", data={
        "indicator_id": ind.id, "file": (io.BytesIO(PDF), "laporan.pdf")},
        content_type="multipart/form-data")
    assert sent.status_code == 302
    session.expire_all()
    evidence = session.scalar(select(SkpEvidence))
    assert evidence is not None
    page = client.get(f"/skp/{skp.id}/realisasi?masa={YEAR}-Q2").get_data(True)
    assert "laporan.pdf" in page and f"/skp/bukti/{evidence.id}?lihat=1" in page
    opened = client.get(f"/skp/bukti/{evidence.id}?lihat=1")
    assert opened.data == PDF and opened.headers["Content-Disposition"].startswith("inline")
    session.expire_all()
    version = session.get(type(skp), skp.id).lock_version  # type: ignore[union-attr]
    assert client.post(f"/skp/{skp.id}/realisasi/{YEAR}-Q2/kirim",
                       data={"version": version}).status_code == 302
    page = client.get(f"/skp/{skp.id}/realisasi?masa={YEAR}-Q2").get_data(True)
    assert "data-submitted" in page and 'id="form-bukti"' not in page
    # Someone who may not read the SKP: 404 for the page and the file.
    client = app.test_client()
    login(client, world.people["pegawai"])
    assert client.get(f"/skp/{skp.id}/realisasi").status_code == 404
    assert client.get(f"/skp/bukti/{evidence.id}").status_code == 404
