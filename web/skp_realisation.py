"""The realisation page of a set SKP (``/skp/<id>/realisasi``): per period, the employee's
realisation of each indicator, the action plan of each RHK, evidence files (upload, open,
replace) and submitting the period. Phone-first: one card per RHK, fields stacked.

Views parse, call one use case (``workflow.realisation``, ``workflow.evidence``), commit and
redirect; a refused post shows the page again with the reason (400 / 409). Who may read is the
SKP's one rule (404 for anyone else and any other agency).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from l10n import current_language
from l10n import local_time
from workflow.errors import InvalidData
from workflow.errors import WorkflowError
from workflow.evidence import ALLOWED_NAMES
from workflow.evidence import ALLOWED_TYPES
from workflow.evidence import limits_of
from workflow.evidence import open_evidence
from workflow.realisation import period_label
from workflow.realisation import realisation_view
from workflow.realisation import save_realisation
from workflow.realisation import submit_period

from .auth import current_actor
from .evaluation_page import workflow_deps
from .evidence_files import default_limits
from .evidence_files import evidence_response
from .evidence_files import storage
from .evidence_files import upload_and_commit
from .extensions import db
from .inputs import int_form

bp = Blueprint("realisasi", __name__, url_prefix="/skp")

INLINE_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp")


def _page(skp_id: int, period: str | None, *, status: int = 200, message: str = "",
          errors: dict[str, list[str]] | None = None,
          posted: dict[str, Any] | None = None) -> tuple[str, int]:
    actor = current_actor()
    view = realisation_view(db.session, actor, skp_id, period)
    limits = limits_of(db.session, actor.agency_id, default_limits())
    lang = current_language()
    return render_template(
        "skp/realisasi.html", v=view, lang=lang, message=message, errors=errors or {},
        posted=posted or {}, label=period_label, limits=limits, allowed=ALLOWED_NAMES,
        accept=",".join(f".{ext}" for ext in sorted(set(ALLOWED_TYPES.values()))) + ","
        + ",".join(sorted(ALLOWED_TYPES)), inline=INLINE_TYPES,
        when=lambda moment: local_time(moment) if moment else ""), status


def _refused(exc: WorkflowError, skp_id: int, period: str,
             posted: dict[str, Any] | None = None) -> tuple[str, int]:
    db.session.rollback()
    if exc.status not in (400, 409, 503):
        raise exc
    lang = current_language()
    errors = exc.errors_in(lang) if isinstance(exc, InvalidData) else {}
    return _page(skp_id, period, status=exc.status, message=exc.in_language(lang),
                 errors=errors, posted=posted)


@bp.get("/<int:skp_id>/realisasi")
@login_required
def show(skp_id: int) -> tuple[str, int]:
    """One period of the SKP's realisation (``masa``; default the first)."""
    return _page(skp_id, request.args.get("masa") or None)


def _document(form: Any) -> dict[str, Any]:
    realisasi, rencana = [], []
    for name in form:
        kind, _sep, raw = name.partition("-")
        if not raw.isdigit():
            continue
        if kind == "nilai":
            realisasi.append({"indicator_id": int(raw), "value": form.get(name, ""),
                              "text": form.get(f"teks-{raw}", "")})
        elif kind == "aksi":
            rencana.append({"rhk_id": int(raw), "text": form.get(name, "")})
    return {"realisasi": realisasi, "rencana_aksi": rencana}


@bp.post("/<int:skp_id>/realisasi/<masa>")
@login_required
def save(skp_id: int, masa: str) -> Response | tuple[str, int]:
    """Save the period's realisation values and texts and the action plans."""
    document = _document(request.form)
    try:
        save_realisation(db.session, workflow_deps(), current_actor(), skp_id, masa, document,
                         int_form("version"))
    except WorkflowError as exc:
        return _refused(exc, skp_id, masa, dict(request.form))
    db.session.commit()
    flash(_("Realisasi tersimpan."), "success")
    return redirect(url_for(".show", skp_id=skp_id, masa=masa))


@bp.post("/<int:skp_id>/realisasi/<masa>/bukti")
@login_required
def upload(skp_id: int, masa: str) -> Response | tuple[str, int]:
    """Upload one evidence file for an indicator (or replace one: ``supersedes``)."""
    file = request.files.get("file")
    try:
        if file is None or not file.filename:
            raise InvalidData.of({"file": ("Pilih berkas bukti dukung.",
                                           "Choose an evidence file.")})
        upload_and_commit(workflow_deps(), current_actor(), skp_id, masa,
                          int_form("indicator_id") or 0, file.stream, file.filename,
                          supersedes=int_form("supersedes"))
    except WorkflowError as exc:
        return _refused(exc, skp_id, masa)
    flash(_("Bukti dukung tersimpan."), "success")
    return redirect(url_for(".show", skp_id=skp_id, masa=masa))


@bp.post("/<int:skp_id>/realisasi/<masa>/kirim")
@login_required
def submit(skp_id: int, masa: str) -> Response | tuple[str, int]:
    """Submit the period: its realisation and evidence can no longer be changed."""
    try:
        submit_period(db.session, workflow_deps(), current_actor(), skp_id, masa,
                      int_form("version"))
    except WorkflowError as exc:
        return _refused(exc, skp_id, masa)
    db.session.commit()
    flash(_("Realisasi periode ini terkirim."), "success")
    return redirect(url_for(".show", skp_id=skp_id, masa=masa))


@bp.get("/bukti/<int:evidence_id>")
@login_required
def download(evidence_id: int) -> Response:
    """An evidence file, streamed (PDF and images open in place with ``lihat=1``)."""
    evidence, chunks = open_evidence(db.session, current_actor(), storage(), evidence_id)
    inline = request.args.get("lihat") == "1" and evidence.content_type in INLINE_TYPES
    return evidence_response(evidence, chunks, inline=inline)
