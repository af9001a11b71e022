"""Form authoring pages: list forms, edit a draft field by field, preview, publish.

Views only parse and call ``forms.authoring``; every change is validated there and
recorded in the history. The field editor covers the common keys; anything else (repeating
rows' columns, BerAKHLAK groups) is edited in the YAML box of the same page. The page shows
which printed slot of the official documents each field fills, and what keeps the draft from
being published (``forms.slots``).
"""

from __future__ import annotations

from typing import Any

import yaml
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired
from wtforms.validators import Optional
from wtforms.validators import Regexp

from forms import authoring
from forms.builder import build_form_class
from forms.parsing import parse_form_spec
from forms.slots import PRINT_TARGETS
from forms.slots import slot_problems
from forms.slots import slots_of
from forms.spec import DEFAULT_BERAKHLAK_PREFIX
from forms.spec import FIELD_TYPES
from forms.spec import GROUP_TYPES
from l10n import current_language
from l10n import localized
from workflow.errors import InvalidData
from workflow.errors import WorkflowError
from workflow.models import FormVersion
from workflow.models import utcnow
from workflow.publishing import current_version
from workflow.service import definition_of
from workflow.yamltext import YamlRefused
from workflow.yamltext import load_yaml

from .security import SecureBaseView

TYPE_LABELS = {
    "text": _l("Teks singkat"), "textarea": _l("Teks panjang"),
    "integer": _l("Bilangan bulat"), "decimal": _l("Bilangan desimal"),
    "choice": _l("Pilihan tunggal"), "multichoice": _l("Pilihan ganda"),
    "date": _l("Tanggal"), "rating": _l("Skala rating"),
    "rows": _l("Baris berulang (ubah lewat YAML)"),
}
LIST_KEYS = ("visible_to", "editable_by", "visible_in_states")
PRINT_LABELS = {
    "evaluasi.keterangan_tambahan": _l("Dokumen Evaluasi Kinerja — Keterangan tambahan"),
    "skp.keterangan_tambahan": _l("SKP — Keterangan tambahan"),
}


class FieldForm(FlaskForm):
    """The common keys of one field, as an admin edits them."""

    name = StringField(_l("Nama field (huruf kecil, angka, _)"), validators=[
        InputRequired(message=_l("Wajib diisi.")),
        Regexp(r"^[a-z][a-z0-9_]*$", message=_l("Huruf kecil, angka dan garis bawah; "
                                                "diawali huruf."))])
    type = SelectField(_l("Jenis"), choices=[SelectChoice(t, TYPE_LABELS[t])
                                             for t in FIELD_TYPES if t != "rows"])
    label = StringField(_l("Label (Indonesia)"),
                        validators=[InputRequired(message=_l("Wajib diisi."))])
    label_en = StringField(_l("Label (English)"), validators=[Optional()])
    help = StringField(_l("Teks bantuan"), validators=[Optional()])
    required = BooleanField(_l("Wajib diisi"))
    min = StringField(_l("Nilai minimum"), validators=[Optional()])
    max = StringField(_l("Nilai maksimum"), validators=[Optional()])
    min_length = StringField(_l("Panjang minimum"), validators=[Optional()])
    max_length = StringField(_l("Panjang maksimum"), validators=[Optional()])
    options = TextAreaField(_l("Pilihan: satu per baris, nilai | label | label English"),
                            validators=[Optional()])
    required_when = StringField(_l("Wajib bila (field=nilai1,nilai2)"),
                                validators=[Optional()])
    show_when = StringField(_l("Tampil bila (field=nilai1,nilai2)"), validators=[Optional()])
    visible_to = StringField(_l("Terlihat oleh peran (pisahkan koma; kosong = semua)"),
                             validators=[Optional()])
    editable_by = StringField(_l("Diisi oleh peran (pisahkan koma)"), validators=[Optional()])
    visible_in_states = StringField(_l("Terlihat bagi peran lain pada status (pisahkan koma)"),
                                    validators=[Optional()])
    prints = SelectField(_l("Dicetak pada dokumen"), default="", choices=[
        SelectChoice("", _l("Tidak dicetak")),
        *(SelectChoice(t, PRINT_LABELS[t]) for t in PRINT_TARGETS)])


def _number(text: str | None) -> int | float | None:
    if not text:
        return None
    number = float(text.replace(",", "."))
    return int(number) if number.is_integer() else number


def _condition(text: str | None) -> dict[str, Any] | None:
    if not text or "=" not in text:
        return None
    field, values = text.split("=", 1)
    return {"field": field.strip(), "in": [v.strip() for v in values.split(",") if v.strip()]}


def field_from_form(form: FieldForm) -> dict[str, Any]:
    """Turn the editor form into a field mapping (only keys that were filled in)."""
    field: dict[str, Any] = {"name": form.name.data, "type": form.type.data,
                             "label": form.label.data}
    for key in ("label_en", "help"):
        if getattr(form, key).data:
            field[key] = getattr(form, key).data
    if form.required.data:
        field["required"] = True
    for key in ("min", "max", "min_length", "max_length"):
        value = _number(getattr(form, key).data)
        if value is not None:
            field[key] = value
    if form.type.data == "rating" and not form.options.data:
        field["scale"] = "national"
    if form.options.data:
        options = []
        for line in form.options.data.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if parts and parts[0]:
                option = {"value": parts[0], "label": parts[1] if len(parts) > 1 and parts[1]
                          else parts[0]}
                if len(parts) > 2 and parts[2]:
                    option["label_en"] = parts[2]
                options.append(option)
        field["options"] = options
    for key in ("required_when", "show_when"):
        condition = _condition(getattr(form, key).data)
        if condition:
            field[key] = condition
    for key in LIST_KEYS:
        items = [v.strip() for v in (getattr(form, key).data or "").split(",") if v.strip()]
        if items:
            field[key] = items
    if form.prints.data:
        field["prints"] = form.prints.data
    return field


def form_from_field(field: dict[str, Any]) -> FieldForm:
    """Prefill the editor from a field mapping."""
    return FieldForm(data={
        **{k: field.get(k) for k in ("name", "type", "label", "label_en", "help")},
        "required": bool(field.get("required")),
        **{k: "" if field.get(k) is None else str(field[k])
           for k in ("min", "max", "min_length", "max_length")},
        "options": "\n".join(
            " | ".join(filter(None, (o.get("value"), o.get("label"), o.get("label_en"))))
            for o in field.get("options", [])),
        **{k: (f"{field[k]['field']}={','.join(field[k]['in'])}"
               if isinstance(field.get(k), dict) and "field" in field[k] else "")
           for k in ("required_when", "show_when")},
        **{k: ", ".join(field.get(k) or []) for k in LIST_KEYS},
        "prints": field.get("prints") or "",
    })


class FormsView(SecureBaseView):
    """Forms of the agency: the live version, the open draft, editing and publishing."""

    def _keys(self) -> set[str]:
        version = current_version(self.session, self.actor().agency_id, required=False)
        if version is None:
            return set()
        return definition_of(self.session, version.id).forms()

    def _audit_key(self) -> bytes:
        return bytes(current_app.extensions["workflow"].audit_key)

    @expose("/")
    def index(self) -> str:
        """List the forms the agency's flow uses, with their live version and draft."""
        return self.render("admin/forms_index.html",
                           statuses=authoring.overview(self.session, self.actor(), self._keys()),
                           types=TYPE_LABELS)

    @expose("/<key>/draf", methods=["POST"])
    def start(self, key: str) -> Response:
        """Open a draft of a form (copied from its live version)."""
        draft = authoring.start_draft(self.session, self._audit_key(), self.actor(), key,
                                      utcnow())
        self.session.commit()
        return redirect(url_for(".edit", draft_id=draft.id))

    @expose("/draf/<int:draft_id>")
    def edit(self, draft_id: int, field_form: FieldForm | None = None,
             problems: list[str] | None = None, yaml_text: str | None = None) -> str:
        """Show a draft: its fields in order, the field editor, the YAML box."""
        draft = authoring.get_draft(self.session, self.actor(), draft_id)
        return self.render(
            "admin/form_edit.html", draft=draft, fields=draft.spec.get("fields", []),
            field_form=field_form or FieldForm(), problems=problems or [], types=TYPE_LABELS,
            group_types=GROUP_TYPES, printed_on=printed_on(draft.key, draft.spec),
            unprintable=[localized(p) for p in slot_problems(parse_form_spec(draft.spec))],
            yaml_text=yaml_text or yaml.safe_dump(draft.spec, allow_unicode=True,
                                                  sort_keys=False))

    @expose("/draf/<int:draft_id>/field", methods=["POST"])
    def put_field(self, draft_id: int) -> Response | str:
        """Add a field, or replace the field named in ``replace``."""
        form = FieldForm()
        replace = request.args.get("replace") or None
        if not form.validate_on_submit():
            return self._field_page(draft_id, form, replace, [])
        try:
            authoring.put_field(self.session, self._audit_key(), self.actor(), draft_id,
                                field_from_form(form), utcnow(), replace=replace)
        except InvalidData as exc:
            self.session.rollback()
            return self._field_page(draft_id, form, replace, _spec_problems(exc))
        self.session.commit()
        flash(_("Field '%(name)s' disimpan di draf.", name=form.name.data), "success")
        return redirect(url_for(".edit", draft_id=draft_id))

    def _field_page(self, draft_id: int, form: FieldForm, replace: str | None,
                    problems: list[str]) -> str:
        if replace:
            draft = authoring.get_draft(self.session, self.actor(), draft_id)
            return self.render("admin/form_field.html", draft=draft, field_form=form,
                               replace=replace, problems=problems)
        return self.edit(draft_id, field_form=form, problems=problems)

    @expose("/draf/<int:draft_id>/field/<field_name>")
    def field(self, draft_id: int, field_name: str) -> str:
        """Show the editor of one field of a draft."""
        draft = authoring.get_draft(self.session, self.actor(), draft_id)
        field = next((f for f in draft.spec.get("fields", [])
                      if f.get("name") == field_name), None)
        if field is None:
            abort(404)
        if field.get("type") in ("rows", *GROUP_TYPES):
            flash(_("Field jenis ini diubah lewat kotak YAML di bawah."), "info")
            return self.edit(draft_id)
        return self.render("admin/form_field.html", draft=draft, field_form=form_from_field(
            field), replace=field_name, problems=[])

    @expose("/draf/<int:draft_id>/field/<field_name>/geser", methods=["POST"])
    def move(self, draft_id: int, field_name: str) -> Response:
        """Move a field up or down (``arah`` = -1 or 1)."""
        delta = -1 if request.form.get("arah") == "-1" else 1
        self._apply(lambda: authoring.move_field(self.session, self._audit_key(), self.actor(),
                                                 draft_id, field_name, delta, utcnow()))
        return redirect(url_for(".edit", draft_id=draft_id))

    @expose("/draf/<int:draft_id>/field/<field_name>/hapus", methods=["POST"])
    def remove(self, draft_id: int, field_name: str) -> Response:
        """Remove a field from a draft."""
        if self._apply(lambda: authoring.remove_field(self.session, self._audit_key(),
                                                      self.actor(), draft_id, field_name,
                                                      utcnow())):
            flash(_("Field '%(name)s' dihapus dari draf.", name=field_name), "success")
        return redirect(url_for(".edit", draft_id=draft_id))

    @expose("/draf/<int:draft_id>/yaml", methods=["POST"])
    def save_yaml(self, draft_id: int) -> Response | tuple[str, int]:
        """Replace the whole draft spec with the YAML typed in the box (400 when refused)."""
        text = request.form.get("spec", "")
        try:
            spec = load_yaml(text, "spec")
        except YamlRefused as exc:
            return self.edit(draft_id, problems=[exc.in_language(current_language())],
                             yaml_text=text), 400
        if not isinstance(spec, dict):
            return self.edit(draft_id, problems=[_("YAML harus berupa mapping.")],
                             yaml_text=text), 400
        try:
            authoring.save_spec(self.session, self._audit_key(), self.actor(), draft_id, spec,
                                utcnow())
        except InvalidData as exc:
            self.session.rollback()
            return self.edit(draft_id, problems=_spec_problems(exc), yaml_text=text), 400
        self.session.commit()
        flash(_("Draf disimpan."), "success")
        return redirect(url_for(".edit", draft_id=draft_id))

    @expose("/draf/<int:draft_id>/terbitkan", methods=["POST"])
    def publish(self, draft_id: int) -> Response:
        """Publish the draft: it becomes immutable and is used by evaluations opened next."""
        if self._apply(lambda: authoring.publish(self.session, self._audit_key(), self.actor(),
                                                 draft_id, utcnow())):
            flash(_("Formulir diterbitkan. Evaluasi yang dibuka setelah ini memakai versi "
                    "baru; evaluasi yang sudah berjalan tetap memakai versinya."), "success")
            return redirect(url_for(".index"))
        return redirect(url_for(".edit", draft_id=draft_id))

    @expose("/draf/<int:draft_id>/buang", methods=["POST"])
    def discard(self, draft_id: int) -> Response:
        """Throw the draft away."""
        if self._apply(lambda: authoring.discard(self.session, self._audit_key(), self.actor(),
                                                 draft_id, utcnow())):
            flash(_("Draf dibuang."), "info")
        return redirect(url_for(".index"))

    @expose("/versi/<int:version_id>/pratinjau")
    def preview(self, version_id: int) -> str:
        """Render a version of a form as the person filling it would see it."""
        row = self.session.get(FormVersion, version_id)
        if row is None or row.agency_id not in (None, self.actor().agency_id):
            abort(404)
        spec = parse_form_spec(row.spec)
        role = request.args.get("peran") or None
        lang = current_language()
        form_class = build_form_class(spec, FlaskForm, role=role, state=None, lang=lang)
        return self.render("admin/form_preview.html", row=row, spec=spec, form=form_class(),
                           role=role or "")

    def _apply(self, action: Any) -> bool:
        try:
            action()
        except InvalidData as exc:
            self.session.rollback()
            for problem in _spec_problems(exc):
                flash(problem, "error")
            return False
        except WorkflowError as exc:
            self.session.rollback()
            flash(exc.in_language(current_language()), "error")
            return False
        self.session.commit()
        return True


def printed_on(form_key: str, spec: dict[str, Any]) -> list[list[str]]:
    """Return, per field mapping of a spec, where the official documents print it."""
    slots = slots_of(form_key)
    out: list[list[str]] = []
    for field in spec.get("fields", []):
        name = field.get("name")
        if name:
            places = [s.where for s in slots.get(name, [])]
        else:  # a BerAKHLAK group: one slot per value, shown once
            prefix = field.get("name_prefix") or DEFAULT_BERAKHLAK_PREFIX
            places = list(dict.fromkeys(
                s.where.replace(s.heading, "PERILAKU KERJA (BerAKHLAK): "
                                + s.heading.split(": ", 1)[-1])
                for n, found in slots.items() if n.startswith(prefix)
                for s in found))
        if field.get("prints"):
            places.append(str(PRINT_LABELS.get(field["prints"], field["prints"])))
        out.append(places)
    return out


def _spec_problems(exc: InvalidData) -> list[str]:
    """Return a refused spec's problems in the user's language."""
    return [localized(p) for p in exc.errors.get("spec", [])]
