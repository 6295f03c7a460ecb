"""The agency admin's placement queue and the answer to each placement."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.cases.services import request_information
from portal.errors import DomainError
from portal.forms import saved
from portal.models import Case, Role
from portal.placements import services
from portal.placements.forms import AcceptForm, AskForm, RejectForm
from portal.tenancy import get_or_404, requires

bp = Blueprint("placements", __name__, url_prefix="/placements")


@bp.route("/")
@requires(Role.AGENCY_ADMIN)
def index():
    return render_template(
        "placements/index.html", waiting=services.queue(current_user), is_late=services.is_late
    )


@bp.route("/<int:case_id>")
@requires(Role.AGENCY_ADMIN)
def review(case_id: int):
    case = get_or_404(Case, case_id)
    return _review_page(case)


def _review_page(case: Case, accept_form=None, reject_form=None, ask_form=None):
    accept_form = accept_form or AcceptForm()
    accept_form.set_people(services.caseworkers(case.agency_id))
    try:
        rate, rate_error = services.proposed_rate(case), None
    except DomainError as error:
        rate, rate_error = None, error.message
    return render_template(
        "placements/review.html",
        case=case,
        rate=rate,
        rate_error=rate_error,
        accept_form=accept_form,
        reject_form=reject_form or RejectForm(),
        ask_form=ask_form or AskForm(),
        late=services.is_late(case),
        waiting=case.status in services.WAITING,
        **services.review_data(case),
    )


@bp.route("/<int:case_id>/accept", methods=["POST"])
@requires(Role.AGENCY_ADMIN)
def accept(case_id: int):
    case = get_or_404(Case, case_id)
    form = AcceptForm()
    form.set_people(services.caseworkers(case.agency_id))
    if form.validate_on_submit():
        with saved(form) as done:
            services.accept(case, current_user, form.caseworker_id.data)
        if done:
            flash(f"{case.reference} accepted and assigned to {case.assigned_to.name}.", "success")
            return redirect(url_for("placements.index"))
    return _review_page(case, accept_form=form)


@bp.route("/<int:case_id>/reject", methods=["POST"])
@requires(Role.AGENCY_ADMIN)
def reject(case_id: int):
    case = get_or_404(Case, case_id)
    form = RejectForm()
    if form.validate_on_submit():
        with saved(form) as done:
            services.reject(case, current_user, form.reason.data, form.note.data or "")
        if done:
            flash(f"{case.reference} rejected; {case.business.name} has been told.", "success")
            return redirect(url_for("placements.index"))
    return _review_page(case, reject_form=form)


@bp.route("/<int:case_id>/ask", methods=["POST"])
@requires(Role.AGENCY_ADMIN)
def ask(case_id: int):
    case = get_or_404(Case, case_id)
    form = AskForm()
    if form.validate_on_submit():
        with saved(form) as done:
            request_information(case, current_user, form.question.data)
        if done:
            flash(f"Your question on {case.reference} was sent to {case.business.name}.", "success")
            return redirect(url_for("placements.index"))
    return _review_page(case, ask_form=form)
