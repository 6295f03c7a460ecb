"""Agreements: list, propose (agency admin), read, accept (business admin), end."""

from datetime import time

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.agreements import services
from portal.agreements.forms import AcceptAgreementForm, ProposeAgreementForm, terms_from
from portal.auth.reauth import requires_recent_password
from portal.extensions import db
from portal.forms import ActionForm, ConfirmForm, choices, saved
from portal.models import Agreement, AgreementStatus, Organisation, Role
from portal.orgs.services import clients_of
from portal.tenancy import get_or_404, owned, requires, signed_in

bp = Blueprint("agreements", __name__, url_prefix="/agreements")


@bp.route("/")
@signed_in
def index():
    agreements = db.session.scalars(
        owned(Agreement).order_by(Agreement.status, Agreement.created_at.desc())
    ).all()
    return render_template("agreements/index.html", agreements=agreements)


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.AGENCY_ADMIN)
@requires_recent_password(minutes=10)
def propose():
    form = ProposeAgreementForm()
    clients = clients_of(current_user.organisation)
    form.business_id.choices = choices([(0, "Choose…")] + [(b.id, b.name) for b in clients])
    if request.method == "GET":
        _prefill(form)
    if form.validate_on_submit():
        terms = terms_from(form)
        business = get_or_404(Organisation, form.business_id.data)
        if terms is not None:
            with saved(form) as done:
                agreement = services.propose(
                    current_user, business, terms, form.signature.data, request.remote_addr
                )
            if done:
                flash(
                    f"Agreement proposed to {business.name}. It applies once their "
                    "administrator accepts it.",
                    "success",
                )
                return redirect(url_for("agreements.show", agreement_id=agreement.id))
    return render_template("agreements/propose.html", form=form, has_clients=bool(clients))


def _prefill(form: ProposeAgreementForm) -> None:
    """A sane start: the currency of the agency and the tiers published in DOMAIN.md."""
    form.currency.data = current_user.organisation.currency
    form.window_start.data, form.window_end.data = time(8, 0), time(21, 0)
    for row, (start, rate) in zip(
        form.bands, [("0", "30"), ("100000", "20"), ("800000", "15")], strict=False
    ):
        row.min_balance.data, row.rate.data = start, rate
    for row, (days, points) in zip(form.uplifts, [(365, "10"), (730, "20")], strict=False):
        row.min_age_days.data, row.uplift.data = days, points


@bp.route("/<int:agreement_id>")
@signed_in
def show(agreement_id: int):
    agreement = get_or_404(Agreement, agreement_id)
    can_accept = (
        current_user.role == Role.BUSINESS_ADMIN and agreement.status == AgreementStatus.PROPOSED
    )
    return _show_page(agreement, AcceptAgreementForm(), can_accept)


def _show_page(
    agreement: Agreement,
    accept_form: AcceptAgreementForm,
    can_accept: bool,
    end_form: ConfirmForm | None = None,
    status: int = 200,
):
    return render_template(
        "agreements/show.html",
        agreement=agreement,
        accept_form=accept_form,
        can_accept=can_accept,
        end_form=end_form or _end_form(agreement, formdata=None),
        action=ActionForm(),
    ), status


def _end_form(agreement: Agreement, **kwargs) -> ConfirmForm:
    """Ending an agreement (or declining or withdrawing a proposal) is confirmed with a box."""
    if agreement.status != AgreementStatus.PROPOSED:
        label = "Yes, end this agreement: no new case can be placed under it"
    elif current_user.organisation_id == agreement.business_id:
        label = "Yes, decline this proposal"
    else:
        label = "Yes, withdraw this proposal"
    return ConfirmForm("end", label, **kwargs)


@bp.route("/<int:agreement_id>/accept", methods=["POST"])
@requires(Role.BUSINESS_ADMIN)
def accept(agreement_id: int):
    agreement = get_or_404(Agreement, agreement_id)
    form = AcceptAgreementForm()
    if form.validate_on_submit():
        with saved(form) as done:
            services.accept(current_user, agreement, form.signature.data, request.remote_addr)
        if done:
            flash(
                f"Agreement with {agreement.agency.name} accepted. You can now place cases "
                "with them.",
                "success",
            )
            return redirect(url_for("agreements.show", agreement_id=agreement.id))
    return _show_page(agreement, form, agreement.status == AgreementStatus.PROPOSED)


@bp.route("/<int:agreement_id>/end", methods=["POST"])
@requires(Role.BUSINESS_ADMIN, Role.AGENCY_ADMIN)
def end(agreement_id: int):
    agreement = get_or_404(Agreement, agreement_id)
    form = _end_form(agreement)
    if not form.validate_on_submit():
        can_accept = (
            current_user.role == Role.BUSINESS_ADMIN
            and agreement.status == AgreementStatus.PROPOSED
        )
        return _show_page(agreement, AcceptAgreementForm(formdata=None), can_accept, form, 422)
    with saved() as done:
        services.end(agreement, current_user)
    if done:
        flash("The agreement has ended. Cases already placed carry on under it.", "success")
    return redirect(url_for("agreements.show", agreement_id=agreement.id))
