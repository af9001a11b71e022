"""Realisation and evidence operations of the JSON API (``/api/v1/skp/<id>/realisasi…``,
``/api/v1/bukti/<id>``), on the ``api`` blueprint.

Same rules as the other SKP endpoints (``web/api_skp.py``): bearer token, one use case per
request (``workflow.realisation``, ``workflow.evidence``), domain errors as JSON, another
agency's (or an unreadable) SKP or file is 404. Scopes: ``read`` for the GETs, ``skp`` for
saving, submitting and uploading (``api.SKP_WRITES`` / ``api.SKP_SHARED``). Uploads are
``multipart/form-data``; downloads are streamed.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask import current_app
from flask import g
from flask import jsonify
from flask import request
from flask import url_for
from flask_babel import gettext as _

from l10n import current_language
from workflow.actors import Actor
from workflow.errors import InvalidData
from workflow.evidence import get_evidence
from workflow.evidence import list_evidence
from workflow.evidence import open_evidence
from workflow.models import SkpEvidence
from workflow.realisation import RealisationView
from workflow.realisation import period_label
from workflow.realisation import realisation_view
from workflow.realisation import save_realisation
from workflow.realisation import submit_period
from workflow.service import Workflow

from . import openapi_evidence  # noqa: F401 - documents these routes in the OpenAPI document
from .api import bp
from .api_skp import _body
from .api_skp import _integer
from .evidence_files import evidence_response
from .evidence_files import storage
from .evidence_files import upload_and_commit
from .extensions import db
from .inputs import INT_MAX


def _wf() -> Workflow:
    wf: Workflow = current_app.extensions["workflow"]
    return wf


def _actor() -> Actor:
    actor: Actor = g.api_actor
    return actor


def evidence_json(e: SkpEvidence) -> dict[str, Any]:
    return {"id": e.id, "skp_id": e.skp_id, "period": e.period,
            "realisation_id": e.realisation_id, "filename": e.filename,
            "content_type": e.content_type, "size": e.size, "sha256": e.sha256,
            "uploaded_by_id": e.uploaded_by_id, "uploaded_at": e.uploaded_at.isoformat(),
            "superseded_by_id": e.superseded_by_id,
            "superseded_at": e.superseded_at.isoformat() if e.superseded_at else None,
            "download_url": url_for("api.evidence_download", evidence_id=e.id)}


def _view(view: RealisationView, lang: str) -> dict[str, Any]:
    return {
        "skp_id": view.skp.id, "version": view.skp.lock_version, "period": view.period,
        "period_label": period_label(view.period, lang),
        "periods": [{"period": p, "label": period_label(p, lang)} for p in view.periods],
        "submitted_at": view.submitted_at.isoformat() if view.submitted_at else None,
        "may_edit": view.may_edit, "evidence_bytes": view.used_bytes,
        "rhk": [{"id": row.rhk.id, "jenis": row.rhk.jenis, "text": row.rhk.text,
                 "rencana_aksi": row.plan,
                 "indicators": [{
                     "id": i.indicator.id, "aspek": i.indicator.aspek, "text": i.indicator.text,
                     "satuan": i.indicator.satuan,
                     "value": (None if i.realisation is None or i.realisation.value is None
                               else float(i.realisation.value)),
                     "text_realisasi": i.realisation.text if i.realisation else "",
                     "evidence": [evidence_json(e) for e in i.evidence]}
                     for i in row.indicators]} for row in view.rows],
        "superseded": [evidence_json(e) for e in view.superseded],
    }


def _period(period: str) -> str:
    if len(period) > 8:
        raise InvalidData({"period": [_("Periode tidak dikenal.")]},
                          _("Permintaan tidak valid; periksa isian yang ditandai."),
                          "Invalid request; check the marked fields.")
    return period


@bp.get("/skp/<int:skp_id>/realisasi")
def realisation_periods(skp_id: int) -> Response:
    """The SKP's realisation periods, each with its state (the first period's content)."""
    return jsonify(_view(realisation_view(db.session, _actor(), skp_id), current_language()))


@bp.route("/skp/<int:skp_id>/realisasi/<masa>", methods=["GET", "PUT"])
def realisation(skp_id: int, masa: str) -> Response:
    """One period's realisation (GET), or save parts of it (PUT ``{realisasi, rencana_aksi,
    version}``; nothing changes on any error)."""
    period = _period(masa)
    if request.method == "PUT":
        body = _body({"realisasi", "rencana_aksi", "version"})
        version = _integer(body, "version", required=True, low=0)
        document = {k: v for k, v in body.items() if k != "version"}
        save_realisation(db.session, _wf(), _actor(), skp_id, period, document, version)
        db.session.commit()
    return jsonify(_view(realisation_view(db.session, _actor(), skp_id, period),
                         current_language()))


@bp.post("/skp/<int:skp_id>/realisasi/<masa>/kirim")
def realisation_submit(skp_id: int, masa: str) -> Response:
    """Submit a period ``{version}``: its realisation and evidence become immutable."""
    period = _period(masa)
    body = _body({"version"})
    version = _integer(body, "version", required=True, low=0)
    submit_period(db.session, _wf(), _actor(), skp_id, period, version)
    db.session.commit()
    return jsonify(_view(realisation_view(db.session, _actor(), skp_id, period),
                         current_language()))


def _form_int(name: str, *, required: bool) -> int | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        if required:
            raise InvalidData({name: [_("Wajib diisi.")]},
                              _("Permintaan tidak valid; periksa isian yang ditandai."),
                              "Invalid request; check the marked fields.")
        return None
    if not raw.isdigit() or not 0 <= int(raw) <= INT_MAX:
        raise InvalidData({name: [_("Harus berupa bilangan bulat dalam jangkauan.")]},
                          _("Permintaan tidak valid; periksa isian yang ditandai."),
                          "Invalid request; check the marked fields.")
    return int(raw)


@bp.post("/skp/<int:skp_id>/realisasi/<masa>/bukti")
def evidence_upload(skp_id: int, masa: str) -> tuple[Response, int]:
    """Upload one evidence file (``multipart/form-data``: ``file``, ``indicator_id``,
    optional ``supersedes`` and ``version``)."""
    period = _period(masa)
    if not request.mimetype == "multipart/form-data":
        raise InvalidData({"_body": [_("Kirim berkas sebagai multipart/form-data.")]},
                          _("Permintaan tidak dapat dibaca."), "The request cannot be read.")
    upload = request.files.get("file")
    if upload is None:
        raise InvalidData({"file": [_("Wajib diisi: berkas bukti dukung.")]},
                          _("Permintaan tidak valid; periksa isian yang ditandai."),
                          "Invalid request; check the marked fields.")
    indicator_id = _form_int("indicator_id", required=True)
    assert indicator_id is not None
    evidence = upload_and_commit(
        _wf(), _actor(), skp_id, period, indicator_id, upload.stream, upload.filename,
        supersedes=_form_int("supersedes", required=False),
        expected_version=_form_int("version", required=False))
    return jsonify(evidence_json(evidence)), 201


@bp.get("/skp/<int:skp_id>/bukti")
def evidence_list(skp_id: int) -> Response:
    """The SKP's evidence files (``masa``: one period; ``superseded=1`` includes replaced
    ones)."""
    period = request.args.get("masa") or None
    raw = request.args.get("superseded", "0")
    if raw not in ("0", "1") or (period is not None and len(period) > 8):
        raise InvalidData({"superseded" if raw not in ("0", "1") else "masa":
                           [_("Parameter tidak valid.")]},
                          _("Parameter tidak valid."), "Invalid parameters.")
    files = list_evidence(db.session, _actor(), skp_id, period, include_superseded=raw == "1")
    return jsonify({"evidence": [evidence_json(e) for e in files]})


@bp.get("/bukti/<int:evidence_id>")
def evidence_get(evidence_id: int) -> Response:
    """One evidence file's record (hash, size, type, uploader, time)."""
    return jsonify(evidence_json(get_evidence(db.session, _actor(), evidence_id)))


@bp.get("/bukti/<int:evidence_id>/unduh")
def evidence_download(evidence_id: int) -> Response:
    """The file itself, streamed, with the SKP's visibility rule."""
    evidence, chunks = open_evidence(db.session, _actor(), storage(), evidence_id)
    return evidence_response(evidence, chunks)
