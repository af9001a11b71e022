"""The outbox: send the notifications' e-mail and gateway copies after commit, each once.

Rows (``OutboxMessage``) are written with the event that causes them
(``notifications.notify_step``). A sender (the job queue's ``send_outbox`` task, enqueued
after every commit that wrote rows and run periodically) ``claim``s due rows — ``pending``
ones whose time has come, and ``sending`` ones whose sender stopped before finishing (its
claim is older than ``LEASE``) — by moving them to ``sending`` under its own name in one
committed transaction (on PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so two senders never
take the same row). Then it sends each one outside any transaction and records the outcome:
``sent`` with ``sent_at``, or the error with the next attempt after a growing delay, or
``failed`` once ``MAX_ATTEMPTS`` are used. A row is only marked by the sender that holds its
claim. Only a sender that dies between the SMTP server's acceptance and its own record can
cause a second copy (after ``LEASE``); nothing is sent twice otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Protocol

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from .models import Employee
from .models import Notification
from .models import OutboxMessage

#: A row is tried this many times before it ends as ``failed``.
MAX_ATTEMPTS = 5
#: The delay before the second try; doubled for each further one.
FIRST_RETRY = timedelta(minutes=1)
#: A claim older than this belongs to a sender that stopped: the row is claimed again.
LEASE = timedelta(minutes=10)
#: Rows one sender claims at a time.
BATCH = 50


@dataclass(frozen=True, slots=True)
class Message:
    """What a channel sends: the gateway interface's ``send(message)`` receives this.

    ``address`` is the e-mail address (empty for the gateway, which finds the recipient by
    ``nip``); texts are in Indonesian with their English translation; ``link`` is the page
    the notification is about (absolute when the app knows its public address).
    """

    id: int
    channel: str
    address: str
    nip: str
    name: str
    subject: str
    subject_en: str
    body: str
    body_en: str
    link: str


class Sender(Protocol):
    """A channel: ``send`` delivers one message or raises (any exception: tried again)."""

    def send(self, message: Message) -> None: ...


@dataclass(frozen=True, slots=True)
class OutboxReport:
    """What one run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


def claim(session: Session, worker: str, now: datetime, *, limit: int = BATCH) -> list[int]:
    """Take up to ``limit`` due rows for ``worker`` (the caller commits at once)."""
    due = or_(
        (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < now - LEASE),
    )
    query = select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        return []
    # The status in the WHERE again: on SQLite (no row locks) a row another sender took
    # meanwhile does not move, and is not ours.
    session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids), due).values(
        status="sending", claimed_by=worker, claimed_at=now,
        attempts=OutboxMessage.attempts + 1).execution_options(synchronize_session=False))
    return list(session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == worker,
        OutboxMessage.status == "sending")))


def message_of(session: Session, row_id: int, base_url: str = "") -> Message | None:
    """Return the message a claimed row sends."""
    row = session.execute(
        select(OutboxMessage, Notification, Employee)
        .join(Notification, Notification.id == OutboxMessage.notification_id)
        .join(Employee, Employee.id == Notification.recipient_id)
        .where(OutboxMessage.id == row_id)).first()
    if row is None:
        return None
    outbox, notification, employee = row
    path = (f"/evaluasi/{notification.subject_id}" if notification.subject == "evaluation"
            else f"/skp/{notification.subject_id}")
    return Message(id=outbox.id, channel=outbox.channel, address=outbox.address,
                   nip=employee.nip, name=employee.name, subject=notification.title,
                   subject_en=notification.title_en, body=notification.body,
                   body_en=notification.body_en, link=base_url.rstrip("/") + path)


def _record(session: Session, row_id: int, worker: str, values: Mapping[str, object]) -> None:
    session.execute(update(OutboxMessage).where(
        OutboxMessage.id == row_id, OutboxMessage.claimed_by == worker,
        OutboxMessage.status == "sending").values(**values)
        .execution_options(synchronize_session=False))


def send_due(session: Session, senders: Mapping[str, Sender], worker: str,
             clock: Clock, *, base_url: str = "", limit: int = BATCH) -> OutboxReport:
    """Claim the due rows and send each through its channel; commits after each step.

    A row of a channel without a sender (e-mail switched off since it was written) fails at
    once with that reason.
    """
    ids = claim(session, worker, clock(), limit=limit)
    session.commit()
    sent = retried = failed = 0
    for row_id in ids:
        message = message_of(session, row_id, base_url)
        attempts = session.scalar(select(OutboxMessage.attempts).where(
            OutboxMessage.id == row_id)) or 0
        session.commit()  # nothing is held open while the message travels
        if message is None:
            continue
        sender = senders.get(message.channel)
        try:
            if sender is None:
                raise RuntimeError(f"channel {message.channel} is not configured")
            sender.send(message)
        except Exception as exc:  # noqa: BLE001 - any failure of a channel is retried
            error = f"{type(exc).__name__}: {exc}"[:2000]
            if sender is None or attempts >= MAX_ATTEMPTS:
                _record(session, row_id, worker, {"status": "failed", "last_error": error})
                failed += 1
            else:
                delay = FIRST_RETRY * (2 ** (attempts - 1))
                _record(session, row_id, worker, {"status": "pending", "last_error": error,
                                                  "next_attempt_at": clock() + delay})
                retried += 1
        else:
            _record(session, row_id, worker, {"status": "sent", "sent_at": clock(),
                                              "last_error": ""})
            sent += 1
        session.commit()
    return OutboxReport(sent, retried, failed)


class Clock(Protocol):
    """The time now, UTC (``Workflow.clock``)."""

    def __call__(self) -> datetime: ...
