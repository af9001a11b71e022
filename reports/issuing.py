"""Issue official documents: check who may print what, bind a verification code, record it.

The code is an HMAC of the document's kind, the digest of what it prints and the hash of the
evaluation's newest history event, so a changed evaluation yields a new code and the old one
shows as superseded at ``/verify/<code>``. Issuing is recorded in the agency's history chain
(not the evaluation's, so printing never conflicts with someone editing the evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.visibility import Visibility
from workflow.actors import Actor
from workflow.actors import may_read
from workflow.actors import roles_of
from workflow.appeals import awaiting_decision
from workflow.calendars import agency_zone
from workflow.errors import NotFound
from workflow.errors import NotPermitted
from workflow.errors import TransitionNotAllowed
from workflow.history import append_event
from workflow.history import digest
from workflow.integrity import ensure_row_matches
from workflow.integrity import evaluation_mismatch
from workflow.integrity import genuine
from workflow.integrity import refuse
from workflow.localtime import DEFAULT_ZONE
from workflow.models import Agency
from workflow.models import Document
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.models import Skp
from workflow.service import definition_of
from workflow.service import get_evaluation

from .gather import build_snapshot
from .snapshot import DocumentSnapshot
from .snapshot import snapshot_digest
from .verification import make_code
from .verification import normalize_code

# The documents an evaluation has, with their titles (Indonesian, English).
DOCUMENT_TITLES = {
    "evaluation": ("Dokumen Evaluasi Kinerja Pegawai", "Employee performance evaluation"),
    "skp": ("Sasaran Kinerja Pegawai", "Employee performance plan (SKP)"),
    "appeal-decision": ("Keputusan atas Keberatan", "Appeal decision"),
    "audit-trail": ("Jejak Audit Evaluasi", "Evaluation audit trail"),
}


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """Everything needed to render one document (picklable: it goes to worker processes)."""

    kind: str
    snapshot: DocumentSnapshot
    code: str
    verify_url: str
    filename: str


def available_kinds(view: Visibility) -> list[str]:
    """Return the document kinds the reader of ``view`` may print for its evaluation now.

    The evaluation document shows the rating, so it exists for a reader who may see the rating
    (``Visibility.rating_visible``: in Kupang the employee sees it only after the team approved
    it). What each document prints of the form data is the reader's view too (``build_snapshot``).
    """
    evaluation, roles = view.evaluation, view.viewer.roles
    kinds = ["skp"]
    if evaluation.predikat and view.rating_visible:
        kinds.append("evaluation")
    # A decision drafted during the appeal (or its hearing) is no decision yet.
    if evaluation.values("appeal-decision") and not awaiting_decision(
            view.definition, evaluation.status):
        kinds.append("appeal-decision")
    if view.staff or "employee" in roles:
        kinds.append("audit-trail")
    return kinds


def _check(session: Session, actor: Actor, evaluation: Evaluation, kind: str) -> Visibility:
    """Return the actor's view of the evaluation once she may print ``kind`` of it."""
    if kind not in DOCUMENT_TITLES:
        raise NotFound("Jenis dokumen tidak dikenal.", "Unknown document kind.")
    definition = definition_of(session, evaluation.definition_version_id)
    roles = roles_of(actor, evaluation, definition)
    if not may_read(actor, roles):
        raise NotFound("Evaluasi tidak ditemukan.", "Evaluation not found.")
    view = Visibility.for_actor(session, actor, evaluation, definition, roles)
    if kind not in available_kinds(view):
        if kind == "audit-trail":
            raise NotPermitted("Jejak audit hanya untuk pegawai yang dinilai dan auditor.",
                               "The audit trail is for the evaluated employee and auditors.")
        raise TransitionNotAllowed("Dokumen ini belum tersedia pada tahap evaluasi sekarang.",
                                   "This document is not available at the current stage.")
    return view


def prepare_document(
    session: Session, secret: bytes, evaluation: Evaluation, kind: str, verify_base: str,
    now: datetime, view: Visibility,
) -> PreparedDocument:
    """Snapshot the evaluation as ``view``'s reader sees it; derive the verification code."""
    snapshot = build_snapshot(session, evaluation, now, view)
    code = make_code(kind, snapshot_digest(snapshot, kind), evaluation.history_head, secret)
    nip = snapshot.employee.nip
    filename = f"{kind}-{nip}-{evaluation.period.label.replace(' ', '-')}.pdf".lower()
    return PreparedDocument(kind, snapshot, code, f"{verify_base.rstrip('/')}/verify/{code}",
                            filename)


def _standing_summary(kind: str, snapshot: DocumentSnapshot) -> dict[str, object]:
    """What ``/verify`` repeats about a printed result: BELUM FINAL and the appeal window."""
    if kind != "evaluation":
        return {}
    until = snapshot.appeal_until.isoformat() if snapshot.appeal_until else None
    return {"final": snapshot.final, "appeal_until": until}


def _document_seal(document: Document) -> dict[str, object]:
    """What the issuing event holds of the stored document besides its code: the printed
    content's digest, the summary ``/verify`` repeats, who and when (the event's own ``at``)."""
    return {"digest": document.digest, "summary": digest(document.summary or {}),
            "issued_by_nip": document.issued_by_nip}


def _issuing_event(session: Session, document: Document) -> HistoryEvent | None:
    """Return the agency-chain event that recorded the document's issue."""
    candidates = session.scalars(select(HistoryEvent).where(
        HistoryEvent.agency_id == document.agency_id, HistoryEvent.evaluation_id.is_(None),
        HistoryEvent.kind == "document", HistoryEvent.at == document.issued_at))
    return next((e for e in candidates if (e.payload or {}).get("code") == document.code), None)


def document_mismatch(session: Session, key: bytes, document: Document) -> tuple[str, ...]:
    """Return the columns of a stored document that differ from its issuing event.

    Documents issued before the event held the digest and summary are checked on what it did
    hold (code, kind, evaluation, chain head).
    """
    event = _issuing_event(session, document)
    if event is None or not genuine(key, event):
        return ("document",)
    payload = event.payload or {}
    seal = _document_seal(document)
    expected = {"kind": document.kind, "evaluation_id": document.evaluation_id,
                "event_hash": document.event_hash, **seal}
    return tuple(f"document.{name}" for name, value in expected.items()
                 if name in payload and payload[name] != value)


def record_issue(
    session: Session, audit_key: bytes, actor: Actor, evaluation: Evaluation,
    prepared: PreparedDocument, now: datetime,
) -> Document:
    """Store the document's code (once per code) and record the issue in the history."""
    existing = session.scalar(select(Document).where(Document.code == prepared.code))
    if existing is not None:
        return existing
    snapshot = prepared.snapshot
    document = Document(
        agency_id=evaluation.agency_id, evaluation_id=evaluation.id, kind=prepared.kind,
        code=prepared.code, digest=snapshot_digest(snapshot, prepared.kind),
        event_hash=evaluation.history_head, issued_at=now, issued_by_nip=actor.nip,
        summary={"name": snapshot.employee.name, "period": snapshot.period_label,
                 "predikat": snapshot.predikat, "agency": snapshot.agency_name,
                 "state": snapshot.state, **_standing_summary(prepared.kind, snapshot)},
    )
    session.add(document)
    agency = session.get(Agency, evaluation.agency_id)
    assert agency is not None
    append_event(session, audit_key, agency, kind="document", at=now,
                 actor_id=actor.employee_id, actor_nip=actor.nip,
                 actor_role="admin" if actor.is_admin else "", trigger="document_issued",
                 payload={"evaluation_id": evaluation.id, "kind": prepared.kind,
                          "code": prepared.code, "event_hash": evaluation.history_head,
                          **_document_seal(document)})
    session.flush()
    return document


def issue_document(
    session: Session, audit_key: bytes, actor: Actor, evaluation_id: int, kind: str,
    verify_base: str, now: datetime,
) -> tuple[bytes, PreparedDocument]:
    """Check access, render the PDF, record the issue; the caller commits.

    :raises NotFound: unknown evaluation/kind, or the actor has no business with it.
    :raises NotPermitted: the audit trail for someone who is neither employee nor auditor.
    :raises TransitionNotAllowed: the document does not exist yet at this stage.
    :raises RecordMismatch: the evaluation row differs from its history (refusal recorded).
    """
    from .render import render_pdf  # here: WeasyPrint loads only when printing

    evaluation = get_evaluation(session, actor, evaluation_id)
    view = _check(session, actor, evaluation, kind)
    ensure_row_matches(session, audit_key, evaluation, surface="document", now=now,
                       actor_id=actor.employee_id, actor_nip=actor.nip)
    prepared = prepare_document(session, audit_key, evaluation, kind, verify_base, now, view)
    pdf = render_pdf(kind, prepared.snapshot, verification_code=prepared.code,
                     verify_url=prepared.verify_url)
    record_issue(session, audit_key, actor, evaluation, prepared, now)
    return pdf, prepared


@dataclass(frozen=True, slots=True)
class Verification:
    """What ``/verify/<code>`` may tell anyone: what the document says, and if it still holds."""

    kind_label: str
    name: str
    period: str
    predikat: str
    agency: str
    issued_at: datetime
    superseded: bool
    reason: str
    # The printed result was not final yet (BELUM FINAL), and the appeal window's end if one ran.
    final: bool = True
    appeal_until: datetime | None = None
    zone: str = DEFAULT_ZONE  # the issuing agency's: ``issued_at`` is shown in it
    # The document or its evaluation was changed behind the app's back: these columns differ
    # from the history, and nothing else is told.
    refused: tuple[str, ...] = ()


def verify_code(session: Session, key: bytes, code: str, now: datetime) -> Verification | None:
    """Look a verification code up (typing mistakes such as O/0 are forgiven).

    The stored document is first checked against its issuing event, and the evaluation row
    against its history: if either was changed, nothing it says is repeated (``refused``) and
    the refusal is appended to the agency's chain; the caller commits.
    """
    document = session.scalar(select(Document).where(Document.code == normalize_code(code)))
    if document is None:
        return None
    if document.evaluation_id is None:
        return verify_skp_document(session, key, document)
    evaluation = session.get(Evaluation, document.evaluation_id)
    fields = document_mismatch(session, key, document)
    if evaluation is not None:
        fields += evaluation_mismatch(session, key, evaluation)
    if fields:
        if evaluation is not None:
            refuse(session, key, evaluation, fields, surface="verify", now=now)
        return Verification(
            kind_label=DOCUMENT_TITLES.get(document.kind, (document.kind, ""))[0], name="",
            period="", predikat="", agency="", issued_at=document.issued_at, superseded=True,
            reason="", zone=agency_zone(session, document.agency_id), refused=fields)
    newer = session.scalar(select(Document.id).where(
        Document.evaluation_id == document.evaluation_id, Document.kind == document.kind,
        Document.id > document.id, Document.digest != document.digest).limit(1))
    changed = evaluation is None or evaluation.history_head != document.event_hash
    reason = ""
    if newer is not None:
        reason = "Sudah ada dokumen yang lebih baru untuk evaluasi ini."
    elif changed:
        reason = "Evaluasi telah berubah sejak dokumen ini diterbitkan."
    summary = document.summary or {}
    until = summary.get("appeal_until")
    return Verification(
        kind_label=DOCUMENT_TITLES.get(document.kind, (document.kind, ""))[0],
        name=summary.get("name", ""), period=summary.get("period", ""),
        predikat=summary.get("predikat", ""), agency=summary.get("agency", ""),
        issued_at=document.issued_at, superseded=bool(newer is not None or changed),
        reason=reason, final=bool(summary.get("final", True)),
        appeal_until=datetime.fromisoformat(until) if until else None,
        zone=agency_zone(session, document.agency_id),
    )


def verify_skp_document(session: Session, key: bytes, document: Document) -> Verification:
    """What ``/verify`` tells of an SKP document: whose SKP, and whether the SKP changed
    since (its history head moved) or a newer document of it was issued. A document changed
    behind the app's back is refused like an evaluation's."""
    fields = document_mismatch(session, key, document)
    zone = agency_zone(session, document.agency_id)
    title = DOCUMENT_TITLES["skp"][0]
    if fields:
        return Verification(kind_label=title, name="", period="", predikat="", agency="",
                            issued_at=document.issued_at, superseded=True, reason="",
                            zone=zone, refused=fields)
    skp = session.get(Skp, document.skp_id) if document.skp_id is not None else None
    newer = session.scalar(select(Document.id).where(
        Document.skp_id == document.skp_id, Document.kind == document.kind,
        Document.id > document.id, Document.digest != document.digest).limit(1))
    changed = skp is None or skp.history_head != document.event_hash
    reason = ""
    if newer is not None:
        reason = "Sudah ada dokumen yang lebih baru untuk SKP ini."
    elif changed:
        reason = "SKP telah berubah sejak dokumen ini diterbitkan."
    summary = document.summary or {}
    return Verification(
        kind_label=title, name=summary.get("name", ""), period=summary.get("period", ""),
        predikat="", agency=summary.get("agency", ""), issued_at=document.issued_at,
        superseded=bool(newer is not None or changed), reason=reason,
        final=bool(summary.get("final", True)), zone=zone)
