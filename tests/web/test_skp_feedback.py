"""Continuous feedback and dialog kinerja on a set SKP (issue 14 item 3): the core's rules,
the SKP chain and audit verify, the SKP page sections and the JSON API."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.conftest import api_token
from tests.web.test_skp_pages import client_for
from tests.web.test_skp_pages import page_text
from tests.web.test_skp_pages import set_chain
from workflow.errors import GuardFailed
from workflow.errors import InvalidData
from workflow.errors import NotFound
from workflow.errors import NotPermitted
from workflow.feedback import add_dialog
from workflow.feedback import comment
from workflow.feedback import reply
from workflow.feedback import skp_feedback
from workflow.history import verify_all
from workflow.models import HistoryEvent
from workflow.models import Notification
from workflow.models import Skp
from workflow.models import SkpDialog
from workflow.models import SkpFeedback
from workflow.service import Workflow
from workflow.skp import create_skp

pytestmark = pytest.mark.usefixtures("own_contexts")

YEAR = 2026


def _counts(session: Session) -> tuple[int, int, int]:
    return (session.query(SkpFeedback).count(), session.query(SkpDialog).count(),
            session.query(HistoryEvent).count())


def test_feedback_rules_chain_and_verify(session: Session, wf: Workflow,
                                         two: tuple[World, World]) -> None:
    """The appraiser comments on an RHK, an indicator in a month and a value; the employee
    replies; either records a dialog. Everything else is refused with nothing written; each
    record is an event of the SKP chain, and audit verify reports an edited record."""
    world, other = two
    skps = set_chain(session, wf, world)
    mine = skps["pegawai"]
    rhk = mine.rhk[0]
    indicator = rhk.indicators[0]
    penilai, pegawai = world.actor("penilai"), world.actor("pegawai")
    before_seq = mine.history_seq
    first = comment(session, wf, penilai, mine.id, topic="rhk", rhk_id=rhk.id,
                    text="Progres triwulan I baik; percepat berkas bulan Maret.")
    on_month = comment(session, wf, penilai, mine.id, topic="indikator",
                       indicator_id=indicator.id, month=3, text="Realisasi Maret di bawah target.")
    on_value = comment(session, wf, penilai, mine.id, topic="perilaku", value="kolaboratif",
                       text="Bantu rekan di loket saat antrean panjang.")
    answer = reply(session, wf, pegawai, first.id, "Siap, berkas Maret saya selesaikan.")
    dialog = add_dialog(session, wf, pegawai, mine.id, held_on=date(2026, 4, 2),
                        topics="Capaian triwulan I", agreed_actions="Lembur dua hari per minggu.")
    session.commit()
    assert on_month.rhk_id == rhk.id and on_month.month == 3
    assert answer.parent_id == first.id and answer.author_role == "pegawai"
    assert dialog.employee_id == mine.employee_id and dialog.appraiser_id == mine.appraiser_id
    session.refresh(mine)
    assert mine.history_seq == before_seq + 5
    kinds = [e.kind for e in session.query(HistoryEvent).filter(
        HistoryEvent.chain == f"skp:{mine.id}").order_by(HistoryEvent.seq)][-5:]
    assert kinds == ["umpan_balik"] * 4 + ["dialog"]
    assert all(r.ok for r in verify_all(session, wf.audit_key))

    # Everyone who may read the SKP reads it all; the chain upward too.
    view = skp_feedback(session, world.actor("atasan"), mine.id)
    assert [t.first.id for t in view.threads] == [first.id, on_month.id, on_value.id]
    assert [r.id for r in view.threads_on("rhk", rhk.id)[0].replies] == [answer.id]
    assert not view.may_comment and not view.may_take_part

    refusals = [
        (NotPermitted, lambda: comment(session, wf, pegawai, mine.id, topic="rhk",
                                       rhk_id=rhk.id, text="Saya sendiri")),
        (NotFound, lambda: comment(session, wf, world.actor("pegawai2"), mine.id, topic="rhk",
                                   rhk_id=rhk.id, text="x")),
        (NotFound, lambda: skp_feedback(session, other.actor("kepala"), mine.id)),
        (NotFound, lambda: reply(session, wf, other.actor("pegawai"), first.id, "x")),
        (NotPermitted, lambda: reply(session, wf, world.actor("atasan"), first.id, "x")),
        (InvalidData, lambda: comment(session, wf, penilai, mine.id, topic="rhk",
                                      rhk_id=skps["penilai"].rhk[0].id, text="x")),
        (InvalidData, lambda: comment(session, wf, penilai, mine.id, topic="indikator",
                                      indicator_id=indicator.id, month=13, text="x")),
        (InvalidData, lambda: comment(session, wf, penilai, mine.id, topic="indikator",
                                      indicator_id=indicator.id, text="no month")),
        (InvalidData, lambda: comment(session, wf, penilai, mine.id, topic="perilaku",
                                      value="jujur", text="x")),
        (InvalidData, lambda: comment(session, wf, penilai, mine.id, topic="rhk",
                                      rhk_id=rhk.id, text="   ")),
        (InvalidData, lambda: reply(session, wf, pegawai, first.id, "x" * 2001)),
        (InvalidData, lambda: add_dialog(session, wf, pegawai, mine.id,
                                         held_on=date(2027, 1, 5), topics="t",
                                         agreed_actions="a")),
        (InvalidData, lambda: add_dialog(session, wf, penilai, mine.id, held_on=None,
                                         topics="", agreed_actions="a")),
    ]
    counts = _counts(session)
    for error, attempt in refusals:
        with pytest.raises(error):
            attempt()
        session.rollback()
        assert _counts(session) == counts

    # Not on an SKP that is not set (a draft of another employee).
    draft = create_skp(session, wf, world.actor("pegawai2"), year=YEAR,
                       pendekatan="kuantitatif", jenis_jabatan="JA")
    session.commit()
    with pytest.raises(GuardFailed):
        add_dialog(session, wf, world.actor("pegawai2"), draft.id, held_on=date(2026, 2, 1),
                   topics="t", agreed_actions="a")
    session.rollback()

    # An edited record is reported by audit verify (the SKP's chain names it).
    session.execute(update(SkpFeedback).where(SkpFeedback.id == on_value.id)
                    .values(text="Sudah bagus."))
    session.commit()
    broken = [r for r in verify_all(session, wf.audit_key) if not r.ok]
    assert [r.chain for r in broken] == [f"skp:{mine.id}"]
    assert f"umpan_balik#{on_value.id}" in broken[0].fields


def test_feedback_and_dialog_on_the_skp_page(app: Flask, session: Session, wf: Workflow,
                                              two: tuple[World, World]) -> None:
    """On the SKP page the appraiser comments on an RHK and a value, the employee sees it at
    once and replies, either records a dialog; a refused post keeps what was typed; an
    unrelated colleague and another agency get 404."""
    world, other = two
    mine = set_chain(session, wf, world)["pegawai"]
    rhk = mine.rhk[0]
    penilai = client_for(app, world, "penilai")
    html = penilai.get(f"/skp/{mine.id}").get_data(as_text=True)
    assert 'id="umpan-balik"' in html and f'value="rhk-{rhk.id}"' in html
    assert 'value="val-loyal"' in html
    sent = penilai.post(f"/skp/{mine.id}/umpan-balik",
                        data={"target": f"rhk-{rhk.id}", "text": "Percepat berkas Maret."})
    assert sent.status_code == 302
    sent = penilai.post(f"/skp/{mine.id}/umpan-balik",
                        data={"target": "val-loyal", "text": "Jaga kerahasiaan data."})
    assert sent.status_code == 302
    empty = penilai.post(f"/skp/{mine.id}/umpan-balik",
                         data={"target": "val-adaptif", "text": ""})
    assert empty.status_code == 400
    pegawai = client_for(app, world, "pegawai")
    shown = pegawai.get(f"/skp/{mine.id}").get_data(as_text=True)
    assert "Percepat berkas Maret." in shown and "Jaga kerahasiaan data." in shown
    assert 'data-comment-form' not in shown  # the employee replies, she does not start
    first = session.query(SkpFeedback).filter_by(skp_id=mine.id, rhk_id=rhk.id).one()
    answered = pegawai.post(f"/skp/umpan-balik/{first.id}/balas",
                            data={"text": "Siap, minggu ini selesai."})
    assert answered.status_code == 302
    assert answered.headers["Location"].endswith(f"/skp/{mine.id}#umpan-balik-{first.id}")
    refused = pegawai.post(f"/skp/{mine.id}/dialog", data={
        "held_on": "2030-01-01", "topics": "Capaian triwulan I", "agreed_actions": "Lembur"})
    assert refused.status_code == 400
    assert "Capaian triwulan I" in refused.get_data(as_text=True)
    added = pegawai.post(f"/skp/{mine.id}/dialog", data={
        "held_on": "2026-04-02", "topics": "Capaian triwulan I", "agreed_actions": "Lembur"})
    assert added.status_code == 302
    seen = page_text(client_for(app, world, "atasan").get(f"/skp/{mine.id}").get_data(
        as_text=True))
    assert "Siap, minggu ini selesai." in seen and "Capaian triwulan I" in seen
    assert client_for(app, world, "pegawai2").post(
        f"/skp/umpan-balik/{first.id}/balas", data={"text": "x"}).status_code == 404
    assert client_for(app, other, "kepala").post(
        f"/skp/{mine.id}/dialog", data={"held_on": "2026-04-02", "topics": "x",
                                        "agreed_actions": "y"}).status_code == 404
    assert session.query(SkpDialog).count() == 1
    assert all(r.ok for r in verify_all(session, wf.audit_key))


def test_feedback_api(app: Flask, session: Session, wf: Workflow,
                      two: tuple[World, World]) -> None:
    """/api/v1/skp/<id>/umpan-balik and /dialog: list, comment, reply, dialog; scope ``skp``
    for writes; the employee cannot start a thread (403); another agency gets 404."""
    world, other = two
    mine = set_chain(session, wf, world)["pegawai"]
    indicator = mine.rhk[0].indicators[0]
    tokens = {who: api_token(session, world.people[who], scope="read skp")
              for who in ("penilai", "pegawai")}
    reader = api_token(session, world.people["penilai"], name="read", scope="read")
    stranger = api_token(session, other.people["kepala"], scope="read skp")
    session.commit()
    client = app.test_client()

    def call(method: str, token: str, path: str, body: object = None) -> object:
        return client.open(f"/api/v1{path}", method=method, json=body,
                           headers={"Authorization": f"Bearer {token}"})

    base = f"/skp/{mine.id}"
    body = {"topic": "indikator", "indicator_id": indicator.id, "month": 2,
            "text": "Realisasi Februari sudah sesuai."}
    assert call("POST", reader, f"{base}/umpan-balik", body).status_code == 403
    assert call("POST", tokens["pegawai"], f"{base}/umpan-balik", body).status_code == 403
    assert call("POST", stranger, f"{base}/umpan-balik", body).status_code == 404
    assert call("POST", tokens["penilai"], f"{base}/umpan-balik",
                {**body, "month": 0}).status_code == 400
    assert session.query(SkpFeedback).count() == 0
    created = call("POST", tokens["penilai"], f"{base}/umpan-balik", body)
    assert created.status_code == 201, created.get_data(as_text=True)
    thread = created.get_json()
    assert thread["month"] == 2 and thread["author"]["role"] == "penilai"
    answer = call("POST", tokens["pegawai"], f"/skp/umpan-balik/{thread['id']}/balasan",
                  {"text": "Terima kasih."})
    assert answer.status_code == 201 and answer.get_json()["parent_id"] == thread["id"]
    listed = call("GET", tokens["pegawai"], f"{base}/umpan-balik").get_json()
    assert [r["text"] for r in listed["threads"][0]["replies"]] == ["Terima kasih."]
    assert listed["may_reply"] is True and listed["may_comment"] is False
    assert call("GET", stranger, f"{base}/umpan-balik").status_code == 404
    dialog = call("POST", tokens["penilai"], f"{base}/dialog",
                  {"held_on": "2026-03-01", "topics": "Realisasi", "agreed_actions": "Lanjut"})
    assert dialog.status_code == 201
    assert call("POST", tokens["penilai"], f"{base}/dialog",
                {"held_on": "1 Maret", "topics": "x", "agreed_actions": "y"}).status_code == 400
    dialogs = call("GET", reader, f"{base}/dialog").get_json()["dialogs"]
    assert [d["topics"] for d in dialogs] == ["Realisasi"]
    session.expire_all()
    assert session.get(Skp, mine.id) is not None
    assert all(r.ok for r in verify_all(session, wf.audit_key))


def test_feedback_section_in_english(app: Flask, session: Session, wf: Workflow,
                                     two: tuple[World, World]) -> None:
    """The feedback and dialog sections speak English when the reader chose it."""
    world = two[0]
    mine = set_chain(session, wf, world)["pegawai"]
    comment(session, wf, world.actor("penilai"), mine.id, topic="indikator",
            indicator_id=mine.rhk[0].indicators[0].id, month=3, text="Good progress.")
    session.commit()
    penilai = client_for(app, world, "penilai")
    penilai.set_cookie("lang", "en")
    html = page_text(penilai.get(f"/skp/{mine.id}").get_data(as_text=True))
    for english in ("Continuous feedback", "Performance dialog", "Give feedback",
                    "Record a performance dialog", "Agreed actions", "March",
                    "Feedback given"):
        assert english in html, english
    for indonesian in ("Umpan balik berkelanjutan", "Kirim umpan balik", "Maret",
                       "Tindak lanjut yang disepakati"):
        assert indonesian not in html, indonesian


def test_feedback_reply_and_dialog_notify_the_other_party(session: Session, wf: Workflow,
                                                          two: tuple[World, World]) -> None:
    """The employee hears of the appraiser's comment, the appraiser of her reply and of a
    dialog she records: one notification each, in the record's transaction, never to the
    one who wrote it."""
    world, _other = two
    mine = set_chain(session, wf, world)["pegawai"]
    employee_id, appraiser_id = mine.employee_id, mine.appraiser_id
    penilai, pegawai = world.actor("penilai"), world.actor("pegawai")

    def inbox(who: int | None) -> list[tuple[str, str, str]]:
        return [(n.kind, n.subject, n.title) for n in session.scalars(
            select(Notification).where(Notification.recipient_id == who,
                                       Notification.kind.in_(
                                           ["umpan_balik", "balas_umpan_balik",
                                            "dialog_kinerja"]))
            .order_by(Notification.id))]

    first = comment(session, wf, penilai, mine.id, topic="rhk", rhk_id=mine.rhk[0].id,
                    text="Percepat berkas bulan Maret.")
    session.commit()
    assert inbox(employee_id) == [("umpan_balik", "skp", "Umpan balik baru pada SKP Anda")]
    assert inbox(appraiser_id) == []
    reply(session, wf, pegawai, first.id, "Siap, saya selesaikan minggu ini.")
    add_dialog(session, wf, pegawai, mine.id, held_on=date(2026, 4, 2),
               topics="Capaian triwulan I", agreed_actions="Lembur dua hari per minggu.")
    session.commit()
    assert [k for k, _, _ in inbox(appraiser_id)] == ["balas_umpan_balik", "dialog_kinerja"]
    assert len(inbox(employee_id)) == 1
    body = session.scalars(select(Notification.body).where(
        Notification.recipient_id == appraiser_id,
        Notification.kind == "dialog_kinerja")).one()
    assert "Lembur dua hari per minggu." in body
