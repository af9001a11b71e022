"""Evidence files on the web side, shared by the page and the API: the app's storage and
limits, the upload's commit (no object left without its row), and the streamed download.

The rules are the core's (``workflow.evidence``); this module only joins them to Flask.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO
from urllib.parse import quote

from flask import Response
from flask import current_app

from workflow.actors import Actor
from workflow.evidence import MB
from workflow.evidence import EvidenceLimits
from workflow.evidence import discard_upload
from workflow.evidence import upload_evidence
from workflow.models import SkpEvidence
from workflow.service import Workflow
from workflow.storage import Storage

from . import tasks
from .extensions import db


def storage() -> Storage:
    """Return the app's storage (``STORAGE_URL``), the one bulk exports use too."""
    return tasks.storage(current_app)


def default_limits() -> EvidenceLimits:
    """Return the app's limits (``EVIDENCE_MAX_FILE_MB``, ``EVIDENCE_MAX_PERIOD_MB``); an
    agency's definition may set its own."""
    config = current_app.config
    return EvidenceLimits(int(float(config["EVIDENCE_MAX_FILE_MB"]) * MB),
                          int(float(config["EVIDENCE_MAX_PERIOD_MB"]) * MB))


def upload_and_commit(wf: Workflow, actor: Actor, skp_id: int, period: str,
                      indicator_id: int, stream: IO[bytes], filename: str | None, *,
                      supersedes: int | None = None,
                      expected_version: int | None = None) -> SkpEvidence:
    """Store an evidence file and commit its row and history event; if the commit fails the
    stored object is deleted again (nothing half-written)."""
    store = storage()
    evidence = upload_evidence(db.session, wf, actor, store, skp_id, period, indicator_id,
                               stream, filename, default_limits(), supersedes=supersedes,
                               expected_version=expected_version)
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        discard_upload(store, evidence)
        raise
    return evidence


def evidence_response(evidence: SkpEvidence, chunks: Iterator[bytes], *,
                      inline: bool = False) -> Response:
    """Stream an evidence file chunk by chunk (never read whole), as its recorded type."""
    disposition = "inline" if inline else "attachment"
    ascii_name = evidence.filename.encode("ascii", "replace").decode().replace("?", "_")
    response = Response(chunks, mimetype=evidence.content_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(evidence.size)
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; "
        f"filename*=UTF-8''{quote(evidence.filename)}")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.set_etag(evidence.sha256)
    return response
