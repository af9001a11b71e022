"""JSON API under /api/v1 with token authentication (see docs/api.md).

Only ``Authorization: Bearer <token>`` authenticates here; the session cookie is never read, so
CSRF does not apply (the blueprint is exempt). Domain errors become JSON in ``web/errors.py``
(``{"error", "message", "errors"?, "guard"?}``).
Field values are shown per the pinned form spec's visibility rules for the caller's roles;
auditors (group ``inspektorat``) and agency admins see everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import g
from flask import jsonify
from flask import request
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from forms.rules import may_edit
from forms.rules import may_see
from forms.spec import FieldSpec
from forms.spec import FormSpec
from forms.store import StoredForms
from forms.store import spec_of
from l10n import current_language
from l10n import reader_zone
from reports.issuing import issue_document
from workflow.accounts import employee_for_token
from workflow.actors import Actor
from workflow.definition import TransitionRule
from workflow.definition import WorkflowDefinition
from workflow.errors import InvalidData
from workflow.errors import NotFound
from workflow.history import ChainReport
from workflow.localtime import abbreviation
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.models import utcnow
from workflow.rating import CapaianOrganisasi
from workflow.rating import Predikat
from workflow.rating import rating_label
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.service import available_transitions
from workflow.service import definition_of
from workflow.stats import EvaluationFilter
from workflow.stats import list_evaluations
from workflow.trail import Reader
from workflow.trail import events_of
from workflow.trail import reader_of
from workflow.trail import recorded_changes
from workflow.trail import verify_evaluation

from .documents import pdf_response
from .documents import public_base_url
from .extensions import db
from .inputs import INT_MAX
from .inputs import int_arg
from .openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = frozenset({"api.openapi"})
# The query parameters each endpoint takes (as web/openapi.py documents); others are a 400, so
# a misspelt filter (``perpage``) is not silently ignored.
QUERY_PARAMS = {"api.evaluations": frozenset({"state", "period_id", "role", "q", "page",
                                              "per_page"})}
TRANSITION_KEYS = frozenset({"data", "comment", "version"})


def _wf() -> Workflow:
    wf: Workflow = current_app.extensions["workflow"]
    return wf


def _actor() -> Actor:
    actor: Actor = g.api_actor
    return actor


def _unauthorized(message: str) -> tuple[Response, int]:
    response = jsonify({"error": "Unauthorized", "message": message})
    response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response, 401


@bp.before_request
def known_parameters() -> None:
    """Refuse query parameters the endpoint does not document."""
    unknown = set(request.args) - QUERY_PARAMS.get(request.endpoint or "", frozenset())
    if unknown:
        raise InvalidData({name: [_("Parameter tidak dikenal.")] for name in sorted(unknown)},
                          _("Parameter tidak valid."), "Invalid parameters.")


@bp.before_request
def authenticate() -> tuple[Response, int] | None:
    """Resolve the bearer token to an actor; answer 401 without a valid one."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized(_("Token API diperlukan: kirim header 'Authorization: Bearer "
                               "<token>'."))
    employee = employee_for_token(db.session, token.strip(), utcnow())
    if employee is None:
        db.session.rollback()
        return _unauthorized(_("Token API tidak sah atau sudah dicabut."))
    g.api_actor = Actor.of(employee)
    g.actor_nip = employee.nip
    db.session.commit()  # last_used_at, kept even when the request itself then fails
    return None


# --- parsing ---------------------------------------------------------------------------------


def _transition_body() -> tuple[dict[str, Any], str | None, int]:
    """Parse ``{data, comment, version}``; raise InvalidData on anything malformed."""
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise InvalidData({"_body": [_("Badan permintaan harus objek JSON dengan Content-Type "
                                       "application/json.")]},
                          _("Permintaan tidak dapat dibaca."), "The request cannot be read.")
    errors: dict[str, list[str]] = {}
    for key in sorted(set(body) - TRANSITION_KEYS):
        errors[key] = [_("Kunci tidak dikenal.")]
    data = body.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        errors["data"] = [_("Harus berupa objek JSON.")]
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        errors["comment"] = [_("Harus berupa teks.")]
    version = body.get("version")
    if isinstance(version, float) and version.is_integer():  # 3.0 is an integer in JSON
        version = int(version)
    if version is None:
        errors["version"] = [_("Wajib diisi: versi (lock_version) evaluasi yang Anda lihat.")]
    elif isinstance(version, bool) or not isinstance(version, int):
        errors["version"] = [_("Harus berupa bilangan bulat.")]
    elif not 0 <= version <= INT_MAX:
        errors["version"] = [_("Di luar jangkauan.")]
    if errors:
        raise InvalidData(errors, _("Permintaan tidak valid; periksa isian yang ditandai."),
                          "Invalid request; check the marked fields.")
    # Each check above adds to errors, so with none the types hold:
    assert isinstance(data, dict) and isinstance(version, int)
    assert comment is None or isinstance(comment, str)
    return data, comment, version


# --- rendering -------------------------------------------------------------------------------


def _spec(session: Session, evaluation: Evaluation, form_key: str,
          version_id: int | None = None) -> FormSpec | None:
    try:
        return spec_of(session, version_id or StoredForms().version_for(session, evaluation,
                                                                        form_key))
    except NotFound:
        return None


def _sees(reader: Reader, spec_field: FieldSpec) -> bool:
    if reader.sees_all:
        return True
    return any(may_see(spec_field, role, reader.evaluation.status) for role in reader.roles)


def _visible_values(reader: Reader, spec: FormSpec | None,
                    values: Mapping[str, Any]) -> dict[str, Any]:
    if reader.sees_all:
        return dict(values)
    if spec is None:
        return {}
    return {f.name: values[f.name] for f in spec.fields if f.name in values and _sees(reader, f)}


def _field(spec_field: FieldSpec, role: str, state: str, lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": spec_field.name,
        "type": spec_field.type,
        "label": (spec_field.label_en or spec_field.label) if lang == "en" else spec_field.label,
        "required": spec_field.required,
        "conditionally_required": spec_field.required_when is not None,
        "visible": may_see(spec_field, role, state),
        "editable": may_edit(spec_field, role, state),
    }
    help_text = (spec_field.help_en or spec_field.help) if lang == "en" else spec_field.help
    if help_text:
        out["help"] = help_text
    if spec_field.options:
        out["options"] = [{"value": o.value, "label": spec_field.option_label(o.value, lang)}
                          for o in spec_field.options]
    for attr in ("min", "max", "min_length", "max_length"):
        value = getattr(spec_field, attr)
        if value is not None:
            out[attr] = value if isinstance(value, int) else str(value)
    if spec_field.type == "rows":
        out["min_rows"] = spec_field.min_rows
        out["max_rows"] = spec_field.max_rows
        out["columns"] = [_field(c, role, state, lang) for c in spec_field.columns]
    return out


def _transition(session: Session, evaluation: Evaluation, definition: WorkflowDefinition,
                rule: TransitionRule, roles: frozenset[str], lang: str) -> dict[str, Any]:
    role = next((r for r in rule.by if r in roles), "")
    out: dict[str, Any] = {
        "name": rule.name,
        "label": rule.label_en if lang == "en" else rule.label,
        "from": evaluation.status,
        "to": rule.dest,
        "role": role,
        "role_label": definition.role_label(role, lang) if role else "",
        "comment_required": rule.comment == "required",
        "form": rule.form,
        "fields": [],
        "url": url_for("api.transition", evaluation_id=evaluation.id, name=rule.name),
    }
    if rule.form:
        spec = _spec(session, evaluation, rule.form)
        if spec is not None:
            out["fields"] = [_field(f, role, evaluation.status, lang) for f in spec.fields]
    return out


def _rating(value: str | None, lang: str) -> dict[str, str] | None:
    if value is None:
        return None
    try:
        return {"value": value, "label": rating_label(value, lang)}
    except ValueError:
        return {"value": value, "label": value}


def _capaian(value: str | None, lang: str) -> dict[str, str] | None:
    if value is None:
        return None
    return {"value": value, "label": CapaianOrganisasi(value).label_in(lang)}


def _predikat(value: str | None, lang: str) -> dict[str, str] | None:
    if value is None:
        return None
    try:
        p = Predikat(value)
    except ValueError:
        return {"value": value, "label": value}
    return {"value": value, "label": p.label_en if lang == "en" else p.label}


def _summary(evaluation: Evaluation, definition: WorkflowDefinition,
             lang: str) -> dict[str, Any]:
    employee = evaluation.employee
    return {
        "id": evaluation.id,
        "employee": {"nip": employee.nip, "name": employee.name,
                     "unit_kerja": employee.unit_kerja},
        "period": {"id": evaluation.period_id, "label": evaluation.period.label},
        "state": evaluation.status,
        "state_label": definition.label(evaluation.status, lang),
        "final": evaluation.status in definition.final,
        "version": evaluation.lock_version,
        "predikat": _predikat(evaluation.predikat, lang),
        "updated_at": evaluation.updated_at.isoformat(),
        "url": url_for("api.evaluation", evaluation_id=evaluation.id),
    }


def _event(event: HistoryEvent, reader: Reader, specs: dict[int, FormSpec | None],
           session: Session, lang: str) -> dict[str, Any]:
    payload = event.payload or {}
    form_key = payload.get("form")
    spec: FormSpec | None = None
    if form_key and not reader.sees_all:
        version_id = payload.get("form_version_id")
        cache_key = version_id or -1
        if cache_key not in specs:
            specs[cache_key] = _spec(session, reader.evaluation, form_key, version_id)
        spec = specs[cache_key]
    changes = []
    for name, old, new in recorded_changes(event):
        hidden = False
        if form_key and not reader.sees_all and name.startswith(f"{form_key}."):
            field_name = name[len(form_key) + 1:]
            field_spec = next((f for f in spec.fields if f.name == field_name),
                              None) if spec else None
            hidden = field_spec is None or not _sees(reader, field_spec)
        changes.append({"field": name, "hidden": True} if hidden
                       else {"field": name, "old": old, "new": new})
    return {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "kind": event.kind,
        "actor_nip": event.actor_nip,
        "role": event.actor_role,
        "role_label": reader.definition.role_label(event.actor_role, lang)
        if event.actor_role else "",
        "trigger": event.trigger,
        "from": event.source,
        "to": event.dest,
        "definition_version_id": event.definition_version_id,
        "comment": event.comment,
        "changes": changes,
        "data_digest": event.data_digest,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _report(report: ChainReport) -> dict[str, Any]:
    return {"chain": report.chain, "events": report.events, "ok": report.ok,
            "broken_seq": report.broken_seq, "reason": report.reason}


# --- endpoints -------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> Response:
    """Return the OpenAPI 3.1 description of this API (public, no token needed)."""
    return jsonify(openapi_document())


@bp.get("/evaluations")
def evaluations() -> Response:
    """List the evaluations the caller may read, with filters and pagination."""
    period_id = int_arg("period_id")
    page = int_arg("page", 1) or 1
    per_page = int_arg("per_page", 25) or 25
    filters = EvaluationFilter(state=request.args.get("state", "").strip(), period_id=period_id,
                               role=request.args.get("role", "").strip(),
                               q=request.args.get("q", "").strip())
    result = list_evaluations(db.session, _actor(), filters, page, per_page)
    lang = current_language()
    items = [_summary(e, definition_of(db.session, e.definition_version_id), lang)
             for e in result.items]
    return jsonify({"items": items, "page": result.page, "per_page": result.per_page,
                    "total": result.total, "pages": result.pages})


@bp.get("/evaluations/<int:evaluation_id>")
def evaluation(evaluation_id: int) -> Response:
    """Return one evaluation: state, version, allowed transitions with fields, visible data."""
    session = db.session
    reader = reader_of(session, _actor(), evaluation_id)
    available = available_transitions(session, _wf(), _actor(), evaluation_id)
    ev, lang = reader.evaluation, current_language()
    data: dict[str, Any] = {}
    for form_key, entry in sorted((ev.data or {}).items()):
        if not isinstance(entry, Mapping):
            continue
        spec = _spec(session, ev, form_key, entry.get("form_version_id"))
        data[form_key] = {
            "values": _visible_values(reader, spec, entry.get("values") or {}),
            "form_version_id": entry.get("form_version_id"),
            "saved_at": entry.get("saved_at"),
            "saved_by": entry.get("saved_by"),
            "draft": bool(entry.get("draft", False)),
        }
    body = _summary(ev, reader.definition, lang)
    body.update({
        "roles": sorted(reader.roles),
        "definition": {"agency": reader.definition.agency,
                       "version": reader.definition.version,
                       "version_id": ev.definition_version_id},
        "period": {"id": ev.period_id, "label": ev.period.label,
                   "capaian_organisasi": _capaian(ev.period.capaian_organisasi, lang)},
        "deadlines": dict(ev.deadlines or {}),  # UTC instants; people read them in `timezone`
        "timezone": {"name": (zone := reader_zone()), "abbreviation": abbreviation(zone)},
        "ratings": {"hasil_kerja": _rating(ev.rating_hasil_kerja, lang),
                    "perilaku_kerja": _rating(ev.rating_perilaku_kerja, lang)},
        "participants": [{"role": p.role, "role_label": reader.definition.role_label(p.role, lang),
                          "identity": dict(p.identity or {})}
                         for p in sorted(ev.participants, key=lambda p: p.role)],
        "transitions": [_transition(session, ev, reader.definition, rule, available.roles, lang)
                        for rule in available.transitions],
        "data": data,
        "links": {"history": url_for("api.history", evaluation_id=ev.id),
                  "verify": url_for("api.verify", evaluation_id=ev.id)},
    })
    return jsonify(body)


@bp.post("/evaluations/<int:evaluation_id>/transitions/<name>")
def transition(evaluation_id: int, name: str) -> Response:
    """Fire a transition with ``{data, comment, version}``; nothing changes on any error."""
    data, comment, version = _transition_body()
    actor = _actor()
    reader_of(db.session, actor, evaluation_id)  # strangers get 404/403 before anything else
    event = apply_transition(db.session, _wf(), actor, evaluation_id, name, data=data,
                             comment=comment, expected_version=version)
    db.session.commit()
    ev = db.session.get(Evaluation, evaluation_id)
    assert ev is not None
    definition = definition_of(db.session, ev.definition_version_id)
    lang = current_language()
    return jsonify({
        "evaluation": {"id": ev.id, "state": ev.status,
                       "state_label": definition.label(ev.status, lang),
                       "version": ev.lock_version,
                       "predikat": _predikat(ev.predikat, lang),
                       "url": url_for("api.evaluation", evaluation_id=ev.id)},
        "event": {"seq": event.seq, "at": event.at.isoformat(), "trigger": event.trigger,
                  "from": event.source, "to": event.dest, "role": event.actor_role,
                  "role_label": definition.role_label(event.actor_role, lang),
                  "hash": event.hash, "prev_hash": event.prev_hash},
    })


@bp.get("/evaluations/<int:evaluation_id>/history")
def history(evaluation_id: int) -> Response:
    """Return the evaluation's history; values of fields the caller may not see are hidden."""
    reader = reader_of(db.session, _actor(), evaluation_id)
    specs: dict[int, FormSpec | None] = {}
    lang = current_language()
    events = [_event(e, reader, specs, db.session, lang)
              for e in events_of(db.session, reader.evaluation)]
    return jsonify({"evaluation_id": evaluation_id, "events": events})


@bp.get("/evaluations/<int:evaluation_id>/documents/<kind>.pdf")
def document(evaluation_id: int, kind: str) -> Response:
    """Render one document of the evaluation (recorded in the history like a download)."""
    pdf, prepared = issue_document(db.session, _wf().audit_key, _actor(), evaluation_id, kind,
                                   public_base_url(), utcnow())
    db.session.commit()
    return pdf_response(pdf, prepared.filename)


@bp.get("/evaluations/<int:evaluation_id>/verify")
def verify(evaluation_id: int) -> Response:
    """Verify the evaluation's hash chain and report the first broken link."""
    report = verify_evaluation(db.session, _wf().audit_key, _actor(), evaluation_id)
    return jsonify(_report(report))
