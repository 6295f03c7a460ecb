"""Sign in, sign out, accept an invitation, change the password."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portal.auth import services
from portal.auth.forms import AcceptInvitationForm, ChangePasswordForm, LoginForm
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import ActionForm, show_domain_error
from portal.tenancy import signed_in

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never send someone to another host after signing in."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("dashboard.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as error:
            db.session.commit()  # keep the failure count
            form.password.errors = [error.message]
        else:
            session.clear()  # a new session on every sign-in
            login_user(user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if ActionForm().validate_on_submit():
        logout_user()
        session.clear()
        flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render_template("auth/invitation_invalid.html"), 404
    if current_user.is_authenticated:
        logout_user()
        session.clear()
    form = AcceptInvitationForm(name=invitation.name)
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(invitation, form.name.data, form.password.data)
        except DomainError as error:
            if not show_domain_error(form, error):
                flash(error.message, "error")
        else:
            db.session.commit()
            session.clear()
            login_user(user)
            flash(f"Welcome, {user.name}. Your account is ready.", "success")
            return redirect(url_for("dashboard.home"))
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
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
            db.session.commit()
            flash("Your password has been changed.", "success")
            return redirect(url_for("dashboard.home"))
    return render_template("auth/change_password.html", form=form)
