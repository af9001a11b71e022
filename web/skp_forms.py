"""The SKP page's forms: posted fields to the core's content document, and back.

The edit form has no JavaScript: every RHK is a fieldset with its indicators, plus one blank
RHK and one blank indicator per RHK to add with (blank ones are dropped). ``posted_content``
turns the post into the document ``workflow.skp.save_content`` validates; ``edit_rows`` turns
a document (stored, or as posted after a refusal) into what the template shows. Error keys
are the core's (``rhk[0].indicators[1].target_min``), so they land on the right input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

from forms.spec import FormSpec
from workflow.rating import BERAKHLAK

RHK_FIELDS = ("jenis", "text", "parent_id", "klasifikasi", "perspektif")
INDICATOR_FIELDS = ("aspek", "text", "target_min", "target_max", "target_text", "satuan",
                    "perspektif")
LAMPIRAN = ("dukungan_sumber_daya", "skema_pertanggungjawaban", "konsekuensi")
_RHK = re.compile(r"^rhk-(\d{1,3})-([a-z_]+)$")
_IND = re.compile(r"^rhk-(\d{1,3})-ind-(\d{1,3})-([a-z_]+)$")


def _number(text: str) -> Any:
    """Read a target as typed (``95``, ``2,5``, ``1.250``); the core checks what is left."""
    value = text.strip()
    if not value:
        return None
    candidate = value.replace(" ", "")
    if "," in candidate:  # Indonesian: 1.250,5
        candidate = candidate.replace(".", "").replace(",", ".")
    try:
        number = float(candidate)
    except ValueError:
        return value  # refused by the core with a message naming the field
    return int(number) if number.is_integer() else number


def _blank(values: Mapping[str, Any], names: tuple[str, ...]) -> bool:
    return all(values.get(n) in (None, "") for n in names)


AGENCY_PREFIX = "data-"  # the agency's own SKP fields post as ``data-<name>``


def posted_agency_values(spec: FormSpec | None,
                         form: MultiDict[str, str]) -> dict[str, Any] | None:
    """Return the agency's own SKP fields as posted (None: the form did not show them)."""
    if spec is None or form.get(AGENCY_PREFIX + "shown") != "1":
        return None
    return {f.name: form.get(AGENCY_PREFIX + f.name) for f in spec.fields}


def posted_content(form: MultiDict[str, str]) -> dict[str, Any]:
    """Return the employee's part of the content document from the edit form."""
    rhks: dict[int, dict[str, Any]] = {}
    indicators: dict[int, dict[int, dict[str, Any]]] = {}
    for key in form:
        if match := _IND.match(key):
            i, j, name = int(match.group(1)), int(match.group(2)), match.group(3)
            if name in INDICATOR_FIELDS:
                indicators.setdefault(i, {}).setdefault(j, {})[name] = form.get(key, "").strip()
        elif match := _RHK.match(key):
            i, name = int(match.group(1)), match.group(2)
            if name in (*RHK_FIELDS, "id"):
                rhks.setdefault(i, {})[name] = form.get(key, "").strip()
    out = []
    for i in sorted(set(rhks) | set(indicators)):
        row = rhks.get(i, {})
        inds = []
        for j in sorted(indicators.get(i, {})):
            ind = indicators[i][j]
            if _blank(ind, ("text", "target_min", "target_max", "target_text", "satuan")):
                continue
            inds.append({"aspek": ind.get("aspek") or "kuantitas", "text": ind.get("text", ""),
                         "target_min": _number(ind.get("target_min", "")),
                         "target_max": _number(ind.get("target_max", "")),
                         "target_text": ind.get("target_text", ""),
                         "satuan": ind.get("satuan", ""),
                         "perspektif": ind.get("perspektif", "")})
        if not row.get("id") and not row.get("text") and not inds:
            continue  # the blank RHK left for adding one
        parent = row.get("parent_id") or ""
        out.append({**({"id": int(row["id"])} if (row.get("id") or "").isdigit() else {}),
                    "jenis": row.get("jenis") or "utama", "text": row.get("text", ""),
                    "parent_id": int(parent) if parent.isdigit() else None,
                    "klasifikasi": row.get("klasifikasi", ""),
                    "perspektif": row.get("perspektif", ""), "indicators": inds})
    lampiran = {key: [line.strip() for line in form.get(f"lampiran-{key}", "").splitlines()
                      if line.strip()] for key in LAMPIRAN}
    return {"rhk": out, "lampiran": lampiran}


def posted_expectations(form: MultiDict[str, str]) -> dict[str, Any]:
    """Return the appraiser's part of the content document (one text per BerAKHLAK value)."""
    return {"expectations": {v.key: form.get(f"ekspektasi-{v.key}", "").strip()
                             for v in BERAKHLAK}}


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace(".", ",") if isinstance(value, float) else str(value)


def edit_rows(content: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the RHK of a content document as the edit form shows them, with one blank
    indicator each and one blank RHK at the end."""
    blank_indicator = {"aspek": "kuantitas", "text": "", "target_min": "", "target_max": "",
                       "target_text": "", "satuan": "", "perspektif": ""}
    rows = []
    for rhk in content.get("rhk") or []:
        inds = [{**blank_indicator, **{k: (_plain(ind.get(k)) if k.startswith("target_m")
                                           else ind.get(k) or "")
                                       for k in INDICATOR_FIELDS}}
                for ind in rhk.get("indicators") or []]
        rows.append({"id": rhk.get("id"), "jenis": rhk.get("jenis") or "utama",
                     "text": rhk.get("text") or "", "parent_id": rhk.get("parent_id"),
                     "klasifikasi": rhk.get("klasifikasi") or "",
                     "perspektif": rhk.get("perspektif") or "",
                     "indicators": [*inds, dict(blank_indicator)]})
    rows.append({"id": None, "jenis": "utama", "text": "", "parent_id": None,
                 "klasifikasi": "", "perspektif": "", "indicators": [dict(blank_indicator)]})
    return rows


def lampiran_text(content: Mapping[str, Any]) -> dict[str, str]:
    """Return each lampiran list as the textarea shows it (one item per line)."""
    lampiran = content.get("lampiran") or {}
    return {key: "\n".join(str(v) for v in lampiran.get(key) or []) for key in LAMPIRAN}
