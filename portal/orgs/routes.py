"""An organisation's users, and (for agencies) the businesses they work for."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.auth import services as auth
from portal.extensions import db
from portal.forms import ActionForm, ConfirmForm, saved
from portal.models import Invitation, Role, User, utcnow
from portal.orgs import services
from portal.orgs.forms import (
    InviteBusinessForm,
    InviteUserForm,
    deactivate_form,
    withdraw_invitation_form,
)
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
        with saved(form) as done:
            invitation, token = auth.invite(
                current_user.organisation,
                form.email.data,
                form.name.data,
                Role(form.role.data),
                current_user,
            )
        if done:
            link = _invitation_link(token)
            flash(f"Invitation for {invitation.email} created. Pass on the link below.", "success")
            form = None
    return _users_page(form, link)


def _users_page(
    form: InviteUserForm | None = None,
    link: str | None = None,
    failed: ConfirmForm | None = None,
    status: int = 200,
):
    """The people and the open invitations; `failed` is a confirmation sent without its tick,
    shown again with its error beside the box."""
    if form is None:
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
        deactivate_form=_fresh_unless_failed(deactivate_form, failed),
        withdraw_form=_fresh_unless_failed(withdraw_invitation_form, failed),
    ), status


def _fresh_unless_failed(make, failed: ConfirmForm | None):
    """A row's confirmation form: the one that failed for that row, else an empty one."""

    def form_for(item) -> ConfirmForm:
        fresh = make(item, formdata=None)
        if failed is not None and failed.confirm.name == fresh.confirm.name:
            return failed
        return fresh

    return form_for


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@requires(*ADMINS)
def deactivate(user_id: int):
    target = get_or_404(User, user_id)
    form = deactivate_form(target)
    if not form.validate_on_submit():
        return _users_page(failed=form, status=422)
    return _set_active(target, False)


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@requires(*ADMINS)
def activate(user_id: int):
    target = get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("orgs.users"))
    return _set_active(target, True)


def _set_active(target: User, active: bool):
    with saved() as done:
        services.set_active(target, active, current_user)
    if done:
        flash(f"{target.name} is now {'active' if active else 'deactivated'}.", "success")
    return redirect(url_for("orgs.users"))


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@requires(*ADMINS)
def revoke_invitation(invitation_id: int):
    invitation = get_or_404(Invitation, invitation_id)
    form = withdraw_invitation_form(invitation)
    if not form.validate_on_submit():
        return _users_page(failed=form, status=422)
    with saved() as done:
        auth.revoke_invitation(invitation, current_user)
    if done:
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
        with saved(form) as done:
            business, _, token = services.invite_business(
                current_user, fields, form.admin_name.data, form.admin_email.data
            )
        if done:
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
