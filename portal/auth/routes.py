"""Sign in (with an optional second factor), sign out, accept an invitation, change or reset the
password, confirm the password again, and set up two-factor sign-in."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.auth import reauth, services, sessions, throttle, two_factor
from portal.auth.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    CodeForm,
    ConfirmTwoFactorForm,
    DisableTwoFactorForm,
    ForgotPasswordForm,
    LoginForm,
    ReauthenticateForm,
    RecoveryCodesForm,
    ResetPasswordForm,
)
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import ActionForm, show_domain_error
from portal.models import AGENCY_ROLES, User
from portal.tenancy import requires, signed_in

bp = Blueprint("auth", __name__)
bp.record_once(lambda state: throttle.init_app(state.app))
bp.before_app_request(sessions.guard)

SECOND_FACTOR_MINUTES = 5  # how long the code page waits after the right password


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never send someone to another host after signing in."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("dashboard.home")


# Signing in and out ----------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@throttle.sign_in_limit
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm()
    if form.validate_on_submit():
        now = sessions.clock()
        try:
            user = services.authenticate(form.email.data, form.password.data, now)
        except DomainError as error:
            db.session.commit()  # keep the failure count
            form.password.errors = [error.message]
        else:
            target = _safe_next(request.args.get("next"))
            if two_factor.is_enabled(user):
                session.clear()
                session[sessions.PENDING] = {
                    "user": user.id,
                    "at": int(now.timestamp()),
                    "next": target,
                }
                return redirect(url_for("auth.login_code"))
            services.complete_sign_in(user, now)
            db.session.commit()
            sessions.start(user, now)
            return redirect(target)
    return render_template("auth/login.html", form=form)


def _pending_user(now) -> tuple[User | None, dict]:
    """The user who gave the right password a moment ago and owes the second factor."""
    pending = session.get(sessions.PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None, {}
    if now.timestamp() - pending.get("at", 0) > SECOND_FACTOR_MINUTES * 60:
        return None, {}
    user = db.session.get(User, pending["user"])
    if user is None or not user.active or not two_factor.is_enabled(user):
        return None, {}
    return user, pending


@bp.route("/login/code", methods=["GET", "POST"])
@throttle.sign_in_limit
def login_code():
    now = sessions.clock()
    user, pending = _pending_user(now)
    if user is None:
        session.pop(sessions.PENDING, None)
        flash("Sign in with your e-mail and password first.", "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if services.is_locked(user, now):
            form.code.errors = [services.SIGN_IN_PAUSED]
        elif two_factor.verify(user, form.code.data, now):
            services.complete_sign_in(user, now)
            db.session.commit()
            sessions.start(user, now)
            left = two_factor.recovery_codes_left(user)
            if left <= 3:
                flash(
                    f"You have {left} recovery codes left. Make new ones on the two-factor page.",
                    "info",
                )
            return redirect(_safe_next(pending.get("next")))
        else:
            services.count_failure(user, now)
            db.session.commit()
            locked = services.is_locked(user, now)
            form.code.errors = [services.SIGN_IN_PAUSED if locked else two_factor.CODE_REFUSED]
        return render_template("auth/login_code.html", form=form), 422
    return render_template("auth/login_code.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if ActionForm().validate_on_submit():
        if current_user.is_authenticated:
            services.end_other_sessions(current_user)
            db.session.commit()
        sessions.end()
        flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


# Invitations -------------------------------------------------------------------------------------


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render_template("auth/invitation_invalid.html"), 404
    if current_user.is_authenticated:
        sessions.end()
    form = AcceptInvitationForm(name=invitation.name)
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(invitation, form.name.data, form.password.data)
        except DomainError as error:
            if not show_domain_error(form, error):
                flash(error.message, "error")
        else:
            db.session.commit()
            sessions.start(user, sessions.clock())
            flash(f"Welcome, {user.name}. Your account is ready.", "success")
            return redirect(url_for("dashboard.home"))
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)


# Passwords -------------------------------------------------------------------------------------


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
@throttle.sign_in_limit
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except DomainError as error:
            show_domain_error(form, error)
        else:
            user = current_user._get_current_object()
            db.session.commit()
            sessions.start(user, sessions.clock())  # this session goes on; the others end
            flash("Your password has been changed. You are signed out everywhere else.", "success")
            return redirect(url_for("dashboard.home"))
    return render_template(
        "auth/change_password.html",
        form=form,
        action=ActionForm(formdata=None),
        offers_two_factor=current_user.role in AGENCY_ROLES,
        two_factor_on=two_factor.is_enabled(current_user),
    )


@bp.route("/account/sign-out-elsewhere", methods=["POST"])
@signed_in
def sign_out_elsewhere():
    """End every other session of this user (another computer, a lost phone) but this one."""
    if ActionForm().validate_on_submit():
        user = current_user._get_current_object()
        services.end_other_sessions(user)
        db.session.commit()
        sessions.start(user, sessions.clock())
        flash("You are signed out everywhere else.", "success")
    return redirect(url_for("auth.change_password"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@throttle.sign_in_limit
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, sessions.clock())
        db.session.commit()
        return render_template("auth/forgot_sent.html", email=form.email.data)
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@throttle.sign_in_limit
def reset_password(token: str):
    user = services.user_for_reset_token(token, sessions.clock())
    if user is None:
        return render_template("auth/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.password.data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            db.session.commit()
            sessions.end()
            flash("Your password has been changed. Sign in with it now.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, user=user)


@bp.route("/reauthenticate", methods=["GET", "POST"])
@signed_in
@throttle.sign_in_limit
def reauthenticate():
    """Type the password again, then back to the page that asked for it."""
    target = _safe_next(request.args.get("next"))
    form = ReauthenticateForm()
    if form.validate_on_submit():
        outcome = reauth.check_password(sessions.clock(), form.reauth_password.data)
        if outcome is None:
            return redirect(target)
        if not isinstance(outcome, str):
            return outcome
        form.reauth_password.errors = [outcome]
    return render_template(
        "auth/reauthenticate.html",
        form=form,
        action=url_for("auth.reauthenticate", next=target),
        kept=None,
        minutes=reauth.DEFAULT_MINUTES,
    )


# Two-factor sign-in ------------------------------------------------------------------------------

AGENCY = tuple(AGENCY_ROLES)


def _two_factor_page(status: int = 200, **forms):
    user = current_user
    pending = not two_factor.is_enabled(user) and bool(user.totp_secret)
    page = render_template(
        "auth/two_factor.html",
        enabled=two_factor.is_enabled(user),
        pending=pending,
        qr_code=two_factor.qr_code_svg(user) if pending else None,
        secret=two_factor.grouped_secret(user) if pending else None,
        codes_left=two_factor.recovery_codes_left(user),
        start_form=forms.get("start_form") or ActionForm(formdata=None),
        confirm_form=forms.get("confirm_form") or ConfirmTwoFactorForm(formdata=None),
        disable_form=forms.get("disable_form") or DisableTwoFactorForm(formdata=None),
        codes_form=forms.get("codes_form") or RecoveryCodesForm(formdata=None),
    )
    return page, status


@bp.route("/account/two-factor")
@requires(*AGENCY)
def two_factor_settings():
    return _two_factor_page()


@bp.route("/account/two-factor/start", methods=["POST"])
@requires(*AGENCY)
def two_factor_start():
    if ActionForm().validate_on_submit():
        try:
            two_factor.start_enrolment(current_user)
        except DomainError as error:
            flash(error.message, "error")
        else:
            db.session.commit()
    return redirect(url_for("auth.two_factor_settings"))


@bp.route("/account/two-factor/confirm", methods=["POST"])
@requires(*AGENCY)
@throttle.sign_in_limit
def two_factor_confirm():
    form = ConfirmTwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(current_user, form.code.data, sessions.clock())
        except DomainError as error:
            show_domain_error(form, error) or flash(error.message, "error")
        else:
            db.session.commit()
            flash("Two-factor sign-in is on. From now on you will be asked for a code.", "success")
            return render_template("auth/recovery_codes.html", codes=codes)
    return _two_factor_page(422, confirm_form=form)


@bp.route("/account/two-factor/disable", methods=["POST"])
@requires(*AGENCY)
@throttle.sign_in_limit
def two_factor_disable():
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        try:
            two_factor.disable(current_user, form.password.data, form.code.data, sessions.clock())
        except DomainError as error:
            db.session.commit()  # a used recovery code or TOTP step stays used
            show_domain_error(form, error) or flash(error.message, "error")
        else:
            db.session.commit()
            flash("Two-factor sign-in is off. You sign in with your password only.", "success")
            return redirect(url_for("auth.two_factor_settings"))
    return _two_factor_page(422, disable_form=form)


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@requires(*AGENCY)
@throttle.sign_in_limit
def recovery_codes():
    form = RecoveryCodesForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.new_recovery_codes(current_user, form.password.data)
        except DomainError as error:
            show_domain_error(form, error) or flash(error.message, "error")
        else:
            db.session.commit()
            flash("New recovery codes are ready. The old ones no longer work.", "success")
            return render_template("auth/recovery_codes.html", codes=codes)
    return _two_factor_page(422, codes_form=form)
