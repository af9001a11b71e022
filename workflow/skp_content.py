"""An SKP's content as one document: read it off the rows, validate a new one, write it.

The content of an SKP is its RHK (each with its indicators and targets), the leader's
behaviour expectations, the attachments (*lampiran*) and the values of the agency's own
fields. Every surface (page, API, PDF, history digest) reads it through ``content_of`` and
every change goes through ``parse_content``: one shape, one set of rules (docs/skp.md,
"Data and rules"). A document that breaks a rule is refused as a whole, naming each field
(``rhk[0].indicators[1].target_min``), in Indonesian and English.

The document (JSON)::

    {"rhk": [{"id": 12?, "jenis": "utama", "text": "…", "parent_id": 7?, "klasifikasi": "",
              "perspektif": "", "assigned_by_id": 3? (read only),
              "indicators": [{"aspek": "kuantitas", "text": "…", "target_min": 10,
                              "target_max": 12?, "target_text": "", "satuan": "dokumen",
                              "perspektif": ""}]}],
     "expectations": {"<BerAKHLAK key>": "…"},
     "lampiran": {"dukungan_sumber_daya": ["…"], "skema_pertanggungjawaban": ["…"],
                  "konsekuensi": ["…"]},
     "data": {"<agency field>": <text, number, true/false or null>}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from .errors import InvalidData
from .models import Skp
from .models import SkpExpectation
from .models import SkpIndicator
from .models import SkpRhk
from .rating import BERAKHLAK

PENDEKATAN = ("kuantitatif", "kualitatif")
JENIS_JABATAN = ("JPT", "JA", "JF")
JENIS_RHK = ("utama", "tambahan")
ASPEK = ("kuantitas", "kualitas", "waktu", "biaya")
LAMPIRAN = ("dukungan_sumber_daya", "skema_pertanggungjawaban", "konsekuensi")
VALUES = tuple(v.key for v in BERAKHLAK)
#: Keys of the document; ``expectations`` are the appraiser's, the rest the employee's.
EMPLOYEE_PARTS = ("rhk", "lampiran", "data")
APPRAISER_PARTS = ("expectations",)
PARTS = (*EMPLOYEE_PARTS, *APPRAISER_PARTS)

MAX_RHK = 50
MAX_INDICATORS = 20
MAX_TEXT = 2000
MAX_SHORT = 100
MAX_SATUAN = 50
MAX_ITEMS = 30
MAX_DATA_KEYS = 50
# Numeric(18, 4): at most 14 digits before the point.
MAX_TARGET = Decimal("99999999999999")


@dataclass(slots=True)
class IndicatorIn:
    """One validated indicator."""

    aspek: str
    text: str
    target_min: Decimal | None
    target_max: Decimal | None
    target_text: str
    satuan: str
    perspektif: str


@dataclass(slots=True)
class RhkIn:
    """One validated RHK (``id``: an existing RHK of the same SKP, else a new one)."""

    id: int | None
    jenis: str
    text: str
    parent_id: int | None
    klasifikasi: str
    perspektif: str
    indicators: list[IndicatorIn] = field(default_factory=list)


@dataclass(slots=True)
class ContentIn:
    """A validated document; a part that was not sent is None (left as it is)."""

    rhk: list[RhkIn] | None = None
    expectations: dict[str, str] | None = None
    lampiran: dict[str, list[str]] | None = None
    data: dict[str, Any] | None = None


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def indicator_document(ind: SkpIndicator) -> dict[str, Any]:
    """Return one indicator as the document writes it."""
    return {"id": ind.id, "aspek": ind.aspek, "text": ind.text,
            "target_min": _number(ind.target_min), "target_max": _number(ind.target_max),
            "target_text": ind.target_text or "", "satuan": ind.satuan or "",
            "perspektif": ind.perspektif or ""}


def rhk_document(rhk: SkpRhk) -> dict[str, Any]:
    """Return one RHK as the document writes it (with its indicators)."""
    return {"id": rhk.id, "jenis": rhk.jenis, "text": rhk.text, "parent_id": rhk.parent_id,
            "klasifikasi": rhk.klasifikasi or "", "perspektif": rhk.perspektif or "",
            "assigned_by_id": rhk.assigned_by_id,
            "indicators": [indicator_document(i) for i in rhk.indicators]}


def content_of(skp: Skp) -> dict[str, Any]:
    """Return the SKP's content document (what the page, the API and the PDF show, and what
    its history events digest)."""
    lampiran = skp.lampiran or {}
    return {
        "rhk": [rhk_document(r) for r in sorted(skp.rhk, key=lambda r: (r.position, r.id or 0))],
        "expectations": {e.value: e.text for e in sorted(skp.expectations,
                                                         key=lambda e: VALUES.index(e.value)
                                                         if e.value in VALUES else 99)},
        "lampiran": {key: list(lampiran.get(key) or []) for key in LAMPIRAN},
        "data": dict(skp.data or {}),
    }


class _Problems:
    def __init__(self) -> None:
        self.found: dict[str, tuple[str, str]] = {}

    def add(self, where: str, message: str, message_en: str) -> None:
        self.found.setdefault(where, (message, message_en))


def _text(p: _Problems, where: str, value: Any, *, required: bool, limit: int) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        p.add(where, "Harus berupa teks.", "Must be text.")
        return ""
    text: str = value.strip()
    if required and not text:
        p.add(where, "Wajib diisi.", "Required.")
    elif len(text) > limit:
        p.add(where, f"Paling panjang {limit} karakter.", f"At most {limit} characters.")
    return text


def _target(p: _Problems, where: str, value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        p.add(where, "Target harus berupa angka.", "The target must be a number.")
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        p.add(where, "Target harus berupa angka.", "The target must be a number.")
        return None
    if not number.is_finite() or abs(number) > MAX_TARGET:
        p.add(where, "Target di luar batas.", "The target is out of range.")
        return None
    if number < 0:
        p.add(where, "Target tidak boleh negatif.", "The target may not be negative.")
        return None
    return number.quantize(Decimal("0.0001"))


def _optional_id(p: _Problems, where: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        p.add(where, "Harus berupa nomor (id) yang sah.", "Must be a valid id.")
        return None
    return value


def _indicators(p: _Problems, where: str, raw: Any, pendekatan: str) -> list[IndicatorIn]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        p.add(where, "Harus berupa daftar indikator.", "Must be a list of indicators.")
        return []
    if len(raw) > MAX_INDICATORS:
        p.add(where, f"Paling banyak {MAX_INDICATORS} indikator per RHK.",
              f"At most {MAX_INDICATORS} indicators per RHK.")
        return []
    out = []
    for n, item in enumerate(raw):
        at = f"{where}[{n}]"
        if not isinstance(item, Mapping):
            p.add(at, "Indikator harus berupa objek.", "An indicator must be an object.")
            continue
        unknown = set(item) - {"id", "aspek", "text", "target_min", "target_max",
                               "target_text", "satuan", "perspektif"}
        for key in sorted(unknown):
            p.add(f"{at}.{key}", "Isian tidak dikenal.", "Unknown field.")
        aspek = item.get("aspek")
        if aspek not in ASPEK:
            p.add(f"{at}.aspek", f"Pilih salah satu: {', '.join(ASPEK)}.",
                  f"Choose one of: {', '.join(ASPEK)}.")
        low = _target(p, f"{at}.target_min", item.get("target_min"))
        high = _target(p, f"{at}.target_max", item.get("target_max"))
        if high is not None and low is None:
            p.add(f"{at}.target_min", "Rentang target butuh batas bawah.",
                  "A target range needs its lower bound.")
        if low is not None and high is not None and high < low:
            p.add(f"{at}.target_max", "Batas atas target tidak boleh di bawah batas bawah.",
                  "The upper bound may not be below the lower bound.")
        out.append(IndicatorIn(
            aspek=str(aspek), text=_text(p, f"{at}.text", item.get("text"), required=True,
                                         limit=MAX_TEXT),
            target_min=low, target_max=high,
            target_text=_text(p, f"{at}.target_text", item.get("target_text"), required=False,
                              limit=MAX_TEXT),
            satuan=_text(p, f"{at}.satuan", item.get("satuan"), required=False,
                         limit=MAX_SATUAN),
            perspektif=_text(p, f"{at}.perspektif", item.get("perspektif"), required=False,
                             limit=MAX_SHORT)))
    return out


def _rhk(p: _Problems, raw: Any, pendekatan: str) -> list[RhkIn]:
    if not isinstance(raw, list):
        p.add("rhk", "Harus berupa daftar RHK.", "Must be a list of RHK.")
        return []
    if len(raw) > MAX_RHK:
        p.add("rhk", f"Paling banyak {MAX_RHK} RHK.", f"At most {MAX_RHK} RHK.")
        return []
    out = []
    for n, item in enumerate(raw):
        at = f"rhk[{n}]"
        if not isinstance(item, Mapping):
            p.add(at, "RHK harus berupa objek.", "An RHK must be an object.")
            continue
        unknown = set(item) - {"id", "jenis", "text", "parent_id", "klasifikasi",
                               "perspektif", "indicators", "assigned_by_id"}
        for key in sorted(unknown):
            p.add(f"{at}.{key}", "Isian tidak dikenal.", "Unknown field.")
        jenis = item.get("jenis")
        if jenis not in JENIS_RHK:
            p.add(f"{at}.jenis", "Pilih utama atau tambahan.", "Choose utama or tambahan.")
        out.append(RhkIn(
            id=_optional_id(p, f"{at}.id", item.get("id")), jenis=str(jenis),
            text=_text(p, f"{at}.text", item.get("text"), required=True, limit=MAX_TEXT),
            parent_id=_optional_id(p, f"{at}.parent_id", item.get("parent_id")),
            klasifikasi=_text(p, f"{at}.klasifikasi", item.get("klasifikasi"),
                              required=False, limit=MAX_SHORT),
            perspektif=_text(p, f"{at}.perspektif", item.get("perspektif"), required=False,
                             limit=MAX_SHORT),
            indicators=_indicators(p, f"{at}.indicators", item.get("indicators"),
                                   pendekatan)))
    return out


def _expectations(p: _Problems, raw: Any) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        p.add("expectations", "Harus berupa objek nilai BerAKHLAK: teks.",
              "Must be an object BerAKHLAK value: text.")
        return {}
    out = {}
    for key, value in raw.items():
        if key not in VALUES:
            p.add(f"expectations.{key}", f"Nilai BerAKHLAK tidak dikenal (pilihan: "
                  f"{', '.join(VALUES)}).", f"Unknown BerAKHLAK value (choices: "
                  f"{', '.join(VALUES)}).")
            continue
        text = _text(p, f"expectations.{key}", value, required=False, limit=MAX_TEXT)
        if text:
            out[str(key)] = text
    return out


def _lampiran(p: _Problems, raw: Any) -> dict[str, list[str]]:
    if not isinstance(raw, Mapping):
        p.add("lampiran", "Harus berupa objek.", "Must be an object.")
        return {}
    out: dict[str, list[str]] = {}
    for key in raw:
        if key not in LAMPIRAN:
            p.add(f"lampiran.{key}", f"Lampiran tidak dikenal (pilihan: {', '.join(LAMPIRAN)}).",
                  f"Unknown attachment (choices: {', '.join(LAMPIRAN)}).")
    for key in LAMPIRAN:
        items = raw.get(key) or []
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            p.add(f"lampiran.{key}", f"Harus berupa daftar teks (paling banyak {MAX_ITEMS}).",
                  f"Must be a list of texts (at most {MAX_ITEMS}).")
            continue
        texts = [_text(p, f"lampiran.{key}[{n}]", item, required=False, limit=MAX_TEXT)
                 for n, item in enumerate(items)]
        out[key] = [t for t in texts if t]
    return out


def _data(p: _Problems, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping) or len(raw) > MAX_DATA_KEYS:
        p.add("data", f"Harus berupa objek (paling banyak {MAX_DATA_KEYS} isian).",
              f"Must be an object (at most {MAX_DATA_KEYS} fields).")
        return {}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not key or len(key) > MAX_SHORT:
            p.add("data", "Nama isian tidak sah.", "Invalid field name.")
            continue
        if isinstance(value, str):
            out[key] = _text(p, f"data.{key}", value, required=False, limit=MAX_TEXT)
        elif value is None or isinstance(value, bool | int | float):
            out[key] = value
        else:
            p.add(f"data.{key}", "Harus berupa teks, angka, ya/tidak atau kosong.",
                  "Must be text, a number, true/false or null.")
    return out


def parse_content(raw: Any, *, pendekatan: str) -> ContentIn:
    """Validate a content document (all of it, or some of its parts).

    :raises InvalidData: naming every field that breaks a rule; nothing is returned then.
    """
    p = _Problems()
    if not isinstance(raw, Mapping):
        raise InvalidData.of({"content": ("Isi SKP harus berupa objek JSON.",
                                          "The SKP content must be a JSON object.")})
    for key in raw:
        if key not in PARTS:
            p.add(str(key), f"Bagian tidak dikenal (pilihan: {', '.join(PARTS)}).",
                  f"Unknown part (choices: {', '.join(PARTS)}).")
    content = ContentIn()
    if "rhk" in raw:
        content.rhk = _rhk(p, raw["rhk"], pendekatan)
    if "expectations" in raw:
        content.expectations = _expectations(p, raw["expectations"])
    if "lampiran" in raw:
        content.lampiran = _lampiran(p, raw["lampiran"])
    if "data" in raw:
        content.data = _data(p, raw["data"])
    if p.found:
        raise InvalidData.of(p.found)
    return content


def missing_targets(skp: Skp) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Return the positions (1-based) of RHK without an indicator, and the indicators
    (``RHK.indicator``) without a target: a number for *kuantitatif*, a number or a text for
    *kualitatif*."""
    bare: list[int] = []
    untargeted: list[str] = []
    for n, rhk in enumerate(sorted(skp.rhk, key=lambda r: r.position), start=1):
        if not rhk.indicators:
            bare.append(n)
        for m, ind in enumerate(rhk.indicators, start=1):
            numeric = ind.target_min is not None
            if not numeric and (skp.pendekatan == "kuantitatif" or not ind.target_text):
                untargeted.append(f"{n}.{m}")
    return tuple(bare), tuple(untargeted)


def write_rhk(rhk: SkpRhk, item: RhkIn, *, position: int) -> None:
    """Copy a validated RHK's fields onto a row and replace its indicators."""
    rhk.position, rhk.jenis, rhk.text = position, item.jenis, item.text
    rhk.klasifikasi, rhk.perspektif = item.klasifikasi, item.perspektif
    rhk.indicators = [SkpIndicator(position=m, aspek=i.aspek, text=i.text,
                                   target_min=i.target_min, target_max=i.target_max,
                                   target_text=i.target_text, satuan=i.satuan,
                                   perspektif=i.perspektif)
                      for m, i in enumerate(item.indicators)]


def write_expectations(skp: Skp, expectations: Mapping[str, str]) -> None:
    """Replace the SKP's behaviour expectations."""
    skp.expectations = [SkpExpectation(value=key, text=text)
                        for key, text in expectations.items()]


def copy_rhk(source: SkpRhk, *, keep_parent: bool, keep_lineage: bool) -> SkpRhk:
    """Return a copy of an RHK with its indicators (for perubahan, mutasi, last year's)."""
    return SkpRhk(
        position=source.position, jenis=source.jenis, text=source.text,
        parent_id=source.parent_id if keep_parent else None,
        klasifikasi=source.klasifikasi, perspektif=source.perspektif,
        assigned_by_id=source.assigned_by_id if keep_parent else None,
        copied_from_id=source.id if keep_lineage else None,
        indicators=[SkpIndicator(position=i.position, aspek=i.aspek, text=i.text,
                                 target_min=i.target_min, target_max=i.target_max,
                                 target_text=i.target_text, satuan=i.satuan,
                                 perspektif=i.perspektif) for i in source.indicators])
