"""An organisation's users, and (for agencies) the businesses they work for."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.auth import services as auth
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import ActionForm, show_domain_error
from portal.models import Invitation, Role, User, utcnow
from portal.orgs import services
from portal.orgs.forms import InviteBusinessForm, InviteUserForm
from portal.tenancy import get_or_404, owned, requires

bp = Blueprint("orgs", __name__)
ADMINS = (Role.BUSINESS_ADMIN, Role.AGENCY_ADMIN)


def _invitation_link(token: str) -> str:
    return url_for("auth.accept_invitation", token=token, _external=True)


@bp.route("/users", methods=["GET", "POST"])
@requires(*ADMINS)
def users():
    form = InviteUserForm()
    form.set_roles(services.roles_for(current_user.organisation))
    link = None
    if form.validate_on_submit():
        try:
            invitation, token = auth.invite(
                current_user.organisation,
                form.email.data,
                form.name.data,
                Role(form.role.data),
                current_user,
            )
        except DomainError as error:
            show_domain_error(form, error) or flash(error.message, "error")
        else:
            db.session.commit()
            link = _invitation_link(token)
            flash(f"Invitation for {invitation.email} created. Pass on the link below.", "success")
            form = InviteUserForm(formdata=None)
            form.set_roles(services.roles_for(current_user.organisation))
    members = db.session.scalars(owned(User).order_by(User.active.desc(), User.name)).all()
    pending = db.session.scalars(
        owned(Invitation)
        .where(
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at.desc())
    ).all()
    return render_template(
        "orgs/users.html",
        form=form,
        members=members,
        pending=pending,
        link=link,
        action=ActionForm(),
    )


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@requires(*ADMINS)
def deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@requires(*ADMINS)
def activate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    target = get_or_404(User, user_id)
    if ActionForm().validate_on_submit():
        try:
            services.set_active(target, active, current_user)
        except DomainError as error:
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(f"{target.name} is now {'active' if active else 'deactivated'}.", "success")
    return redirect(url_for("orgs.users"))


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@requires(*ADMINS)
def revoke_invitation(invitation_id: int):
    invitation = get_or_404(Invitation, invitation_id)
    if ActionForm().validate_on_submit():
        try:
            auth.revoke_invitation(invitation, current_user)
        except DomainError as error:
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(f"The invitation for {invitation.email} no longer works.", "success")
    return redirect(url_for("orgs.users"))


@bp.route("/clients", methods=["GET", "POST"])
@requires(Role.AGENCY_ADMIN)
def clients():
    form = InviteBusinessForm()
    form.set_place_choices()
    link = None
    if form.validate_on_submit():
        fields = {
            name: getattr(form, name).data or ""
            for name in (
                "name",
                "country",
                "timezone",
                "currency",
                "address",
                "registration_number",
                "case_prefix",
            )
        }
        try:
            business, _, token = services.invite_business(
                current_user, fields, form.admin_name.data, form.admin_email.data
            )
        except DomainError as error:
            show_domain_error(form, error) or flash(error.message, "error")
        else:
            db.session.commit()
            link = _invitation_link(token)
            flash(
                f"{business.name} is on the portal. Pass the link below to its "
                "administrator, then propose an agreement.",
                "success",
            )
            form = InviteBusinessForm(formdata=None)
            form.set_place_choices()
    businesses = services.clients_of(current_user.organisation)
    return render_template("orgs/clients.html", form=form, businesses=businesses, link=link)
