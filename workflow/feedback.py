"""Continuous feedback (*umpan balik berkelanjutan*) and *dialog kinerja* on a set SKP.

Issue 14 item 3. Any time in the year, while the SKP is set (``ditetapkan``):

- the **appraiser** starts a thread on one topic of the SKP — an RHK (``rhk``), an indicator's
  realisation in one period (``indikator``: the indicator plus the month 1–12 and/or the
  period, so it joins the realisation recorded per indicator per period), or a BerAKHLAK value
  (``perilaku``) — with ``comment``;
- the **employee** (or the appraiser again) answers in the thread with ``reply``;
- **either of them** records a dialog kinerja (``add_dialog``: the date it was held, the topics,
  the agreed actions; both parties are the SKP's employee and appraiser).

Nothing is edited or deleted afterwards. Each record is appended to the SKP's history chain
(``skp:<id>``) in the same transaction (kind ``umpan_balik`` / ``dialog``, the record's digest
as the event's data digest, the record in the payload, the SKP's projection unchanged), and
``verify_records`` — called by ``audit verify`` for every SKP chain — reports a row that no
longer matches its event or an event whose row is gone. Whoever may read the SKP reads all of
it (``skp.may_read_skp``: the employee, her appraiser and the chain upward, the agency's
admins and auditors; anyone else and another agency: 404). Pure core: no Flask.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .actors import Actor
from .calendars import agency_zone
from .errors import ConcurrentUpdate
from .errors import GuardFailed
from .errors import InvalidData
from .errors import NotFound
from .errors import NotPermitted
from .history import append_event
from .history import digest
from .localtime import local_date
from .models import HistoryEvent
from .models import Period
from .models import SkpDialog
from .models import SkpFeedback
from .models import SkpIndicator
from .notifications import Subject
from .notifications import notify_record
from .rating import BERAKHLAK
from .service import Workflow
from .skp import get_skp
from .skp import skp_projection
from .skp_flow import SET

TOPICS = ("rhk", "indikator", "perilaku")
MAX_TEXT = 2000
MAX_THREAD = 200  # replies per thread
FEEDBACK_KIND = "umpan_balik"
DIALOG_KIND = "dialog"
VALUES = {v.key for v in BERAKHLAK}


# --- the records as the history keeps them -------------------------------------------------


def feedback_record(row: SkpFeedback) -> dict[str, Any]:
    """Return what the history records of a feedback comment (its event's data)."""
    return {"id": row.id, "skp_id": row.skp_id, "topic": row.topic, "rhk_id": row.rhk_id,
            "indicator_id": row.indicator_id, "period_id": row.period_id, "month": row.month,
            "value": row.value, "parent_id": row.parent_id, "author_id": row.author_id,
            "author_role": row.author_role, "text": row.text,
            "created_at": row.created_at.isoformat()}


def dialog_record(row: SkpDialog) -> dict[str, Any]:
    """Return what the history records of a dialog kinerja (its event's data)."""
    return {"id": row.id, "skp_id": row.skp_id, "held_on": row.held_on.isoformat(),
            "topics": row.topics, "agreed_actions": row.agreed_actions,
            "employee_id": row.employee_id, "appraiser_id": row.appraiser_id,
            "created_by_id": row.created_by_id, "created_at": row.created_at.isoformat()}


# --- who takes part ------------------------------------------------------------------------


def party_role(actor: Actor, skp: Any) -> str | None:
    """Return ``penilai`` (the SKP's appraiser) or ``pegawai`` (its employee), else None."""
    if actor.agency_id != skp.agency_id or actor.employee_id is None:
        return None
    if actor.employee_id == skp.appraiser_id:
        return "penilai"
    if actor.employee_id == skp.employee_id:
        return "pegawai"
    return None


def may_comment(actor: Actor, skp: Any) -> bool:
    """Whether the actor may start a feedback thread on the SKP now (its appraiser, set)."""
    return skp.status == SET and party_role(actor, skp) == "penilai"


def may_take_part(actor: Actor, skp: Any) -> bool:
    """Whether the actor may reply or record a dialog now (either party, SKP set)."""
    return skp.status == SET and party_role(actor, skp) is not None


def _open(session: Session, actor: Actor, skp_id: int, *, starts: bool) -> tuple[Any, str]:
    skp = get_skp(session, actor, skp_id)  # 404 for anyone who may not read it
    role = party_role(actor, skp)
    if role is None or (starts and role != "penilai"):
        raise NotPermitted(
            "Umpan balik dimulai oleh Pejabat Penilai; pegawai membalasnya." if starts else
            "Hanya pegawai dan Pejabat Penilainya yang dapat mengisi ini.",
            "Feedback is started by the appraiser; the employee replies." if starts else
            "Only the employee and her appraiser can add this.")
    if skp.status != SET:
        raise GuardFailed("skp_set", "Umpan balik dan dialog hanya pada SKP yang berlaku "
                          "(ditetapkan).", "Feedback and dialog are for the SKP in force "
                          "(set) only.")
    return skp, role


def _text(problems: dict[str, tuple[str, str]], name: str, value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        problems[name] = ("Wajib diisi.", "Required.")
    elif len(text) > MAX_TEXT:
        problems[name] = (f"Paling panjang {MAX_TEXT} karakter.",
                          f"At most {MAX_TEXT} characters.")
    return text


def _flush(session: Session) -> None:
    try:
        session.flush()
    except (StaleDataError, IntegrityError) as exc:
        if isinstance(exc, IntegrityError) and "history_event" not in str(exc.orig):
            raise
        raise ConcurrentUpdate(
            "SKP sudah berubah sejak Anda membukanya. Muat ulang lalu coba lagi.",
            "The SKP changed since you opened it. Reload and try again.") from exc


def _record(session: Session, wf: Workflow, actor: Actor, skp: Any, role: str, *, kind: str,
            trigger: str, record: Mapping[str, Any]) -> HistoryEvent:
    """Append the record's event to the SKP's chain; the SKP's projection does not change."""
    event = append_event(
        session, wf.audit_key, skp, kind=kind, at=wf.clock(), actor_id=actor.employee_id,
        actor_nip=actor.nip, actor_role=role, trigger=trigger, source=skp.status,
        dest=skp.status, definition_version_id=skp.definition_version_id, data=dict(record),
        payload={"record": dict(record)}, projection=skp_projection(skp))
    _flush(session)
    return event


# --- writing -------------------------------------------------------------------------------


def comment(session: Session, wf: Workflow, actor: Actor, skp_id: int, *, topic: str,
            text: str, rhk_id: int | None = None, indicator_id: int | None = None,
            month: int | None = None, period_id: int | None = None,
            value: str | None = None) -> SkpFeedback:
    """The appraiser starts a feedback thread on an RHK, an indicator in a period, or a
    BerAKHLAK value of the set SKP; recorded in its chain. The caller commits.

    :raises NotFound: the SKP is not one the actor may read.
    :raises NotPermitted: the actor is not the SKP's appraiser.
    :raises GuardFailed: the SKP is not set.
    :raises InvalidData: an unknown topic, an RHK/indicator of another SKP, a month outside
        1–12 or a period of another agency, an unknown value, an empty or too long text.
    """
    skp, role = _open(session, actor, skp_id, starts=True)
    problems: dict[str, tuple[str, str]] = {}
    body = _text(problems, "text", text)
    rhk_ids = {r.id for r in skp.rhk}
    if topic not in TOPICS:
        problems["topic"] = (f"Pilih salah satu: {', '.join(TOPICS)}.",
                             f"Choose one of: {', '.join(TOPICS)}.")
    target: dict[str, Any] = {"rhk_id": None, "indicator_id": None, "month": None,
                              "period_id": None, "value": None}
    if topic == "rhk":
        if rhk_id not in rhk_ids:
            problems["rhk_id"] = ("Pilih RHK dari SKP ini.", "Choose an RHK of this SKP.")
        target["rhk_id"] = rhk_id
    elif topic == "indikator":
        indicator = session.get(SkpIndicator, indicator_id) if isinstance(
            indicator_id, int) else None
        if indicator is None or indicator.rhk_id not in rhk_ids:
            problems["indicator_id"] = ("Pilih indikator dari SKP ini.",
                                        "Choose an indicator of this SKP.")
        else:
            target["rhk_id"] = indicator.rhk_id
        target["indicator_id"] = indicator_id
        if month is None and period_id is None:
            problems["month"] = ("Sebutkan bulan (1–12) atau periode realisasinya.",
                                 "Name the month (1–12) or the period of the realisation.")
        if month is not None and (not isinstance(month, int) or isinstance(month, bool)
                                  or not 1 <= month <= 12):
            problems["month"] = ("Bulan harus 1–12.", "The month must be 1–12.")
        if period_id is not None:
            period = session.get(Period, period_id) if isinstance(period_id, int) else None
            if period is None or period.agency_id != skp.agency_id:
                problems["period_id"] = ("Periode tidak ditemukan.", "Period not found.")
        target["month"], target["period_id"] = month, period_id
    elif topic == "perilaku":
        if value not in VALUES:
            problems["value"] = ("Pilih salah satu nilai BerAKHLAK.",
                                 "Choose one of the BerAKHLAK values.")
        target["value"] = value
    if problems:
        raise InvalidData.of(problems)
    row = SkpFeedback(agency_id=skp.agency_id, skp_id=skp.id, topic=topic, parent_id=None,
                      author_id=actor.employee_id, author_role=role, text=body,
                      created_at=wf.clock(), **target)
    return _store(session, wf, actor, skp, role, row, "umpan_balik")


def reply(session: Session, wf: Workflow, actor: Actor, feedback_id: int,
          text: str) -> SkpFeedback:
    """The employee (or the appraiser) answers a feedback thread. The caller commits.

    :raises NotFound: no such comment, or one the actor may not read.
    :raises NotPermitted: the actor is neither the employee nor the appraiser.
    :raises GuardFailed: the SKP is not set any more.
    :raises InvalidData: an empty or too long text; the thread is full.
    """
    first = session.get(SkpFeedback, feedback_id) if isinstance(feedback_id, int) else None
    if first is None or first.agency_id != actor.agency_id:
        raise NotFound("Umpan balik tidak ditemukan.", "Feedback not found.")
    skp, role = _open(session, actor, first.skp_id, starts=False)
    root_id = first.parent_id or first.id
    problems: dict[str, tuple[str, str]] = {}
    body = _text(problems, "text", text)
    replies = session.scalars(select(SkpFeedback.id).where(
        SkpFeedback.parent_id == root_id)).all()
    if len(replies) >= MAX_THREAD:
        problems["text"] = ("Percakapan ini sudah terlalu panjang; mulai yang baru.",
                            "This thread is too long; start a new one.")
    if problems:
        raise InvalidData.of(problems)
    root = session.get(SkpFeedback, root_id)
    assert root is not None
    row = SkpFeedback(agency_id=skp.agency_id, skp_id=skp.id, topic=root.topic,
                      rhk_id=root.rhk_id, indicator_id=root.indicator_id,
                      period_id=root.period_id, month=root.month, value=root.value,
                      parent_id=root.id, author_id=actor.employee_id, author_role=role,
                      text=body, created_at=wf.clock())
    return _store(session, wf, actor, skp, role, row, "balas_umpan_balik")


def _store(session: Session, wf: Workflow, actor: Actor, skp: Any, role: str,
           row: SkpFeedback, trigger: str) -> SkpFeedback:
    session.add(row)
    _flush(session)  # the id goes into the record
    event = _record(session, wf, actor, skp, role, kind=FEEDBACK_KIND, trigger=trigger,
                    record=feedback_record(row))
    row.event_seq = event.seq
    _tell_other_party(session, wf, actor, skp, trigger, row.text)
    _flush(session)
    return row


def _tell_other_party(session: Session, wf: Workflow, actor: Actor, skp: Any, kind: str,
                      text: str) -> None:
    """The employee hears of the appraiser's comment, reply or dialog, the appraiser of
    hers (``notifications.notify_record``), in the record's transaction."""
    other = skp.appraiser_id if actor.employee_id == skp.employee_id else skp.employee_id
    notify_record(session, Subject("skp", skp.id, skp.agency_id, skp.employee_id), other,
                  actor.employee_id, kind=kind, text=text, now=wf.clock(),
                  channels=wf.notify_channels)


def add_dialog(session: Session, wf: Workflow, actor: Actor, skp_id: int, *,
               held_on: date | None, topics: str, agreed_actions: str) -> SkpDialog:
    """Either party records a dialog kinerja about the set SKP. The caller commits.

    :raises NotFound: the SKP is not one the actor may read.
    :raises NotPermitted: the actor is neither the employee nor the appraiser.
    :raises GuardFailed: the SKP is not set.
    :raises InvalidData: no date, a date outside the SKP's window or after today (the
        agency's day), empty or too long topics or agreed actions.
    """
    skp, role = _open(session, actor, skp_id, starts=False)
    problems: dict[str, tuple[str, str]] = {}
    today = local_date(wf.clock(), agency_zone(session, skp.agency_id))
    if not isinstance(held_on, date):
        problems["held_on"] = ("Isi tanggal dialog.", "Enter the date of the dialog.")
    elif not skp.starts_on <= held_on <= min(skp.ends_on, today):
        problems["held_on"] = ("Tanggal harus dalam masa SKP dan tidak setelah hari ini.",
                               "The date must be within the SKP's period and not after "
                               "today.")
    body = _text(problems, "topics", topics)
    actions = _text(problems, "agreed_actions", agreed_actions)
    if problems:
        raise InvalidData.of(problems)
    assert isinstance(held_on, date) and skp.appraiser_id is not None
    row = SkpDialog(agency_id=skp.agency_id, skp_id=skp.id, held_on=held_on, topics=body,
                    agreed_actions=actions, employee_id=skp.employee_id,
                    appraiser_id=skp.appraiser_id, created_by_id=actor.employee_id,
                    created_at=wf.clock())
    session.add(row)
    _flush(session)
    event = _record(session, wf, actor, skp, role, kind=DIALOG_KIND, trigger="dialog_kinerja",
                    record=dialog_record(row))
    row.event_seq = event.seq
    _tell_other_party(session, wf, actor, skp, "dialog_kinerja", f"{body}\n{actions}")
    _flush(session)
    return row


# --- reading -------------------------------------------------------------------------------


@dataclass(slots=True)
class Thread:
    """A feedback thread: the appraiser's first comment and the answers, oldest first."""

    first: SkpFeedback
    replies: list[SkpFeedback] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SkpFeedbackView:
    """Everything of an SKP's feedback and dialog the reader sees, and what she may add."""

    skp: Any
    threads: list[Thread]
    dialogs: list[SkpDialog]
    may_comment: bool
    may_take_part: bool

    def threads_on(self, topic: str, key: int | str) -> list[Thread]:
        """Return the threads on one RHK (its id), indicator (its id) or value (its key)."""
        attr = {"rhk": "rhk_id", "indikator": "indicator_id", "perilaku": "value"}[topic]
        return [t for t in self.threads
                if t.first.topic == topic and getattr(t.first, attr) == key]


def skp_feedback(session: Session, actor: Actor, skp_id: int) -> SkpFeedbackView:
    """Return the SKP's feedback threads and dialogs for a reader (404 if she may not read
    the SKP)."""
    skp = get_skp(session, actor, skp_id)
    rows = session.scalars(select(SkpFeedback).where(SkpFeedback.skp_id == skp.id)
                           .order_by(SkpFeedback.id)).all()
    threads: dict[int, Thread] = {}
    for row in rows:
        if row.parent_id is None:
            threads[row.id] = Thread(row)
        elif row.parent_id in threads:
            threads[row.parent_id].replies.append(row)
    dialogs = session.scalars(select(SkpDialog).where(SkpDialog.skp_id == skp.id)
                              .order_by(SkpDialog.held_on.desc(), SkpDialog.id.desc())).all()
    return SkpFeedbackView(skp=skp, threads=list(threads.values()), dialogs=list(dialogs),
                           may_comment=may_comment(actor, skp),
                           may_take_part=may_take_part(actor, skp))


def feedback_item(session: Session, actor: Actor, feedback_id: int) -> SkpFeedback:
    """Return one comment the actor may read (404 otherwise)."""
    row = session.get(SkpFeedback, feedback_id)
    if row is None or row.agency_id != actor.agency_id:
        raise NotFound("Umpan balik tidak ditemukan.", "Feedback not found.")
    get_skp(session, actor, row.skp_id)
    return row


# --- verification --------------------------------------------------------------------------


def verify_records(session: Session, skp_id: int,
                   events: Iterable[Mapping[str, Any]]) -> list[str]:
    """Return the feedback/dialog records of an SKP that differ from the event that recorded
    them, or whose row is gone (``umpan_balik#<id>``, ``dialog#<id>``); empty when all match.

    ``events`` are the SKP chain's events as ``audit verify`` read them (``seq``, ``kind``,
    ``data_digest``, ``payload``)."""
    recorded: dict[tuple[str, int], Mapping[str, Any] | None] = {}
    for event in events:
        if event["kind"] in (FEEDBACK_KIND, DIALOG_KIND):
            record = (event.get("payload") or {}).get("record") or {}
            if isinstance(record.get("id"), int):
                recorded[(event["kind"], record["id"])] = event
    bad: list[str] = []
    rows: list[tuple[str, Any, dict[str, Any]]] = [
        (FEEDBACK_KIND, r, feedback_record(r)) for r in session.scalars(
            select(SkpFeedback).where(SkpFeedback.skp_id == skp_id))]
    rows += [(DIALOG_KIND, r, dialog_record(r)) for r in session.scalars(
        select(SkpDialog).where(SkpDialog.skp_id == skp_id))]
    for kind, row, record in rows:
        found = recorded.pop((kind, row.id), None)
        if found is None or found["seq"] != row.event_seq or \
                found["data_digest"] != digest(record):
            bad.append(f"{kind}#{row.id}")
    bad += [f"{kind}#{rid}" for kind, rid in recorded]  # recorded, row deleted
    return sorted(bad)
