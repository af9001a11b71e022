"""Realisation and evidence files (issue 14 items 1 and 2), on both storage backends: a local
directory and S3 (moto's server, started here, over HTTP). Uploads go through the API
(multipart), downloads are streamed; ``audit verify`` finds tampered and deleted files."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.conftest import api_token
from tests.conftest import build_world
from tests.s3server import CREDENTIALS
from tests.s3server import moto_server
from web import tasks
from workflow.errors import InvalidData
from workflow.errors import NotPermitted
from workflow.evidence import EvidenceLimits
from workflow.evidence import StorageFailed
from workflow.evidence import upload_evidence
from workflow.evidence_check import check_evidence
from workflow.history import verify_all
from workflow.models import HistoryEvent
from workflow.models import Skp
from workflow.models import SkpEvidence
from workflow.models import SkpRealisation
from workflow.realisation import realisation_view
from workflow.realisation import save_realisation
from workflow.realisation import skp_periods
from workflow.realisation import submit_period
from workflow.service import Workflow
from workflow.skp import create_skp
from workflow.skp import fire_skp_transition
from workflow.skp import save_content
from workflow.storage import CHUNK
from workflow.storage import LocalStorage
from workflow.storage import S3Storage
from workflow.storage import Storage

YEAR = 2027
SCOPE = "read skp"
PDF = b"%PDF-1.4\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 200 + b"%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89" + b"\x00" * 64)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as server:
        server.client().create_bucket(Bucket="bukti")
        yield server.endpoint


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, app: Flask, tmp_path: Path) -> Storage:
    """The app's storage: its local directory, or a prefix of the S3 bucket on moto."""
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        for name, value in CREDENTIALS.items():
            os.environ.setdefault(name, value)
        app.config.update(STORAGE_URL=f"s3://bukti/{tmp_path.name}",
                          STORAGE_S3_ENDPOINT_URL=endpoint)
    return tasks.storage(app)


def objects(storage: Storage) -> list[str]:
    """Every object the storage holds (temporary files included)."""
    if isinstance(storage, LocalStorage):
        if not storage.root.exists():
            return []
        return sorted(str(p.relative_to(storage.root)) for p in storage.root.rglob("*")
                      if p.is_file())
    assert isinstance(storage, S3Storage)
    listed = storage.client.list_objects_v2(Bucket=storage.bucket, Prefix=storage.prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def set_skp(session: Session, wf: Workflow, world: World) -> Skp:
    """The Kepala Dinas' SKP (top of the agency), two RHK, set by herself."""
    actor = world.actor("kepala")
    skp = create_skp(session, wf, actor, year=YEAR, pendekatan="kuantitatif",
                     jenis_jabatan="JPT")
    items = [{"jenis": "utama", "text": text, "parent_id": None,
              "indicators": [{"aspek": "kuantitas", "text": "Persentase layanan tepat waktu",
                              "target_min": 95, "satuan": "persen"}]}
             for text in ("Meningkatnya kualitas layanan", "Tata kelola keuangan")]
    save_content(session, wf, actor, skp.id, {"rhk": items}, skp.lock_version)
    fire_skp_transition(session, wf, actor, skp.id, "ajukan")
    fire_skp_transition(session, wf, actor, skp.id, "tetapkan")
    session.commit()
    return skp


class Api:
    def __init__(self, client: FlaskClient, session: Session, world: World) -> None:
        self.client, self.session, self.world = client, session, world
        self.tokens: dict[str, str] = {}

    def headers(self, who: str) -> dict[str, str]:
        if who not in self.tokens:
            self.tokens[who] = api_token(self.session, self.world.people[who], "bukti",
                                         scope=SCOPE)
            self.session.commit()
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def upload(self, who: str, skp: Skp, period: str, content: bytes, name: str = "bukti.pdf",
               **fields: Any) -> Any:
        data = {"file": (io.BytesIO(content), name), "indicator_id": str(
            fields.pop("indicator_id", skp.rhk[0].indicators[0].id))}
        data.update({k: str(v) for k, v in fields.items()})
        return self.client.post(f"/api/v1/skp/{skp.id}/realisasi/{period}/bukti", data=data,
                                content_type="multipart/form-data", headers=self.headers(who))

    def get(self, who: str, path: str) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers(who))

    def send(self, method: str, who: str, path: str, body: Any) -> Any:
        return self.client.open(f"/api/v1{path}", method=method, json=body,
                                headers=self.headers(who))


@pytest.fixture(name="api")
def _api(client: FlaskClient, session: Session, world: World) -> Api:
    return Api(client, session, world)


def upload_events(session: Session, skp: Skp) -> list[HistoryEvent]:
    return list(session.scalars(select(HistoryEvent).where(
        HistoryEvent.chain == f"skp:{skp.id}", HistoryEvent.trigger == "unggah_bukti")
        .order_by(HistoryEvent.seq)))


def count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- realisation ------------------------------------------------------------------------------


def test_realisation_is_recorded_per_period_in_the_chain_and_frozen_when_submitted(
        session: Session, wf: Workflow, world: World, api: Api) -> None:
    skp = set_skp(session, wf, world)
    periods = skp_periods(session, skp)
    assert periods == [f"{YEAR}-Q{n}" for n in (1, 2, 3, 4)]  # Kupang evaluates quarterly
    ind = skp.rhk[0].indicators[0]
    answer = api.send("PUT", "kepala", f"/skp/{skp.id}/realisasi/{YEAR}-Q1", {
        "version": skp.lock_version,
        "realisasi": [{"indicator_id": ind.id, "value": "96,5", "text": "Semua izin terbit"}],
        "rencana_aksi": [{"rhk_id": skp.rhk[0].id, "text": "Loket daring tiap Senin"}]})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["rhk"][0]["rencana_aksi"] == "Loket daring tiap Senin"
    assert body["rhk"][0]["indicators"][0]["value"] == 96.5
    event = session.scalars(select(HistoryEvent).where(
        HistoryEvent.chain == f"skp:{skp.id}").order_by(HistoryEvent.seq.desc())).first()
    assert event is not None and event.trigger == "realisasi"
    assert event.payload["realisasi"] == [{"indicator_id": ind.id, "value": "96.5000",
                                        "text": "Semua izin terbit"}]
    # Bad input: each field named, nothing changed.
    bad = api.send("PUT", "kepala", f"/skp/{skp.id}/realisasi/{YEAR}-Q1", {
        "version": body["version"],
        "realisasi": [{"indicator_id": 999999, "value": "-1"}]})
    assert bad.status_code == 400
    assert set(bad.get_json()["errors"]) == {"realisasi[0].indicator_id", "realisasi[0].value"}
    # Someone else who may read it cannot write it; another period key is refused.
    assert api.send("PUT", "auditor", f"/skp/{skp.id}/realisasi/{YEAR}-Q1", {
        "version": body["version"], "realisasi": []}).status_code == 403
    assert api.get("kepala", f"/skp/{skp.id}/realisasi/{YEAR}-05").status_code == 404
    submitted = api.send("POST", "kepala", f"/skp/{skp.id}/realisasi/{YEAR}-Q1/kirim",
                         {"version": body["version"]})
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["submitted_at"] and not submitted.get_json()["may_edit"]
    again = api.send("PUT", "kepala", f"/skp/{skp.id}/realisasi/{YEAR}-Q1", {
        "version": submitted.get_json()["version"], "realisasi": [{"indicator_id": ind.id,
                                                                   "value": 1}]})
    assert again.status_code == 403
    session.expire_all()
    assert session.scalar(select(SkpRealisation.value)) == 96.5
    assert all(r.ok for r in verify_all(session, wf.audit_key))


def test_monthly_agency_has_monthly_periods(session: Session, wf: Workflow) -> None:
    mataram = build_world(session, wf, "kota-mataram")
    skp = set_skp(session, wf, mataram)
    assert skp_periods(session, skp) == [f"{YEAR}-{m:02d}" for m in range(1, 13)]
    view = realisation_view(session, mataram.actor("kepala"), skp.id, f"{YEAR}-03")
    assert view.may_edit and len(view.rows) == 2


# --- evidence ---------------------------------------------------------------------------------


def test_upload_download_and_hash_in_history(session: Session, wf: Workflow, world: World,
                                             api: Api, backend: Storage) -> None:
    skp = set_skp(session, wf, world)
    answer = api.upload("kepala", skp, f"{YEAR}-Q1", PDF, name="../laporan april.pdf")
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["size"] == len(PDF)
    assert body["content_type"] == "application/pdf" and body["filename"] == "laporan april.pdf"
    [event] = upload_events(session, skp)
    assert event.payload["sha256"] == body["sha256"] and event.payload["size"] == len(PDF)
    assert event.payload["content_type"] == "application/pdf"
    assert event.actor_nip == world.people["kepala"].nip and event.at is not None
    assert all(r.ok for r in verify_all(session, wf.audit_key))
    # Streamed back through the app, with the SKP's visibility rule.
    got = api.get("kepala", f"/bukti/{body['id']}/unduh")
    assert got.status_code == 200 and got.is_streamed and got.data == PDF
    assert got.headers["Content-Type"] == "application/pdf"
    assert "attachment" in got.headers["Content-Disposition"]
    assert api.get("auditor", f"/bukti/{body['id']}/unduh").data == PDF
    assert api.get("pegawai", f"/bukti/{body['id']}/unduh").status_code == 404
    assert api.get("pegawai", f"/bukti/{body['id']}").status_code == 404
    listed = api.get("kepala", f"/skp/{skp.id}/bukti").get_json()["evidence"]
    assert [e["id"] for e in listed] == [body["id"]]
    assert check_evidence(session, backend).ok


def test_tampered_or_deleted_file_is_reported_by_audit_verify(
        app: Flask, session: Session, wf: Workflow, world: World, api: Api,
        backend: Storage) -> None:
    skp = set_skp(session, wf, world)
    first = api.upload("kepala", skp, f"{YEAR}-Q1", PDF).get_json()
    second = api.upload("kepala", skp, f"{YEAR}-Q1", PNG, name="foto.png").get_json()
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["audit", "verify"])
    assert clean.exit_code == 0, clean.output
    assert "2 berkas bukti dukung utuh" in clean.output
    first_row = session.get(SkpEvidence, first["id"])
    second_row = session.get(SkpEvidence, second["id"])
    assert first_row is not None and second_row is not None
    backend.put(first_row.storage_key, io.BytesIO(PDF.replace(b"Catalog", b"Catalox", 1)))
    backend.delete(second_row.storage_key)
    report = check_evidence(session, backend)
    assert {(p.evidence_id, p.reason.split(" (")[0]) for p in report.problems} == {
        (first["id"], "stored file changed"), (second["id"], "stored file missing")}
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert f"RUSAK bukti dukung #{first['id']}" in broken.output
    assert f"RUSAK bukti dukung #{second['id']}" in broken.output


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"MZ\x90\x00 this is a program, named as a PDF" * 10, "bukti.pdf", "Jenis berkas"),
    (b"plain text pretending" * 10, "laporan.docx", "Jenis berkas"),
    (b"", "kosong.pdf", "kosong"),
    (PDF + b"0" * 20_000, "besar.pdf", "terlalu besar"),
])
def test_wrong_type_or_oversize_is_refused_and_nothing_stored(
        app: Flask, session: Session, wf: Workflow, world: World, api: Api, backend: Storage,
        content: bytes, name: str, message: str) -> None:
    app.config["EVIDENCE_MAX_FILE_MB"] = 0.01  # ≈10 KB
    skp = set_skp(session, wf, world)
    before = objects(backend)
    answer = api.upload("kepala", skp, f"{YEAR}-Q1", content, name=name)
    assert answer.status_code == 400, answer.get_json()
    assert message in str(answer.get_json()["errors"]["file"])
    assert count(session, SkpEvidence) == 0 and count(session, SkpRealisation) == 0
    assert upload_events(session, skp) == []
    assert objects(backend) == before


def test_the_periods_total_is_limited(app: Flask, session: Session, wf: Workflow, world: World,
                                      api: Api, backend: Storage) -> None:
    app.config["EVIDENCE_MAX_PERIOD_MB"] = 1.5 * len(PDF) / (1024 * 1024)
    skp = set_skp(session, wf, world)
    assert api.upload("kepala", skp, f"{YEAR}-Q1", PDF).status_code == 201
    over = api.upload("kepala", skp, f"{YEAR}-Q1", PDF)
    assert over.status_code == 400 and "melebihi batas" in str(over.get_json()["errors"])
    assert count(session, SkpEvidence) == 1
    # Another period has its own budget.
    assert api.upload("kepala", skp, f"{YEAR}-Q2", PDF).status_code == 201


def test_another_agencys_file_is_not_found(session: Session, wf: Workflow, world: World,
                                           api: Api, backend: Storage,
                                           client: FlaskClient) -> None:
    skp = set_skp(session, wf, world)
    mine = api.upload("kepala", skp, f"{YEAR}-Q1", PDF).get_json()
    other = build_world(session, wf, "kota-mataram", offset=20)
    other_api = Api(client, session, other)
    for who in ("kepala", "auditor"):  # the other agency's admin and auditor
        assert other_api.get(who, f"/bukti/{mine['id']}/unduh").status_code == 404
        assert other_api.get(who, f"/bukti/{mine['id']}").status_code == 404
        assert other_api.get(who, f"/skp/{skp.id}/bukti").status_code == 404
        assert other_api.upload(who, skp, f"{YEAR}-Q1", PDF).status_code == 404


def test_superseded_files_stay_for_auditors_and_submitted_evidence_is_immutable(
        session: Session, wf: Workflow, world: World, api: Api, backend: Storage) -> None:
    skp = set_skp(session, wf, world)
    period = f"{YEAR}-Q1"
    old = api.upload("kepala", skp, period, PDF).get_json()
    new = api.upload("kepala", skp, period, PNG, name="foto.png", supersedes=old["id"])
    assert new.status_code == 201, new.get_json()
    new = new.get_json()
    current = api.get("kepala", f"/skp/{skp.id}/bukti?masa={period}").get_json()["evidence"]
    assert [e["id"] for e in current] == [new["id"]]
    every = api.get("auditor", f"/skp/{skp.id}/bukti?superseded=1").get_json()["evidence"]
    assert {e["id"]: e["superseded_by_id"] for e in every} == {old["id"]: new["id"],
                                                                new["id"]: None}
    version = api.get("kepala", f"/skp/{skp.id}/realisasi/{period}").get_json()["version"]
    assert api.send("POST", "kepala", f"/skp/{skp.id}/realisasi/{period}/kirim",
                    {"version": version}).status_code == 200
    refused = api.upload("kepala", skp, period, PDF)
    assert refused.status_code == 403 and "sudah dikirim" in refused.get_json()["message"]
    refused = api.upload("kepala", skp, period, PDF, supersedes=new["id"])
    assert refused.status_code == 403
    assert count(session, SkpEvidence) == 2
    got = api.get("auditor", f"/bukti/{old['id']}/unduh")
    assert got.status_code == 200 and got.data == PDF
    assert check_evidence(session, backend).ok


class Broken(io.RawIOBase):
    """An upload that fails after ``after`` bytes (the client hangs up, the disk fills)."""

    def __init__(self, head: bytes, after: int) -> None:
        self.head, self.left = head, after

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.head:
            data, self.head = self.head, b""
            return data
        if self.left <= 0:
            raise OSError("connection reset")
        size = min(self.left, CHUNK if n is None or n < 0 else n)
        self.left -= size
        return b"0" * size


def test_storage_failing_mid_upload_leaves_nothing(session: Session, wf: Workflow,
                                                   world: World, backend: Storage) -> None:
    skp = set_skp(session, wf, world)
    ind = skp.rhk[0].indicators[0].id
    limits = EvidenceLimits(64 * CHUNK, 64 * CHUNK)
    with pytest.raises(StorageFailed):  # after 9 MB: S3 has started a multipart upload
        upload_evidence(session, wf, world.actor("kepala"), backend, skp.id, f"{YEAR}-Q1", ind,
                        Broken(PDF, 9 * CHUNK), "besar.pdf", limits)  # type: ignore[arg-type]
    session.rollback()
    assert count(session, SkpEvidence) == 0 and upload_events(session, skp) == []
    assert objects(backend) == []
    if isinstance(backend, S3Storage):
        uploads = backend.client.list_multipart_uploads(Bucket=backend.bucket)
        assert not [u for u in uploads.get("Uploads", []) if u["Key"].startswith(
            backend.prefix)]
    # A storage that is down: refused the same way, nothing recorded.
    down = LocalStorage(Path("/proc/nonexistent/storage"))
    with pytest.raises(StorageFailed):
        upload_evidence(session, wf, world.actor("kepala"), down, skp.id, f"{YEAR}-Q1", ind,
                        io.BytesIO(PDF), "a.pdf", limits)
    session.rollback()
    assert count(session, SkpEvidence) == 0


def test_a_row_that_cannot_be_written_leaves_no_object(session: Session, wf: Workflow,
                                                        world: World, backend: Storage) -> None:
    """The object is written first; when recording it fails (here: a stale version seen by a
    second writer), the object is deleted again."""
    skp = set_skp(session, wf, world)
    ind = skp.rhk[0].indicators[0].id
    actor = world.actor("kepala")
    save_realisation(session, wf, actor, skp.id, f"{YEAR}-Q1",
                     {"realisasi": [{"indicator_id": ind, "value": 1}]}, None)
    session.commit()
    with pytest.raises(InvalidData):
        upload_evidence(session, wf, actor, backend, skp.id, f"{YEAR}-Q1", 999999,
                        io.BytesIO(PDF), "a.pdf", EvidenceLimits())
    session.rollback()
    submit_period(session, wf, actor, skp.id, f"{YEAR}-Q1", None)
    session.commit()
    with pytest.raises(NotPermitted):
        upload_evidence(session, wf, actor, backend, skp.id, f"{YEAR}-Q1", ind,
                        io.BytesIO(PDF), "a.pdf", EvidenceLimits())
    session.rollback()
    assert objects(backend) == [] and count(session, SkpEvidence) == 0


def test_the_agencys_definition_sets_its_limits(app: Flask, session: Session, wf: Workflow,
                                                world: World, api: Api, backend: Storage) -> None:
    """``evidence: {max_file_mb}`` in the agency's definition wins over the app's default."""
    from dataclasses import replace

    from tests.conftest import shipped_definitions
    from workflow.errors import DefinitionError
    from workflow.publishing import publish_definitions
    from workflow.validation import parse_definition

    base = shipped_definitions()["kota-kupang"]
    source = {**base.source, "version": base.version + 1, "evidence": {"max_file_mb": 0.01}}
    publish_definitions(session, {"kota-kupang": replace(
        parse_definition(source), source=source)})
    session.commit()
    app.config["EVIDENCE_MAX_FILE_MB"] = 100
    skp = set_skp(session, wf, world)
    answer = api.upload("kepala", skp, f"{YEAR}-Q1", PDF + b"0" * 6000)
    assert answer.status_code == 400 and "10 KB per berkas" in str(answer.get_json())
    assert "terlalu besar" in str(answer.get_json()["errors"]["file"])
    assert api.upload("kepala", skp, f"{YEAR}-Q1", PDF).status_code == 201
    with pytest.raises(DefinitionError):
        parse_definition({**base.source, "evidence": {"max_file_mb": -1, "other": 2}})


class Trickle(io.RawIOBase):
    """A stream that returns at most 1 MB per read, as a socket or a request body may."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        size = min(self.left, CHUNK, CHUNK if n is None or n < 0 else n)
        self.left -= size
        return b"y" * size


def test_a_stream_of_short_reads_is_stored_whole(backend: Storage) -> None:
    """S3's uploader reads a non-seekable stream in 8 MB parts; short reads must not
    truncate the object (they did: 20 MB became 2 MB)."""
    stored = backend.put("evidence/short/a", Trickle(20 * CHUNK))  # type: ignore[arg-type]
    assert stored.size == 20 * CHUNK == backend.size("evidence/short/a")
    assert stored.sha256 == hashlib.sha256(b"y" * (20 * CHUNK)).hexdigest()
