"""What the SKP page shows of continuous feedback and dialog kinerja (``workflow.feedback``):
a thread list per RHK (its indicators' realisation per month included) and per BerAKHLAK
value, the dialog list, and the forms the reader may use. No writes, no rules: who may read,
comment, reply or record a dialog is the core's answer (``skp_feedback``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from l10n import local_time
from l10n import when
from workflow.actors import Actor
from workflow.feedback import SkpFeedbackView
from workflow.feedback import Thread
from workflow.feedback import skp_feedback
from workflow.models import SkpFeedback
from workflow.rating import BERAKHLAK

MONTHS = (_l("Januari"), _l("Februari"), _l("Maret"), _l("April"), _l("Mei"), _l("Juni"),
          _l("Juli"), _l("Agustus"), _l("September"), _l("Oktober"), _l("November"),
          _l("Desember"))
ROLE_LABELS = {"penilai": _l("Pejabat Penilai"), "pegawai": _l("Pegawai")}


def _item(row: SkpFeedback) -> dict[str, Any]:
    return {"id": row.id, "author": row.author.name,
            "role": str(ROLE_LABELS.get(row.author_role, row.author_role)),
            "at": when(row.created_at), "text": row.text}


def _thread(thread: Thread, label: str, may_reply: bool) -> dict[str, Any]:
    first = thread.first
    return {"id": first.id, "label": label, "first": _item(first),
            "replies": [_item(r) for r in thread.replies],
            "reply_url": url_for("skp.feedback_reply", feedback_id=first.id)
            if may_reply else ""}


def feedback_view(session: Session, actor: Actor, skp_id: int, *,
                  posted: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """Everything ``skp/_feedback.html`` shows (None: nothing to show on this SKP yet).

    ``posted``: a refused post shown again — ``form`` (``umpan-balik``, ``balas-<id>``,
    ``dialog``), the typed values, ``message`` and ``errors``."""
    view: SkpFeedbackView = skp_feedback(session, actor, skp_id)
    if not (view.may_comment or view.may_take_part or view.threads or view.dialogs):
        return None
    rhk = []
    for r in sorted(view.skp.rhk, key=lambda x: (x.jenis != "utama", x.position, x.id)):
        threads = [_thread(t, _("RHK ini"), view.may_take_part)
                   for t in view.threads_on("rhk", r.id)]
        targets = [(f"rhk-{r.id}", _("RHK ini"))]
        for i in r.indicators:
            targets.append((f"ind-{i.id}", _("Realisasi indikator: %(text)s", text=i.text)))
            for t in view.threads_on("indikator", i.id):
                month = str(MONTHS[t.first.month - 1]) if t.first.month else ""
                threads.append(_thread(t, _("Realisasi %(text)s — %(month)s", text=i.text,
                                            month=month or _("periode")), view.may_take_part))
        threads.sort(key=lambda t: t["id"])
        rhk.append({"id": r.id, "text": r.text, "jenis": r.jenis, "threads": threads,
                    "targets": targets})
    values = [{"key": v.key, "name": v.name,
               "threads": [_thread(t, v.name, view.may_take_part)
                           for t in view.threads_on("perilaku", v.key)]} for v in BERAKHLAK]
    people = {view.skp.employee_id: view.skp.employee.name}
    if view.skp.appraiser is not None:
        people[view.skp.appraiser.id] = view.skp.appraiser.name
    dialogs = [{"id": d.id, "held_on": local_time(d.held_on, "date"), "topics": d.topics,
                "agreed_actions": d.agreed_actions,
                "by": people.get(d.created_by_id, ""),
                "parties": [people.get(d.employee_id, ""), people.get(d.appraiser_id, "")]}
               for d in view.dialogs]
    return {"may_comment": view.may_comment, "may_take_part": view.may_take_part,
            "rhk": rhk, "values": values, "dialogs": dialogs,
            "months": [(n + 1, str(m)) for n, m in enumerate(MONTHS)],
            "comment_url": url_for("skp.feedback_comment", skp_id=skp_id),
            "dialog_url": url_for("skp.dialog_add", skp_id=skp_id),
            "posted": dict(posted or {})}
