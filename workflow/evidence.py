"""Evidence files (*bukti dukung*) of a realisation: upload, list, open for download.

A file is streamed into the storage (``workflow.storage``: a local directory or S3) while its
type is checked by its content (``filetype``, on the first bytes; never by its name) and its
size against the agency's limits (per file, and per SKP period in total); its SHA-256, size,
type, uploader and time go into the SKP's history chain with the row. A refused or failed
upload leaves nothing: the storage writes an object whole or not at all, and an object whose
row cannot be written is deleted again. Files are never deleted: a new upload may supersede
one while the period is open, and the old one stays readable for auditors; once the period is
submitted its evidence is immutable. Reading follows the SKP's one visibility rule
(``skp.get_skp``). Rules: docs/skp.md "Realisation and evidence".
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO
from typing import Any

import filetype
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from .actors import Actor
from .errors import InvalidData
from .errors import NotFound
from .errors import WorkflowError
from .models import SkpEvidence
from .publishing import current_version
from .realisation import ensure_realisation
from .realisation import record_event
from .realisation import writable_period
from .service import Workflow
from .service import definition_of
from .skp import get_skp
from .storage import CHUNK
from .storage import Storage

MB = 1024 * 1024
#: Bytes the type is recognised from (``filetype`` reads its signatures from these).
HEAD = 8192
#: The types an evidence file may have (recognised from its content) → the usual extension.
ALLOWED_TYPES: Mapping[str, str] = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
    "application/vnd.ms-powerpoint": "ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
ALLOWED_NAMES = "PDF, JPG, PNG, GIF, WebP, DOC(X), XLS(X), PPT(X), ODT, ODS, ODP"
UPLOAD_TRIGGER = "unggah_bukti"
log = logging.getLogger("penilaian.evidence")


@dataclass(frozen=True, slots=True)
class EvidenceLimits:
    """The agency's limits: bytes per file and bytes of current evidence per SKP period."""

    max_file: int = 10 * MB
    max_period: int = 50 * MB


def limits_of(session: Session, agency_id: int, default: EvidenceLimits) -> EvidenceLimits:
    """Return the limits the agency's current definition sets (``evidence: {max_file_mb,
    max_period_mb}``), each else ``default`` (the app's configuration)."""
    row = current_version(session, agency_id, required=False)
    settings = definition_of(session, row.id).source.get("evidence") if row is not None else None
    settings = settings if isinstance(settings, Mapping) else {}
    return EvidenceLimits(
        int(settings.get("max_file_mb", 0) * MB) or default.max_file,
        int(settings.get("max_period_mb", 0) * MB) or default.max_period)


class StorageFailed(WorkflowError):
    """The storage failed while the file was written; nothing was kept."""

    status = 503


def _refused(message: str, message_en: str) -> InvalidData:
    return InvalidData.of({"file": (message, message_en)})


def _mb(n: int) -> str:
    """Write a number of bytes for people (``10 MB``, ``2.5 MB``, ``512 KB``)."""
    if n < MB:
        return f"{max(n, 0) // 1024} KB"
    return f"{n / MB:.0f} MB" if n % MB == 0 else f"{n / MB:.1f} MB"


class _Checked:
    """A stream read once, in order, by the storage: the type is recognised on the first
    bytes and the size counted; a refusal is raised from ``read`` (and kept in ``refusal``),
    so the storage abandons the object."""

    def __init__(self, stream: IO[bytes], max_file: int, budget: int) -> None:
        self._stream = stream
        self._max_file = max_file
        self._budget = budget
        self._pending = b""
        self._started = False
        self.size = 0
        self.mime = ""
        self.refusal: InvalidData | None = None

    def _fill(self, n: int) -> bytes:
        parts, got = [], 0
        while got < n:
            data = self._stream.read(n - got)
            if not data:
                break
            parts.append(data)
            got += len(data)
        return b"".join(parts)

    def _fail(self, refusal: InvalidData) -> InvalidData:
        self.refusal = refusal
        return refusal

    def read(self, n: int = -1) -> bytes:
        n = CHUNK if n is None or n < 0 else n
        if not self._started:
            self._started = True
            self._pending = self._fill(HEAD)
            kind = filetype.guess(self._pending) if self._pending else None
            self.mime = kind.mime if kind is not None else ""
            if not self._pending:
                raise self._fail(_refused("Berkas kosong.", "The file is empty."))
            if self.mime not in ALLOWED_TYPES:
                raise self._fail(_refused(
                    f"Jenis berkas tidak diterima (dikenali dari isinya, bukan namanya); "
                    f"yang diterima: {ALLOWED_NAMES}.",
                    f"File type not accepted (recognised from its content, not its name); "
                    f"accepted: {ALLOWED_NAMES}."))
        data = self._pending[:n]
        self._pending = self._pending[n:]
        if len(data) < n:
            data += self._fill(n - len(data))
        self.size += len(data)
        if self.size > self._max_file:
            raise self._fail(_refused(
                f"Berkas terlalu besar: paling besar {_mb(self._max_file)} per berkas.",
                f"The file is too large: at most {_mb(self._max_file)} per file."))
        if self.size > self._budget:
            raise self._fail(_refused(
                "Bukti dukung periode ini akan melebihi batas instansi "
                f"({_mb(self._budget)} tersisa).",
                f"This period's evidence would exceed the agency's limit "
                f"({_mb(self._budget)} left)."))
        return data


def clean_filename(name: str | None, extension: str) -> str:
    """Return the uploaded name without directories or control characters (shortened), or
    ``bukti.<ext>``."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f\"]", "", base).strip().strip(".")
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:190] + dot + ext[:9]) if dot else base[:200]
    return base or f"bukti.{extension}"


def period_bytes(session: Session, skp_id: int, period: str) -> int:
    """Return the bytes of current (not superseded) evidence of the SKP in the period."""
    return int(session.scalar(select(func.coalesce(func.sum(SkpEvidence.size), 0)).where(
        SkpEvidence.skp_id == skp_id, SkpEvidence.period == period,
        SkpEvidence.superseded_by_id.is_(None))) or 0)


def upload_evidence(session: Session, wf: Workflow, actor: Actor, storage: Storage,
                    skp_id: int, period: str, indicator_id: int, stream: IO[bytes],
                    filename: str | None, limits: EvidenceLimits, *,
                    supersedes: int | None = None,
                    expected_version: int | None = None) -> SkpEvidence:
    """Store one evidence file for an indicator's realisation in a period and record it.

    :raises InvalidData: wrong type, empty, too large, over the period's total, unknown
        indicator or superseded file (nothing is stored).
    :raises NotPermitted: not her SKP, not set, or the period was submitted.
    :raises StorageFailed: the storage failed (nothing is stored).
    """
    skp = writable_period(session, actor, skp_id, period, expected_version)
    limits = limits_of(session, skp.agency_id, limits)
    if indicator_id not in {i.id for r in skp.rhk for i in r.indicators}:
        raise InvalidData.of({"indicator_id": ("Bukan bagian dari SKP ini.",
                                               "Not part of this SKP.")})
    old = None
    if supersedes is not None:
        old = session.get(SkpEvidence, supersedes)
        if (old is None or old.skp_id != skp.id or old.period != period
                or old.superseded_by_id is not None):
            raise InvalidData.of({"supersedes": (
                "Bukti yang diganti harus bukti terkini periode ini.",
                "The file replaced must be a current file of this period.")})
    budget = limits.max_period - period_bytes(session, skp.id, period) + (
        old.size if old is not None else 0)
    key = f"evidence/{skp.agency_id}/{skp.id}/{uuid.uuid4().hex}"
    checked = _Checked(stream, limits.max_file, budget)
    try:
        stored = storage.put(key, checked)  # type: ignore[arg-type]
    except BaseException as exc:
        _discard(storage, key)
        if checked.refusal is not None:
            raise checked.refusal from None
        if isinstance(exc, Exception):
            raise StorageFailed(
                "Penyimpanan berkas gagal; tidak ada yang tersimpan. Coba lagi nanti.",
                "Storing the file failed; nothing was kept. Try again later.") from exc
        raise
    try:
        realisation = ensure_realisation(session, wf, actor, skp, period, indicator_id)
        now = wf.clock()
        evidence = SkpEvidence(
            agency_id=skp.agency_id, skp_id=skp.id, realisation_id=realisation.id,
            period=period, storage_key=key,
            filename=clean_filename(filename, ALLOWED_TYPES[checked.mime]),
            content_type=checked.mime, size=stored.size, sha256=stored.sha256,
            uploaded_by_id=actor.employee_id, uploaded_at=now)
        session.add(evidence)
        session.flush()
        if old is not None:
            old.superseded_by_id, old.superseded_at = evidence.id, now
        record_event(session, wf, actor, skp, trigger=UPLOAD_TRIGGER,
                     data=evidence_record(evidence, actor.nip, supersedes))
    except BaseException:
        _discard(storage, key)
        raise
    return evidence


def evidence_record(evidence: SkpEvidence, uploader_nip: str,
                    supersedes: int | None) -> dict[str, Any]:
    """What the upload event records (and ``evidence_check`` compares the row with)."""
    return {"evidence_id": evidence.id, "period": evidence.period,
            "realisation_id": evidence.realisation_id, "storage_key": evidence.storage_key,
            "filename": evidence.filename, "content_type": evidence.content_type,
            "size": evidence.size, "sha256": evidence.sha256,
            "uploaded_by_id": evidence.uploaded_by_id, "uploaded_by_nip": uploader_nip,
            "uploaded_at": evidence.uploaded_at.isoformat(), "supersedes": supersedes}


def _discard(storage: Storage, key: str) -> None:
    """Delete an object that must not stay (a refused or failed upload). A storage failing
    again here is logged; the object, if any, has no row and is never served."""
    try:
        storage.delete(key)
    except Exception as exc:  # noqa: BLE001 - the upload's own error is what the caller sees
        log.warning("could not delete refused evidence object %s: %s", key, exc)


def discard_upload(storage: Storage, evidence: SkpEvidence) -> None:
    """Delete the object of an upload whose transaction did not commit (the entrypoint calls
    it when the commit fails: no object without its row)."""
    _discard(storage, evidence.storage_key)


def get_evidence(session: Session, actor: Actor, evidence_id: int) -> SkpEvidence:
    """Return an evidence file the actor may read (the SKP's visibility rule), superseded or
    not; ``NotFound`` for anyone else and any other agency."""
    evidence = session.get(SkpEvidence, evidence_id)
    if evidence is None or evidence.agency_id != actor.agency_id:
        raise NotFound("Bukti dukung tidak ditemukan.", "Evidence file not found.")
    get_skp(session, actor, evidence.skp_id)
    return evidence


def open_evidence(session: Session, actor: Actor, storage: Storage,
                  evidence_id: int) -> tuple[SkpEvidence, Iterator[bytes]]:
    """Return an evidence file the actor may read and its content as a stream of chunks."""
    evidence = get_evidence(session, actor, evidence_id)
    try:
        chunks = storage.chunks(evidence.storage_key)
    except FileNotFoundError as exc:
        raise NotFound("Berkas bukti dukung tidak ada di penyimpanan; laporkan ke admin.",
                       "The evidence file is missing from the storage; tell the admin.") \
            from exc
    return evidence, chunks


def list_evidence(session: Session, actor: Actor, skp_id: int, period: str | None = None,
                  *, include_superseded: bool = False) -> list[SkpEvidence]:
    """Return the SKP's evidence files (of one period), current ones unless asked."""
    skp = get_skp(session, actor, skp_id)
    query = select(SkpEvidence).where(SkpEvidence.skp_id == skp.id)
    if period:
        query = query.where(SkpEvidence.period == period)
    if not include_superseded:
        query = query.where(SkpEvidence.superseded_by_id.is_(None))
    return list(session.scalars(query.order_by(SkpEvidence.period, SkpEvidence.id)))
