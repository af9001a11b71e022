"""The evaluation page's view model: what a template shows for one evaluation and viewer.

Turns the service's answers (``open_evaluation``: allowed transitions, roles, history) into plain
data for ``evaluations/show.html``; what the viewer sees of each step's data and of the rating
is ``forms.visibility``'s answer, as on every other surface. No writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from flask import current_app
from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import Form

from forms import FieldSpec
from forms import FormSpec
from forms import build_form_class
from forms import form_values_from_stored
from forms.fields import RowsField
from forms.fields import is_blank_entry
from forms.skp_report import apply_plan
from forms.skp_report import report_plan
from forms.store import StoredForms
from forms.store import spec_of
from forms.visibility import Visibility
from l10n import current_language
from l10n import local_time
from l10n import reader_zone
from l10n import when
from reports.issuing import DOCUMENT_TITLES
from reports.issuing import available_kinds
from workflow.appeals import appeal_record
from workflow.definition import TransitionRule
from workflow.definition import WorkflowDefinition
from workflow.distribution import Guidance
from workflow.distribution import unit_guidance
from workflow.inbox import EvaluationPage
from workflow.inbox import is_return
from workflow.localtime import local_date
from workflow.models import Evaluation
from workflow.rating import MATRIX
from workflow.rating import RATING_LEVELS
from workflow.rating import Predikat
from workflow.rating import rating_label
from workflow.service import Workflow
from workflow.workcalendar import has_passed

from .auth import current_actor
from .extensions import db

SPARE_ROWS = 2

DEADLINE_LABELS: Mapping[str, Any] = {"appeal_window": _l("Batas pengajuan keberatan"),
                                      "appeal_decision": _l("Batas putusan keberatan")}


def workflow_deps() -> Workflow:
    wf: Workflow = current_app.extensions["workflow"]
    return wf


def rule_label(rule: TransitionRule | None, trigger: str = "") -> str:
    """Return a transition's button label in the user's language."""
    if rule is None:
        return trigger
    if current_language() == "en":
        return rule.label_en or rule.label or rule.name
    return rule.label or rule.name


# --- evaluation page ----------------------------------------------------------------------------


@dataclass
class ActionBlock:
    """One box of the page where the viewer can act: a form with its buttons, or a bare step."""

    key: str
    title: str
    rules: list[TransitionRule]
    role: str
    form: Form | None = None
    spec: FormSpec | None = None
    description: str = ""
    comment: str = ""
    comment_required: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)
    other_errors: list[str] = field(default_factory=list)
    show_when: dict[str, Any] = field(default_factory=dict)
    guidance: Guidance | None = None  # the unit's distribution pattern, for steps that rate
    confirm: list[TransitionRule] = field(default_factory=list)  # closing steps: tick first
    # Rows fields whose plan columns come from the SKP (read-only, no rows added or removed).
    locked: dict[str, list[str]] = field(default_factory=dict)
    skp: Any = None  # the SKP those rows come from


@dataclass
class ShownField:
    """A field of an earlier step, formatted for reading."""

    label: str
    type: str
    value: Any
    columns: list[str] = field(default_factory=list)


@dataclass
class ShownForm:
    """The visible part of one step's stored data."""

    key: str
    title: str
    fields: list[ShownField]
    saved_at: str
    saved_by: str
    draft: bool


@dataclass
class UnsavedInput:
    """What a person typed into a post that was refused with a conflict (409): the reason,
    and the values as she entered them, shown beside the current record."""

    message: str
    title: str
    fields: list[ShownField]
    comment: str


# Effects that give or change the predikat: their steps show the unit's distribution pattern.
RATING_EFFECTS = frozenset({"record_rating", "apply_appeal_decision"})


def needs_confirmation(definition: WorkflowDefinition, rule: TransitionRule) -> bool:
    """Whether a person must tick a confirmation before the step: it closes the evaluation
    (its destination is final — accepting the result, deciding an appeal), so it cannot be
    taken back. The box works without JavaScript; the view refuses the step without it."""
    return rule.dest in definition.final


def unsaved_input(message: str, spec: FormSpec | None, data: Mapping[str, Any] | None,
                  comment: str) -> UnsavedInput:
    """Describe the refused post's values for reading (every field of the form: they are the
    person's own words)."""
    lang = current_language()
    fields = []
    if spec is not None:
        for f in spec.fields:
            value = _display(f, (data or {}).get(f.name), lang)
            if value:
                fields.append(ShownField(
                    label=(f.label_en or f.label) if lang == "en" else f.label, type=f.type,
                    value=value, columns=[(c.label_en or c.label) if lang == "en" else c.label
                                          for c in f.columns]))
    title = "" if spec is None else ((spec.title_en or spec.title) if lang == "en"
                                     else spec.title)
    return UnsavedInput(message=message, title=title, fields=fields, comment=comment)


def returned_notice(page: EvaluationPage) -> dict[str, Any] | None:
    """Return who sent the evaluation back, when and why, while it still waits in the state
    it was returned to (``workflow.inbox.is_return`` decides what a return is)."""
    definition = page.available.definition
    last = next((e for e in reversed(page.events) if e.kind == "transition"), None)
    if last is None or last.dest != page.evaluation.status or not is_return(
            definition, last.source, last.dest):
        return None
    name = page.names.get(last.actor_nip) if last.actor_nip else None
    return {"label": rule_label(definition.transition(last.trigger), last.trigger),
            "actor": name or last.actor_nip or _("Sistem"),
            "role": definition.role_label(last.actor_role, current_language())
            if last.actor_role else "",
            "at": when(last.at), "comment": last.comment}


def _acting_role(rule: TransitionRule, roles: Iterable[str]) -> str:
    mine = set(roles)
    return next((r for r in rule.by if r in mine), "")


def spec_for(session: Session, evaluation: Evaluation, form_key: str) -> FormSpec:
    entry = (evaluation.data or {}).get(form_key) or {}
    version_id = entry.get("form_version_id") or StoredForms().version_for(
        session, evaluation, form_key)
    return spec_of(session, version_id)


def _rule_json(spec: FieldSpec) -> dict[str, Any] | None:
    if spec.show_when is None:
        return None
    return {"mode": spec.show_when.mode,
            "conditions": [{"field": c.field, "values": list(c.values)}
                           for c in spec.show_when.conditions]}


def _apply_errors(form: Form, errors: Mapping[str, list[str]]) -> set[str]:
    """Put the service's errors (keyed by input name) on the fields; return the names placed."""
    placed: set[str] = set()
    for f in form:
        if isinstance(f, RowsField):
            f.errors = list(errors.get(f.name, []))
            placed.add(f.name)
            for entry in f.entries:
                for sub in entry.form:
                    sub.errors = list(errors.get(sub.name, []))
                    placed.add(sub.name)
        else:
            f.errors = list(errors.get(f.name, []))
            placed.add(f.name)
    return placed


def _add_spare_rows(form: Form, locked: set[str]) -> None:
    """Give every rows field blank rows at the end, so rows can be added without JavaScript
    (not those whose rows are the SKP's)."""
    for f in form:
        if not isinstance(f, RowsField) or f.name in locked:
            continue
        blank = sum(1 for entry in f.entries if is_blank_entry(entry))
        while blank < SPARE_ROWS and (f.max_entries is None or len(f.entries) < f.max_entries):
            f.append_entry()
            blank += 1


def _action_blocks(session: Session, page: EvaluationPage, posted_key: str | None,
                   posted_trigger: str | None, errors: Mapping[str, list[str]],
                   comment: str) -> list[ActionBlock]:
    """Build one block per form the viewer may fill now, and one per form-less step."""
    available = page.available
    evaluation = available.evaluation
    lang = current_language()
    blocks: dict[str, ActionBlock] = {}
    for rule in available.transitions:
        role = _acting_role(rule, available.roles)
        key = rule.form or f"langkah-{rule.name}"
        block = blocks.get(key)
        if block is None:
            block = blocks[key] = ActionBlock(key=key, title=rule_label(rule), rules=[],
                                              role=role)
            if rule.form:
                spec = spec_for(session, evaluation, rule.form)
                block.spec = spec
                block.title = (spec.title_en or spec.title) if lang == "en" else spec.title
                block.description = ((spec.description_en or spec.description)
                                     if lang == "en" else spec.description) or ""
                form_class = build_form_class(spec, FlaskForm, role=role,
                                              state=evaluation.status, lang=lang)
                plan = report_plan(session, evaluation, rule.form)
                if plan is not None:
                    block.locked = {plan.field: list(plan.columns.values())}
                    block.skp = plan.skp
                if posted_key == key:
                    block.form = form_class()  # re-show exactly what was posted
                else:
                    stored = apply_plan(plan, dict(evaluation.values(rule.form)))
                    block.form = form_class(formdata=None, data=form_values_from_stored(
                        spec, stored or {}))
                block.show_when = {f.name: rule_json for f in spec.fields
                                   if (rule_json := _rule_json(f)) is not None}
        block.rules.append(rule)
        if needs_confirmation(available.definition, rule):
            block.confirm.append(rule)
    rating_blocks = [b for b in blocks.values() if any(
        call.name in RATING_EFFECTS for rule in b.rules for call in rule.effects)]
    if rating_blocks:
        guidance = unit_guidance(session, available.definition, evaluation)
        for block in rating_blocks:
            block.guidance = guidance
    for block in blocks.values():
        block.comment_required = any(r.comment == "required" for r in block.rules)
        posted_here = posted_key == block.key or (
            posted_trigger is not None and any(r.name == posted_trigger for r in block.rules))
        placed: set[str] = set()
        if posted_here:
            block.errors = dict(errors)
            block.comment = comment
            if block.form is not None:
                placed = _apply_errors(block.form, errors)
            block.other_errors = [m for k, ms in errors.items()
                                  if k not in placed and k not in ("comment", "konfirmasi")
                                  for m in ms]
        if block.form is not None:
            _add_spare_rows(block.form, set(block.locked))
    return list(blocks.values())


def _display(spec: FieldSpec, value: Any, lang: str) -> Any:
    if value is None or value == "" or value == []:
        return None
    if spec.type == "rows":
        return [[_display(col, (row or {}).get(col.name), lang) for col in spec.columns]
                for row in value if isinstance(row, Mapping)]
    if spec.type == "multichoice":
        items = value if isinstance(value, list) else [value]
        return ", ".join(spec.option_label(str(v), lang) for v in items)
    if spec.type in ("choice", "rating"):
        return spec.option_label(str(value), lang)
    return str(value)


def _shown_forms(view: Visibility, page: EvaluationPage, skip: set[str],
                 definition: WorkflowDefinition) -> list[ShownForm]:
    """Return the stored data of earlier steps, each field only if the viewer may see it."""
    evaluation = page.evaluation
    lang = current_language()
    order = [r.form for r in definition.transitions if r.form]
    keys = [k for k in dict.fromkeys(order + sorted(evaluation.data or {}))
            if k in (evaluation.data or {}) and k not in skip]
    shown = []
    for key in keys:
        spec = view.spec(key)
        if spec is None:
            continue
        names = view.names(key)
        values = view.values(key)
        fields = [
            ShownField(label=(f.label_en or f.label) if lang == "en" else f.label, type=f.type,
                       value=_display(f, values.get(f.name), lang),
                       columns=[(c.label_en or c.label) if lang == "en" else c.label
                                for c in f.columns])
            for f in spec.fields if f.name in names
        ]
        if not fields:
            continue
        entry = evaluation.data[key]
        saved_at = entry.get("saved_at")
        shown.append(ShownForm(
            key=key, title=(spec.title_en or spec.title) if lang == "en" else spec.title,
            fields=fields, saved_at=when(datetime.fromisoformat(saved_at)) if saved_at else "",
            saved_by=page.names.get(entry.get("saved_by") or "", entry.get("saved_by") or ""),
            draft=bool(entry.get("draft"))))
    return shown


def _windows(page: EvaluationPage, now: datetime) -> list[dict[str, Any]]:
    """Describe each deadline-bound step the viewer could take from this state.

    ``ends`` says when in words, in the agency's zone ("Senin, 16 Maret 2026 pukul 23.59
    WITA"); ``days_left`` counts local calendar days after today (0 = today is the last).
    """
    available = page.available
    evaluation = available.evaluation
    allowed = {r.name for r in available.transitions}
    zone = reader_zone()
    out = []
    for rule in available.definition.transitions_from(evaluation.status):
        if not set(rule.by) & set(available.roles):
            continue
        for call in rule.guards:
            if call.name != "within_deadline" or not call.arg:
                continue
            raw = (evaluation.deadlines or {}).get(call.arg)
            due = datetime.fromisoformat(raw) if raw else None
            days_left = (local_date(due, zone) - local_date(now, zone)).days if due else None
            out.append({"rule": rule, "label": rule_label(rule), "due": due,
                        "ends": local_time(due, "long") if due else "",
                        "open": rule.name in allowed and due is not None
                        and not has_passed(due, now),
                        "days_left": days_left})
    return out


def _rating_block(view: Visibility, page: EvaluationPage) -> dict[str, Any] | None:
    """Return the ratings, the predikat, why (the appraiser's words) and any revision."""
    evaluation = page.evaluation
    if not evaluation.predikat or not view.rating_visible:
        return None
    lang = current_language()
    definition = page.available.definition
    rating_forms = [r.form for r in definition.transitions
                    if r.form and any(e.name == "record_rating" for e in r.effects)]
    decision_forms = [r.form for r in definition.transitions
                      if r.form and any(e.name == "apply_appeal_decision" for e in r.effects)]

    def visible_values(keys: list[str]) -> tuple[dict[str, Any], FormSpec | None]:
        for key in keys:
            if key in (evaluation.data or {}):
                return view.values(key), view.spec(key)
        return {}, None

    def labels(values: Mapping[str, str | None]) -> dict[str, str]:
        out = {}
        for key in ("rating_hasil_kerja", "rating_perilaku_kerja"):
            value = values.get(key)
            out[key] = rating_label(value, lang) if value else "—"
        predikat = values.get("predikat")
        out["predikat"] = (Predikat(predikat).label_en if lang == "en" else
                           Predikat(predikat).label) if predikat else "—"
        return out

    rating, _rating_spec = visible_values(rating_forms)
    decision, decision_spec = visible_values(decision_forms)
    current = {"rating_hasil_kerja": evaluation.rating_hasil_kerja,
               "rating_perilaku_kerja": evaluation.rating_perilaku_kerja,
               "predikat": evaluation.predikat}
    # The rating the appeal contested, as the API and the appeal-decision PDF read it.
    appeal = appeal_record(page.events, definition)
    revised = appeal is not None and appeal.revised
    original = labels(appeal.original.as_dict()) if appeal is not None and revised else None
    decision_label = None
    if decision_spec is not None and decision.get("keputusan"):
        decision_label = decision_spec.field("keputusan").option_label(decision["keputusan"],
                                                                        lang)
    matrix = [
        {"label": level.label_en if lang == "en" else level.label, "value": level.value,
         "cells": [{"label": (MATRIX[level.value][col.value].label_en if lang == "en" else
                              MATRIX[level.value][col.value].label),
                    "current": (level.value == evaluation.rating_hasil_kerja
                                and col.value == evaluation.rating_perilaku_kerja)}
                   for col in RATING_LEVELS]}
        for level in RATING_LEVELS
    ]
    return {
        "current": labels(current), "predikat_code": evaluation.predikat,
        "original": original, "revised": revised,
        "justifikasi": rating.get("justifikasi"), "umpan_balik": rating.get("umpan_balik"),
        "catatan_rekomendasi": rating.get("catatan_rekomendasi"),
        "decision": decision_label, "pertimbangan": decision.get("pertimbangan"),
        "columns": [level.label_en if lang == "en" else level.label for level in RATING_LEVELS],
        "matrix": matrix,
    }


def _timeline(page: EvaluationPage) -> list[dict[str, Any]]:
    definition = page.available.definition
    lang = current_language()
    items = []
    for event in page.events:
        if event.trigger == "open":
            title = _("Evaluasi dibuka")
        elif event.kind == "data":
            title = _("Draf formulir disimpan")
        else:
            title = rule_label(definition.transition(event.trigger), event.trigger)
        name = page.names.get(event.actor_nip) if event.actor_nip else None
        items.append({
            "at": when(event.at), "title": title,
            "actor": name or event.actor_nip or _("Sistem"), "nip": event.actor_nip,
            "role": definition.role_label(event.actor_role, lang) if event.actor_role else "",
            "source": definition.label(event.source, lang) if event.source else "",
            "dest": definition.label(event.dest, lang) if event.dest else "",
            "moved": event.kind == "transition" and event.source != event.dest,
            "comment": event.comment, "seq": event.seq,
        })
    return items


def render_page(page: EvaluationPage, *, status: int = 200, posted_key: str | None = None,
            posted_trigger: str | None = None, errors: Mapping[str, list[str]] | None = None,
            comment: str = "", unsaved: UnsavedInput | None = None) -> tuple[str, int]:
    """Render the evaluation page; ``unsaved`` (after a 409) lists what the person typed, and
    the form's stored version is then shown too, so both can be compared."""
    session = db.session
    actor = current_actor()
    available = page.available
    evaluation = available.evaluation
    definition = available.definition
    lang = current_language()
    now = workflow_deps().clock()
    blocks = _action_blocks(session, page, posted_key, posted_trigger, errors or {}, comment)
    editing = {b.key for b in blocks if b.form is not None}
    if unsaved is not None and posted_key is not None:
        editing.discard(posted_key)  # show the current record beside the typed values
    visited = {e.source for e in page.events} | {e.dest for e in page.events}
    steps = [{"label": definition.label(s, lang),
              "class": "current" if s == evaluation.status else ("done" if s in visited else "")}
             for s in definition.states]
    order = ["employee", "appraiser", "appeal_reviewer"]
    people = sorted(evaluation.participants,
                    key=lambda p: (order.index(p.role) if p.role in order else 9, p.role))
    viewer_roles = sorted(available.roles)
    view = Visibility.for_actor(session, actor, evaluation, definition, available.roles)
    return render_template(
        "evaluations/show.html",
        ev=evaluation, definition=definition, state_label=definition.label(evaluation.status,
                                                                          lang),
        final=evaluation.status in definition.final, steps=steps, people=people,
        rule_label=rule_label, viewer_roles=viewer_roles,
        blocks=blocks, shown=_shown_forms(view, page, editing, definition),
        rating=_rating_block(view, page), windows=_windows(page, now),
        timeline=_timeline(page), lang=lang, unsaved=unsaved, returned=returned_notice(page),
        observer=not available.transitions and not (
            {"employee", "appraiser", "appeal_reviewer"} & set(available.roles)),
        auditor=actor.is_auditor or actor.is_admin,
        documents=[(kind, DOCUMENT_TITLES[kind][1 if lang == "en" else 0])
                   for kind in available_kinds(view)],
    ), status


