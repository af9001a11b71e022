"""An employee's own account: activate it with the code from the admin, change the password.

Activation is public (the employee has no password yet); changing the password needs the
current one. Both are CSRF-protected forms, throttled like log-ins (per account and address in
the database, failures per address by Flask-Limiter), and recorded in the agency's history by
``workflow.accounts``. A password change ends the account's other log-in sessions (its session
epoch moves on) and, if she keeps the box ticked, revokes her API tokens.
"""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField
from wtforms import Field
from wtforms import PasswordField
from wtforms import StringField
from wtforms.validators import EqualTo
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Regexp

from l10n import current_language
from workflow.accounts import MAX_PASSWORD_LENGTH
from workflow.accounts import MIN_PASSWORD_LENGTH
from workflow.accounts import LoginRefused
from workflow.accounts import activate_account
from workflow.accounts import change_password
from workflow.accounts import live_token_count
from workflow.errors import InvalidData

from .auth import SessionUser
from .auth import clock_now
from .auth import credential_settings
from .auth import limit_failures_per_address
from .auth import start_session
from .extensions import db

bp = Blueprint("account", __name__)

_REQUIRED = _l("Wajib diisi.")


def _new_password_fields() -> tuple[Field, Field]:
    new = PasswordField(_l("Kata sandi baru"), validators=[
        InputRequired(message=_REQUIRED),
        Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
               message=_l("Kata sandi %(min)d–%(max)d karakter.", min=MIN_PASSWORD_LENGTH,
                          max=MAX_PASSWORD_LENGTH))])
    again = PasswordField(_l("Ulangi kata sandi baru"), validators=[
        InputRequired(message=_REQUIRED),
        EqualTo("password", message=_l("Kedua kata sandi tidak sama."))])
    return new, again


class ActivationForm(FlaskForm):
    """NIP, the code from the admin, and the new password twice."""

    nip = StringField(_l("NIP"), validators=[
        InputRequired(message=_REQUIRED),
        Regexp(r"^\d{18}$", message=_l("NIP terdiri dari 18 digit angka."))])
    code = StringField(_l("Kode aktivasi"), validators=[
        InputRequired(message=_REQUIRED), Length(max=40)])
    password, password_again = _new_password_fields()


class ChangePasswordForm(FlaskForm):
    """The current password, then the new one twice."""

    current_password = PasswordField(_l("Kata sandi saat ini"), validators=[
        InputRequired(message=_REQUIRED), Length(max=MAX_PASSWORD_LENGTH)])
    password, password_again = _new_password_fields()
    revoke_tokens = BooleanField(_l("Cabut juga semua token API akun ini"), default=True)


def _show_field_errors(form: FlaskForm, exc: InvalidData, rename: dict[str, str]) -> None:
    """Put the service's field errors on the form's fields (``rename``: service → form)."""
    for name, messages in exc.errors_in(current_language()).items():
        field = getattr(form, rename.get(name, name), None)
        if field is not None:
            field.errors = [*field.errors, *messages]


@bp.route("/aktivasi", methods=["GET", "POST"])
@limit_failures_per_address
def activate() -> Response | str | tuple[str, int]:
    """Set one's first (or a forgotten) password with the activation code from the admin."""
    if current_user.is_authenticated:
        return redirect(url_for("account.change"))
    form = ActivationForm()
    if form.validate_on_submit():
        try:
            activate_account(
                db.session, current_app.extensions["workflow"].audit_key, form.nip.data or "",
                form.code.data or "", form.password.data or "", now=clock_now(),
                **credential_settings(),
            )
        except LoginRefused as exc:
            db.session.commit()  # the failed attempt and its counter must persist
            flash(exc.in_language(current_language()), "danger")
            return render_template("auth/activate.html", form=form), 401
        except InvalidData as exc:
            db.session.rollback()
            _show_field_errors(form, exc, {})
            return render_template("auth/activate.html", form=form), 400
        db.session.commit()
        flash(_("Akun aktif. Silakan masuk dengan kata sandi baru Anda."), "success")
        return redirect(url_for("auth.login"))
    status = 400 if form.errors else 200
    return render_template("auth/activate.html", form=form), status


@bp.route("/akun/kata-sandi", methods=["GET", "POST"])
@login_required
def change() -> Response | str | tuple[str, int]:
    """Change one's own password; other sessions of the account end, and her API tokens are
    revoked too unless she unticks the box (offered only when she has live tokens)."""
    form = ChangePasswordForm()
    user: SessionUser = current_user
    tokens = live_token_count(db.session, user.employee, clock_now())
    if form.validate_on_submit():
        try:
            revoked = change_password(
                db.session, current_app.extensions["workflow"].audit_key, user.employee,
                form.current_password.data or "", form.password.data or "", now=clock_now(),
                revoke_tokens=bool(tokens and form.revoke_tokens.data),
                **credential_settings(),
            )
        except LoginRefused as exc:
            db.session.commit()
            flash(exc.in_language(current_language()), "danger")
            return render_template("auth/change_password.html", form=form,
                                   tokens=tokens), 401
        except InvalidData as exc:
            if "current_password" in exc.errors:
                db.session.commit()  # a wrong current password counts as a failed log-in
            else:
                db.session.rollback()
            _show_field_errors(form, exc, {"new_password": "password"})
            return render_template("auth/change_password.html", form=form,
                                   tokens=tokens), 400
        db.session.commit()
        start_session(user.employee)  # in the new epoch; older sessions are void
        flash(_("Kata sandi diganti. Sesi lain akun ini telah berakhir."), "success")
        if revoked:
            flash(_("%(count)d token API akun ini dicabut.", count=revoked), "info")
        return redirect(url_for("evaluations.inbox"))
    status = 400 if form.errors else 200
    return render_template("auth/change_password.html", form=form, tokens=tokens), status
