"""The evaluation row is a verified projection of its history (issue 11, item 1).

A change made directly in the database — to any projected column of an evaluation, to its
participants, to a stored document or to any history column a surface shows — is named by
`audit verify` (exit 1), and issuing a document and `/verify` refuse, recording the refusal
in the agency's chain. Run on SQLite and, with ``TEST_DATABASE_URL``, on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask import current_app
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session

from forms.visibility import Visibility
from reports.issuing import prepare_document
from reports.issuing import record_issue
from tests.conftest import CHEAP_HASH
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import api_token
from tests.conftest import tampering
from tests.integration.test_service import RATING_LOW
from tests.integration.test_service import at
from tests.web.conftest import PASSWORD
from tests.web.test_cli import run
from workflow.accounts import set_password
from workflow.errors import RecordMismatch
from workflow.history import HASHED_FIELDS
from workflow.history import HASHED_FIELDS_V1
from workflow.history import event_hash
from workflow.history import verify_all
from workflow.integrity import row_mismatch
from workflow.models import Agency
from workflow.models import Document
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.periods import ensure_period
from workflow.projection import PROJECTED_FIELDS
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.service import run_due_transitions
from workflow.service import save_draft
from workflow.skp import create_skp

LATER = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _rated(session: Session, wf: Workflow, w: World) -> Evaluation:
    ev = w.evaluations["pegawai"]
    apply_transition(session, at(wf, 2), w.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, 3), w.actor("penilai"), ev.id, "review", data=RATING_LOW)
    session.commit()
    return ev


def _issued_code(session: Session, wf: Workflow, w: World, ev: Evaluation) -> str:
    """Issue the evaluation document's code (no PDF rendering needed to record it)."""
    now = at(wf, 4).clock()
    view = Visibility.for_actor(session, w.actor("pegawai"), ev)
    prepared = prepare_document(session, wf.audit_key, ev, "evaluation", "http://localhost", now,
                                view)
    record_issue(session, wf.audit_key, w.actor("pegawai"), ev, prepared, now)
    session.commit()
    return prepared.code


def _other_agency(session: Session) -> int:
    agency = Agency(slug="kota-lain", name="Pemerintah Kota Lain")
    session.add(agency)
    session.commit()
    return agency.id


def _other_version(session: Session, ev: Evaluation) -> int:
    return session.execute(text(
        "INSERT INTO definition_version (agency_id, version, content_hash, source, created_at) "
        "SELECT agency_id, version + 1, content_hash, source, created_at "
        "FROM definition_version WHERE id = :v RETURNING id"),
        {"v": ev.definition_version_id}).scalar_one()


def _an_skp(session: Session, w: World) -> int:
    skp = create_skp(session, current_app.extensions["workflow"], w.actor("pegawai"),
                     year=2027, pendekatan="kuantitatif", jenis_jabatan="JA")
    session.commit()
    return skp.id


# One direct edit per projected field: (SQL, parameters) for the rated evaluation.
Edit = Callable[[Session, World, Evaluation], tuple[str, dict[str, Any]]]
EDITS: dict[str, Edit] = {
    "status": lambda s, w, ev: ("UPDATE evaluation SET status = 'final' WHERE id = :id", {}),
    "lock_version": lambda s, w, ev: (
        "UPDATE evaluation SET lock_version = lock_version + 7 WHERE id = :id", {}),
    "deadlines": lambda s, w, ev: ("UPDATE evaluation SET deadlines = :v WHERE id = :id", {
        "v": json.dumps({"appeal_window": "2030-01-01T00:00:00+00:00"})}),
    "data": lambda s, w, ev: ("UPDATE evaluation SET data = :v WHERE id = :id", {
        "v": json.dumps({**ev.data, "appraiser-rating": {
            **ev.data["appraiser-rating"], "values": {
                **ev.data["appraiser-rating"]["values"], "umpan_balik": "Ditulis ulang."}}})}),
    "rating_hasil_kerja": lambda s, w, ev: (
        "UPDATE evaluation SET rating_hasil_kerja = 'di_atas' WHERE id = :id", {}),
    "rating_perilaku_kerja": lambda s, w, ev: (
        "UPDATE evaluation SET rating_perilaku_kerja = 'di_atas' WHERE id = :id", {}),
    "predikat": lambda s, w, ev: (
        "UPDATE evaluation SET predikat = 'SANGAT_BAIK' WHERE id = :id", {}),
    "updated_at": lambda s, w, ev: (
        "UPDATE evaluation SET updated_at = :v WHERE id = :id", {"v": LATER}),
    "agency_id": lambda s, w, ev: (
        "UPDATE evaluation SET agency_id = :v WHERE id = :id", {"v": _other_agency(s)}),
    "employee_id": lambda s, w, ev: (  # the Kepala Dinas has no evaluation this period
        "UPDATE evaluation SET employee_id = :v WHERE id = :id", {"v": w.people["kepala"].id}),
    "period_id": lambda s, w, ev: ("UPDATE evaluation SET period_id = :v WHERE id = :id", {
        "v": ensure_period(s, w.agency, "annual", 2027).id}),
    "definition_version_id": lambda s, w, ev: (
        "UPDATE evaluation SET definition_version_id = :v WHERE id = :id",
        {"v": _other_version(s, ev)}),
    "form_versions": lambda s, w, ev: (
        "UPDATE evaluation SET form_versions = :v WHERE id = :id", {"v": "{}"}),
    "created_at": lambda s, w, ev: (
        "UPDATE evaluation SET created_at = :v WHERE id = :id", {"v": LATER}),
    "skp_id": lambda s, w, ev: (  # pointed at another SKP than the one it opened on
        "UPDATE evaluation SET skp_id = :v WHERE id = :id", {"v": _an_skp(s, w)}),
    "participants": lambda s, w, ev: (
        "UPDATE evaluation_participant SET identity = :v "
        "WHERE evaluation_id = :id AND role = 'appraiser'",
        {"v": json.dumps({"name": "Pejabat Palsu", "nip": w.people["penilai"].nip})}),
}


def test_every_projected_field_has_an_edit() -> None:
    """The list below is the projection's own: a new projected field needs a case here."""
    assert set(EDITS) == set(PROJECTED_FIELDS)


@pytest.mark.parametrize("field", PROJECTED_FIELDS)
def test_direct_edit_of_a_projected_field_is_named_and_refused(
        app: Flask, client: FlaskClient, session: Session, wf: Workflow, mataram: World,
        field: str) -> None:
    """`audit verify` exits 1 naming the column; issuing and `/verify` refuse and are recorded."""
    ev = _rated(session, wf, mataram)
    code = _issued_code(session, wf, mataram, ev)
    token = api_token(session, mataram.people["auditor"])
    session.commit()
    assert run(app, "audit", "verify")[0] == 0
    assert client.get(f"/verify/{code}").status_code == 200

    sql, params = EDITS[field](session, mataram, ev)
    session.execute(text(sql), {"id": ev.id, **params})
    session.commit()
    session.expire_all()

    status, out = run(app, "audit", "verify")
    assert status == 1, out
    assert f"evaluation:{ev.id}" in out and f"kolom {field} tidak sesuai riwayat" in out
    assert f"column {field} differs from its history" in out

    response = client.get(f"/api/v1/evaluations/{ev.id}/documents/evaluation.pdf",
                          headers={"Authorization": f"Bearer {token}"})
    if field != "agency_id":  # moved to another agency: the auditor no longer finds it
        assert response.status_code == 409, response.get_data(as_text=True)
        body = response.get_json()
        assert body["error"] == "RecordMismatch" and field in body["message"]

    page = client.get(f"/verify/{code}")
    assert client.get(f"/verify/{code}").status_code == 409  # reloaded: recorded once
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert "tidak dapat dinyatakan sah" in html and field in html
    assert "Butuh Perbaikan" not in html and "Sangat Baik" not in html

    refusals = session.scalars(select(HistoryEvent).where(
        HistoryEvent.kind == "integrity", HistoryEvent.trigger == "record_mismatch")).all()
    surfaces = sorted(e.payload["surface"] for e in refusals)
    assert surfaces == (["verify"] if field == "agency_id" else ["document", "verify"])
    assert all(field in e.payload["fields"] and e.payload["evaluation_id"] == ev.id
               for e in refusals)


def test_refusal_is_recorded_on_the_page_too(client: FlaskClient, session: Session,
                                             wf: Workflow, mataram: World) -> None:
    """A logged-in download of a changed evaluation gets the refusal page, not a PDF."""
    ev = _rated(session, wf, mataram)
    set_password(mataram.people["pegawai"], PASSWORD, hash_method=CHEAP_HASH)
    session.execute(text("UPDATE evaluation SET predikat = 'SANGAT_BAIK' WHERE id = :id"),
                    {"id": ev.id})
    session.commit()
    client.post("/masuk", data={"nip": mataram.people["pegawai"].nip, "password": PASSWORD})
    response = client.get(f"/evaluasi/{ev.id}/dokumen/evaluation.pdf")
    assert response.status_code == 409 and response.data[:5] != b"%PDF-"
    assert "tidak sesuai dengan riwayatnya" in response.get_data(as_text=True)


def test_transition_on_a_changed_row_is_refused(session: Session, wf: Workflow,
                                                mataram: World) -> None:
    """A changed row is never laundered into a fresh digest by the next legitimate step."""
    ev = _rated(session, wf, mataram)
    session.execute(text("UPDATE evaluation SET predikat = 'SANGAT_BAIK' WHERE id = :id"),
                    {"id": ev.id})
    session.commit()
    session.expire_all()
    with pytest.raises(RecordMismatch) as caught:
        apply_transition(session, at(wf, 5), mataram.actor("pegawai"), ev.id, "accept")
    assert caught.value.fields == ("predikat",)


def test_draft_on_a_changed_row_is_refused(session: Session, wf: Workflow,
                                           mataram: World) -> None:
    """Saving a draft does not launder a changed deadline either."""
    ev = mataram.evaluations["pegawai"]
    session.execute(text("UPDATE evaluation SET deadlines = :v WHERE id = :id"),
                    {"v": json.dumps({"x": "2030-01-01T00:00:00+00:00"}), "id": ev.id})
    session.commit()
    session.expire_all()
    with pytest.raises(RecordMismatch) as caught:
        save_draft(session, at(wf, 1), mataram.actor("pegawai"), ev.id, "self-assessment",
                   {"kendala": "Belum selesai."})
    assert caught.value.fields == ("deadlines",)


def test_untouched_rows_verify(app: Flask, session: Session, wf: Workflow,
                               mataram: World) -> None:
    """Every step of a real walk (a draft, transitions) leaves a row matching its newest event."""
    draft = mataram.evaluations["pegawai2"]
    save_draft(session, at(wf, 1), mataram.actor("pegawai2"), draft.id, "self-assessment",
               {"kendala": "Belum selesai."})
    session.commit()
    assert row_mismatch(session, wf.audit_key, draft) == ()
    session.execute(text("UPDATE evaluation SET data = :v WHERE id = :id"),
                    {"v": "{}", "id": draft.id})
    session.commit()
    assert row_mismatch(session, wf.audit_key, draft) == ("data",)
    ev = _rated(session, wf, mataram)
    assert row_mismatch(session, wf.audit_key, ev) == ()
    apply_transition(session, at(wf, 5), mataram.actor("pegawai"), ev.id, "accept")
    session.commit()
    assert row_mismatch(session, wf.audit_key, ev) == ()
    assert [r.fields for r in verify_all(session, wf.audit_key) if not r.ok] == [("data",)]


def test_rolled_back_row_with_its_head_is_named(session: Session, wf: Workflow,
                                                mataram: World) -> None:
    """A head pointing at an older event while the row keeps newer values is caught too."""
    ev = _rated(session, wf, mataram)
    old = session.scalar(select(HistoryEvent).where(HistoryEvent.evaluation_id == ev.id,
                                                    HistoryEvent.seq == 1))
    assert old is not None
    session.execute(text("UPDATE evaluation SET history_seq = 1, history_head = :h "
                         "WHERE id = :id"), {"h": old.hash, "id": ev.id})
    session.commit()
    session.expire_all()
    assert row_mismatch(session, wf.audit_key, ev) != ()


# Each history column a surface shows, with an edit; ``id`` is the only one none shows.
EVENT_EDITS: dict[str, str] = {
    "agency_id": ":other_agency", "evaluation_id": ":other_evaluation", "chain": "'evaluation:0'",
    "seq": "seq + 100", "at": ":later", "kind": "'data'", "actor_id": ":other_person",
    "actor_nip": "'199001012015011001'", "actor_role": "'tim_penilai'", "trigger": "'accept'",
    "source": "'final'", "dest": "'final'", "definition_version_id": "NULL",
    "comment": "'diubah'", "data_digest": "'0'", "payload": ":payload",
    "prev_hash": "'0'", "hash": "'0'", "hash_version": "1",
    "projection": ":projection",
}


def test_every_shown_history_column_has_an_edit() -> None:
    """Every column of ``history_event`` but its id is inside the HMAC (or is the HMAC)."""
    columns = {c.name for c in HistoryEvent.__table__.columns} - {"id"}
    assert set(EVENT_EDITS) == columns
    assert columns - {"hash"} <= set(HASHED_FIELDS)


@pytest.mark.parametrize("column", sorted(EVENT_EDITS))
def test_direct_edit_of_a_history_column_is_detected(
        app: Flask, client: FlaskClient, session: Session, wf: Workflow, mataram: World,
        column: str) -> None:
    """Changing any shown column of an (older) event makes `audit verify` exit 1, and issuing
    and `/verify` refuse."""
    ev = _rated(session, wf, mataram)
    code = _issued_code(session, wf, mataram, ev)
    token = api_token(session, mataram.people["auditor"])
    session.commit()
    params = {"other_agency": _other_agency(session),
              "other_evaluation": mataram.evaluations["pegawai2"].id, "later": LATER,
              "other_person": mataram.people["kepala"].id,
              "payload": json.dumps({"changes": {}}),
              "projection": json.dumps({"predikat": "0"}), "id": ev.id}
    with tampering(session):
        session.execute(text(f"UPDATE history_event SET {column} = {EVENT_EDITS[column]} "  # noqa: S608 - a fixed table of edits
                             "WHERE evaluation_id = :id AND seq = 2"), params)
    status, out = run(app, "audit", "verify")
    assert status == 1 and "RUSAK" in out, out
    assert not all(r.ok for r in verify_all(session, wf.audit_key))
    response = client.get(f"/api/v1/evaluations/{ev.id}/documents/evaluation.pdf",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 409 and "history_event #" in response.get_json()["message"]
    assert client.get(f"/verify/{code}").status_code == 409


def test_changed_document_row_is_refused_by_verify(client: FlaskClient, session: Session,
                                                   wf: Workflow, mataram: World) -> None:
    """/verify repeats nothing of a stored document whose summary was rewritten."""
    ev = _rated(session, wf, mataram)
    code = _issued_code(session, wf, mataram, ev)
    document = session.scalar(select(Document).where(Document.code == code))
    assert document is not None
    session.execute(text("UPDATE document SET summary = :v WHERE id = :d"), {
        "d": document.id, "v": json.dumps({**document.summary, "predikat": "SANGAT_BAIK"})})
    session.commit()
    page = client.get(f"/verify/{code}")
    assert page.status_code == 409 and "document.summary" in page.get_data(as_text=True)


def test_old_events_still_verify(session: Session, wf: Workflow, mataram: World) -> None:
    """An event hashed the version-1 way (before the projection) still verifies."""
    ev = _rated(session, wf, mataram)
    newest = session.scalar(select(HistoryEvent).where(HistoryEvent.evaluation_id == ev.id,
                                                       HistoryEvent.seq == 3))
    assert newest is not None
    with tampering(session):  # rewrite it as the old code wrote it, with the key
        fields = {name: getattr(newest, name) for name in HASHED_FIELDS_V1}
        old_hash = event_hash(wf.audit_key, {**fields, "hash_version": 1})
        session.execute(text("UPDATE history_event SET hash_version = 1, hash = :h, "
                             "projection = :v WHERE id = :e"),
                        {"h": old_hash, "e": newest.id, "v": "{}"})
        session.execute(text("UPDATE evaluation SET history_head = :h WHERE id = :id"),
                        {"h": old_hash, "id": ev.id})
    assert all(r.ok for r in verify_all(session, wf.audit_key))
    assert row_mismatch(session, wf.audit_key, ev) == ()
    # …and the next step seals the row from then on.
    apply_transition(session, at(wf, 5), mataram.actor("pegawai"), ev.id, "accept")
    session.commit()
    session.execute(text("UPDATE evaluation SET predikat = 'SANGAT_BAIK' WHERE id = :id"),
                    {"id": ev.id})
    session.commit()
    assert row_mismatch(session, wf.audit_key, ev) == ("predikat",)


def test_tick_skips_a_changed_row(session: Session, wf: Workflow, mataram: World) -> None:
    """The hourly tick leaves a changed evaluation alone (recorded) and goes on."""
    ev = _rated(session, wf, mataram)
    session.execute(text("UPDATE evaluation SET predikat = 'SANGAT_BAIK' WHERE id = :id"),
                    {"id": ev.id})
    session.commit()
    session.expire_all()
    fired = run_due_transitions(session, at(wf, 1, month=6), mataram.agency.id)
    session.commit()
    assert all(e.evaluation_id != ev.id for e in fired)
    refusal = session.scalar(select(HistoryEvent).where(HistoryEvent.kind == "integrity"))
    assert refusal is not None and refusal.payload["surface"] == "transition"
