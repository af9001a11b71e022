"""Notifications end to end: derived from the definition's steps, written with the step, sent
from the outbox after commit through a real SMTP server (aiosmtpd), each once, with retries.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from email import message_from_bytes
from email.message import Message as EmailMessage
from typing import Any
from typing import ClassVar

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import SELF
from tests.conftest import World
from tests.integration.test_appeal_clock import APPEAL
from tests.integration.test_appeal_clock import RATING
from tests.integration.test_appeal_clock import local
from tests.integration.test_appeal_clock import zoned_march
from tests.integration.test_skp import make
from tests.integration.test_skp import rhk
from tests.integration.test_skp import set_top
from web import tasks
from workflow.errors import NotFound
from workflow.models import Notification
from workflow.models import OutboxMessage
from workflow.notifications import mark_all_read
from workflow.notifications import mark_read
from workflow.notifications import remind_deadlines
from workflow.notifications import unread_count
from workflow.outbox import MAX_ATTEMPTS
from workflow.outbox import claim
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.service import definition_of
from workflow.skp import fire_skp_transition

WIT = "Asia/Jayapura"


@dataclass
class Mailbox:
    """What the SMTP server was sent; ``refuse`` answers the next N messages with 451."""

    refuse: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    refused: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            self.refuse -= 1
            self.refused += 1
            return "451 4.3.0 Coba lagi nanti"
        self.received.append(message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(name="smtp")
def _smtp(app: Flask) -> Iterator[Mailbox]:
    """A real SMTP server on localhost, and the app configured to send through it."""
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False,
                      SMTP_FROM="notifikasi@kinerja.example.go.id")
    wf = app.extensions["workflow"]
    app.extensions["workflow"] = replace(wf, notify_channels=tasks.notify_channels(app))
    try:
        yield mailbox
    finally:
        controller.stop()


def at(wf: Workflow, moment: datetime) -> Workflow:
    return replace(wf, clock=lambda: moment)


def _rated(session: Session, wf: Workflow) -> tuple[World, int]:
    """Mataram in WIT: pegawai submits on 2 March, the appraiser rates her at 10:00 WIT."""
    world, evaluations = zoned_march(session, wf, WIT)
    ev = evaluations["pegawai"]
    world.people["pegawai"].email = "pegawai@example.go.id"
    session.commit()
    apply_transition(session, at(wf, local(WIT, 2026, 3, 2, 9, 0)), world.actor("pegawai"),
                     ev.id, "submit", data=SELF)
    session.commit()
    apply_transition(session, at(wf, local(WIT, 2026, 3, 2, 10, 0)), world.actor("penilai"),
                     ev.id, "review", data=RATING)
    session.commit()
    return world, ev.id


def _of(session: Session, person_id: int) -> list[Notification]:
    return list(session.scalars(select(Notification).where(
        Notification.recipient_id == person_id).order_by(Notification.id)))


def test_steps_notify_the_roles_their_definition_names(session: Session, wf: Workflow) -> None:
    world, evaluation_id = _rated(session, wf)
    appraiser = _of(session, world.people["penilai"].id)
    employee = _of(session, world.people["pegawai"].id)
    # submit notifies the appraiser; review the employee; nobody is told of her own step.
    assert [n.kind for n in appraiser] == ["submit"]
    assert [n.kind for n in employee] == ["review"]
    assert appraiser[0].subject == "evaluation" and appraiser[0].subject_id == evaluation_id
    assert world.people["pegawai"].name in appraiser[0].body
    rating = employee[0]
    assert rating.title == "Penilaian kinerja: Tetapkan penilaian"
    assert rating.title_en == "Performance evaluation: Give the rating"
    # 14 calendar days from 2 March, ending 23:59 in her own zone (WIT), both languages.
    assert "Batas waktu pengajuan keberatan: Senin, 16 Maret 2026 pukul 23.59 WIT" in rating.body
    assert "Deadline to file an appeal: Monday, 16 March 2026 at 23:59 WIT" in rating.body_en
    # No channel configured: nothing waits in the outbox.
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_outbox_retries_after_an_smtp_failure_and_sends_each_once(
        app: Flask, session: Session, smtp: Mailbox) -> None:
    smtp.refuse = 1  # the first delivery attempt is refused by the server
    wf = app.extensions["workflow"]
    _rated(session, wf)
    rows = list(session.scalars(select(OutboxMessage)))
    # Only the employee has an e-mail address: one row, tried once right after the commit.
    assert len(rows) == 1
    row = rows[0]
    session.refresh(row)
    assert smtp.refused == 1 and smtp.received == []
    assert row.status == "pending" and row.attempts == 1
    assert "451" in row.last_error and row.sent_at is None
    assert row.next_attempt_at > row.created_at

    # Before its retry time nothing is sent; after it, the message goes out once.
    tasks.send_outbox_now(app)
    assert smtp.received == []
    later = row.next_attempt_at + timedelta(seconds=1)
    app.extensions["workflow"] = at(wf, later)
    tasks.send_outbox_now(app)
    tasks.send_outbox_now(app)  # again: nothing left to send
    session.refresh(row)
    assert row.status == "sent" and row.attempts == 2 and row.last_error == ""
    assert row.sent_at == later
    assert len(smtp.received) == 1
    mail = smtp.received[0]
    assert mail["To"] == "pegawai@example.go.id"
    assert mail["From"] == "notifikasi@kinerja.example.go.id"
    text = mail.get_payload(decode=True).decode()
    assert "Senin, 16 Maret 2026 pukul 23.59 WIT" in text
    assert "Monday, 16 March 2026 at 23:59 WIT" in text
    assert "http://localhost/evaluasi/" in text


def test_a_claimed_row_is_not_claimed_again(app: Flask, session: Session, smtp: Mailbox) -> None:
    smtp.refuse = MAX_ATTEMPTS  # every attempt refused
    wf = app.extensions["workflow"]
    _rated(session, wf)
    row = session.scalars(select(OutboxMessage)).one()
    now = row.next_attempt_at + timedelta(seconds=1)
    assert claim(session, "a", now) == [row.id]
    session.commit()
    assert claim(session, "b", now) == []  # taken by a
    session.rollback()
    # A sender that stopped: its claim expires and another takes the row.
    assert claim(session, "b", now + timedelta(hours=1)) == [row.id]
    session.rollback()


def test_a_message_fails_for_good_after_its_attempts(app: Flask, session: Session,
                                                     smtp: Mailbox) -> None:
    smtp.refuse = 100
    wf = app.extensions["workflow"]
    _rated(session, wf)
    row = session.scalars(select(OutboxMessage)).one()
    session.refresh(row)
    moment = row.next_attempt_at
    for _ in range(MAX_ATTEMPTS + 2):
        moment += timedelta(days=1)
        app.extensions["workflow"] = at(wf, moment)
        tasks.send_outbox_now(app)
    session.refresh(row)
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS
    assert smtp.refused == MAX_ATTEMPTS and smtp.received == []


def test_no_email_when_she_switched_it_off(app: Flask, session: Session, smtp: Mailbox) -> None:
    wf = app.extensions["workflow"]
    world, evaluations = zoned_march(session, wf, WIT)
    pegawai = world.people["pegawai"]
    pegawai.email, pegawai.email_notifications = "pegawai@example.go.id", False
    session.commit()
    ev = evaluations["pegawai"]
    apply_transition(session, at(wf, local(WIT, 2026, 3, 2, 9, 0)), world.actor("pegawai"),
                     ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, local(WIT, 2026, 3, 2, 10, 0)), world.actor("penilai"),
                     ev.id, "review", data=RATING)
    session.commit()
    assert [n.kind for n in _of(session, pegawai.id)] == ["review"]  # in the app: yes
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_read_and_read_all_touch_only_her_own(session: Session, wf: Workflow) -> None:
    world, _ = _rated(session, wf)
    pegawai, penilai = world.people["pegawai"], world.people["penilai"]
    mine = _of(session, pegawai.id)[0]
    with pytest.raises(NotFound):
        mark_read(session, penilai.id, mine.id, datetime.now(UTC))
    assert unread_count(session, pegawai.id) == 1
    mark_read(session, pegawai.id, mine.id, datetime.now(UTC))
    session.commit()
    assert unread_count(session, pegawai.id) == 0
    assert unread_count(session, penilai.id) == 1
    assert mark_all_read(session, penilai.id, datetime.now(UTC)) == 1
    session.commit()
    assert unread_count(session, penilai.id) == 0


def test_reminders_7_3_and_1_working_days_before_the_appeal_deadline_once(
        session: Session, wf: Workflow) -> None:
    world, _ = _rated(session, wf)  # the window closes Monday 16 March 2026, 23:59 WIT
    pegawai = world.people["pegawai"]

    def run(day: int) -> int:
        moment = local(WIT, 2026, 3, day, 7, 0)
        written = remind_deadlines(session, definition_of, wf.calendars.calendar, moment)
        session.commit()
        return written

    # Working days left after the day, up to 16 March: 5 Mar (Thu) → 7; 11 Mar (Wed) → 3
    # (Nyepi, 19 March, is after); 13 Mar (Fri) → 1 (the weekend does not count); 14 → 1 too.
    assert run(4) == 0
    assert run(5) == 1
    assert run(5) == 0  # the same reminder is written once
    assert run(11) == 1
    assert run(13) == 1
    assert run(14) == 0  # still 1 working day left: already reminded
    reminders = [n for n in _of(session, pegawai.id) if n.kind == "reminder"]
    assert [n.title for n in reminders] == [
        "Pengingat: Batas waktu pengajuan keberatan tinggal 7 hari kerja",
        "Pengingat: Batas waktu pengajuan keberatan tinggal 3 hari kerja",
        "Pengingat: Batas waktu pengajuan keberatan tinggal 1 hari kerja"]
    assert "Senin, 16 Maret 2026 pukul 23.59 WIT" in reminders[0].body


def test_skp_submitted_returned_and_set_are_notified(session: Session, wf: Workflow,
                                                     world: World) -> None:
    top = set_top(session, wf, world)  # the kepala sets her own: nobody else to tell
    assert session.scalar(select(func.count()).select_from(Notification)) == 0
    mid = make(session, wf, world, "atasan", rhk(parent=top.rhk[0].id))
    fire_skp_transition(session, wf, world.actor("atasan"), mid.id, "ajukan")
    fire_skp_transition(session, wf, world.actor("kepala"), mid.id, "kembalikan",
                        "Target terlalu rendah.")
    fire_skp_transition(session, wf, world.actor("atasan"), mid.id, "ajukan")
    fire_skp_transition(session, wf, world.actor("kepala"), mid.id, "tetapkan")
    session.commit()
    assert [(n.kind, n.subject, n.subject_id) for n in _of(session, world.people["kepala"].id)] \
        == [("ajukan", "skp", mid.id)] * 2
    atasan = _of(session, world.people["atasan"].id)
    assert [n.kind for n in atasan] == ["kembalikan", "tetapkan"]
    assert atasan[0].title == "SKP: Kembalikan untuk perbaikan"
    assert "Catatan: Target terlalu rendah." in atasan[0].body


def test_appeal_explanations_and_decision_tell_the_people_on_it(session: Session,
                                                               wf: Workflow) -> None:
    world, evaluation_id = _rated(session, wf)
    apply_transition(session, at(wf, local(WIT, 2026, 3, 3, 9, 0)), world.actor("pegawai"),
                     evaluation_id, "appeal", data=APPEAL)
    session.commit()
    reviewer = world.people["atasan"].id
    assert [n.kind for n in _of(session, reviewer)] == ["appeal"]
    assert [n.kind for n in _of(session, world.people["penilai"].id)] == ["submit", "appeal"]
    decision = _of(session, reviewer)[0]
    # The appeal starts the decider's target: shown in the agency's time.
    assert "Target keputusan keberatan:" in decision.body and "WIT" in decision.body


def test_a_configured_gateway_receives_each_notification_once(app: Flask,
                                                              session: Session) -> None:
    app.config["NOTIFY_GATEWAY"] = f"{__name__}.RecordingGateway"
    RecordingGateway.sent.clear()
    wf = replace(app.extensions["workflow"], notify_channels=tasks.notify_channels(app))
    app.extensions["workflow"] = wf
    world, _ = _rated(session, wf)
    tasks.send_outbox_now(app)
    assert [(m.channel, m.nip, m.subject) for m in RecordingGateway.sent] == [
        ("gateway", world.people["penilai"].nip, "Penilaian kinerja: Ajukan ke Pejabat Penilai"),
        ("gateway", world.people["pegawai"].nip, "Penilaian kinerja: Tetapkan penilaian")]
    assert all(r.status == "sent" for r in session.scalars(select(OutboxMessage)))


class RecordingGateway:
    """A gateway as NOTIFY_GATEWAY names one: records what it is asked to send."""

    sent: ClassVar[list[Any]] = []

    def send(self, message: Any) -> None:
        self.sent.append(message)
