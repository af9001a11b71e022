"""The admin's views: Flask-Admin configuration plus hooks; the work is done by use cases.

Every view is limited to the admin's agency (``AgencyModelView``) and every write is
recorded in the agency's history in the same transaction (``record_admin_change``).
State columns of evaluations are never editable here: the workflow engine is their only
writer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml
from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_admin import Admin
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy_lite import SQLAlchemy
from markupsafe import Markup
from sqlalchemy import select
from wtforms.validators import ValidationError

from forms.visibility import HistoryReader
from forms.visibility import Visibility
from l10n import current_language
from l10n import localized
from l10n import reader_zone
from workflow.calendars import day_off_problem
from workflow.definition import SLUG
from workflow.errors import DefinitionError
from workflow.errors import WorkflowError
from workflow.localtime import abbreviation
from workflow.localtime import local_date
from workflow.models import Agency
from workflow.models import AgencyDayOff
from workflow.models import DefinitionVersion
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import Group
from workflow.models import HistoryEvent
from workflow.models import Period
from workflow.models import utcnow
from workflow.org import EmployeeRecord
from workflow.org import employee_problems
from workflow.periods import PERIOD_COUNTS
from workflow.periods import period_bounds
from workflow.publishing import current_version
from workflow.publishing import overlay_text
from workflow.publishing import publish_edited_definition
from workflow.reassignment import open_holdings
from workflow.service import definition_of
from workflow.trail import COUNT_CAP
from workflow.workcalendar import national_holidays

from .account_access_view import AccountAccessView
from .agency_setup_view import AgencySetupView
from .diagram import flow_svg
from .export_view import ExportView
from .follow_up_view import FollowUpView
from .forms_view import FormsView
from .history_hooks import record_admin_change
from .integration_tokens_view import IntegrationTokensView
from .org_import_view import OrgImportView
from .period_capaian_view import PeriodCapaianView
from .period_capaian_view import capaian_label
from .period_open_view import PeriodOpenView
from .reassignment_view import ReassignmentView
from .recap_view import RecapView
from .security import AgencyModelView
from .security import admin_actor
from .sessions_tokens_view import SessionsTokensView


class RecordedModelView(AgencyModelView):
    """An agency view whose writes are recorded in the history."""

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """Stamp the agency, validate (``validate_model``), then record the change."""
        super().on_model_change(form, model, is_created)
        self.validate_model(form, model, is_created)
        actor = admin_actor()
        assert actor is not None
        record_admin_change(actor, model, "create" if is_created else "update")

    def validate_model(self, form: Any, model: Any, is_created: bool) -> None:
        """Raise ``ValidationError`` (flashed by Flask-Admin) when the row is not acceptable."""

    def on_model_delete(self, model: Any) -> None:
        """Record the deletion (with the values removed) before the row goes."""
        actor = admin_actor()
        assert actor is not None
        record_admin_change(actor, model, "delete")


class EmployeeView(RecordedModelView):
    """The org chart: employees, their superiors and groups (CSV import on its own page)."""

    column_list = ("nip", "name", "jabatan", "jenis_jabatan", "pangkat", "golongan",
                   "unit_kerja", "asn_type", "superior", "active")
    column_labels = {"nip": "NIP", "name": _l("Nama"), "jabatan": _l("Jabatan"),
                     "pangkat": _l("Pangkat"), "golongan": _l("Golongan"),
                     "unit_kerja": _l("Unit kerja"), "asn_type": _l("Jenis ASN"),
                     "jenis_jabatan": _l("Jenis jabatan"),
                     "superior": _l("Atasan langsung"), "groups": _l("Grup"),
                     "active": _l("Aktif"), "email": _l("E-mail"),
                     "email_notifications": _l("Notifikasi e-mail")}
    column_descriptions = {"email": _l("Tujuan notifikasi e-mail (boleh kosong).")}
    column_searchable_list = ("nip", "name", "unit_kerja", "jabatan")
    column_filters = ("unit_kerja", "asn_type", "active")
    column_default_sort = ("unit_kerja", False)
    form_columns = ("nip", "name", "jabatan", "jenis_jabatan", "pangkat", "golongan",
                    "unit_kerja", "asn_type", "superior", "groups", "email", "active")
    form_choices = {"asn_type": [("PNS", "PNS"), ("PPPK", "PPPK")],
                    "jenis_jabatan": [("", _l("(tidak dicatat)")),
                                      ("JPT", _l("JPT — Pimpinan Tinggi")),
                                      ("JA", _l("JA — Administrasi")),
                                      ("JF", _l("JF — Fungsional"))]}
    can_delete = False  # history refers to people: deactivate instead
    can_view_details = True
    column_details_list = (*column_list, "groups")

    def _restrict(self, form: Any) -> Any:
        agency_id = self._agency_id()
        form.superior.query_factory = lambda: self.session.session.scalars(
            select(Employee).where(Employee.agency_id == agency_id).order_by(Employee.name)).all()
        form.groups.query_factory = lambda: self.session.session.scalars(
            select(Group).where(Group.agency_id == agency_id).order_by(Group.slug)).all()
        return form

    def create_form(self, obj: Any = None) -> Any:
        """Offer only this agency's employees and groups."""
        return self._restrict(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        """Offer only this agency's employees and groups."""
        return self._restrict(super().edit_form(obj))

    def validate_model(self, form: Any, model: Employee, is_created: bool) -> None:
        """Check the employee with the org chart's one validator (the CSV import's too)."""
        # A pk outside the allowed list silently becomes "no superior": refuse it instead.
        if any(form.superior.raw_data or []) and form.superior.raw_data != ["__None"] and (
                model.superior is None):
            raise ValidationError(_("Pilihan atasan tidak sah."))
        for attr in ("nip", "name", "jabatan", "pangkat", "golongan", "unit_kerja", "email"):
            setattr(model, attr, (getattr(model, attr) or "").strip())
        model.jenis_jabatan = (model.jenis_jabatan or "").upper()
        record = EmployeeRecord(
            nip=model.nip, name=model.name, asn_type=model.asn_type or "PNS",
            golongan=model.golongan, jenis_jabatan=model.jenis_jabatan,
            superior_nip=model.superior.nip if model.superior is not None else "",
            groups=tuple(g.slug for g in model.groups), jabatan=model.jabatan,
            pangkat=model.pangkat, unit_kerja=model.unit_kerja,
            employee_id=None if is_created else model.id, email=model.email)
        with self.session.session.no_autoflush:  # the edited row is already in the session
            problems = employee_problems(self.session.session, model.agency_id, [record])
        if problems:
            raise ValidationError("; ".join(localized(p) for _index, p in problems))

    def after_model_change(self, form: Any, model: Employee, is_created: bool) -> None:
        """Deactivated while holding open roles: list how many and offer the reassignment."""
        if is_created or model.active:
            return
        actor = admin_actor()
        assert actor is not None
        held = open_holdings(self.session.session, actor, model.id)
        if held:
            link = url_for("reassignment.index", dari=model.id)
            flash(Markup('{} <a href="{}" id="offer-reassignment">{}</a>').format(
                _("%(name)s masih memegang %(num)d peran pada evaluasi yang belum final.",
                  name=model.name, num=len(held)), link, _("Alihkan perannya")), "warning")


class GroupView(RecordedModelView):
    """Groups: tim-penilai-kinerja, inspektorat (auditors), admin."""

    column_list = ("slug", "name", "members")
    column_labels = {"slug": _l("Kode"), "name": _l("Nama"), "members": _l("Anggota")}
    form_columns = ("slug", "name", "members")
    can_delete = False

    def _restrict(self, form: Any) -> Any:
        agency_id = self._agency_id()
        form.members.query_factory = lambda: self.session.session.scalars(
            select(Employee).where(Employee.agency_id == agency_id).order_by(Employee.name)).all()
        return form

    def create_form(self, obj: Any = None) -> Any:
        """Offer only this agency's employees."""
        return self._restrict(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        """Offer only this agency's employees."""
        return self._restrict(super().edit_form(obj))

    def validate_model(self, form: Any, model: Group, is_created: bool) -> None:
        """Require a slug of lowercase letters, digits and dashes."""
        if not SLUG.match(model.slug or ""):
            raise ValidationError(_("Kode grup hanya huruf kecil, angka dan tanda minus."))


class PeriodView(RecordedModelView):
    """Evaluation periods; opening one creates the evaluations (with a dry run first)."""

    column_list = ("label", "kind", "year", "number", "starts_on", "ends_on",
                   "capaian_organisasi")
    column_labels = {"label": _l("Periode"), "kind": _l("Jenis"), "year": _l("Tahun"),
                     "number": _l("Ke-"), "starts_on": _l("Mulai"), "ends_on": _l("Selesai"),
                     "capaian_organisasi": _l("Capaian organisasi")}
    column_default_sort = ("starts_on", True)
    form_columns = ("kind", "year", "number")
    form_choices = {"kind": [("annual", _l("Tahunan")), ("semester", _l("Semester")),
                             ("quarterly", _l("Triwulan")), ("monthly", _l("Bulanan"))]}
    column_choices = form_choices  # the list shows "Bulanan", not "monthly"
    can_edit = False
    can_delete = False
    column_formatters = {
        "label": lambda v, c, m, n: Markup(
            '{} <a class="btn btn-sm btn-outline-primary ml-2" href="{}">{}</a>').format(
            m.label, url_for("period_open.dry_run", period_id=m.id), _("Buka periode…")),
        "capaian_organisasi": lambda v, c, m, n: Markup(
            '{} <a class="btn btn-sm btn-outline-secondary ml-2" href="{}">{}</a>').format(
            capaian_label(m.capaian_organisasi) if m.capaian_organisasi else _("belum dicatat"),
            url_for("period_capaian.edit", period_id=m.id), _("Catat…")),
    }

    def validate_model(self, form: Any, model: Period, is_created: bool) -> None:
        """Compute label and dates from kind/year/number; refuse impossible periods."""
        if model.kind not in PERIOD_COUNTS:
            raise ValidationError(_("Jenis periode tidak dikenal."))
        try:
            model.starts_on, model.ends_on, model.label = period_bounds(
                model.kind, int(model.year), int(model.number or 1))
        except WorkflowError as exc:
            raise ValidationError(exc.in_language(current_language())) from exc
        session = self.session.session
        with session.no_autoflush:  # the new row is already in the session
            others = session.scalars(select(Period).where(
                Period.agency_id == model.agency_id, Period.kind == model.kind,
                Period.year == model.year, Period.number == model.number)).all()
        if any(p is not model for p in others):
            raise ValidationError(_("Periode ini sudah ada."))


class DayOffView(RecordedModelView):
    """The agency's extra days off (cuti bersama, local holidays) that working days skip.

    Weekends and national holidays (the ``holidays`` library) are off already; the list page
    shows the national ones of this year and the next for reference.
    """

    column_list = ("day", "name")
    column_labels = {"day": _l("Tanggal"), "name": _l("Keterangan")}
    column_default_sort = ("day", True)
    column_filters = ("day",)
    column_searchable_list = ("name",)
    form_columns = ("day", "name")
    list_template = "admin/day_off_list.html"

    def validate_model(self, form: Any, model: AgencyDayOff, is_created: bool) -> None:
        """Refuse a missing date or description, a day already off, and a duplicate."""
        with self.session.session.no_autoflush:  # the new row is already in the session
            problem = day_off_problem(self.session.session, model.agency_id, model.day,
                                      model.name or "", None if is_created else model.id)
        if problem is not None:
            raise ValidationError(localized(problem))
        model.name = model.name.strip()

    def render(self, template: str, **kwargs: Any) -> Any:
        """Add the national holidays of this year and the next to the list page."""
        if template == self.list_template:
            year = local_date(utcnow(), reader_zone()).year
            kwargs["national"] = {y: national_holidays(y) for y in (year, year + 1)}
        return super().render(template, **kwargs)


class ReadOnlyView(AgencyModelView):
    """A list the admin may read, never write."""

    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True


class LargeListView(ReadOnlyView):
    """A read-only list that grows with the agency (evaluations, history): no total count
    (Flask-Admin's simple pager, previous and next), and page numbers reach the first
    ``COUNT_CAP`` rows, so no page costs more in a larger agency (beyond: filter or search)."""

    simple_list_pager = True

    def get_list(self, page: int | None, *args: Any, **kwargs: Any) -> Any:
        """Return a page of the list, its number clamped so its OFFSET stays bounded."""
        size = kwargs.get("page_size") or self.page_size or 1
        return super().get_list(min(page or 0, COUNT_CAP // size), *args, **kwargs)


def _rating_column(view: Any, context: Any, model: Evaluation, name: str) -> Any:
    """Show a rating column only to an admin who may see the rating (``forms.visibility``)."""
    actor = admin_actor()
    assert actor is not None
    shown = Visibility.for_actor(view.session.session, actor, model).rating()[name]
    if shown is not None:
        return shown
    return "—" if getattr(model, name) is None else _("(tersembunyi)")


def _visible_payload(view: Any, context: Any, model: HistoryEvent, name: str) -> Any:
    """Show an event's payload with the changes the admin may see (``forms.visibility``)."""
    actor = admin_actor()
    assert actor is not None
    reader = HistoryReader(view.session.session, actor,
                           current_app.extensions["workflow"].audit_key)
    payload = dict(model.payload or {})
    if "changes" in payload:
        payload["changes"] = {c.field: c.csv_value() for c in reader(model)}
    return Markup("<pre class=\"small text-wrap\">{}</pre>").format(
        json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True, default=str))


class EvaluationView(LargeListView):
    """Evaluations (read-only: only the workflow engine changes their state).

    The form data is read on the evaluation page (each field as ``forms.visibility`` says), never
    here; the rating columns follow the same rule.
    """

    column_list = ("employee", "period", "status", "predikat", "lock_version", "updated_at")
    column_details_list = ("employee", "period", "status", "rating_hasil_kerja",
                           "rating_perilaku_kerja", "predikat", "deadlines", "lock_version",
                           "history_seq", "history_head", "created_at", "updated_at")
    column_labels = {"employee": _l("Pegawai"), "period": _l("Periode"), "status": _l("Status"),
                     "predikat": _l("Predikat"), "lock_version": _l("Versi"),
                     "updated_at": _l("Diubah")}
    column_filters = ("status", "predikat")
    column_searchable_list = ("employee.name", "employee.nip")
    column_default_sort = ("updated_at", True)
    column_formatters = {"employee": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
        f"/evaluasi/{m.id}", str(m.employee)), "predikat": _rating_column}
    column_formatters_detail = {**column_formatters, "rating_hasil_kerja": _rating_column,
                                "rating_perilaku_kerja": _rating_column}


class DefinitionView(ReadOnlyView):
    """Published flow definition versions, each with its diagram (read-only)."""

    column_list = ("version", "timezone", "content_hash", "created_at")
    column_details_list = ("version", "timezone", "content_hash", "created_at")
    column_labels = {"version": _l("Versi"), "content_hash": "SHA-256",
                     "created_at": _l("Diterbitkan"), "timezone": _l("Zona waktu")}
    # The newest version's zone is the agency's (workflow.calendars): its times, its windows.
    column_formatters = {"timezone": lambda v, c, m, n: f"{m.timezone} "
                                                        f"({abbreviation(m.timezone)})"}
    column_formatters_detail = column_formatters
    column_default_sort = ("version", True)
    details_template = "admin/definition_details.html"
    list_template = "admin/definition_list.html"

    @expose("/ubah/", methods=["GET", "POST"])
    def edit_flow(self) -> Any:
        """Edit the agency's flow as YAML and publish it as the next version."""
        session = self.session.session
        actor = self.actor()
        problems: list[str] = []
        text = request.form.get("source", "")
        if request.method == "POST":
            try:
                row = publish_edited_definition(
                    session, current_app.extensions["workflow"].audit_key, actor, text,
                    utcnow(), parents={slug: d.source for slug, d in
                                       current_app.extensions["definitions"].items()})
            except DefinitionError as exc:
                session.rollback()
                problems = [p.in_language(current_language()) for p in exc.problems]
            else:
                session.commit()
                flash(_("Versi %(version)s diterbitkan. Evaluasi yang dibuka setelah ini "
                        "memakainya; evaluasi yang sudah berjalan tetap pada versinya.",
                        version=row.version), "success")
                return redirect(url_for(".details_view", id=row.id))
        else:
            latest = current_version(session, actor.agency_id, required=False)
            agency = session.get_one(Agency, actor.agency_id)
            overlay = overlay_text(session, latest, agency.slug)
            text = overlay if overlay is not None else yaml.safe_dump(
                dict(latest.source) if latest is not None else {}, allow_unicode=True,
                sort_keys=False)
        page = self.render("admin/definition_edit.html", text=text, problems=problems,
                           parents=sorted(current_app.extensions["definitions"]))
        return (page, 400) if problems else page

    @expose("/diagram/<int:version_id>.svg")
    def diagram(self, version_id: int) -> Any:
        """Return the SVG diagram of one version of the agency's flow."""
        row = self.get_one(str(version_id))
        definition = definition_of(self.session.session, row.id)
        return current_app.response_class(flow_svg(definition, current_language()),
                                          mimetype="image/svg+xml")


class HistoryView(LargeListView):
    """The agency's history (read-only), newest first."""

    column_list = ("at", "chain", "seq", "kind", "actor_nip", "actor_role", "trigger", "source",
                   "dest", "comment")
    column_labels = {"at": _l("Waktu"), "chain": _l("Rantai"), "seq": "#", "kind": _l("Jenis"),
                     "actor_nip": _l("NIP pelaku"), "actor_role": _l("Peran"),
                     "trigger": _l("Langkah"), "source": _l("Dari"), "dest": _l("Ke"),
                     "comment": _l("Catatan")}
    column_filters = ("kind", "trigger", "actor_nip", "actor_role")
    column_searchable_list = ("actor_nip", "trigger", "comment")
    column_default_sort = ("id", True)
    # The recorded changes as the admin may see them: a hidden field shows name and digest.
    column_formatters_detail = {"payload": _visible_payload}


def add_views(admin: Admin, db: SQLAlchemy, public_base_url: Callable[[], str]) -> None:
    """Register every admin view (``public_base_url``: the address printed on slips and PDFs)."""
    org = _l("Struktur organisasi")
    admin.add_view(EmployeeView(Employee, db, name=_l("Pegawai"), category=org,
                                endpoint="employee"))
    admin.add_view(OrgImportView(db, name=_l("Impor CSV/XLSX"), category=org, endpoint="org_import",
                                 url="/admin/impor-pegawai"))
    admin.add_view(GroupView(Group, db, name=_l("Grup"), category=org, endpoint="group"))
    admin.add_view(ReassignmentView(db, name=_l("Pengalihan peran"), category=org,
                                    endpoint="reassignment", url="/admin/pengalihan"))
    admin.add_view(AccountAccessView(db, public_base_url, name=_l("Akses akun"), category=org,
                                     endpoint="account_access", url="/admin/akses-akun"))
    admin.add_view(SessionsTokensView(db, name=_l("Sesi dan token API"), category=org,
                                      endpoint="sessions_tokens", url="/admin/sesi-token"))
    admin.add_view(FormsView(db, name=_l("Formulir"), endpoint="forms", url="/admin/formulir"))
    admin.add_view(PeriodView(Period, db, name=_l("Periode"), endpoint="period"))
    admin.add_view(DayOffView(AgencyDayOff, db, name=_l("Hari libur instansi"),
                              endpoint="day_off", url="/admin/hari-libur"))
    admin.add_view(PeriodOpenView(db, name=_l("Buka periode"), endpoint="period_open",
                                  url="/admin/buka-periode"))
    admin.add_view(PeriodCapaianView(db, name=_l("Capaian organisasi"),
                                     endpoint="period_capaian", url="/admin/capaian-organisasi"))
    admin.add_view(DefinitionView(DefinitionVersion, db, name=_l("Definisi alur"),
                                  endpoint="definition"))
    admin.add_view(EvaluationView(Evaluation, db, name=_l("Evaluasi"), endpoint="evaluation"))
    admin.add_view(HistoryView(HistoryEvent, db, name=_l("Riwayat"), endpoint="history"))
    admin.add_view(ExportView(db, public_base_url, name=_l("Ekspor massal"), endpoint="export",
                              url="/admin/ekspor"))
    admin.add_view(FollowUpView(db, name=_l("Tindak lanjut"), endpoint="follow_up",
                                url="/admin/tindak-lanjut"))
    admin.add_view(RecapView(db, name=_l("Rekap TPP/SIASN"), endpoint="recap",
                             url="/admin/rekap"))
    admin.add_view(IntegrationTokensView(db, name=_l("Token integrasi"), category=org,
                                         endpoint="integration_tokens",
                                         url="/admin/token-integrasi"))
    admin.add_view(AgencySetupView(db, public_base_url, name=_l("Instansi baru"),
                                   endpoint="agency_setup", url="/admin/instansi-baru"))
