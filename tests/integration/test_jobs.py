"""Jobs: bounded per agency, resumed after their worker died without issuing anything twice,
cancelled, their results expiring; the bulk export's ZIP through the S3 backend."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.export import run_export
from reports.export import start_export
from tests.conftest import CHEAP_HASH
from tests.conftest import World
from tests.conftest import build_world
from tests.s3server import CREDENTIALS
from tests.s3server import moto_server
from tests.web.test_export import PASSWORD
from tests.web.test_export import finalize
from web.extensions import db
from workflow.accounts import set_password
from workflow.actors import Actor
from workflow.jobs import AgencyBusy
from workflow.jobs import claim
from workflow.jobs import expire_results
from workflow.jobs import recover_stale
from workflow.jobs import request_cancel
from workflow.models import Document
from workflow.models import HistoryEvent
from workflow.models import Job
from workflow.models import utcnow
from workflow.service import Workflow
from workflow.storage import LocalStorage
from workflow.storage import S3Storage
from workflow.storage import StorageError


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as server:
        server.client().create_bucket(Bucket="hasil")
        yield server.endpoint


@pytest.fixture(name="finalized")
def _finalized(session: Session, wf: Workflow) -> World:
    w = build_world(session, wf, "kota-mataram")
    for who in ("pegawai", "pegawai2"):
        finalize(session, wf, w, who)
    session.commit()
    return w


def _export(session: Session, w: World) -> Job:
    job = start_export(session, Actor.of(w.people["kepala"]), None, "", utcnow())
    session.commit()
    return job


def issued(session: Session) -> tuple[int, int]:
    """Documents and their issuing events."""
    return (session.scalar(select(func.count()).select_from(Document)) or 0,
            session.scalar(select(func.count()).select_from(HistoryEvent).where(
                HistoryEvent.trigger == "document_issued")) or 0)


def s3(endpoint: str, bucket: str = "hasil") -> S3Storage:
    import boto3

    return S3Storage(bucket, "tes", client=boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=CREDENTIALS["AWS_DEFAULT_REGION"]))


def test_failed_attempt_is_resumed_without_issuing_twice(
        app: Flask, session: Session, wf: Workflow, finalized: World, s3_endpoint: str,
        tmp_path: Path) -> None:
    """The first attempt issues both documents, then the storage refuses the ZIP (a bucket
    that does not exist): the job goes back to the queue. The second attempt, on a working
    storage, finds the documents already issued (same moment, same codes): still two
    documents and two events, and the ZIP holds both."""
    job = _export(session, finalized)
    with app.app_context():
        with pytest.raises(StorageError):
            run_export(db.engine, wf.audit_key, job.id, s3(s3_endpoint, "tidak-ada"),
                       "http://localhost", workers=1)
        session.expire_all()
        assert (job.status, job.attempts) == ("queued", 1)
        assert "StorageError" in job.errors[-1][1]
        assert issued(session) == (2, 2)
        storage = s3(s3_endpoint)
        done = run_export(db.engine, wf.audit_key, job.id, storage, "http://localhost",
                          workers=1)
    assert done is not None and (done.status, done.attempts, done.done) == ("done", 2, 2)
    assert issued(session) == (2, 2)
    content = b"".join(storage.chunks(done.result_key))
    assert hashlib.sha256(content).hexdigest() == done.result_sha256
    assert len(zipfile.ZipFile(io.BytesIO(content)).namelist()) == 2


def test_dead_worker_is_found_by_its_heartbeat(app: Flask, session: Session, wf: Workflow,
                                               finalized: World, tmp_path: Path) -> None:
    """A job left running by a worker that stopped beating is queued again by the watchdog
    and finishes on the next run; after MAX_ATTEMPTS it fails visibly instead."""
    job = _export(session, finalized)
    now = utcnow()
    assert claim(session, job.id, "mati:1", now, per_agency=1) is not None
    session.commit()
    assert recover_stale(session, now + timedelta(seconds=60), timedelta(seconds=120)) == []
    again = recover_stale(session, now + timedelta(seconds=300), timedelta(seconds=120))
    session.commit()
    assert [j.id for j in again] == [job.id] and job.status == "queued"
    assert "mati:1" in job.errors[-1][1]
    with app.app_context():
        done = run_export(db.engine, wf.audit_key, job.id, LocalStorage(tmp_path / "s"),
                          "http://localhost", workers=1)
    assert done is not None and done.status == "done" and issued(session) == (2, 2)

    other = _export(session, finalized)
    for attempt in range(3):
        assert claim(session, other.id, f"mati:{attempt}", now, per_agency=1) is not None
        session.commit()
        recover_stale(session, now + timedelta(seconds=300), timedelta(seconds=120))
        session.commit()
    session.refresh(other)
    assert (other.status, other.attempts) == ("failed", 3)
    assert other.finished_at is not None


def test_concurrency_is_bounded_per_agency(session: Session, wf: Workflow,
                                           finalized: World) -> None:
    """With one job of an agency running, a second of the same agency waits (AgencyBusy);
    another agency's job runs."""
    first, second = _export(session, finalized), _export(session, finalized)
    kupang = build_world(session, wf, "kota-kupang", offset=50)
    theirs = Job(agency_id=kupang.agency.id, kind="verify_chains", status="queued")
    session.add(theirs)
    session.commit()
    assert claim(session, first.id, "w1", utcnow(), per_agency=1) is not None
    session.commit()
    with pytest.raises(AgencyBusy):
        claim(session, second.id, "w2", utcnow(), per_agency=1)
    session.rollback()
    assert claim(session, theirs.id, "w2", utcnow(), per_agency=1) is not None
    assert claim(session, second.id, "w2", utcnow(), per_agency=2) is not None
    session.commit()
    assert claim(session, first.id, "w3", utcnow(), per_agency=9) is None  # already running


def test_cancel_queued_and_running(app: Flask, session: Session, wf: Workflow,
                                   finalized: World, tmp_path: Path) -> None:
    """A queued job is cancelled at once (its task then does nothing); a running one stops at
    its next heartbeat and is recorded as cancelled, with no result."""
    queued = _export(session, finalized)
    request_cancel(session, finalized.agency.id, queued.id, utcnow())
    session.commit()
    with app.app_context():
        assert run_export(db.engine, wf.audit_key, queued.id, LocalStorage(tmp_path),
                          "http://localhost", workers=1) is None
    assert queued.status == "cancelled"

    running = _export(session, finalized)

    def cancel_midway(done: int, total: int, error: str | None) -> None:
        with Session(db.engine) as other:
            request_cancel(other, finalized.agency.id, running.id, utcnow())
            other.commit()

    with app.app_context():
        ended = run_export(db.engine, wf.audit_key, running.id, LocalStorage(tmp_path),
                           "http://localhost", workers=1, progress=cancel_midway)
    assert ended is not None and (ended.status, ended.result_key) == ("cancelled", "")


def test_results_expire(app: Flask, client: FlaskClient, session: Session, wf: Workflow,
                        finalized: World, tmp_path: Path) -> None:
    """After its time the ZIP is deleted from the storage and the download answers 404."""
    set_password(finalized.people["kepala"], PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    client.post("/masuk", data={"nip": finalized.people["kepala"].nip, "password": PASSWORD})
    client.post("/admin/ekspor/", data={"period": "", "unit": ""})
    job = session.scalars(select(Job)).one()
    session.refresh(job)
    assert job.status == "done" and client.get(f"/admin/ekspor/{job.id}/unduh").status_code == 200
    storage = app.extensions["jobs"].storage()
    assert storage.size(job.result_key) == job.result_size
    key = job.result_key
    assert job.expires_at is not None
    assert expire_results(session, storage, job.expires_at - timedelta(seconds=1)) == 0
    assert expire_results(session, storage, job.expires_at + timedelta(seconds=1)) == 1
    session.commit()
    assert storage.size(key) is None and job.status == "expired"
    assert client.get(f"/admin/ekspor/{job.id}/unduh").status_code == 404


def test_export_through_s3_downloads_through_the_app(
        app: Flask, client: FlaskClient, session: Session, finalized: World,
        s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With STORAGE_URL=s3://…, the admin's export lands in the bucket and the download
    streams it back through the app, byte for byte."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    app.config.update(STORAGE_URL="s3://hasil/aplikasi", STORAGE_S3_ENDPOINT_URL=s3_endpoint)
    set_password(finalized.people["kepala"], PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    client.post("/masuk", data={"nip": finalized.people["kepala"].nip, "password": PASSWORD})
    client.post("/admin/ekspor/", data={"period": "", "unit": ""})
    job = session.scalars(select(Job)).one()
    session.refresh(job)
    assert job.status == "done"
    download = client.get(f"/admin/ekspor/{job.id}/unduh")
    assert download.status_code == 200
    assert hashlib.sha256(download.data).hexdigest() == job.result_sha256
    in_bucket = s3(s3_endpoint).client.get_object(
        Bucket="hasil", Key=f"aplikasi/{job.result_key}")["Body"].read()
    assert in_bucket == download.data


def test_chain_verification_as_a_job(app: Flask, session: Session, finalized: World) -> None:
    """`audit verify --queue` records a verify_chains job; a worker (here: immediate mode)
    runs it and the job holds what it checked."""
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--agency", "kota-mataram",
                                                "--queue"])
    assert result.exit_code == 0, result.output
    job = session.scalars(select(Job).where(Job.kind == "verify_chains")).one()
    session.refresh(job)
    assert (job.status, job.errors, job.agency_id) == ("done", [], finalized.agency.id)
    assert job.total > 0 and job.params == {"full": True}
