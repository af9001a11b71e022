"""JSON API under /api/v1 with token authentication (see docs/api.md).

Only ``Authorization: Bearer <token>`` authenticates here; the session cookie is never read, so
CSRF does not apply (the blueprint is exempt). Domain errors become JSON in ``web/errors.py``
(``{"error", "message", "errors"?, "guard"?}``).
Field values, the ratings and the history's changes are shown as ``forms.visibility`` says for
the caller (her roles on the evaluation, plus ``auditor``/``admin``), the same rule as the
evaluation page, the audit timeline, the CSV export and the documents.
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
from forms.spec import FieldSpec
from forms.visibility import Viewer
from forms.visibility import Visibility
from forms.visibility import VisibilityBatch
from forms.visibility import sees
from l10n import current_language
from l10n import reader_zone
from reports.issuing import issue_document
from reports.recap import recap_json
from reports.recap import recap_of
from reports.recap import recap_periods
from workflow.accounts import token_allows
from workflow.accounts import token_for_request
from workflow.actors import Actor
from workflow.appeals import Ratings
from workflow.appeals import appeal_record
from workflow.definition import TransitionRule
from workflow.definition import WorkflowDefinition
from workflow.errors import InvalidData
from workflow.history import ChainReport
from workflow.integration_tokens import IntegrationUse
from workflow.integration_tokens import integration_token_for_request
from workflow.integration_tokens import is_integration_token
from workflow.localtime import abbreviation
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.models import utcnow
from workflow.rating import CapaianOrganisasi
from workflow.rating import Predikat
from workflow.rating import rating_label
from workflow.reassignment import base_role
from workflow.reassignment import is_former
from workflow.reassignment import reassign_to_nip
from workflow.service import Workflow
from workflow.service import available_transitions
from workflow.service import fire_transition
from workflow.stats import EvaluationFilter
from workflow.stats import list_evaluations
from workflow.trail import Change
from workflow.trail import cursor_text
from workflow.trail import events_of
from workflow.trail import parse_cursor
from workflow.trail import reader_of
from workflow.trail import verify_evaluation

from .documents import pdf_response
from .documents import public_base_url
from .extensions import db
from .extensions import limiter
from .inputs import INT_MAX
from .inputs import int_arg
from .openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _address_limit() -> str:
    return str(current_app.config["API_ADDRESS_LIMIT"])


# Every request per client address over the whole API (429 with Retry-After past it): tokens
# cannot be guessed, so this bounds the load one address (a runaway integration) can cause.
limiter.shared_limit(_address_limit, scope="api")(bp)

PUBLIC_ENDPOINTS = frozenset({"api.openapi"})
# What an agency's integration token (``workflow.integration_tokens``) may call, by scope;
# employees' tokens may call none of these.
INTEGRATION_ENDPOINTS = {"api.recap": "recap", "api.recap_periods_list": "recap"}
# The query parameters each endpoint takes (as web/openapi.py documents); others are a 400, so
# a misspelt filter (``perpage``) is not silently ignored.
QUERY_PARAMS = {"api.evaluations": frozenset({"state", "period_id", "role", "q", "page",
                                              "per_page", "after"}),
                "api.skp_list": frozenset({"year"}),
                "api.recap": frozenset({"period_id", "unit_kerja"}),
                "api.evidence_list": frozenset({"masa", "superseded"})}
# Endpoints whose operation is a flow step (scope ``transition[:<name>]``), and the SKP writes
# that are not (scope ``skp``: web/api_skp.py); everything else needs ``read``.
TRANSITION_ENDPOINTS = frozenset({"api.transition", "api.skp_transition"})
SKP_WRITES = frozenset({"api.skp_create", "api.skp_change", "api.skp_transfer",
                        "api.skp_feedback_reply", "api.realisation_submit",
                        "api.evidence_upload"})
# One URL rule for reading and writing (web/api_skp.py): the write needs ``skp``.
SKP_SHARED = frozenset({"api.skp_get", "api.skp_matrix", "api.skp_feedback_threads",
                        "api.skp_dialogs", "api.realisation"})
TRANSITION_KEYS = frozenset({"data", "comment", "version"})
REASSIGN_KEYS = frozenset({"evaluations", "role", "to", "reason"})
REASSIGN_MAX = 500  # evaluations in one request


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
    if is_integration_token(token.strip()):
        return _authenticate_integration(token.strip())
    if request.endpoint in INTEGRATION_ENDPOINTS:
        return _forbidden(_("Rekap hanya dapat dibaca dengan token integrasi instansi, bukan "
                            "token pegawai."))
    use = token_for_request(db.session, token.strip(), _wf().clock())
    if use is None:
        return _unauthorized(_("Token API tidak sah, sudah kedaluwarsa, atau sudah dicabut."))
    g.api_actor = use.actor
    g.actor_nip = use.actor.nip
    if use.touched:
        db.session.commit()  # last_used_at, kept even when the request then fails
    if request.endpoint in TRANSITION_ENDPOINTS:
        operation = "transition:" + str((request.view_args or {}).get("name", ""))
    elif request.endpoint == "api.reassign":
        operation = "reassign"
    else:
        write = request.endpoint in SKP_WRITES or (
            request.endpoint in SKP_SHARED and request.method not in ("GET", "HEAD"))
        operation = "skp" if write else "read"
    if not token_allows(use.scope, operation):
        response = jsonify({"error": "Forbidden", "message": _(
            "Cakupan token ini tidak mencakup operasi %(operation)s.", operation=operation)})
        response.headers["WWW-Authenticate"] = 'Bearer realm="api", error="insufficient_scope"'
        return response, 403
    return None


def _forbidden(message: str) -> tuple[Response, int]:
    response = jsonify({"error": "Forbidden", "message": message})
    response.headers["WWW-Authenticate"] = 'Bearer realm="api", error="insufficient_scope"'
    return response, 403


def _authenticate_integration(token: str) -> tuple[Response, int] | None:
    """An agency's integration token: only the endpoints its scope names."""
    use = integration_token_for_request(db.session, token, _wf().clock())
    if use is None:
        return _unauthorized(_("Token API tidak sah, sudah kedaluwarsa, atau sudah dicabut."))
    g.integration = use
    g.actor_nip = f"integrasi:{use.token_id}"
    if use.touched:
        db.session.commit()  # last_used_at, kept even when the request then fails
    operation = INTEGRATION_ENDPOINTS.get(request.endpoint or "")
    if operation is None or not use.allows(operation):
        return _forbidden(_("Token integrasi hanya dapat membaca rekap instansinya."))
    return None


def _integration() -> IntegrationUse:
    use: IntegrationUse = g.integration
    return use


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


def _reassign_body() -> tuple[list[tuple[int, str]], str, str]:
    """Parse ``{evaluations, role, to, reason}``; raise InvalidData on anything malformed."""
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise InvalidData({"_body": [_("Badan permintaan harus objek JSON dengan Content-Type "
                                       "application/json.")]},
                          _("Permintaan tidak dapat dibaca."), "The request cannot be read.")
    errors: dict[str, list[str]] = {}
    for key in sorted(set(body) - REASSIGN_KEYS):
        errors[key] = [_("Kunci tidak dikenal.")]
    ids = body.get("evaluations")
    if isinstance(ids, list):  # 3.0 is an integer in JSON
        ids = [int(i) if isinstance(i, float) and i.is_integer() and abs(i) < 2**53 else i
               for i in ids]
    if not isinstance(ids, list) or not 1 <= len(ids) <= REASSIGN_MAX or not all(
            isinstance(i, int) and not isinstance(i, bool) and 1 <= i <= INT_MAX for i in ids):
        errors["evaluations"] = [_("Harus berupa daftar 1–%(max)d id evaluasi.",
                                   max=REASSIGN_MAX)]
    for key in ("role", "to", "reason"):
        value = body.get(key)
        if not isinstance(value, str) or not value.strip() or "\x00" in value:
            errors[key] = [_("Wajib diisi (teks).")]
    if errors:
        raise InvalidData(errors, _("Permintaan tidak valid; periksa isian yang ditandai."),
                          "Invalid request; check the marked fields.")
    assert isinstance(ids, list)
    return [(int(i), str(body["role"]).strip()) for i in ids], str(body["to"]), str(
        body["reason"])


# --- rendering -------------------------------------------------------------------------------


def _field(spec_field: FieldSpec, role: str, state: str, lang: str) -> dict[str, Any]:
    acting = Viewer(frozenset({role}), state)
    out: dict[str, Any] = {
        "name": spec_field.name,
        "type": spec_field.type,
        "label": (spec_field.label_en or spec_field.label) if lang == "en" else spec_field.label,
        "required": spec_field.required,
        "conditionally_required": spec_field.required_when is not None,
        "visible": sees(spec_field, acting),
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


def _transition(view: Visibility, evaluation: Evaluation, definition: WorkflowDefinition,
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
        spec = view.spec(rule.form)
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


def _ratings(values: Ratings, lang: str) -> dict[str, Any]:
    return {"hasil_kerja": _rating(values.rating_hasil_kerja, lang),
            "perilaku_kerja": _rating(values.rating_perilaku_kerja, lang),
            "predikat": _predikat(values.predikat, lang)}


def _appeal(session: Session, ev: Evaluation, view: Visibility,
            lang: str) -> dict[str, Any] | None:
    """The latest appeal as the page and the decision PDF read it (``workflow.appeals``), its
    ratings shown by the same rule as the evaluation's own (``forms.visibility``)."""
    record = appeal_record(events_of(session, ev), view.definition)
    if record is None:
        return None
    if not view.rating_visible:
        record = record.hidden()
    return {"filed_at": record.filed_at.isoformat(),
            "original": _ratings(record.original, lang),
            "decided_at": record.decided_at.isoformat() if record.decided_at else None,
            "result": _ratings(record.result, lang) if record.result else None,
            "revised": record.revised}


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


def _summary(view: Visibility, lang: str) -> dict[str, Any]:
    evaluation, definition = view.evaluation, view.definition
    assert isinstance(evaluation, Evaluation)  # read for the list and the detail (ORM)
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
        "predikat": _predikat(view.rating()["predikat"], lang),
        "updated_at": evaluation.updated_at.isoformat(),
        "url": url_for("api.evaluation", evaluation_id=evaluation.id),
    }


def _change(change: Change) -> dict[str, Any]:
    if change.hidden:
        return {"field": change.field, "hidden": True, "digest": change.digest}
    return {"field": change.field, "old": change.old, "new": change.new}


def _event(event: HistoryEvent, view: Visibility, key: bytes, lang: str) -> dict[str, Any]:
    changes = [_change(c) for c in view.changes(event, key)]
    return {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "kind": event.kind,
        "actor_nip": event.actor_nip,
        "role": event.actor_role,
        "role_label": view.definition.role_label(event.actor_role, lang)
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
    raw_after = request.args.get("after", "")
    after = parse_cursor(raw_after) if raw_after else None
    if raw_after and after is None:
        raise InvalidData({"after": [_("Kursor halaman tidak valid; pakai nilai `after` dari "
                                       "jawaban sebelumnya.")]},
                          _("Parameter tidak valid."), "Invalid parameters.")
    result = list_evaluations(db.session, _actor(), filters, page, per_page, after)
    lang = current_language()
    views = VisibilityBatch(db.session, _actor())
    items = [_summary(views.of(e), lang) for e in result.items]
    cursor = cursor_text(result.after)
    next_url = None
    if cursor:
        args: dict[str, Any] = {k: v for k, v in request.args.items()
                                if k not in ("after", "page")}
        next_url = url_for("api.evaluations", **args, after=cursor, page=result.page + 1)
    return jsonify({"items": items, "page": result.page, "per_page": result.per_page,
                    "total": result.total, "total_capped": result.capped,
                    "pages": result.pages, "after": cursor or None, "next": next_url})


@bp.get("/evaluations/<int:evaluation_id>")
def evaluation(evaluation_id: int) -> Response:
    """Return one evaluation: state, version, allowed transitions with fields, visible data."""
    session = db.session
    reader = reader_of(session, _actor(), evaluation_id)
    available = available_transitions(session, _wf(), _actor(), evaluation_id)
    ev, lang = reader.evaluation, current_language()
    view = Visibility.for_actor(session, _actor(), ev, reader.definition, reader.roles)
    rating = view.rating()
    data: dict[str, Any] = {}
    for form_key, entry in sorted((ev.data or {}).items()):
        if not isinstance(entry, Mapping):
            continue
        data[form_key] = {
            "values": view.values(form_key),
            "form_version_id": entry.get("form_version_id"),
            "saved_at": entry.get("saved_at"),
            "saved_by": entry.get("saved_by"),
            "draft": bool(entry.get("draft", False)),
        }
    body = _summary(view, lang)
    body.update({
        "roles": sorted(reader.roles),
        "definition": {"agency": reader.definition.agency,
                       "version": reader.definition.version,
                       "version_id": ev.definition_version_id},
        "skp_id": ev.skp_id,  # the SKP it reads (GET /skp/{id}: for those who may read it)
        "period": {"id": ev.period_id, "label": ev.period.label,
                   "capaian_organisasi": _capaian(ev.period.capaian_organisasi, lang)},
        "deadlines": dict(ev.deadlines or {}),  # UTC instants; people read them in `timezone`
        "timezone": {"name": (zone := reader_zone()), "abbreviation": abbreviation(zone)},
        "ratings": {"hasil_kerja": _rating(rating["rating_hasil_kerja"], lang),
                    "perilaku_kerja": _rating(rating["rating_perilaku_kerja"], lang)},
        "appeal": _appeal(session, ev, view, lang),
        # A holder replaced by a reassignment: ``appraiser~<id>``, ``former`` true.
        "participants": [{"role": p.role,
                          "role_label": reader.definition.role_label(base_role(p.role), lang),
                          "former": is_former(p.role), "identity": dict(p.identity or {})}
                         for p in sorted(ev.participants, key=lambda p: p.role)],
        "transitions": [_transition(view, ev, reader.definition, rule, available.roles, lang)
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
    # Strangers get 404 (fire_transition), before anything else is checked.
    fired = fire_transition(db.session, _wf(), actor, evaluation_id, name, data=data,
                            comment=comment, expected_version=version)
    db.session.commit()
    # The answer is built from what the transition wrote: the row is not read again.
    ev, definition, event = fired.evaluation, fired.definition, fired.event
    view = Visibility.for_actor(db.session, actor, ev, definition, fired.roles)
    lang = current_language()
    return jsonify({
        "evaluation": {"id": ev.id, "state": ev.status,
                       "state_label": definition.label(ev.status, lang),
                       "version": ev.lock_version,
                       "predikat": _predikat(view.rating()["predikat"], lang),
                       "url": url_for("api.evaluation", evaluation_id=ev.id)},
        "event": {"seq": event.seq, "at": event.at.isoformat(), "trigger": event.trigger,
                  "from": event.source, "to": event.dest, "role": event.actor_role,
                  "role_label": definition.role_label(event.actor_role, lang),
                  "hash": event.hash, "prev_hash": event.prev_hash},
    })


@bp.post("/reassignments")
def reassign() -> Response:
    """Give a role on open evaluations to another person (``workflow.reassignment``): all or
    nothing."""
    items, nip, reason = _reassign_body()
    events = reassign_to_nip(db.session, _wf(), _actor(), items, nip, reason)
    db.session.commit()
    return jsonify({"items": [
        {"evaluation_id": e.evaluation_id, "role": e.payload["role"],
         "from": e.payload["from"], "to": e.payload["to"], "seq": e.seq, "hash": e.hash}
        for e in events]})


@bp.get("/evaluations/<int:evaluation_id>/history")
def history(evaluation_id: int) -> Response:
    """Return the evaluation's history; values of fields the caller may not see are hidden."""
    reader = reader_of(db.session, _actor(), evaluation_id)
    view = Visibility.for_actor(db.session, _actor(), reader.evaluation, reader.definition,
                                reader.roles)
    lang = current_language()
    events = [_event(e, view, _wf().audit_key, lang)
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


@bp.get("/rekap/periode")
def recap_periods_list() -> Response:
    """List the agency's periods (for the recap; integration token with scope ``recap``)."""
    lang = current_language()
    periods = recap_periods(db.session, _integration().agency_id)
    return jsonify({"items": [{"id": p.id, "label": p.label, "kind": p.kind, "year": p.year,
                               "number": p.number, "starts_on": p.starts_on.isoformat(),
                               "ends_on": p.ends_on.isoformat(),
                               "capaian_organisasi": _capaian(p.capaian_organisasi, lang)}
                              for p in periods]})


@bp.get("/rekap")
def recap() -> Response:
    """The recap of one period (one unit kerja if given) for payroll and SIASN
    (``reports.recap``, the same rows as the admin's CSV and XLSX)."""
    period_id = int_arg("period_id")
    if period_id is None:
        raise InvalidData({"period_id": [_("Wajib diisi.")]}, _("Parameter tidak valid."),
                          "Invalid parameters.")
    result = recap_of(db.session, _integration().agency_id, period_id,
                      request.args.get("unit_kerja", "").strip())
    lang = current_language()
    return jsonify({"period": {"id": result.period.id, "label": result.period.label},
                    "unit_kerja": result.unit_kerja or None,
                    "items": [recap_json(r, lang) for r in result.rows]})
