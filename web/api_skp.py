"""The SKP operations of the JSON API (``/api/v1/skp…``), on the ``api`` blueprint.

Same rules as the evaluation endpoints (``web/api.py``): bearer token only, one use case per
request (``workflow.skp``, ``workflow.cascade``), domain errors as JSON (``web/errors.py``),
another agency's (or an unreadable) SKP is 404. Token scopes: ``read`` for the GETs,
``transition`` / ``transition:<name>`` for the flow's steps, ``skp`` for the other writes
(create, save, perubahan, assigning from the matrix): ``api.SKP_WRITES``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response
from flask import current_app
from flask import g
from flask import jsonify
from flask import request
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from forms.skp_fields import check_data
from l10n import current_language
from workflow.actors import Actor
from workflow.cascade import RoleMatrix
from workflow.cascade import TreeNode
from workflow.cascade import assign_result
from workflow.cascade import cascade_tree
from workflow.cascade import role_matrix
from workflow.errors import InvalidData
from workflow.models import HistoryEvent
from workflow.models import Skp
from workflow.models import SkpRhk
from workflow.service import Workflow
from workflow.skp import SkpPage
from workflow.skp import change_skp
from workflow.skp import copy_from_last_year
from workflow.skp import create_skp
from workflow.skp import fire_skp_transition
from workflow.skp import flow_of
from workflow.skp import my_skps
from workflow.skp import save_content
from workflow.skp import skp_page
from workflow.skp import subordinate_skps
from workflow.skp import transfer

from .api import bp
from .extensions import db
from .inputs import INT_MAX


def _wf() -> Workflow:
    wf: Workflow = current_app.extensions["workflow"]
    return wf


def _actor() -> Actor:
    actor: Actor = g.api_actor
    return actor


# --- parsing ---------------------------------------------------------------------------------


def _body(allowed: set[str]) -> dict[str, Any]:
    """Return the JSON object of the request; unknown keys are a 400, nothing read further."""
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise InvalidData({"_body": [_("Badan permintaan harus objek JSON dengan Content-Type "
                                       "application/json.")]},
                          _("Permintaan tidak dapat dibaca."), "The request cannot be read.")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidData({key: [_("Kunci tidak dikenal.")] for key in unknown},
                          _("Permintaan tidak valid; periksa isian yang ditandai."),
                          "Invalid request; check the marked fields.")
    return body


def _integer(body: dict[str, Any], name: str, *, required: bool, low: int = 1) -> int | None:
    value = body.get(name)
    if isinstance(value, float) and value.is_integer():  # 3.0 is an integer in JSON
        value = int(value)
    if value is None:
        if required:
            raise InvalidData({name: [_("Wajib diisi.")]},
                              _("Permintaan tidak valid; periksa isian yang ditandai."),
                              "Invalid request; check the marked fields.")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= INT_MAX:
        raise InvalidData({name: [_("Harus berupa bilangan bulat dalam jangkauan.")]},
                          _("Permintaan tidak valid; periksa isian yang ditandai."),
                          "Invalid request; check the marked fields.")
    return value


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidData({name: [_("Harus berupa teks.")]},
                          _("Permintaan tidak valid; periksa isian yang ditandai."),
                          "Invalid request; check the marked fields.")
    return value


# --- rendering -------------------------------------------------------------------------------


def _summary(skp: Skp, lang: str) -> dict[str, Any]:
    flow = flow_of(db.session, skp)
    identity = skp.employee_identity or {}
    return {
        "id": skp.id, "year": skp.year, "version": skp.lock_version,
        "skp_version": skp.version, "state": skp.status,
        "state_label": flow.label(skp.status, lang),
        "employee": {"id": skp.employee_id, "nip": identity.get("nip", ""),
                     "name": identity.get("name", ""), "jabatan": identity.get("jabatan", "")},
        "appraiser_id": skp.appraiser_id,
        "starts_on": skp.starts_on.isoformat(), "ends_on": skp.ends_on.isoformat(),
        "pendekatan": skp.pendekatan, "jenis_jabatan": skp.jenis_jabatan,
        "updated_at": skp.updated_at.isoformat(),
        "url": url_for("api.skp_get", skp_id=skp.id),
    }


def _event(event: HistoryEvent, page: SkpPage, lang: str) -> dict[str, Any]:
    return {"seq": event.seq, "at": event.at.isoformat(), "kind": event.kind,
            "actor_nip": event.actor_nip, "role": event.actor_role,
            "role_label": page.flow.role_label(event.actor_role, lang),
            "trigger": event.trigger, "from": event.source, "to": event.dest,
            "comment": event.comment, "data_digest": event.data_digest,
            "prev_hash": event.prev_hash, "hash": event.hash}


def _page(page: SkpPage, lang: str) -> dict[str, Any]:
    skp = page.skp
    body = _summary(skp, lang)
    body.update({
        "roles": sorted(page.roles),
        "previous_id": skp.previous_id,
        "employee_identity": dict(skp.employee_identity or {}),
        "appraiser_identity": dict(skp.appraiser_identity or {}),
        "change_reason": skp.change_reason, "closed_reason": skp.closed_reason,
        "return_comment": skp.return_comment,
        "submitted_at": skp.submitted_at.isoformat() if skp.submitted_at else None,
        "set_at": skp.set_at.isoformat() if skp.set_at else None,
        "content": page.content,
        "parents": {str(k): v for k, v in sorted(page.parents.items())},
        "may_edit": page.may_edit, "may_edit_expectations": page.may_edit_expectations,
        "may_change": page.may_change,
        "transitions": [{"name": s.name, "label": s.label_en if lang == "en" else s.label,
                         "comment_required": s.comment_required,
                         "url": url_for("api.skp_transition", skp_id=skp.id, name=s.name)}
                        for s in page.steps],
        "versions": [{"id": i, "skp_version": v, "state": st,
                      "state_label": page.flow.label(st, lang)} for i, v, st in page.versions],
        "history": [_event(e, page, lang) for e in page.events],
        "links": {"matriks": url_for("api.skp_matrix", skp_id=skp.id),
                  "perubahan": url_for("api.skp_change", skp_id=skp.id)},
    })
    return body


def _rhk(rhk: SkpRhk) -> dict[str, Any]:
    return {"id": rhk.id, "skp_id": rhk.skp_id, "jenis": rhk.jenis, "text": rhk.text,
            "parent_id": rhk.parent_id, "assigned_by_id": rhk.assigned_by_id}


def _matrix(matrix: RoleMatrix, lang: str) -> dict[str, Any]:
    return {
        "skp_id": matrix.skp.id, "may_assign": matrix.may_assign,
        "rows": [_rhk(r) for r in matrix.rows],
        "columns": [{"employee": {"id": c.employee.id, "nip": c.employee.nip,
                                  "name": c.employee.name, "jabatan": c.employee.jabatan},
                     "skp": _summary(c.skp, lang) if c.skp is not None else None,
                     "editable": c.editable} for c in matrix.columns],
        "cells": [{"rhk_id": rid, "employee_id": eid, "rhk": [_rhk(r) for r in found]}
                  for (rid, eid), found in sorted(matrix.cells.items())],
    }


def _tree(node: TreeNode, lang: str) -> dict[str, Any]:
    return {"rhk": _rhk(node.rhk), "skp_id": node.skp.id, "year": node.skp.year,
            "state": node.skp.status,
            "state_label": flow_of(db.session, node.skp).label(node.skp.status, lang),
            "employee": {"nip": node.employee_nip, "name": node.employee_name,
                         "jabatan": node.jabatan},
            "children": [_tree(child, lang) for child in node.children]}


# --- endpoints -------------------------------------------------------------------------------


@bp.get("/skp")
def skp_list() -> Response:
    """List the caller's own SKPs and those she appraises (optionally of one year)."""
    raw = request.args.get("year", "").strip()
    year = None
    if raw:
        if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
            raise InvalidData({"year": [_("Tahun harus antara 2000 dan 2100.")]},
                              _("Parameter tidak valid."), "Invalid parameters.")
        year = int(raw)
    lang = current_language()
    mine = [s for s in my_skps(db.session, _actor()) if year is None or s.year == year]
    return jsonify({"mine": [_summary(s, lang) for s in mine],
                    "subordinates": [_summary(s, lang)
                                     for s in subordinate_skps(db.session, _actor(), year)]})


@bp.post("/skp")
def skp_create() -> tuple[Response, int]:
    """Create the caller's draft SKP for a year (or copy last year's)."""
    body = _body({"year", "pendekatan", "jenis_jabatan", "copy_from", "copy_last_year"})
    year = _integer(body, "year", required=True, low=0)
    assert year is not None
    if not isinstance(body.get("copy_last_year", False), bool):
        raise InvalidData({"copy_last_year": [_("Harus berupa true atau false.")]},
                          _("Permintaan tidak valid; periksa isian yang ditandai."),
                          "Invalid request; check the marked fields.")
    if body.get("copy_last_year") is True:
        skp = copy_from_last_year(db.session, _wf(), _actor(), year)
    else:
        skp = create_skp(db.session, _wf(), _actor(), year=year,
                         pendekatan=_text(body, "pendekatan") or "",
                         jenis_jabatan=_text(body, "jenis_jabatan") or "",
                         copy_from=_integer(body, "copy_from", required=False))
    db.session.commit()
    return jsonify(_page(skp_page(db.session, _actor(), skp.id), current_language())), 201


# GET and PUT (and the matrix's GET and POST) share one URL rule: with two rules, an id too
# large for the converter made Werkzeug answer 405 instead of 404 for the second method.
@bp.route("/skp/<int:skp_id>", methods=["GET", "PUT"])
def skp_get(skp_id: int) -> Response:
    """Return one SKP: content, state, version, the caller's steps, versions, history."""
    if request.method == "PUT":
        return skp_save(skp_id)
    return jsonify(_page(skp_page(db.session, _actor(), skp_id), current_language()))


def skp_save(skp_id: int) -> Response:
    """Save parts of the SKP's content ``{content, version}``; nothing changes on any error."""
    body = _body({"content", "version"})
    version = _integer(body, "version", required=True, low=0)
    content = body.get("content")
    if isinstance(content, dict) and "data" in content:  # the agency fields' own rules
        content = {**content, "data": check_data(db.session, _actor().agency_id,
                                                 content["data"])}
    save_content(db.session, _wf(), _actor(), skp_id, content, version)
    db.session.commit()
    return jsonify(_page(skp_page(db.session, _actor(), skp_id), current_language()))


@bp.post("/skp/<int:skp_id>/transitions/<name>")
def skp_transition(skp_id: int, name: str) -> Response:
    """Take a step of the SKP flow with ``{comment, version}``."""
    body = _body({"comment", "version"})
    version = _integer(body, "version", required=True, low=0)
    skp = fire_skp_transition(db.session, _wf(), _actor(), skp_id, name,
                              _text(body, "comment"), version)
    db.session.commit()
    lang = current_language()
    event = db.session.get(HistoryEvent, _last_event_id(skp))
    assert event is not None
    flow = flow_of(db.session, skp)
    return jsonify({"skp": _summary(skp, lang),
                    "event": {"seq": event.seq, "at": event.at.isoformat(),
                              "trigger": event.trigger, "from": event.source,
                              "to": event.dest, "role": event.actor_role,
                              "role_label": flow.role_label(event.actor_role, lang),
                              "hash": event.hash, "prev_hash": event.prev_hash}})


def _last_event_id(skp: Skp) -> int | None:
    return db.session.scalar(select(HistoryEvent.id).where(
        HistoryEvent.chain == f"skp:{skp.id}", HistoryEvent.seq == skp.history_seq))


@bp.post("/skp/<int:skp_id>/perubahan")
def skp_change(skp_id: int) -> tuple[Response, int]:
    """*Perubahan SKP* ``{reason, version}``: the new version (a draft) is returned."""
    body = _body({"reason", "version"})
    version = _integer(body, "version", required=True, low=0)
    new = change_skp(db.session, _wf(), _actor(), skp_id, _text(body, "reason") or "",
                     version)
    db.session.commit()
    return jsonify(_page(skp_page(db.session, _actor(), new.id), current_language())), 201


@bp.route("/skp/<int:skp_id>/matriks", methods=["GET", "POST"])
def skp_matrix(skp_id: int) -> Response | tuple[Response, int]:
    """The Matriks Peran Hasil of an SKP: its RHK × the owner's direct subordinates."""
    if request.method == "POST":
        return skp_assign(skp_id)
    return jsonify(_matrix(role_matrix(db.session, _actor(), skp_id), current_language()))


def skp_assign(skp_id: int) -> tuple[Response, int]:
    """Assign one of the SKP's RHK to a direct subordinate ``{rhk_id, subordinate_id}``."""
    body = _body({"rhk_id", "subordinate_id"})
    rhk_id = _integer(body, "rhk_id", required=True)
    subordinate_id = _integer(body, "subordinate_id", required=True)
    assert rhk_id is not None and subordinate_id is not None
    child = assign_result(db.session, _wf(), _actor(), rhk_id, subordinate_id, skp_id=skp_id)
    db.session.commit()
    return jsonify({"rhk": _rhk(child), "skp": _summary(child.skp, current_language())}), 201


@bp.get("/skp/rhk/<int:rhk_id>/pohon")
def skp_tree(rhk_id: int) -> Response:
    """Every RHK that cascades from one RHK, down to the staff."""
    return jsonify(_tree(cascade_tree(db.session, _actor(), rhk_id), current_language()))


@bp.post("/skp/mutasi")
def skp_transfer() -> tuple[Response, int]:
    """*Mutasi* / change of appraiser (admins): close the SKP in force, open the next one."""
    body = _body({"employee_id", "on_date", "new_appraiser_id", "reason", "unit_kerja",
                  "jabatan", "jenis_jabatan", "copy_rhk"})
    employee_id = _integer(body, "employee_id", required=True)
    appraiser_id = _integer(body, "new_appraiser_id", required=True)
    assert employee_id is not None and appraiser_id is not None
    raw = _text(body, "on_date") or ""
    try:
        on_date = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        on_date = None
    if on_date is None:
        raise InvalidData({"on_date": [_("Tanggal harus berformat YYYY-MM-DD.")]},
                          _("Permintaan tidak valid; periksa isian yang ditandai."),
                          "Invalid request; check the marked fields.")
    if not isinstance(body.get("copy_rhk", False), bool):
        raise InvalidData({"copy_rhk": [_("Harus berupa true atau false.")]},
                          _("Permintaan tidak valid; periksa isian yang ditandai."),
                          "Invalid request; check the marked fields.")
    new = transfer(db.session, _wf(), _actor(), employee_id, on_date,
                   new_appraiser_id=appraiser_id, reason=_text(body, "reason") or "",
                   unit_kerja=_text(body, "unit_kerja"), jabatan=_text(body, "jabatan"),
                   jenis_jabatan=_text(body, "jenis_jabatan"),
                   copy_rhk=body.get("copy_rhk") is True)
    db.session.commit()
    return jsonify(_page(skp_page(db.session, _actor(), new.id), current_language())), 201
