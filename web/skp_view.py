"""What the planning templates show: the core's answers (``SkpPage``, ``RoleMatrix``,
``TreeNode``) turned into plain data in the reader's language. No writes, no rules: who may
edit, set or assign is the core's answer, passed through."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import Form

from forms.builder import build_form_class
from forms.builder import form_values_from_stored
from forms.skp_fields import agency_spec
from forms.spec import FormSpec
from l10n import when
from reports.sources import display
from workflow.actors import Actor
from workflow.cascade import RoleMatrix
from workflow.cascade import TreeNode
from workflow.models import Employee
from workflow.models import Skp
from workflow.rating import BERAKHLAK
from workflow.skp import SkpPage
from workflow.skp import flow_of
from workflow.skp import parent_choices
from workflow.skp_plan import target_text

from .extensions import db
from .skp_feedback_view import feedback_view
from .skp_forms import LAMPIRAN
from .skp_forms import edit_rows
from .skp_forms import lampiran_text

JABATAN_OPTIONS = (("JA", _l("JA — jabatan administrasi")), ("JF", _l("JF — jabatan fungsional")),
                   ("JPT", _l("JPT — jabatan pimpinan tinggi")))
ASPEK_OPTIONS = (("kuantitas", _l("Kuantitas")), ("kualitas", _l("Kualitas")),
                 ("waktu", _l("Waktu")), ("biaya", _l("Biaya")))
PERSPEKTIF_OPTIONS = (("penerima_layanan", _l("Penerima Layanan")),
                      ("proses_bisnis", _l("Proses Bisnis")),
                      ("penguatan_internal", _l("Penguatan Internal")),
                      ("anggaran", _l("Anggaran")))
LAMPIRAN_LABELS = {"dukungan_sumber_daya": _l("Dukungan sumber daya"),
                   "skema_pertanggungjawaban": _l("Skema pertanggungjawaban"),
                   "konsekuensi": _l("Konsekuensi")}
BADGES = {"draft": "text-bg-secondary", "diajukan": "text-bg-primary",
          "dikembalikan": "text-bg-warning", "ditetapkan": "text-bg-success",
          "ditutup": "text-bg-light border", "diganti": "text-bg-light border"}
#: Where a step's comment is asked for, and what the box says.
COMMENT_LABELS = {"kembalikan": _l("Catatan perbaikan untuk pegawai")}


def status_label(skp: Skp, lang: str, session: Session | None = None) -> str:
    """Return an SKP's status as its flow labels it."""
    return flow_of(session or db.session, skp).label(skp.status, lang)


def _period(skp: Skp) -> str:
    return f"{skp.starts_on:%d/%m/%Y} – {skp.ends_on:%d/%m/%Y}"


def list_item(skp: Skp, lang: str, *, subordinate: bool = False) -> dict[str, Any]:
    """One line of SKP saya / SKP bawahan."""
    identity = skp.employee_identity or {}
    return {"id": skp.id, "year": skp.year, "version": skp.version, "status": skp.status,
            "status_label": status_label(skp, lang), "badge": BADGES.get(skp.status, ""),
            "period": _period(skp), "matrix": not subordinate and skp.status == "ditetapkan",
            "employee": identity.get("name") or skp.employee.name,
            "jabatan": identity.get("jabatan") or skp.employee.jabatan,
            "waiting": subordinate and skp.status == "diajukan"}


def _number(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value is not None and value != "" else None


def _results(page: SkpPage) -> list[dict[str, Any]]:
    aspek = dict(ASPEK_OPTIONS)
    perspektif = dict(PERSPEKTIF_OPTIONS)
    assigners = {r.id: r.assigned_by_id for r in page.skp.rhk}
    names = {}
    if any(assigners.values()):
        names = {e.id: e.name for e in db.session.query(Employee).filter(
            Employee.id.in_({i for i in assigners.values() if i}))}
    out = []
    for rhk in page.content.get("rhk") or []:
        parent = page.parents.get(rhk.get("id") or 0) or {}
        out.append({
            "id": rhk.get("id"), "jenis": rhk.get("jenis"), "text": rhk.get("text"),
            "parent_text": parent.get("text", ""), "parent_owner": parent.get("employee_name"),
            "klasifikasi": rhk.get("klasifikasi"),
            "perspektif": str(perspektif.get(rhk.get("perspektif") or "", "")),
            "assigned_by": names.get(assigners.get(rhk.get("id") or 0) or 0, ""),
            "tree_url": url_for("skp.tree", rhk_id=rhk["id"]) if rhk.get("id") else "",
            "indicators": [{
                "aspek": str(aspek.get(i.get("aspek") or "", i.get("aspek") or "")),
                "text": i.get("text"),
                "target": target_text(_number(i.get("target_min")), _number(i.get("target_max")),
                                      i.get("target_text") or "", i.get("satuan") or "")}
                for i in rhk.get("indicators") or []]})
    return out


def _timeline(page: SkpPage, lang: str) -> list[dict[str, Any]]:
    nips = {e.actor_nip for e in page.events if e.actor_nip}
    names = dict(db.session.query(Employee.nip, Employee.name).filter(
        Employee.nip.in_(nips)).all()) if nips else {}
    items = []
    for event in page.events:
        rule = page.flow.transition(event.trigger or "")
        if rule is not None:
            title = (rule.label_en or rule.label) if lang == "en" else rule.label
        else:
            title = {"create": _("SKP dibuat"), "assign": _("Hasil kerja dibagikan pimpinan"),
                     "unassign": _("Pembagian hasil kerja dibatalkan"),
                     "save": _("Isi SKP disimpan"), "umpan_balik": _("Umpan balik diberikan"),
                     "balas_umpan_balik": _("Umpan balik dibalas"),
                     "dialog_kinerja": _("Dialog kinerja dicatat")}.get(event.trigger or "", "")
            title = title or (_("Isi SKP disimpan") if event.kind == "data" else
                              event.trigger or "")
        items.append({"title": title, "at": when(event.at), "comment": event.comment,
                      "actor": names.get(event.actor_nip, event.actor_nip or _("Sistem"))})
    return items


def _returned(page: SkpPage, timeline: list[dict[str, Any]]) -> dict[str, Any] | None:
    if page.skp.status != "dikembalikan":
        return None
    last = next((e for e in reversed(page.events) if e.trigger == "kembalikan"), None)
    if last is None:
        return None
    index = page.events.index(last)
    return {"comment": last.comment, "at": timeline[index]["at"],
            "actor": timeline[index]["actor"]}


def page_view(session: Session, page: SkpPage, actor: Actor, lang: str, *, message: str = "",
              errors: Mapping[str, list[str]] | None = None,
              content: Mapping[str, Any] | None = None,
              expectations: Mapping[str, str] | None = None, posted: str = "",
              comment: str = "", mutasi: Mapping[str, str] | None = None,
              feedback_posted: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything ``skp/show.html`` shows for one reader (``content`` / ``expectations``:
    what was posted and refused, shown again in the forms)."""
    skp = page.skp
    flow = page.flow
    visited = {e.source for e in page.events} | {e.dest for e in page.events}
    main_states = [s for s in flow.states if s not in flow.final or s == skp.status]
    steps = [{"label": flow.label(s, lang),
              "class": "current" if s == skp.status else ("done" if s in visited else "")}
             for s in main_states]
    timeline = _timeline(page, lang)
    typed = expectations if expectations is not None else page.content.get("expectations", {})
    edit = None
    if page.may_edit:
        document = {**page.content, **(content or {})}
        edit = {
            "rhk": edit_rows(document),
            "parent_options": _parent_options(session, skp),
            "lampiran": lampiran_text(document),
            "lampiran_fields": [(k, LAMPIRAN_LABELS[k]) for k in LAMPIRAN],
            "jpt": skp.jenis_jabatan == "JPT", "kuantitatif": skp.pendekatan == "kuantitatif",
            "aspek_options": ASPEK_OPTIONS, "perspektif_options": PERSPEKTIF_OPTIONS,
            "errors": dict(errors or {}),
            "errors_other": [m for k, ms in (errors or {}).items()
                             if not k.startswith(("rhk", "lampiran", "expectations", "data."))
                             and k != "comment" for m in ms],
        }
    actions = []
    for s in page.steps:
        actions.append({
            "trigger": s.name, "label": (s.label_en or s.label) if lang == "en" else s.label,
            "comment_required": s.comment_required,
            "comment_label": COMMENT_LABELS.get(s.name, _l("Catatan untuk riwayat")),
            "primary": s.name in ("ajukan", "tetapkan"),
            "url": url_for("skp.step", skp_id=skp.id, trigger=s.name), "role": "", "hint": ""})
    if page.may_change:
        actions.append({"trigger": "perubahan", "label": _("Perubahan SKP"),
                        "comment_required": True, "comment_label": _l("Alasan perubahan"),
                        "primary": False, "url": url_for("skp.change", skp_id=skp.id),
                        "role": "", "hint": _("Membuat draf versi baru dari SKP ini; versi yang "
                                              "ditetapkan tetap tersimpan dan tetap dibaca "
                                              "evaluasi yang memakainya.")})
    identity = skp.employee_identity or {}
    fields = agency_spec(session, skp.agency_id)
    return {
        "agency_fields": _agency_fields(fields, page, lang, errors or {}, content),
        "feedback": feedback_view(session, actor, skp.id, posted=feedback_posted),
        "mutasi": mutasi_form(session, skp, actor, posted == "mutasi", mutasi or {}),
        "skp": {"id": skp.id, "year": skp.year, "version": skp.version, "status": skp.status,
                "status_label": page.status_label(lang), "badge": BADGES.get(skp.status, ""),
                "lock_version": skp.lock_version, "period": _period(skp),
                "pendekatan_label": _("Kuantitatif") if skp.pendekatan == "kuantitatif"
                else _("Kualitatif"), "jenis_jabatan": skp.jenis_jabatan,
                "change_reason": skp.change_reason, "closed_reason": skp.closed_reason},
        "own": actor.employee_id == skp.employee_id,
        "employee": identity or skp.employee.identity(),
        "appraiser": skp.appraiser_identity or None,
        "steps": steps, "returned": _returned(page, timeline), "message": message,
        "errors": dict(errors or {}), "posted": posted, "comment": comment,
        "results": _results(page), "edit": edit,
        "edit_expectations": page.may_edit_expectations,
        "expectations": [{"key": v.key, "name": v.name, "guides": v.guides,
                          "text": typed.get(v.key, "")} for v in BERAKHLAK],
        "lampiran": [(LAMPIRAN_LABELS[k], list((page.content.get("lampiran") or {}).get(k)
                                               or [])) for k in LAMPIRAN],
        "actions": actions, "timeline": timeline,
        "matrix": skp.status == "ditetapkan" and actor.employee_id == skp.employee_id,
        "versions": [{"id": i, "version": n, "status_label": flow.label(st, lang)}
                     for i, n, st in page.versions if i != skp.id],
    }


def _agency_fields(spec: FormSpec | None, page: SkpPage, lang: str,
                   errors: Mapping[str, list[str]],
                   posted: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The agency's own SKP fields (``forms.skp_fields``): read-only values for every reader,
    and the generated inputs (``data-<name>``) when the reader edits the SKP."""
    if spec is None:
        return None
    stored = dict(page.content.get("data") or {})
    shown = [{"label": (f.label_en or f.label) if lang == "en" else f.label,
              "name": f.name, "text": display(f, stored.get(f.name)) or "—"}
             for f in spec.fields]
    form = None
    if page.may_edit:
        form_class = build_form_class(spec, Form, lang=lang)
        values = dict((posted or {}).get("data") or stored)
        form = form_class(formdata=None, data=form_values_from_stored(spec, values),
                          prefix="data")
        for f in form:
            f.errors = list(errors.get(f"data.{f.short_name}", []))
    title = (spec.title_en or spec.title) if lang == "en" else spec.title
    return {"title": title, "shown": shown, "form": form}


def mutasi_form(session: Session, skp: Skp, actor: Actor, refused: bool,
                typed: Mapping[str, str]) -> dict[str, Any] | None:
    """The *mutasi* form for an agency admin on an SKP still running (``transfer`` decides;
    this only offers it): the date, the new appraiser (another active employee of the
    agency), the reason, whether to copy the RHK, and the new unit kerja / jabatan."""
    if not actor.is_admin or skp.status in ("ditutup", "diganti"):
        return None
    people = session.execute(
        select(Employee.id, Employee.name, Employee.nip, Employee.jabatan)
        .where(Employee.agency_id == skp.agency_id, Employee.active.is_(True),
               Employee.id != skp.employee_id)
        .order_by(Employee.name, Employee.id)).all()
    return {"url": url_for("skp.transfer_employee", skp_id=skp.id), "open": refused,
            "typed": dict(typed),
            "appraisers": [(p.id, f"{p.name} — {p.jabatan or p.nip}") for p in people],
            "current_appraiser": skp.appraiser_id}


def _parent_options(session: Session, skp: Skp) -> list[tuple[int, str]]:
    """The appraiser's set RHK this SKP's results may cascade from (the core's choices)."""
    return [(rid, rhk.text) for rid, rhk in parent_choices(session, skp).items()]


def matrix_view(matrix: RoleMatrix, actor: Actor, lang: str, message: str) -> dict[str, Any]:
    """The Matriks Peran Hasil as ``skp/matrix.html`` shows it."""
    leader = matrix.skp
    subordinates = [{"id": c.employee.id, "name": c.employee.name, "jabatan": c.employee.jabatan}
                    for c in matrix.columns]
    rows = []
    for rhk in matrix.rows:
        cells = []
        for column in matrix.columns:
            items = [{"id": child.id, "text": child.text, "skp_id": child.skp_id,
                      "status_label": status_label(column.skp, lang) if column.skp else "",
                      "removable": matrix.may_assign and column.editable
                      and child.assigned_by_id == actor.employee_id}
                     for child in matrix.cells.get((rhk.id, column.employee.id), ())]
            cells.append({"subordinate_id": column.employee.id, "name": column.employee.name,
                          "children": items,
                          "can_assign": matrix.may_assign and column.editable and not items})
        rows.append({"id": rhk.id, "text": rhk.text, "cells": cells})
    identity = leader.employee_identity or {}
    return {"skp_id": leader.id, "year": leader.year,
            "leader": identity.get("name") or leader.employee.name,
            "subordinates": subordinates, "rows": rows, "message": message}


def tree_view(root: TreeNode, lang: str) -> dict[str, Any]:
    """The cascade tree as ``skp/tree.html`` shows it."""
    count = 0

    def node(n: TreeNode) -> dict[str, Any]:
        nonlocal count
        count += 1
        return {"id": n.rhk.id, "text": n.rhk.text, "owner": n.employee_name,
                "jabatan": n.jabatan, "skp_id": n.skp.id, "year": n.skp.year,
                "status_label": status_label(n.skp, lang),
                "children": [node(c) for c in n.children]}

    data = node(root)
    return {"root": data, "skp_id": root.skp.id, "year": root.skp.year,
            "owner": root.employee_name, "count": count - 1}
