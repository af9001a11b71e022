"""Log-in and log-out (NIP + password), the session user, and role checks for views.

Passwords are scrypt-hashed; repeated failures lock the NIP for a while (the counter is in
the database, shared by all processes); every log-in, failure and log-out is in the history.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec
from typing import TypedDict
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session as cookie_session
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_login import logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField
from wtforms import StringField
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Regexp

from l10n import current_language
from workflow.accounts import LoginRefused
from workflow.accounts import authenticate
from workflow.accounts import record_logout
from workflow.accounts import session_fingerprint
from workflow.actors import Actor
from workflow.models import Employee
from workflow.models import utcnow

from .extensions import db
from .extensions import login_manager

bp = Blueprint("auth", __name__)
P = ParamSpec("P")
R = TypeVar("R")


class SessionUser(UserMixin):
    """The logged-in employee as Flask-Login sees it."""

    def __init__(self, employee: Employee) -> None:
        self.employee = employee
        self.actor = Actor.of(employee)

    def get_id(self) -> str:
        """Return the session id: the employee id and a fingerprint of the password hash, so a
        password change or reset ends every session opened before it."""
        return f"{self.employee.id}.{session_fingerprint(self.employee)}"

    @property
    def is_active(self) -> bool:
        """Return whether the account may log in."""
        return bool(self.employee.active)


@login_manager.user_loader
def _load_user(user_id: str) -> SessionUser | None:
    employee_id, _dot, fingerprint = user_id.partition(".")
    employee = db.session.get(Employee, int(employee_id)) if employee_id.isdigit() else None
    if employee is None or not employee.active or not hmac.compare_digest(
            fingerprint, session_fingerprint(employee)):
        return None
    g.actor_nip = employee.nip
    return SessionUser(employee)


login_manager.login_view = "auth.login"
login_manager.login_message = _l("Silakan masuk terlebih dahulu.")
login_manager.session_protection = "strong"


def current_actor() -> Actor:
    """Return the actor of the logged-in user (views are protected by ``login_required``)."""
    user: SessionUser = current_user
    return user.actor


def auditor_required(view: Callable[P, R]) -> Callable[P, R]:
    """Allow only auditors (group ``inspektorat``) and agency admins."""

    @wraps(view)
    @login_required
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        actor = current_actor()
        if not (actor.is_auditor or actor.is_admin):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


class LoginForm(FlaskForm):
    """NIP and password."""

    nip = StringField(_l("NIP"), validators=[
        InputRequired(message=_l("Wajib diisi.")),
        Regexp(r"^\d{18}$", message=_l("NIP terdiri dari 18 digit angka."))])
    password = PasswordField(_l("Kata sandi"), validators=[
        InputRequired(message=_l("Wajib diisi.")), Length(max=200)])


def start_session(employee: Employee) -> None:
    """Log ``employee`` in on a fresh session (no fixation) that ends after
    ``SESSION_IDLE_MINUTES`` without a page view (the signed cookie's age is checked on each
    request, by the app's clock: ``web.session_cookie``)."""
    cookie_session.clear()
    login_user(SessionUser(employee))
    cookie_session.permanent = True


@bp.after_app_request
def _renew_idle_clock(response: Response) -> Response:
    """Renew the log-in session's cookie on each page the user is shown (HTML, 200)."""
    if (response.status_code == 200 and response.mimetype == "text/html"
            and current_user.is_authenticated):
        cookie_session.modified = True
    return response


class CredentialSettings(TypedDict):
    """The configured failure limits and password hashing method."""

    max_failures: int
    lock_minutes: int
    hash_method: str


def credential_settings() -> CredentialSettings:
    """Return the configured failure limits and hashing method for log-ins, activations and
    password changes."""
    return {"max_failures": current_app.config["LOGIN_MAX_FAILURES"],
            "lock_minutes": current_app.config["LOGIN_LOCK_MINUTES"],
            "hash_method": current_app.config["PASSWORD_HASH_METHOD"]}


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(
            target).netloc:
        return target
    return url_for("evaluations.inbox")


@bp.route("/masuk", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    """Show the log-in form; log in on a valid NIP and password."""
    if current_user.is_authenticated:
        return redirect(url_for("evaluations.inbox"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            employee = authenticate(
                db.session, current_app.extensions["workflow"].audit_key, form.nip.data or "",
                form.password.data or "", now=utcnow(),
                source=request.remote_addr or "", **credential_settings(),
            )
        except LoginRefused as exc:
            db.session.commit()  # the failed attempt and the throttle counter must persist
            flash(exc.in_language(current_language()), "danger")
            return render_template("auth/login.html", form=form), 401
        db.session.commit()
        next_url = _safe_next(request.args.get("next"))
        start_session(employee)
        return redirect(next_url)
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/keluar")
@login_required
def logout() -> Response:
    """Log out (POST with CSRF token) and record it."""
    user: SessionUser = current_user
    record_logout(db.session, current_app.extensions["workflow"].audit_key, user.employee,
                  utcnow())
    db.session.commit()
    logout_user()
    cookie_session.clear()
    flash(_("Anda telah keluar."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/bahasa/<code>")
def set_language(code: str) -> Response:
    """Switch the interface language (id or en) with a cookie."""
    response = redirect(_safe_next(request.args.get("next")))
    if code in ("id", "en"):
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
