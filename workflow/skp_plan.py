"""What an evaluation reads from its SKP: the planned rows the employee reports against.

The self-assessment lists the RHK, indicators and targets of the SKP the evaluation is keyed on
(``Evaluation.skp_id``), so nothing is retyped: the page shows them, the employee fills the
realisation and evidence, and ``with_plan`` puts the plan back into the posted rows, so what is
stored (and printed on the evaluation document) is what was agreed. ``target_text`` is the one
writer of a target (pages, API, PDFs).
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Period
from .models import Skp
from .skp import in_force_query
from .skp_flow import SET
from .snapshot import EvaluationLike


def number_text(value: Decimal) -> str:
    """Write a target number the Indonesian way: ``95``, ``2,5``, ``1.250``."""
    normalized = value.normalize()
    if normalized == normalized.to_integral_value():
        return f"{int(normalized):,}".replace(",", ".")
    whole, _, frac = f"{normalized:f}".partition(".")
    return f"{int(whole):,}".replace(",", ".") + "," + frac


def target_text(target_min: Decimal | None, target_max: Decimal | None, text: str,
                satuan: str) -> str:
    """Return a target as written everywhere: ``95 %``, ``2 – 3 kegiatan`` (a range), or the
    qualitative text."""
    numbers = [n for n in (target_min, target_max) if n is not None]
    if not numbers:
        return " ".join(p for p in (text.strip(), satuan.strip()) if p) if text.strip() else ""
    if len(numbers) == 2 and target_min != target_max:
        amount = f"{number_text(numbers[0])} – {number_text(numbers[1])}"
    else:
        amount = number_text(numbers[0])
    written = " ".join(p for p in (amount, satuan.strip()) if p)
    return f"{written} ({text.strip()})" if text.strip() else written


@dataclass(frozen=True, slots=True)
class PlannedRow:
    """One indicator of the SKP an evaluation reads: a row of the self-assessment."""

    jenis: str
    rencana_hasil_kerja: str
    indikator: str
    target: str


def skp_of(session: Session, evaluation: EvaluationLike) -> Skp | None:
    """Return the SKP the evaluation reads: the one it is keyed on, or, for an evaluation
    opened before its employee's SKP was set, the set SKP in force at the period's end
    (None: there is none). One statement either way (a transition reads it: its budget)."""
    if evaluation.skp_id is not None:
        return session.get(Skp, evaluation.skp_id)
    period_end = select(Period.ends_on).where(Period.id == evaluation.period_id) \
        .scalar_subquery()
    skp = session.scalar(in_force_query(evaluation.employee_id, period_end))
    return skp if skp is not None and skp.status == SET else None


def planned_rows(skp: Skp | None) -> list[PlannedRow]:
    """Return the SKP's indicators in order, one row each (utama first, as the SKP lists)."""
    if skp is None:
        return []
    rows = []
    for rhk in sorted(skp.rhk, key=lambda r: (r.jenis != "utama", r.position, r.id)):
        for indicator in rhk.indicators:
            rows.append(PlannedRow(
                jenis=rhk.jenis, rencana_hasil_kerja=rhk.text, indikator=indicator.text,
                target=target_text(indicator.target_min, indicator.target_max,
                                   indicator.target_text or "", indicator.satuan or "")))
    return rows


def with_plan(rows: Sequence[Mapping[str, Any]], plan: Sequence[PlannedRow],
              columns: Mapping[str, str]) -> list[dict[str, Any]]:
    """Return the posted report rows with the plan's columns written from the SKP.

    ``columns`` maps ``rencana_hasil_kerja``/``indikator``/``target`` to the form's column
    names. Row *i* reports on planned row *i*; rows beyond the plan are dropped and missing
    ones are added empty (the employee cannot add, remove or retype a planned result).
    """
    out = []
    for i, planned in enumerate(plan):
        row = dict(rows[i]) if i < len(rows) else {}
        for attr, column in columns.items():
            row[column] = getattr(planned, attr)
        out.append(row)
    return out
