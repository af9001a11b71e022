"""Continuous feedback and dialog kinerja of the JSON API (``/api/v1/skp/<id>/umpan-balik``,
``/api/v1/skp/<id>/dialog``), on the ``api`` blueprint.

Same rules as the other SKP endpoints (``web/api_skp.py``): bearer token, one use case of
``workflow.feedback`` per request, domain errors as JSON, an SKP the caller may not read
(another agency's included) is 404. Scopes: ``read`` for the GETs, ``skp`` for the writes
(``api.SKP_SHARED`` / ``api.SKP_WRITES``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response
from flask import jsonify
from flask import request
from flask_babel import gettext as _

from workflow.errors import InvalidData
from workflow.feedback import Thread
from workflow.feedback import add_dialog
from workflow.feedback import comment
from workflow.feedback import reply
from workflow.feedback import skp_feedback
from workflow.models import SkpDialog
from workflow.models import SkpFeedback

from .api import bp
from .api_skp import _actor
from .api_skp import _body
from .api_skp import _integer
from .api_skp import _text
from .api_skp import _wf
from .extensions import db


def feedback_json(row: SkpFeedback) -> dict[str, Any]:
    """One comment as the API shows it."""
    return {"id": row.id, "skp_id": row.skp_id, "topic": row.topic, "rhk_id": row.rhk_id,
            "indicator_id": row.indicator_id, "period_id": row.period_id, "month": row.month,
            "value": row.value, "parent_id": row.parent_id, "text": row.text,
            "author": {"id": row.author_id, "name": row.author.name, "role": row.author_role},
            "created_at": row.created_at.isoformat()}


def thread_json(thread: Thread) -> dict[str, Any]:
    """A thread: its first comment with the replies."""
    return {**feedback_json(thread.first),
            "replies": [feedback_json(r) for r in thread.replies]}


def dialog_json(row: SkpDialog) -> dict[str, Any]:
    """One dialog kinerja as the API shows it."""
    return {"id": row.id, "skp_id": row.skp_id, "held_on": row.held_on.isoformat(),
            "topics": row.topics, "agreed_actions": row.agreed_actions,
            "employee_id": row.employee_id, "appraiser_id": row.appraiser_id,
            "created_by_id": row.created_by_id, "created_at": row.created_at.isoformat()}


@bp.route("/skp/<int:skp_id>/umpan-balik", methods=["GET", "POST"])
def skp_feedback_threads(skp_id: int) -> Response | tuple[Response, int]:
    """GET: the SKP's feedback threads. POST: the appraiser starts one."""
    if request.method == "GET":
        view = skp_feedback(db.session, _actor(), skp_id)
        return jsonify({"skp_id": skp_id, "may_comment": view.may_comment,
                        "may_reply": view.may_take_part,
                        "threads": [thread_json(t) for t in view.threads]})
    body = _body({"topic", "text", "rhk_id", "indicator_id", "month", "period_id", "value"})
    row = comment(db.session, _wf(), _actor(), skp_id, topic=_text(body, "topic") or "",
                  text=_text(body, "text") or "",
                  rhk_id=_integer(body, "rhk_id", required=False),
                  indicator_id=_integer(body, "indicator_id", required=False),
                  month=_integer(body, "month", required=False),
                  period_id=_integer(body, "period_id", required=False),
                  value=_text(body, "value"))
    db.session.commit()
    return jsonify(feedback_json(row)), 201


@bp.post("/skp/umpan-balik/<int:feedback_id>/balasan")
def skp_feedback_reply(feedback_id: int) -> tuple[Response, int]:
    """The employee (or the appraiser) answers a thread."""
    body = _body({"text"})
    row = reply(db.session, _wf(), _actor(), feedback_id, _text(body, "text") or "")
    db.session.commit()
    return jsonify(feedback_json(row)), 201


@bp.route("/skp/<int:skp_id>/dialog", methods=["GET", "POST"])
def skp_dialogs(skp_id: int) -> Response | tuple[Response, int]:
    """GET: the SKP's dialog kinerja records. POST: either party adds one."""
    if request.method == "GET":
        view = skp_feedback(db.session, _actor(), skp_id)
        return jsonify({"skp_id": skp_id, "may_add": view.may_take_part,
                        "dialogs": [dialog_json(d) for d in view.dialogs]})
    body = _body({"held_on", "topics", "agreed_actions"})
    raw = _text(body, "held_on") or ""
    try:
        held_on = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        held_on = None
    if held_on is None:
        raise InvalidData({"held_on": [_("Tanggal harus berformat YYYY-MM-DD.")]},
                          _("Permintaan tidak valid; periksa isian yang ditandai."),
                          "Invalid request; check the marked fields.")
    row = add_dialog(db.session, _wf(), _actor(), skp_id, held_on=held_on,
                     topics=_text(body, "topics") or "",
                     agreed_actions=_text(body, "agreed_actions") or "")
    db.session.commit()
    return jsonify(dialog_json(row)), 201
