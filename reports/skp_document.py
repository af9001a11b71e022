"""Issue the SKP document: check who may read the SKP, bind a verification code, record it.

The code is an HMAC of the kind (``skp-set``), the digest of what the document prints and the
head of the SKP's own history chain, so a changed SKP yields a new code and the old one shows
as superseded at ``/verify/<code>``. Reading follows the one visibility rule of SKPs
(``workflow.skp.get_skp``: another agency's or an unrelated reader's SKP is 404). The issue
is stored (``Document.skp_id``) and recorded in the agency's chain, like an evaluation's
documents, so printing never conflicts with someone editing the SKP.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.actors import Actor
from workflow.history import append_event
from workflow.history import digest
from workflow.models import Agency
from workflow.models import Document
from workflow.skp import get_skp

from .skp_gather import build_skp_snapshot
from .snapshot import skp_digest
from .verification import make_code

KIND = "skp-set"
TITLE = ("Sasaran Kinerja Pegawai", "Employee performance plan (SKP)")


def issue_skp_document(session: Session, audit_key: bytes, actor: Actor, skp_id: int,
                       verify_base: str, now: datetime) -> tuple[bytes, str]:
    """Render the SKP as a PDF for a reader who may see it and record the issue; the caller
    commits. Returns the PDF and its file name.

    :raises NotFound: no such SKP, another agency's, or not readable by the actor.
    """
    from .render import render_skp_pdf  # here: WeasyPrint loads only when printing

    skp = get_skp(session, actor, skp_id)
    snapshot = build_skp_snapshot(session, skp, now)
    content = skp_digest(snapshot)
    code = make_code(KIND, content, skp.history_head or "", audit_key)
    verify_url = f"{verify_base.rstrip('/')}/verify/{code}"
    pdf = render_skp_pdf(snapshot, verification_code=code, verify_url=verify_url)
    if session.scalar(select(Document.id).where(Document.code == code)) is None:
        document = Document(
            agency_id=skp.agency_id, evaluation_id=None, skp_id=skp.id, kind=KIND, code=code,
            digest=content, event_hash=skp.history_head or "", issued_at=now,
            issued_by_nip=actor.nip,
            summary={"name": snapshot.employee.name, "period": f"SKP {skp.year}"
                     + (f" versi {skp.version}" if skp.version > 1 else ""),
                     "predikat": "", "agency": snapshot.agency_name, "state": snapshot.state,
                     "final": snapshot.final})
        session.add(document)
        agency = session.get(Agency, skp.agency_id)
        assert agency is not None
        append_event(session, audit_key, agency, kind="document", at=now,
                     actor_id=actor.employee_id, actor_nip=actor.nip,
                     actor_role="admin" if actor.is_admin else "", trigger="document_issued",
                     payload={"evaluation_id": None, "skp_id": skp.id, "kind": KIND,
                              "code": code, "event_hash": skp.history_head or "",
                              "digest": content, "summary": digest(document.summary),
                              "issued_by_nip": actor.nip})
        session.flush()
    filename = f"skp-{snapshot.employee.nip}-{skp.year}-v{skp.version}.pdf".lower()
    return pdf, filename
