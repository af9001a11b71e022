"""Realisation of a set SKP, period by period: per indicator a value and/or a text, per RHK the
action plan (*rencana aksi*), and submitting a period (which freezes it and its evidence).

Pure core: functions take the caller's ``Session`` first and never commit; they raise the
bilingual ``WorkflowError`` subclasses and change nothing when they refuse. Every change
appends one event to the SKP's own history chain (``skp:<id>``) with what was recorded and the
SKP's projection (so ``audit verify`` keeps checking the SKP row against its newest event).

The realisation period follows the agency's definition (``periods``): monthly if it evaluates
monthly, else quarterly, else per semester, else monthly. Keys: ``2026-03``, ``2026-Q1``,
``2026-S1``. Only the periods that overlap the SKP's window exist. Rules: docs/skp.md
"Realisation and evidence".
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .actors import Actor
from .errors import ConcurrentUpdate
from .errors import InvalidData
from .errors import NotFound
from .errors import NotPermitted
from .history import append_event
from .models import HistoryEvent
from .models import Skp
from .models import SkpActionPlan
from .models import SkpEvidence
from .models import SkpIndicator
from .models import SkpPeriod
from .models import SkpRealisation
from .models import SkpRhk
from .service import Workflow
from .service import definition_of
from .skp import get_skp
from .skp import skp_projection
from .skp_flow import SET

MAX_TEXT = 2000
MAX_VALUE = Decimal("99999999999999")
#: Finest evaluation period first: the realisation period the agency's definition implies.
KIND_ORDER = ("monthly", "quarterly", "semester")
MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")


# --- periods ---------------------------------------------------------------------------------


def realisation_kind(periods: Iterable[str]) -> str:
    """Return the realisation period kind for an agency evaluating in ``periods``."""
    kinds = set(periods)
    return next((k for k in KIND_ORDER if k in kinds), "monthly")


def _months(kind: str) -> int:
    return {"monthly": 1, "quarterly": 3, "semester": 6}[kind]


def period_key(kind: str, year: int, number: int) -> str:
    """Return the key of the ``number``-th period of the kind in the year (1-based)."""
    if kind == "monthly":
        return f"{year:04d}-{number:02d}"
    return f"{year:04d}-{'Q' if kind == 'quarterly' else 'S'}{number}"


def period_window(key: str) -> tuple[date, date] | None:
    """Return the first and last day of a period key, or ``None`` when it is not one."""
    year_part, _sep, rest = key.partition("-")
    if not (len(year_part) == 4 and year_part.isdigit() and 2000 <= int(year_part) <= 2100):
        return None
    year = int(year_part)
    if len(rest) == 2 and rest.isdigit() and 1 <= int(rest) <= 12:
        first, months = int(rest), 1
    elif len(rest) == 2 and rest[0] in "QS" and rest[1].isdigit():
        number, months = int(rest[1]), 3 if rest[0] == "Q" else 6
        if not 1 <= number <= 12 // months:
            return None
        first = (number - 1) * months + 1
    else:
        return None
    last_month = first + months - 1
    end = date(year + 1, 1, 1) if last_month == 12 else date(year, last_month + 1, 1)
    return date(year, first, 1), date.fromordinal(end.toordinal() - 1)


def period_label(key: str, lang: str = "id") -> str:
    """Return a period key as people read it (``Maret 2026``, ``Triwulan I 2026``)."""
    year, _sep, rest = key.partition("-")
    if rest.isdigit():
        return f"{(MONTHS_EN if lang == 'en' else MONTHS_ID)[int(rest) - 1]} {year}"
    roman = ("I", "II", "III", "IV")[int(rest[1]) - 1]
    if rest[0] == "Q":
        return f"{'Quarter' if lang == 'en' else 'Triwulan'} {roman} {year}"
    return f"{'Semester'} {roman} {year}"


def skp_periods(session: Session, skp: Skp) -> list[str]:
    """Return the realisation periods of the SKP: those of its kind overlapping its window."""
    kind = realisation_kind(definition_of(session, skp.definition_version_id).periods)
    keys = []
    for number in range(1, 12 // _months(kind) + 1):
        key = period_key(kind, skp.year, number)
        window = period_window(key)
        assert window is not None
        if window[0] <= skp.ends_on and window[1] >= skp.starts_on:
            keys.append(key)
    return keys


# --- reading ---------------------------------------------------------------------------------


@dataclass(slots=True)
class IndicatorRow:
    indicator: SkpIndicator
    realisation: SkpRealisation | None
    evidence: list[SkpEvidence] = field(default_factory=list)


@dataclass(slots=True)
class RhkRow:
    rhk: SkpRhk
    plan: str
    indicators: list[IndicatorRow]


@dataclass(slots=True)
class RealisationView:
    """One period of an SKP's realisation as the reader may see it."""

    skp: Skp
    period: str
    periods: list[str]
    submitted_at: Any
    may_edit: bool
    rows: list[RhkRow]
    superseded: list[SkpEvidence]
    used_bytes: int


def _period_arg(session: Session, skp: Skp, period: str | None) -> tuple[str, list[str]]:
    periods = skp_periods(session, skp)
    if not periods:
        raise InvalidData.of({"period": ("SKP ini tidak punya periode realisasi.",
                                         "This SKP has no realisation period.")})
    if period is None or period == "":
        return periods[0], periods
    if period not in periods:
        raise NotFound(
            f"Periode {period[:8]} tidak ada pada SKP ini; periodenya: {', '.join(periods)}.",
            f"This SKP has no period {period[:8]}; its periods: {', '.join(periods)}.")
    return period, periods


def submitted_at(session: Session, skp_id: int, period: str) -> Any:
    """Return when the SKP's period was submitted (``None``: still open)."""
    row = session.get(SkpPeriod, (skp_id, period))
    return row.submitted_at if row is not None else None


def may_write(actor: Actor, skp: Skp) -> bool:
    """Tell whether the actor records realisation on the SKP: its employee, once it is set."""
    return (actor.agency_id == skp.agency_id and actor.employee_id == skp.employee_id
            and skp.status == SET)


def realisation_view(session: Session, actor: Actor, skp_id: int,
                     period: str | None = None) -> RealisationView:
    """Return one period's realisation of an SKP the actor may read (``NotFound`` else)."""
    skp = get_skp(session, actor, skp_id)
    period, periods = _period_arg(session, skp, period)
    realisations = {r.indicator_id: r for r in session.scalars(select(SkpRealisation).where(
        SkpRealisation.skp_id == skp.id, SkpRealisation.period == period))}
    plans = {p.rhk_id: p.text for p in session.scalars(select(SkpActionPlan).where(
        SkpActionPlan.skp_id == skp.id, SkpActionPlan.period == period))}
    files = list(session.scalars(select(SkpEvidence).where(
        SkpEvidence.skp_id == skp.id, SkpEvidence.period == period).order_by(SkpEvidence.id)))
    by_realisation: dict[int, list[SkpEvidence]] = {}
    for f in files:
        if f.superseded_by_id is None:
            by_realisation.setdefault(f.realisation_id, []).append(f)
    rows = []
    for rhk in sorted(skp.rhk, key=lambda r: (r.position, r.id)):
        indicators = []
        for ind in rhk.indicators:
            found = realisations.get(ind.id)
            indicators.append(IndicatorRow(
                ind, found, by_realisation.get(found.id, []) if found is not None else []))
        rows.append(RhkRow(rhk, plans.get(rhk.id, ""), indicators))
    submitted = submitted_at(session, skp.id, period)
    return RealisationView(
        skp=skp, period=period, periods=periods, submitted_at=submitted,
        may_edit=may_write(actor, skp) and submitted is None, rows=rows,
        superseded=[f for f in files if f.superseded_by_id is not None],
        used_bytes=sum(f.size for f in files if f.superseded_by_id is None))


# --- writing ---------------------------------------------------------------------------------


def _conflict() -> ConcurrentUpdate:
    return ConcurrentUpdate("SKP sudah berubah sejak Anda membukanya. Muat ulang lalu coba lagi.",
                            "The SKP changed since you opened it. Reload and try again.")


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise _conflict() from exc
    except IntegrityError as exc:
        if "seq" in str(exc.orig) or "uq_history_event_chain" in str(exc.orig):
            raise _conflict() from exc
        raise


def record_event(session: Session, wf: Workflow, actor: Actor, skp: Skp, *, trigger: str,
                 data: Mapping[str, Any]) -> HistoryEvent:
    """Append a realisation/evidence event to the SKP's chain (with its projection) and flush
    the rows and the event together."""
    _flush(session)
    event = append_event(
        session, wf.audit_key, skp, kind="data", at=wf.clock(), actor_id=actor.employee_id,
        actor_nip=actor.nip, actor_role="pegawai", trigger=trigger, source=skp.status,
        dest=skp.status, definition_version_id=skp.definition_version_id, comment="",
        data=dict(data), payload=dict(data), projection=skp_projection(skp))
    skp.updated_at = event.at
    _flush(session)
    return event


def writable_period(session: Session, actor: Actor, skp_id: int, period: str,
                    expected_version: int | None) -> Skp:
    """Return the SKP if the actor may still change the period's realisation and evidence.

    :raises NotFound: the actor may not read the SKP.
    :raises NotPermitted: not her SKP, not set, or the period was submitted.
    """
    skp = get_skp(session, actor, skp_id)
    _period_arg(session, skp, period)
    if actor.employee_id != skp.employee_id:
        raise NotPermitted("Hanya pegawai pemilik SKP yang mengisi realisasinya.",
                           "Only the SKP's employee records its realisation.")
    if skp.status != SET:
        raise NotPermitted("Realisasi hanya untuk SKP yang sudah ditetapkan.",
                           "Realisation is recorded only on an SKP that has been set.")
    if submitted_at(session, skp.id, period) is not None:
        raise NotPermitted(
            "Realisasi periode ini sudah dikirim; isinya dan bukti dukungnya tidak dapat "
            "diubah lagi.",
            "This period's realisation was submitted; it and its evidence can no longer "
            "be changed.")
    if expected_version is not None and skp.lock_version != expected_version:
        raise _conflict()
    return skp


def _value(problems: dict[str, tuple[str, str]], where: str, value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        problems[where] = ("Realisasi harus berupa angka.", "The realisation must be a number.")
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        problems[where] = ("Realisasi harus berupa angka.", "The realisation must be a number.")
        return None
    if not number.is_finite() or abs(number) > MAX_VALUE:
        problems[where] = ("Realisasi di luar batas.", "The realisation is out of range.")
        return None
    if number < 0:
        problems[where] = ("Realisasi tidak boleh negatif.",
                           "The realisation may not be negative.")
        return None
    return number.quantize(Decimal("0.0001"))


def _text(problems: dict[str, tuple[str, str]], where: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        problems[where] = ("Harus berupa teks.", "Must be text.")
        return ""
    if len(value.strip()) > MAX_TEXT:
        problems[where] = (f"Paling panjang {MAX_TEXT} karakter.",
                           f"At most {MAX_TEXT} characters.")
    return value.strip()


def _id(problems: dict[str, tuple[str, str]], where: str, value: Any,
        known: Mapping[int, Any]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value not in known:
        problems[where] = ("Bukan bagian dari SKP ini.", "Not part of this SKP.")
        return None
    return value


def _list(problems: dict[str, tuple[str, str]], where: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 1000:
        problems[where] = ("Harus berupa daftar.", "Must be a list.")
        return []
    return value


def save_realisation(session: Session, wf: Workflow, actor: Actor, skp_id: int, period: str,
                     document: Any, expected_version: int | None) -> Skp:
    """Record realisation and action plans of one period from a document
    ``{realisasi: [{indicator_id, value, text}], rencana_aksi: [{rhk_id, text}]}``.

    Items not sent stay as they are. Refused as a whole (each field named) on any error.
    """
    skp = writable_period(session, actor, skp_id, period, expected_version)
    problems: dict[str, tuple[str, str]] = {}
    if not isinstance(document, dict):
        raise InvalidData.of({"_body": ("Harus berupa objek.", "Must be an object.")})
    for key in sorted(set(document) - {"realisasi", "rencana_aksi"}):
        problems[key] = ("Kunci tidak dikenal.", "Unknown key.")
    indicators = {i.id: i for r in skp.rhk for i in r.indicators}
    rhks = {r.id: r for r in skp.rhk}
    values: dict[int, tuple[Decimal | None, str]] = {}
    for n, item in enumerate(_list(problems, "realisasi", document.get("realisasi"))):
        at = f"realisasi[{n}]"
        if not isinstance(item, dict):
            problems[at] = ("Harus berupa objek.", "Must be an object.")
            continue
        for key in sorted(set(item) - {"indicator_id", "value", "text"}):
            problems[f"{at}.{key}"] = ("Kunci tidak dikenal.", "Unknown key.")
        ind = _id(problems, f"{at}.indicator_id", item.get("indicator_id"), indicators)
        value = _value(problems, f"{at}.value", item.get("value"))
        text = _text(problems, f"{at}.text", item.get("text"))
        if ind is not None:
            values[ind] = (value, text)
    plans: dict[int, str] = {}
    for n, item in enumerate(_list(problems, "rencana_aksi", document.get("rencana_aksi"))):
        at = f"rencana_aksi[{n}]"
        if not isinstance(item, dict):
            problems[at] = ("Harus berupa objek.", "Must be an object.")
            continue
        for key in sorted(set(item) - {"rhk_id", "text"}):
            problems[f"{at}.{key}"] = ("Kunci tidak dikenal.", "Unknown key.")
        rid = _id(problems, f"{at}.rhk_id", item.get("rhk_id"), rhks)
        text = _text(problems, f"{at}.text", item.get("text"))
        if rid is not None:
            plans[rid] = text
    if problems:
        raise InvalidData.of(problems)
    now = wf.clock()
    existing = {r.indicator_id: r for r in session.scalars(select(SkpRealisation).where(
        SkpRealisation.skp_id == skp.id, SkpRealisation.period == period))}
    for ind_id, (value, text) in values.items():
        row = existing.get(ind_id)
        if row is None:
            row = SkpRealisation(skp_id=skp.id, indicator_id=ind_id, period=period)
            session.add(row)
        row.value, row.text, row.updated_by_id, row.updated_at = (
            value, text, actor.employee_id, now)
    existing_plans = {p.rhk_id: p for p in session.scalars(select(SkpActionPlan).where(
        SkpActionPlan.skp_id == skp.id, SkpActionPlan.period == period))}
    for rid, text in plans.items():
        plan = existing_plans.get(rid)
        if plan is None:
            plan = SkpActionPlan(skp_id=skp.id, rhk_id=rid, period=period)
            session.add(plan)
        plan.text, plan.updated_by_id, plan.updated_at = text, actor.employee_id, now
    record_event(session, wf, actor, skp, trigger="realisasi", data={
        "period": period,
        "realisasi": [{"indicator_id": i, "value": None if v is None else str(v), "text": t}
                      for i, (v, t) in sorted(values.items())],
        "rencana_aksi": [{"rhk_id": r, "text": t} for r, t in sorted(plans.items())]})
    return skp


def ensure_realisation(session: Session, wf: Workflow, actor: Actor, skp: Skp, period: str,
                       indicator_id: int) -> SkpRealisation:
    """Return the realisation row of an indicator of the SKP in a period (an empty one is
    added when none was recorded yet: evidence may come before the value)."""
    if indicator_id not in {i.id for r in skp.rhk for i in r.indicators}:
        raise InvalidData.of({"indicator_id": ("Bukan bagian dari SKP ini.",
                                               "Not part of this SKP.")})
    row = session.scalar(select(SkpRealisation).where(
        SkpRealisation.indicator_id == indicator_id, SkpRealisation.period == period))
    if row is None:
        row = SkpRealisation(skp_id=skp.id, indicator_id=indicator_id, period=period, text="",
                             updated_by_id=actor.employee_id, updated_at=wf.clock())
        session.add(row)
        _flush(session)
    return row


def submit_period(session: Session, wf: Workflow, actor: Actor, skp_id: int, period: str,
                  expected_version: int | None) -> Skp:
    """Submit one period's realisation: from now on it and its evidence are immutable."""
    skp = writable_period(session, actor, skp_id, period, expected_version)
    recorded = session.scalar(select(SkpRealisation.id).where(
        SkpRealisation.skp_id == skp.id, SkpRealisation.period == period).limit(1))
    if recorded is None:
        raise InvalidData.of({"period": ("Belum ada realisasi yang diisi untuk periode ini.",
                                         "No realisation was recorded for this period yet.")})
    row = session.get(SkpPeriod, (skp.id, period))
    if row is None:
        row = SkpPeriod(skp_id=skp.id, period=period)
        session.add(row)
    row.submitted_at, row.submitted_by_id = wf.clock(), actor.employee_id
    record_event(session, wf, actor, skp, trigger="kirim_realisasi", data={"period": period})
    return skp
