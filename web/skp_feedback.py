"""Continuous feedback and dialog kinerja on the SKP page (routes on the ``skp`` blueprint).

Each view parses the form, calls one use case of ``workflow.feedback`` (``comment``,
``reply``, ``add_dialog``), commits and goes back to the SKP page; a refusal (400 bad input,
409 the SKP is not set or changed meanwhile) shows the page again with what was typed and the
reason; 403/404 go to the central handler.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from workflow.feedback import add_dialog
from workflow.feedback import comment
from workflow.feedback import feedback_item
from workflow.feedback import reply

from .auth import current_actor
from .evaluation_page import workflow_deps
from .extensions import db
from .inputs import int_form
from .skp_pages import REFUSED
from .skp_pages import _errors
from .skp_pages import _page
from .skp_pages import _refused
from .skp_pages import bp


def _again(skp_id: int, exc: Any, form: str, typed: dict[str, Any]) -> tuple[str, int]:
    message, errors = _errors(exc)
    return _page(skp_id, status=exc.status,
                 feedback_posted={"form": form, "message": message, "errors": errors,
                                  **typed})


def _target(raw: str) -> dict[str, Any]:
    """Read the form's ``target`` (``rhk-<id>``, ``ind-<id>``, ``val-<key>``)."""
    kind, _sep, key = raw.partition("-")
    if kind == "rhk" and key.isdigit():
        return {"topic": "rhk", "rhk_id": int(key)}
    if kind == "ind" and key.isdigit():
        return {"topic": "indikator", "indicator_id": int(key)}
    if kind == "val":
        return {"topic": "perilaku", "value": key}
    return {"topic": ""}


@bp.post("/<int:skp_id>/umpan-balik")
@login_required
def feedback_comment(skp_id: int) -> Response | tuple[str, int]:
    """The appraiser comments on an RHK, an indicator's realisation in a month, or a value."""
    raw = (request.form.get("target") or "").strip()
    text = (request.form.get("text") or "").strip()
    month = int_form("month")
    typed = {"target": raw, "text": text, "month": month}
    target = _target(raw)
    if target["topic"] != "indikator":
        month = None
    try:
        row = comment(db.session, workflow_deps(), current_actor(), skp_id, text=text,
                      month=month, **target)
    except REFUSED as exc:
        if not _refused(exc):
            raise
        return _again(skp_id, exc, "umpan-balik:" + raw, typed)
    db.session.commit()
    flash(_("Umpan balik terkirim."), "success")
    return redirect(url_for("skp.show", skp_id=skp_id, _anchor=f"umpan-balik-{row.id}"))


@bp.post("/umpan-balik/<int:feedback_id>/balas")
@login_required
def feedback_reply(feedback_id: int) -> Response | tuple[str, int]:
    """The employee (or the appraiser) answers a thread."""
    actor = current_actor()
    first = feedback_item(db.session, actor, feedback_id)  # 404 for what she may not read
    text = (request.form.get("text") or "").strip()
    try:
        row = reply(db.session, workflow_deps(), actor, feedback_id, text)
    except REFUSED as exc:
        if not _refused(exc):
            raise
        return _again(first.skp_id, exc, f"balas-{feedback_id}", {"text": text})
    db.session.commit()
    flash(_("Balasan terkirim."), "success")
    return redirect(url_for("skp.show", skp_id=row.skp_id,
                            _anchor=f"umpan-balik-{row.parent_id or row.id}"))


@bp.post("/<int:skp_id>/dialog")
@login_required
def dialog_add(skp_id: int) -> Response | tuple[str, int]:
    """Either party records a dialog kinerja (date, topics, agreed actions)."""
    raw = (request.form.get("held_on") or "").strip()
    typed = {"held_on": raw, "topics": (request.form.get("topics") or "").strip(),
             "agreed_actions": (request.form.get("agreed_actions") or "").strip()}
    try:
        held_on: date | None = date.fromisoformat(raw)
    except ValueError:
        held_on = None
    try:
        add_dialog(db.session, workflow_deps(), current_actor(), skp_id, held_on=held_on,
                   topics=typed["topics"], agreed_actions=typed["agreed_actions"])
    except REFUSED as exc:
        if not _refused(exc):
            raise
        return _again(skp_id, exc, "dialog", typed)
    db.session.commit()
    flash(_("Dialog kinerja dicatat."), "success")
    return redirect(url_for("skp.show", skp_id=skp_id, _anchor="dialog-kinerja"))
