"""Planning pages (*perencanaan kinerja*): SKP saya, SKP bawahan, the SKP page with its edit
form and steps, the Matriks Peran Hasil, the cascade tree and the SKP PDF.

Views parse the request, call one use case of ``workflow.skp`` / ``workflow.cascade``, commit,
and redirect or render; who may read or do what is the core's answer (``skp_page``,
``role_matrix``, ``cascade_tree``: another agency's id, or one the reader may not see, is 404).
``skp_view`` turns those answers into what the templates show. A refused post shows the page
again with what was typed and the reason (400 for invalid data, 409 for a conflict or a rule).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from forms.skp_fields import agency_spec
from forms.skp_fields import check_data
from l10n import current_language
from reports.skp_document import issue_skp_document
from workflow.cascade import assign_result
from workflow.cascade import cascade_tree
from workflow.cascade import role_matrix
from workflow.cascade import unassign_result
from workflow.errors import InvalidData
from workflow.errors import WorkflowError
from workflow.models import Employee
from workflow.models import Skp
from workflow.models import utcnow
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

from .auth import current_actor
from .documents import pdf_response
from .documents import public_base_url
from .evaluation_page import workflow_deps
from .extensions import db
from .inputs import int_form
from .skp_forms import posted_agency_values
from .skp_forms import posted_content
from .skp_forms import posted_expectations
from .skp_view import JABATAN_OPTIONS
from .skp_view import list_item
from .skp_view import matrix_view
from .skp_view import page_view
from .skp_view import tree_view

bp = Blueprint("skp", __name__, url_prefix="/skp")

#: Refusals that keep what was typed on the page (409): someone saved first, the step is not
#: possible now, a rule said no.
REFUSED = (WorkflowError,)


def _errors(exc: WorkflowError) -> tuple[str, dict[str, list[str]]]:
    lang = current_language()
    errors = exc.errors_in(lang) if isinstance(exc, InvalidData) else {}
    return exc.in_language(lang), errors


def _refused(exc: WorkflowError) -> bool:
    """Whether a refusal re-shows the page (bad input or a conflict); 403/404 go to the
    central handler like everywhere else."""
    db.session.rollback()
    return exc.status in (400, 409)


# --- SKP saya / SKP bawahan ----------------------------------------------------------------


def _mine(error: str = "", status: int = 200) -> tuple[str, int]:
    actor = current_actor()
    employee = db.session.get(Employee, actor.employee_id)
    year = workflow_deps().clock().year
    lang = current_language()
    jenis = (employee.jenis_jabatan if employee is not None else "") or "JA"
    skps = [list_item(s, lang) for s in my_skps(db.session, actor)]
    return render_template("skp/list.html", skps=skps, year=year, error=error,
                           jenis_jabatan=jenis, jabatan_options=JABATAN_OPTIONS), status


@bp.get("/")
@login_required
def mine() -> tuple[str, int]:
    """SKP saya: the employee's SKPs, a new one, or a copy of last year's."""
    return _mine()


@bp.post("/")
@login_required
def create() -> Response | tuple[str, int]:
    """Create a draft SKP for a year."""
    try:
        skp = create_skp(db.session, workflow_deps(), current_actor(),
                         year=int_form("year") or 0,
                         pendekatan=request.form.get("pendekatan", ""),
                         jenis_jabatan=request.form.get("jenis_jabatan", ""))
    except REFUSED as exc:
        if not _refused(exc):
            raise
        message, errors = _errors(exc)
        return _mine(" ".join([message, *[m for ms in errors.values() for m in ms]]),
                     exc.status)
    db.session.commit()
    flash(_("Draf SKP dibuat. Susun rencana hasil kerja Anda, lalu ajukan."), "success")
    return redirect(url_for(".show", skp_id=skp.id))


@bp.post("/salin")
@login_required
def copy() -> Response | tuple[str, int]:
    """Create this year's draft SKP from last year's."""
    try:
        skp = copy_from_last_year(db.session, workflow_deps(), current_actor(),
                                  int_form("year") or 0)
    except REFUSED as exc:
        if not _refused(exc):
            raise
        return _mine(_errors(exc)[0], exc.status)
    db.session.commit()
    flash(_("SKP tahun lalu disalin sebagai draf; periksa dan sesuaikan."), "success")
    return redirect(url_for(".show", skp_id=skp.id))


@bp.get("/bawahan")
@login_required
def subordinates() -> str:
    """SKP bawahan: the SKPs the logged-in appraiser sets, waiting ones first."""
    lang = current_language()
    items = [list_item(s, lang, subordinate=True)
             for s in subordinate_skps(db.session, current_actor())]
    items.sort(key=lambda i: not i["waiting"])
    return render_template("skp/subordinates.html", skps=items)


# --- the SKP page ------------------------------------------------------------------------------


def _page(skp_id: int, *, status: int = 200, **posted: Any) -> tuple[str, int]:
    page = skp_page(db.session, current_actor(), skp_id)
    view = page_view(db.session, page, current_actor(), current_language(), **posted)
    return render_template("skp/show.html", v=view), status


@bp.get("/<int:skp_id>")
@login_required
def show(skp_id: int) -> tuple[str, int]:
    """The SKP: results, indicators, targets, expectations, lampiran, steps and history."""
    return _page(skp_id)


@bp.post("/<int:skp_id>/isi")
@login_required
def save(skp_id: int) -> Response | tuple[str, int]:
    """Save the employee's part: RHK with indicators and targets, the lampiran and the
    agency's own SKP fields (checked with their form rules first: ``forms.skp_fields``)."""
    content = posted_content(request.form)
    actor = current_actor()
    posted = posted_agency_values(agency_spec(db.session, actor.agency_id), request.form)
    try:
        if posted is not None:
            stored = db.session.get(Skp, skp_id)
            kept = dict(stored.data or {}) if stored is not None and \
                stored.agency_id == actor.agency_id else {}
            content["data"] = {**kept, **posted}  # fields the form no longer has are kept
            content["data"] = check_data(db.session, actor.agency_id, content["data"])
        save_content(db.session, workflow_deps(), actor, skp_id, content, int_form("version"))
    except REFUSED as exc:
        if not _refused(exc):
            raise
        message, errors = _errors(exc)
        return _page(skp_id, status=exc.status, message=message, errors=errors,
                     content=content)
    db.session.commit()
    flash(_("SKP tersimpan."), "success")
    return redirect(url_for(".show", skp_id=skp_id))


@bp.post("/<int:skp_id>/ekspektasi")
@login_required
def expectations(skp_id: int) -> Response | tuple[str, int]:
    """Save the appraiser's specific expectation per BerAKHLAK value."""
    content = posted_expectations(request.form)
    try:
        save_content(db.session, workflow_deps(), current_actor(), skp_id, content,
                     int_form("version"))
    except REFUSED as exc:
        if not _refused(exc):
            raise
        message, errors = _errors(exc)
        return _page(skp_id, status=exc.status, message=message, errors=errors,
                     expectations=content["expectations"])
    db.session.commit()
    flash(_("Ekspektasi khusus pimpinan tersimpan."), "success")
    return redirect(url_for(".show", skp_id=skp_id))


@bp.post("/<int:skp_id>/langkah/<trigger>")
@login_required
def step(skp_id: int, trigger: str) -> Response | tuple[str, int]:
    """Take a step of the SKP flow (ajukan, kembalikan with a comment, tetapkan)."""
    comment = (request.form.get("comment") or "").strip()
    try:
        skp = fire_skp_transition(db.session, workflow_deps(), current_actor(), skp_id,
                                  trigger, comment or None, int_form("version"))
    except REFUSED as exc:
        if not _refused(exc):
            raise
        message, errors = _errors(exc)
        return _page(skp_id, status=exc.status, message=message, errors=errors,
                     posted=trigger, comment=comment)
    rule = flow_of(db.session, skp).transition(trigger)
    label = trigger if rule is None else (
        (rule.label_en or rule.label) if current_language() == "en" else rule.label)
    db.session.commit()
    flash(_("Berhasil: %(step)s.", step=label), "success")
    return redirect(url_for(".show", skp_id=skp_id))


@bp.post("/<int:skp_id>/perubahan")
@login_required
def change(skp_id: int) -> Response | tuple[str, int]:
    """Perubahan SKP: a new draft version with the reason; the set one stays readable."""
    comment = (request.form.get("comment") or "").strip()
    try:
        new = change_skp(db.session, workflow_deps(), current_actor(), skp_id, comment,
                         int_form("version"))
    except REFUSED as exc:
        if not _refused(exc):
            raise
        message, errors = _errors(exc)
        if "reason" in errors:
            errors = {"comment": errors.pop("reason"), **errors}
        return _page(skp_id, status=exc.status, message=message, errors=errors,
                     posted="perubahan", comment=comment)
    db.session.commit()
    flash(_("Perubahan SKP dibuat sebagai draf versi %(v)s.", v=new.version), "success")
    return redirect(url_for(".show", skp_id=new.id))


@bp.post("/<int:skp_id>/mutasi")
@login_required
def transfer_employee(skp_id: int) -> Response | tuple[str, int]:
    """*Mutasi* / change of appraiser (agency admins): closes the SKP in force on the day
    before the date and opens a new draft with the new appraiser (``workflow.skp.transfer``)."""
    actor = current_actor()
    page = skp_page(db.session, actor, skp_id)  # 404 for an SKP the reader may not see
    typed = {k: (request.form.get(k) or "").strip()
             for k in ("on_date", "new_appraiser_id", "reason", "unit_kerja", "jabatan",
                       "copy_rhk")}
    problems: dict[str, list[str]] = {}
    on_date = None
    try:
        on_date = date.fromisoformat(typed["on_date"])
    except ValueError:
        problems["on_date"] = [_("Isi tanggal mulai dengan Pejabat Penilai baru.")]
    appraiser_id = int_form("new_appraiser_id")
    if not appraiser_id:
        problems["new_appraiser_id"] = [_("Pilih Pejabat Penilai baru.")]
    if problems or on_date is None or appraiser_id is None:
        return _page(skp_id, status=400, message=_("Data mutasi belum lengkap."),
                     errors=problems, posted="mutasi", mutasi=typed)
    try:
        new = transfer(db.session, workflow_deps(), actor, page.skp.employee_id, on_date,
                       new_appraiser_id=appraiser_id,
                       reason=typed["reason"], unit_kerja=typed["unit_kerja"] or None,
                       jabatan=typed["jabatan"] or None, copy_rhk=bool(typed["copy_rhk"]))
    except REFUSED as exc:
        if not _refused(exc):
            raise
        message, errors = _errors(exc)
        return _page(skp_id, status=exc.status, message=message, errors=errors,
                     posted="mutasi", mutasi=typed)
    db.session.commit()
    flash(_("Mutasi dicatat: SKP lama ditutup, draf SKP baru dibuka dengan Pejabat Penilai "
            "baru."), "success")
    return redirect(url_for(".show", skp_id=new.id))


# --- Matriks Peran Hasil and the cascade tree ----------------------------------------------


def _matrix(skp_id: int, message: str = "", status: int = 200) -> tuple[str, int]:
    matrix = role_matrix(db.session, current_actor(), skp_id)
    view = matrix_view(matrix, current_actor(), current_language(), message)
    return render_template("skp/matrix.html", m=view), status


@bp.get("/<int:skp_id>/matriks")
@login_required
def matrix(skp_id: int) -> tuple[str, int]:
    """The leader's results × her direct subordinates, with who carries which."""
    return _matrix(skp_id)


@bp.post("/<int:skp_id>/matriks")
@login_required
def assign(skp_id: int) -> Response | tuple[str, int]:
    """Assign one of the leader's results to a subordinate (a draft RHK in her SKP)."""
    try:
        assign_result(db.session, workflow_deps(), current_actor(), int_form("rhk_id") or 0,
                      int_form("subordinate_id") or 0)
    except REFUSED as exc:
        if not _refused(exc):
            raise
        message, errors = _errors(exc)
        return _matrix(skp_id, " ".join([message, *[m for ms in errors.values() for m in ms]]),
                       exc.status)
    db.session.commit()
    flash(_("Hasil kerja dibagikan."), "success")
    return redirect(url_for(".matrix", skp_id=skp_id))


@bp.post("/<int:skp_id>/matriks/batal")
@login_required
def unassign(skp_id: int) -> Response | tuple[str, int]:
    """Withdraw a result assigned to a subordinate while her SKP is still a draft."""
    try:
        unassign_result(db.session, workflow_deps(), current_actor(), int_form("rhk_id") or 0)
    except REFUSED as exc:
        if not _refused(exc):
            raise
        return _matrix(skp_id, _errors(exc)[0], exc.status)
    db.session.commit()
    flash(_("Pembagian hasil kerja dibatalkan."), "success")
    return redirect(url_for(".matrix", skp_id=skp_id))


@bp.get("/rhk/<int:rhk_id>/pohon")
@login_required
def tree(rhk_id: int) -> str:
    """Every RHK that cascades from one result, down to the staff."""
    node = cascade_tree(db.session, current_actor(), rhk_id)
    return render_template("skp/tree.html", t=tree_view(node, current_language()))


# --- the SKP document ----------------------------------------------------------------------


@bp.get("/<int:skp_id>/pdf")
@login_required
def pdf(skp_id: int) -> Response:
    """The SKP as a PDF (domain.md §9.1), with a verification code."""
    data, filename = issue_skp_document(
        db.session, current_app.extensions["workflow"].audit_key, current_actor(), skp_id,
        public_base_url(), utcnow())
    db.session.commit()
    return pdf_response(data, filename)
