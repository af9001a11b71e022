"""The self-assessment's planned columns come from the SKP in force: the one rule, one place.

The form that fills the evaluation's HASIL KERJA (printed slot ``evaluasi.hasil_kerja``) lists
the RHK, indicators and targets of the SKP the evaluation reads (``workflow.skp_plan.skp_of``).
The employee fills realisation and evidence only: whatever a post (page or JSON API) says in
the plan columns, ``apply_plan`` writes them from the SKP. ``StoredForms.validate`` — the form
port every save and step goes through — calls it, so no surface can retype a planned result.
The page calls ``report_plan`` to show the same rows read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from workflow.models import Evaluation
from workflow.models import Skp
from workflow.skp_plan import PlannedRow
from workflow.skp_plan import planned_rows
from workflow.skp_plan import skp_of
from workflow.skp_plan import with_plan
from workflow.snapshot import EvaluationLike

from .slots import slot

PLAN_COLUMNS = ("rencana_hasil_kerja", "indikator", "target")


@dataclass(frozen=True, slots=True)
class ReportPlan:
    """The rows of the self-assessment that come from the SKP the evaluation reads."""

    field: str
    columns: dict[str, str]
    rows: list[PlannedRow]
    skp: Skp


def report_plan(session: Session, evaluation: EvaluationLike,
                form_key: str) -> ReportPlan | None:
    """Return the SKP's planned rows when ``form_key`` fills the evaluation's HASIL KERJA and
    the evaluation reads an SKP with at least one indicator (None otherwise)."""
    report = slot("evaluasi.hasil_kerja")
    if form_key != report.form:
        return None
    row = evaluation if isinstance(evaluation, Evaluation) else session.get(
        Evaluation, evaluation.id)
    if row is None:
        return None
    skp = skp_of(session, row)
    rows = planned_rows(skp)
    if skp is None or not rows:
        return None
    columns = {attr: str(slot(f"evaluasi.hasil_kerja.{attr}").column) for attr in PLAN_COLUMNS}
    return ReportPlan(field=report.field, columns=columns, rows=rows, skp=skp)


def apply_plan(plan: ReportPlan | None,
               data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Return ``data`` with the report rows' plan columns written from the SKP (never as
    posted); rows beyond the plan are dropped, missing ones added empty."""
    if data is None:
        return None
    if plan is None:
        return dict(data)
    return {**data, plan.field: with_plan(data.get(plan.field) or [], plan.rows, plan.columns)}


def with_skp_plan(session: Session, evaluation: EvaluationLike, form_key: str,
                  values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the values to validate and store: the plan columns from the SKP in force."""
    return apply_plan(report_plan(session, evaluation, form_key), values) or {}
