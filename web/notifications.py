"""The notification centre: her notifications (newest first), mark one or all read, and
whether she also wants them by e-mail; the top bar's badge with the unread count.

What a notification says and to whom is decided in the core (``workflow.notifications``);
these views parse, call one use case, commit and respond.
"""

from __future__ import annotations

from flask import Blueprint
from flask import Flask
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField

from workflow.errors import NotFound
from workflow.notifications import PAGE
from workflow.notifications import mark_all_read
from workflow.notifications import mark_read
from workflow.notifications import notifications_of
from workflow.notifications import set_email_preference
from workflow.notifications import unread_count

from .auth import SessionUser
from .auth import clock_now
from .extensions import db

bp = Blueprint("notifications", __name__, url_prefix="/notifikasi")


class EmailPreferenceForm(FlaskForm):
    """E-mail on or off."""

    email_notifications = BooleanField(_l("Kirim notifikasi juga ke e-mail saya"))


class MarkForm(FlaskForm):
    """A button (CSRF only)."""


def _link(kind: str, subject_id: int) -> str:
    if kind == "skp":
        return f"/skp/{subject_id}"
    return url_for("evaluations.show", evaluation_id=subject_id)


@bp.get("/")
@login_required
def index() -> str:
    """List her notifications, a page at a time (``?sebelum=<id>``)."""
    user: SessionUser = current_user
    before = request.args.get("sebelum", type=int)
    items = notifications_of(db.session, user.employee.id, before=before, limit=PAGE + 1)
    more = len(items) > PAGE
    items = items[:PAGE]
    preference = EmailPreferenceForm(email_notifications=user.employee.email_notifications)
    return render_template("notifications/index.html", items=items, more=more,
                           next_before=items[-1].id if more else None, form=MarkForm(),
                           preference=preference, email=user.employee.email, link=_link)


@bp.post("/<int:notification_id>/baca")
@login_required
def read(notification_id: int) -> Response:
    """Mark one read and open what it is about."""
    if not MarkForm().validate_on_submit():
        abort(400)
    user: SessionUser = current_user
    try:
        notification = mark_read(db.session, user.employee.id, notification_id, clock_now())
    except NotFound:
        abort(404)
    db.session.commit()
    return redirect(_link(notification.subject, notification.subject_id))


@bp.post("/baca-semua")
@login_required
def read_all() -> Response:
    """Mark all her notifications read."""
    if not MarkForm().validate_on_submit():
        abort(400)
    user: SessionUser = current_user
    count = mark_all_read(db.session, user.employee.id, clock_now())
    db.session.commit()
    flash(_("%(count)d notifikasi ditandai sudah dibaca.", count=count), "success")
    return redirect(url_for(".index"))


@bp.post("/email")
@login_required
def email_preference() -> Response:
    """Switch notifications by e-mail on or off for herself."""
    form = EmailPreferenceForm()
    if not form.validate_on_submit():
        abort(400)
    user: SessionUser = current_user
    set_email_preference(db.session, user.employee, bool(form.email_notifications.data))
    db.session.commit()
    flash(_("Notifikasi e-mail diaktifkan.") if form.email_notifications.data
          else _("Notifikasi e-mail dimatikan."), "success")
    return redirect(url_for(".index"))


def init_badge(app: Flask) -> None:
    """Give templates ``unread_notifications()``: the badge's count (one query, on demand)."""

    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return unread_count(db.session, current_user.employee.id)

    app.jinja_env.globals["unread_notifications"] = unread_notifications
