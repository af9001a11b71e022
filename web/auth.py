"""Log-in and log-out (NIP + password), the session user, and role checks for views.

Passwords are scrypt-hashed. Failed log-ins slow down further tries of that account from that
address, and of the account as a whole only briefly (``workflow.accounts.ThrottleRules``,
counters in the database); each address gets a limited number of failures over all accounts
(Flask-Limiter, ``LOGIN_ADDRESS_LIMIT``). Every log-in, failure and log-out is in the history.

A session ends on the server: the cookie names the account's session epoch, which log-out,
a password change and the admin's "end all sessions" move on; it also ends after
``SESSION_IDLE_MINUTES`` without a page view and ``SESSION_ABSOLUTE_HOURS`` after log-in.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from datetime import timedelta
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
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import session as cookie_session
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
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
from workflow.accounts import ThrottleRules
from workflow.accounts import authenticate
from workflow.accounts import record_logout
from workflow.accounts import session_fingerprint
from workflow.actors import Actor
from workflow.agencies import INSTALLATION_SLUG
from workflow.agencies import is_superadmin
from workflow.models import Employee
from workflow.service import Workflow

from .extensions import db
from .extensions import limiter
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
        """Return the session id: the employee id, a fingerprint of the password hash and the
        account's session epoch, so a password change or reset, a log-out and the admin's
        "end all sessions" each end every session opened before."""
        employee = self.employee
        return f"{employee.id}.{session_fingerprint(employee)}.{employee.session_epoch}"

    @property
    def is_active(self) -> bool:
        """Return whether the account may log in."""
        return bool(self.employee.active)

    @property
    def is_superadmin(self) -> bool:
        """Return whether she is a super-admin of the installation (creates agencies); only an
        account of the reserved agency is looked up (no query on anyone else's pages)."""
        return (self.employee.agency.slug == INSTALLATION_SLUG
                and is_superadmin(db.session, self.employee.id))


def clock_now() -> datetime:
    """Return the app's time (the ``Workflow`` clock: ``utcnow`` in production, set by tests),
    which sessions and throttling both follow."""
    wf: Workflow = current_app.extensions["workflow"]
    return wf.clock()


def _session_too_old() -> bool:
    """Return whether the session began more than ``SESSION_ABSOLUTE_LIFETIME`` ago (or does
    not say when it began), by the app's clock; renewing the cookie never extends this."""
    started = cookie_session.get("started")
    if not isinstance(started, int):
        return True
    began = datetime.fromtimestamp(started, UTC)
    return clock_now() - began > current_app.config["SESSION_ABSOLUTE_LIFETIME"]


@login_manager.user_loader
def _load_user(user_id: str) -> SessionUser | None:
    employee_id, fingerprint, epoch = ([*user_id.split("."), "", ""])[:3]
    employee = db.session.get(Employee, int(employee_id)) if employee_id.isdigit() else None
    if employee is None or not employee.active or not hmac.compare_digest(
            fingerprint, session_fingerprint(employee)) or not hmac.compare_digest(
            epoch, str(employee.session_epoch)) or _session_too_old():
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
    request, by the app's clock: ``web.session_cookie``), ``SESSION_ABSOLUTE_HOURS`` after
    this moment however active it is, and whenever the account's session epoch moves on."""
    cookie_session.clear()
    login_user(SessionUser(employee))
    cookie_session.permanent = True
    cookie_session["started"] = int(clock_now().timestamp())


@bp.after_app_request
def _renew_idle_clock(response: Response) -> Response:
    """Renew the log-in session's cookie on each page the user is shown (HTML, 200)."""
    if (response.status_code == 200 and response.mimetype == "text/html"
            and current_user.is_authenticated):
        cookie_session.modified = True
    return response


class CredentialSettings(TypedDict):
    """The configured throttling rules, the caller's address and the password hashing."""

    rules: ThrottleRules
    source: str
    hash_method: str


def credential_settings() -> CredentialSettings:
    """Return the configured throttling rules, the request's address and the hashing method
    for log-ins, activations and password changes."""
    config = current_app.config
    rules = ThrottleRules(
        pair_free=config["LOGIN_MAX_FAILURES"],
        pair_cap=timedelta(minutes=config["LOGIN_LOCK_MINUTES"]),
        account_free=config["LOGIN_ACCOUNT_FAILURES"],
        account_cap=timedelta(seconds=config["LOGIN_ACCOUNT_DELAY_SECONDS"]))
    return {"rules": rules, "source": request.remote_addr or "",
            "hash_method": config["PASSWORD_HASH_METHOD"]}


def _address_limit() -> str:
    return str(current_app.config["LOGIN_ADDRESS_LIMIT"])


def _refused(response: Response) -> bool:
    return response.status_code == 401


# Failed log-ins and activations (401) per address, over all accounts: spraying one password
# across many NIPs is slowed here; successful log-ins from a shared office address cost nothing.
limit_failures_per_address = limiter.limit(
    _address_limit, methods=["POST"], deduct_when=_refused, scope="credentials")


@bp.app_errorhandler(RateLimitExceeded)
def _too_many(exc: RateLimitExceeded) -> tuple[str | Response, int]:
    """Answer an address over its limit with 429 (Flask-Limiter adds ``Retry-After``): a page,
    or JSON on the API."""
    db.session.rollback()
    if request.blueprint == "api":
        return jsonify({"error": "Too Many Requests", "message": _(
            "Terlalu banyak permintaan dari alamat ini. Coba lagi nanti.")}), 429
    message = _("Terlalu banyak percobaan gagal dari alamat ini. Coba lagi nanti.")
    return render_template("error.html", status=429, message=message), 429


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(
            target).netloc:
        return target
    return url_for("evaluations.inbox")


@bp.route("/masuk", methods=["GET", "POST"])
@limit_failures_per_address
def login() -> Response | str | tuple[str, int]:
    """Show the log-in form; log in on a valid NIP and password."""
    if current_user.is_authenticated:
        return redirect(url_for("evaluations.inbox"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            employee = authenticate(
                db.session, current_app.extensions["workflow"].audit_key, form.nip.data or "",
                form.password.data or "", now=clock_now(), **credential_settings(),
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
    """Log out (POST with CSRF token): every session of the account ends on the server, so a
    copy of the cookie is worthless; recorded in the history."""
    user: SessionUser = current_user
    record_logout(db.session, current_app.extensions["workflow"].audit_key, user.employee,
                  clock_now())
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
