"""Frozen snapshots (DTOs) that the PDF templates render from; never a database row.

``reports.gather`` builds them inside the request transaction, so templates cannot lazy-load
anything. This module imports the standard library only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from typing import Literal


@dataclass(frozen=True, kw_only=True)
class Person:
    """Identity block of one person as printed on the official forms (domain.md §9)."""

    name: str
    nip: str
    pangkat_golongan: str
    jabatan: str
    unit_kerja: str
    asn_type: str = "PNS"

    @property
    def id_label(self) -> str:
        """Return the label of the identity number: ``NI PPPK`` for a PPPK, else ``NIP``."""
        return "NI PPPK" if self.asn_type == "PPPK" else "NIP"

    @property
    def rank_label(self) -> str:
        """Return the label of the rank row: a PPPK has a golongan (I–XVII) and no pangkat."""
        return "GOLONGAN" if self.asn_type == "PPPK" else "PANGKAT/GOL. RUANG"


@dataclass(frozen=True, kw_only=True)
class WorkResult:
    """One indicator row of the HASIL KERJA table (one RHK may span several rows).

    On the SKP it is a row of the plan; on the evaluation a row of the employee's report, with
    the realisation and the link to its evidence (*bukti dukung*).
    """

    jenis: Literal["utama", "tambahan"]
    rhk_atasan: str
    rencana_hasil_kerja: str
    aspek: str
    indikator: str
    target: str
    perspektif: str = ""
    realisasi: str = ""
    bukti_dukung: str = ""


@dataclass(frozen=True, kw_only=True)
class PrintedItem:
    """One field an agency added to a form and prints (``prints:``), in KETERANGAN TAMBAHAN."""

    label: str
    text: str = ""
    date: dt.date | None = None


@dataclass(frozen=True, kw_only=True)
class Behaviour:
    """One BerAKHLAK value with its behaviour guides, expectation and feedback."""

    value: str
    guides: tuple[str, ...]
    ekspektasi_khusus: str = ""
    umpan_balik: str = ""


@dataclass(frozen=True, kw_only=True)
class RatingSet:
    """Display labels of both ratings and the resulting predicate."""

    hasil_kerja: str
    perilaku_kerja: str
    predikat: str


@dataclass(frozen=True, kw_only=True)
class AppealSnapshot:
    """The objection (keberatan) and the superior's final decision (domain.md §7.3–7.4)."""

    filed_at: dt.datetime
    items: tuple[str, ...]
    alasan: str
    decided_at: dt.datetime | None
    keputusan: Literal["dikuatkan", "diubah"] | None
    pertimbangan: str
    decider: Person
    rating_before: RatingSet
    rating_after: RatingSet | None
    penjelasan_penilai: str = ""
    penjelasan_pegawai: str = ""


@dataclass(frozen=True, kw_only=True)
class HistoryEntry:
    """One hash-chained state change of the evaluation."""

    seq: int
    at: dt.datetime
    actor_name: str
    actor_nip: str
    role: str
    action: str
    from_state: str | None
    to_state: str
    comment: str
    hash: str


@dataclass(frozen=True, kw_only=True)
class DocumentSnapshot:
    """Everything any of the four documents shows about one evaluation."""

    evaluation_id: int
    agency_name: str
    period_label: str
    # What follows "PERIODE:" (reports.layout.period_line), e.g. "TRIWULAN II".
    period_line: str
    period_start: dt.date
    period_end: dt.date
    place: str
    employee: Person
    appraiser: Person
    appraiser_superior: Person | None
    capaian_organisasi: str | None
    rating_hasil_kerja: str
    rating_perilaku_kerja: str
    predikat: str
    catatan_rekomendasi: str
    work_results: tuple[WorkResult, ...]
    behaviours: tuple[Behaviour, ...]
    appeal: AppealSnapshot | None
    history: tuple[HistoryEntry, ...]
    state: str
    issued_at: dt.datetime
    chain_head_hash: str
    pendekatan: str = "KUANTITATIF"
    # The employee's jenis jabatan from the org chart: "JPT", "JA", "JF" or "" (not recorded).
    jenis_jabatan: str = ""
    lampiran_dukungan: tuple[str, ...] = ()
    lampiran_skema: tuple[str, ...] = ()
    lampiran_konsekuensi: tuple[str, ...] = ()
    # SE MenPANRB 3/2023 pattern for the recorded capaian (empty until it is recorded).
    pola_distribusi: tuple[str, ...] = ()
    # The SKP's plan rows (the SKP prints these; ``work_results`` are the year-end report).
    plan_results: tuple[WorkResult, ...] = ()
    # The appraiser's continuous feedback on the results (the HASIL KERJA feedback column).
    umpan_balik_hasil_kerja: str = ""
    # Fields an agency added and prints (``prints:``), per document.
    keterangan_tambahan: tuple[PrintedItem, ...] = ()
    skp_keterangan_tambahan: tuple[PrintedItem, ...] = ()
    # The result's standing (reports.finality): BELUM FINAL until final, with the appeal
    # window's end while one runs; the officials sign on the date the result was set.
    final: bool = True
    appeal_until: dt.datetime | None = None
    signed_at: dt.datetime | None = None
    # The SKP is signed on the date the plan was recorded.
    skp_signed_at: dt.datetime | None = None
    # The agency's zone (``workflow.localtime.ZONES``): every moment prints in it, e.g. WITA.
    timezone: str = "Asia/Jakarta"


_COMMON = (
    "evaluation_id",
    "agency_name",
    "period_label",
    "period_line",
    "period_start",
    "period_end",
    "place",
    "employee",
    "appraiser",
    "timezone",  # every document prints a moment (a signature date, an event) in it
)

# Which snapshot fields each document prints; only these feed its digest, so an edit that
# cannot change a document cannot change its verification code either.
DOCUMENT_FIELDS: dict[str, tuple[str, ...]] = {
    "evaluation": (
        *_COMMON,
        "appraiser_superior",
        "capaian_organisasi",
        "rating_hasil_kerja",
        "rating_perilaku_kerja",
        "predikat",
        "catatan_rekomendasi",
        "pola_distribusi",
        "work_results",
        "behaviours",
        "appeal",
        "pendekatan",
        "jenis_jabatan",
        "umpan_balik_hasil_kerja",
        "keterangan_tambahan",
        "final",
        "appeal_until",
        "signed_at",
    ),
    "skp": (
        *_COMMON,
        "plan_results",
        "behaviours",
        "pendekatan",
        "jenis_jabatan",
        "lampiran_dukungan",
        "lampiran_skema",
        "lampiran_konsekuensi",
        "skp_keterangan_tambahan",
        "skp_signed_at",
    ),
    "appeal-decision": (
        *_COMMON,
        "appraiser_superior",
        "rating_hasil_kerja",
        "rating_perilaku_kerja",
        "predikat",
        "appeal",
    ),
    "audit-trail": (*_COMMON, "state", "history", "chain_head_hash"),
}

# The SKP is the plan: the appraiser's feedback per value is not on it.
_SKP_OMITTED = {"umpan_balik"}


def _plain(value: Any) -> Any:
    """Turn a snapshot value into JSON-ready data with a stable representation."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        # Naive and aware datetimes must not collide; keep the offset when there is one.
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot canonicalise {type(value).__name__}")


def canonical_json(snapshot: DocumentSnapshot, kind: str) -> bytes:
    """Return the canonical UTF-8 JSON of the fields that the *kind* document prints."""
    if not isinstance(snapshot, DocumentSnapshot):
        raise TypeError(f"expected DocumentSnapshot, got {type(snapshot).__name__}")
    try:
        names = DOCUMENT_FIELDS[kind]
    except KeyError:
        raise ValueError(f"unknown document kind {kind!r}") from None
    data: dict[str, Any] = {name: _plain(getattr(snapshot, name)) for name in names}
    if kind == "skp":
        data["behaviours"] = [
            {k: v for k, v in b.items() if k not in _SKP_OMITTED} for b in data["behaviours"]
        ]
    data["kind"] = kind
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def snapshot_digest(snapshot: DocumentSnapshot, kind: str) -> str:
    """Return the SHA-256 hex digest of the canonical content of one document kind.

    ``issued_at`` is never part of it: printing the same content again gives the same digest.
    """
    return hashlib.sha256(canonical_json(snapshot, kind)).hexdigest()


@dataclass(frozen=True, kw_only=True)
class PlanIndicator:
    """One indicator of a planned result: aspect, text, target (as printed) and perspective."""

    aspek: str
    indikator: str
    target: str
    perspektif: str = ""


@dataclass(frozen=True, kw_only=True)
class PlanResult:
    """One *rencana hasil kerja* of a set SKP with the leader's RHK it cascades from."""

    jenis: Literal["utama", "tambahan"]
    rhk_atasan: str
    rencana_hasil_kerja: str
    indicators: tuple[PlanIndicator, ...]
    klasifikasi: str = ""
    perspektif: str = ""


@dataclass(frozen=True, kw_only=True)
class SkpSnapshot:
    """Everything the SKP document prints about one SKP (its own table, not an evaluation).

    Built by ``reports.skp_gather`` inside the request transaction; ``history_head`` is the
    SKP's chain head the verification code binds.
    """

    skp_id: int
    agency_name: str
    place: str
    timezone: str
    year: int
    version: int
    period_start: dt.date
    period_end: dt.date
    employee: Person
    appraiser: Person | None
    pendekatan: str
    jenis_jabatan: str
    results: tuple[PlanResult, ...]
    behaviours: tuple[Behaviour, ...]
    lampiran_dukungan: tuple[str, ...] = ()
    lampiran_skema: tuple[str, ...] = ()
    lampiran_konsekuensi: tuple[str, ...] = ()
    keterangan_tambahan: tuple[PrintedItem, ...] = ()
    state: str = ""
    # The employee signed when she submitted it; the appraiser set it (or, at the top of the
    # agency, its leader or an admin on her behalf: ``set_by``).
    signed_at: dt.datetime | None = None
    set_at: dt.datetime | None = None
    set_by: Person | None = None
    final: bool = False
    change_reason: str = ""
    closed_reason: str = ""
    issued_at: dt.datetime | None = None
    history_head: str = ""


def skp_digest(snapshot: SkpSnapshot) -> str:
    """Return the SHA-256 hex digest of what an SKP document prints (never ``issued_at``)."""
    data = {f.name: _plain(getattr(snapshot, f.name)) for f in dataclasses.fields(snapshot)
            if f.name not in ("issued_at", "history_head")}
    data["kind"] = "skp-set"
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()
