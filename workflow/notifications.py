"""Notifications: who is told what when a step is taken, and the deadline reminders.

One rule: a step of a flow (an evaluation's or an SKP's) names the roles it tells in its
definition (``notify:``; the national defaults are in ``definitions/default.yaml`` and
``skp_flow.NATIONAL``). The two places where steps are written (``service.fire_transition``
and the SKP flow's ``skp._fire``) call ``notify_step`` in the same transaction as the step's
history event, so a step and its notifications commit together or not at all. Each
notification is shown in the recipient's notification centre; its copies to send outside the
app (e-mail when she has an address and wants it, the gateway when one is configured) are
written to the outbox (``OutboxMessage``) and sent after commit by the job queue
(``workflow.outbox``). A session that wrote outbox rows says so in ``session.info``
(``OUTBOX_WRITTEN``), so the app can enqueue the sender once the transaction commits.

Reminders (``remind_deadlines``, run by the periodic deadline task) tell whoever may take a
step that waits on a deadline, 7, 3 and 1 working days (the agency's calendar) before it
closes; each reminder is written once (``dedupe_key``).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import literal
from sqlalchemy import null
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from .definition import SYSTEM_ROLE
from .definition import TransitionRule
from .definition import WorkflowDefinition
from .errors import NotFound
from .localtime import format_moment
from .models import Employee
from .models import Evaluation
from .models import Group
from .models import GroupMember
from .models import Notification
from .models import OutboxMessage
from .models import Participant
from .models import Period
from .models import UTCDateTime
from .workcalendar import WorkCalendar

#: The key in ``session.info`` telling that outbox rows wait for the commit.
OUTBOX_WRITTEN = "outbox_written"
#: Channels the outbox knows: ``email`` (SMTP) and ``gateway`` (``NOTIFY_GATEWAY``).
CHANNELS = ("email", "gateway")
#: Working days before a deadline on which the ones who may act are reminded.
REMIND_DAYS = (7, 3, 1)
#: A page of the notification list.
PAGE = 20

#: ``(session, version_id) → WorkflowDefinition`` (``service.definition_of``).
DefinitionLookup = Callable[[Session, int], WorkflowDefinition]
#: ``(session, agency_id, now) → WorkCalendar`` (``Workflow.calendars.calendar``).
CalendarLookup = Callable[[Session, int, datetime], WorkCalendar]

# What a deadline is called in a message (other names: "batas waktu <name>").
_DEADLINE_NAMES = {
    "appeal_window": ("Batas waktu pengajuan keberatan", "Deadline to file an appeal"),
    "appeal_decision": ("Target keputusan keberatan", "Target date of the appeal decision"),
}
_SUBJECTS = {"evaluation": ("Penilaian kinerja", "Performance evaluation"),
             "skp": ("SKP", "SKP")}


@dataclass(frozen=True, slots=True)
class Subject:
    """What a notification is about: ``evaluation`` or ``skp``, its id, and its agency."""

    kind: str
    id: int
    agency_id: int
    owner_id: int | None = None


def deadline_name(name: str, lang: str = "id") -> str:
    """Return what a message calls a deadline of the definition."""
    pair = _DEADLINE_NAMES.get(name, (f"Batas waktu {name}", f"Deadline {name}"))
    return pair[1] if lang == "en" else pair[0]


def _started_deadlines(rule: TransitionRule) -> list[str]:
    return [str(call.arg) for call in rule.effects if call.name == "start_deadline" and call.arg]


def _deadline_lines(names: Iterable[str], deadlines: Mapping[str, str], zone: str,
                    lang: str) -> list[str]:
    lines = []
    for name in names:
        if due := deadlines.get(name):
            moment = format_moment(datetime.fromisoformat(due), zone, lang, "long")
            lines.append(f"{deadline_name(name, lang)}: {moment}")
    return lines


def notify_step(session: Session, definition: WorkflowDefinition, rule: TransitionRule,
                subject: Subject, participants: Mapping[str, int], actor_id: int | None,
                *, now: datetime, deadlines: Mapping[str, str], zone: str,
                comment: str = "", channels: Sequence[str] = ()) -> list[int]:
    """Write the notifications a step just taken sends (its ``notify:`` roles, never the one
    who took it) and their outbox rows for ``channels``; the caller commits with the step."""
    recipients = sorted({participants[role] for role in rule.notify if role in participants}
                        - {actor_id})
    # A group role (``group:<slug>``, e.g. the evaluation team): its active members.
    groups = sorted({g for role in rule.notify if role not in participants
                     and role in definition.roles and (g := definition.roles[role].group)})
    if not recipients and not groups:
        return []
    head_id, head_en = _SUBJECTS[subject.kind]
    title = f"{head_id}: {rule.label}"
    title_en = f"{head_en}: {rule.label_en}"
    body: list[str] = []
    body_en: list[str] = []
    started = _started_deadlines(rule)
    body += _deadline_lines(started, deadlines, zone, "id")
    body_en += _deadline_lines(started, deadlines, zone, "en")
    if comment.strip():
        body.append(f"Catatan: {comment.strip()}")
        body_en.append(f"Comment: {comment.strip()}")
    return _write(session, subject, recipients, rule.name, title, title_en, "\n".join(body),
                  "\n".join(body_en), channels, now, groups=groups, actor_id=actor_id)


# What a feedback record tells the other party (``workflow.feedback``): its kind → title.
_RECORD_TITLES = {
    "umpan_balik": ("Umpan balik baru pada SKP Anda", "New feedback on your SKP"),
    "balas_umpan_balik": ("Balasan umpan balik", "A reply to feedback"),
    "dialog_kinerja": ("Dialog kinerja dicatat", "Performance dialog recorded"),
}


def notify_record(session: Session, subject: Subject, recipient_id: int | None,
                  actor_id: int | None, *, kind: str, text: str, now: datetime,
                  channels: Sequence[str] = ()) -> list[int]:
    """Tell the other party of an SKP about a feedback comment, a reply or a dialog record
    (``kind``: a key of ``_RECORD_TITLES``), written with the record; the caller commits.
    Nobody is told of what she wrote herself."""
    if recipient_id is None or recipient_id == actor_id:
        return []
    title, title_en = _RECORD_TITLES[kind]
    excerpt = text.strip()
    if len(excerpt) > 280:
        excerpt = excerpt[:279] + "…"
    return _write(session, subject, [recipient_id], kind, title, title_en, excerpt, excerpt,
                  channels, now, actor_id=actor_id)


def _write(session: Session, subject: Subject, recipients: Sequence[int], kind: str,
           title: str, title_en: str, body: str, body_en: str, channels: Sequence[str],
           now: datetime, dedupe: Mapping[int, str] | None = None,
           groups: Sequence[str] = (), actor_id: int | None = None) -> list[int]:
    """Insert the notifications of the active recipients of the agency and their outbox rows:
    one ``INSERT … SELECT`` each (a transition's budget of statements is small)."""
    key = (case(dict(dedupe), value=Employee.id, else_=null()) if dedupe
           else null()).label("dedupe_key")
    body_sql: ColumnElement[str] = literal(body)
    body_en_sql: ColumnElement[str] = literal(body_en)
    if subject.owner_id is not None:  # whose it is, read in the same statement
        owner = aliased(Employee)
        name = select(owner.name).where(owner.id == subject.owner_id).scalar_subquery()
        body_sql = literal("Pegawai: ") + name + literal("\n" + body if body else "")
        body_en_sql = literal("Employee: ") + name + literal("\n" + body_en if body_en else "")
    who: ColumnElement[bool] = Employee.id.in_(recipients)
    if groups:
        members = (select(GroupMember.employee_id)
                   .join(Group, Group.id == GroupMember.group_id)
                   .where(Group.agency_id == subject.agency_id, Group.slug.in_(groups)))
        who = or_(who, Employee.id.in_(members))
        if actor_id is not None:
            who = and_(who, Employee.id != actor_id)
    rows = select(
        literal(subject.agency_id), Employee.id, literal(kind), literal(subject.kind),
        literal(subject.id), literal(title[:300]), literal(title_en[:300]), body_sql,
        body_en_sql, key, literal(now, UTCDateTime()),
    ).where(who, Employee.active.is_(True), Employee.agency_id == subject.agency_id)
    ids = list(session.scalars(insert(Notification).from_select(
        ["agency_id", "recipient_id", "kind", "subject", "subject_id", "title", "title_en",
         "body", "body_en", "dedupe_key", "created_at"], rows).returning(Notification.id)))
    if not ids:
        return []
    for channel in CHANNELS:
        if channel not in channels:
            continue
        address = Employee.email if channel == "email" else literal("")
        copies = select(
            Notification.id, literal(channel), address, literal("pending"), literal(0),
            literal(""), literal(""), literal(now, UTCDateTime()), literal(now, UTCDateTime()),
        ).join(Employee, Employee.id == Notification.recipient_id).where(
            Notification.id.in_(ids))
        if channel == "email":
            copies = copies.where(Employee.email != "", Employee.email_notifications.is_(True))
        session.execute(insert(OutboxMessage).from_select(
            ["notification_id", "channel", "address", "status", "attempts", "last_error",
             "claimed_by", "next_attempt_at", "created_at"], copies))
        session.info[OUTBOX_WRITTEN] = True
    return ids


# --- the notification centre ------------------------------------------------------------


def unread_count(session: Session, employee_id: int) -> int:
    """Return how many of her notifications she has not read (the badge)."""
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.recipient_id == employee_id, Notification.read_at.is_(None))) or 0


def notifications_of(session: Session, employee_id: int, *, before: int | None = None,
                     limit: int = PAGE) -> list[Notification]:
    """Return a page of her notifications, newest first (``before``: a keyset cursor)."""
    query = select(Notification).where(Notification.recipient_id == employee_id)
    if before is not None:
        query = query.where(Notification.id < before)
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def mark_read(session: Session, employee_id: int, notification_id: int,
              now: datetime) -> Notification:
    """Mark one of her notifications read; the caller commits.

    :raises NotFound: no such notification of hers (someone else's is not found either).
    """
    notification = session.get(Notification, notification_id)
    if notification is None or notification.recipient_id != employee_id:
        raise NotFound("Notifikasi tidak ditemukan.", "Notification not found.")
    if notification.read_at is None:
        notification.read_at = now
    return notification


def mark_all_read(session: Session, employee_id: int, now: datetime) -> int:
    """Mark all her notifications read; the caller commits. Returns how many changed."""
    result = session.execute(update(Notification).where(
        Notification.recipient_id == employee_id, Notification.read_at.is_(None))
        .values(read_at=now).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def set_email_preference(session: Session, employee: Employee, enabled: bool) -> None:
    """Record whether she wants notifications by e-mail; the caller commits."""
    employee.email_notifications = bool(enabled)


# --- deadline reminders -------------------------------------------------------------------


def working_days_left(calendar: WorkCalendar, today: date, due_day: date) -> int:
    """Return the working days after ``today`` up to and including ``due_day``."""
    count, day = 0, today
    while day < due_day:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            count += 1
    return count


def _waiting_on(definition: WorkflowDefinition, state: str) -> dict[str, set[str]]:
    """Return deadline → the roles that may take a step out of ``state`` before it closes
    (a ``within_deadline`` guard) or are due to by then (``due``)."""
    waiting: dict[str, set[str]] = {}
    for rule in definition.transitions_from(state):
        names = {str(g.arg) for g in rule.guards if g.name == "within_deadline" and g.arg}
        if rule.due:
            names.add(rule.due)
        for name in names:
            waiting.setdefault(name, set()).update(r for r in rule.by if r != SYSTEM_ROLE)
    return waiting


def remind_deadlines(session: Session, definitions: DefinitionLookup, calendars: CalendarLookup,
                     now: datetime, *, channels: Sequence[str] = ()) -> int:
    """Remind whoever may act on an open deadline, 7, 3 and 1 working days before it closes.

    Reads the evaluations that are in a state with a step waiting on a deadline; each reminder
    (evaluation, deadline, its moment, days left, recipient) is written once. The caller
    commits. Returns how many notifications were written.
    """
    written = 0
    rows = session.execute(
        select(Evaluation.id, Evaluation.agency_id, Evaluation.status, Evaluation.deadlines,
               Evaluation.definition_version_id, Evaluation.employee_id, Period.label)
        .join(Period, Period.id == Evaluation.period_id)
        .where(Evaluation.deadlines.is_not(None))).all()
    for evaluation_id, agency_id, status, deadlines, version_id, owner_id, period in rows:
        if not deadlines:
            continue
        definition = definitions(session, version_id)
        if status in definition.final:
            continue
        waiting = _waiting_on(definition, status)
        if not waiting:
            continue
        calendar = calendars(session, agency_id, now)
        today = calendar.local_date(now)
        participants = _participants(session, evaluation_id, owner_id)
        for name, roles in sorted(waiting.items()):
            due_text = deadlines.get(name)
            if not due_text:
                continue
            due = datetime.fromisoformat(due_text)
            if due <= now:
                continue
            left = working_days_left(calendar, today, calendar.local_date(due))
            if left not in REMIND_DAYS:
                continue
            recipients = sorted({participants[r] for r in roles if r in participants})
            fresh = [r for r in recipients if not _exists(session, _key(
                evaluation_id, name, due_text, left, r))]
            if not fresh:
                continue
            when_id = format_moment(due, calendar.zone, "id", "long")
            when_en = format_moment(due, calendar.zone, "en", "long")
            written += len(_write(
                session, Subject("evaluation", evaluation_id, agency_id, owner_id), fresh,
                "reminder",
                f"Pengingat: {deadline_name(name)} tinggal {left} hari kerja",
                f"Reminder: {deadline_name(name, 'en')} in {left} working day(s)",
                f"Penilaian kinerja {period}\n{deadline_name(name)}: {when_id}",
                f"Performance evaluation {period}\n{deadline_name(name, 'en')}: {when_en}",
                channels, now,
                dedupe={r: _key(evaluation_id, name, due_text, left, r) for r in fresh}))
    return written


def _key(evaluation_id: int, name: str, due: str, left: int, recipient: int) -> str:
    return f"remind:{evaluation_id}:{name}:{due[:19]}:{left}:{recipient}"[:120]


def _exists(session: Session, key: str) -> bool:
    return session.scalar(select(Notification.id).where(Notification.dedupe_key == key)) \
        is not None


def _participants(session: Session, evaluation_id: int, owner_id: int) -> dict[str, int]:
    rows = session.execute(select(Participant.role, Participant.employee_id)
                           .where(Participant.evaluation_id == evaluation_id)).all()
    found = {str(role): int(employee_id) for role, employee_id in rows}
    found.setdefault("employee", owner_id)
    return found
