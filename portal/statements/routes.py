"""Remittance statements: the agency previews and issues; both sides read; the business
downloads (PDF, CSV) and marks received."""

from datetime import timedelta

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.auth.reauth import requires_recent_password
from portal.cases.services import local_today
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import ActionForm, saved, show_domain_error
from portal.models import Agreement, Role, Statement, utcnow
from portal.statements import bp, pdf, services
from portal.statements.forms import IssueForm, PeriodForm
from portal.tenancy import get_or_404, requires

READERS = (Role.AGENCY_ADMIN, Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER)
BUSINESS = (Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER)
PERIOD_FIELDS = ("agreement_id", "period_start", "period_end")


@bp.context_processor
def _labels() -> dict:
    return {
        "mode_labels": services.MODE_LABELS,
        "paid_to_labels": services.PAID_TO_LABELS,
        "one_day": timedelta(days=1),
    }


@bp.route("/")
@requires(*READERS)
def index():
    party = request.args.get("party", "")
    party_id = int(party) if party.isdigit() else None
    return render_template(
        "statements/index.html",
        statements=services.listing(current_user, party_id),
        parties=services.parties(current_user),
        party_id=party_id,
    )


@bp.route("/new")
@requires(Role.AGENCY_ADMIN)
def new():
    form = PeriodForm(formdata=None)
    agreements = _clients(form)
    chosen = request.args.get("client", "")
    chosen_id = int(chosen) if chosen.isdigit() else 0
    form.agreement_id.data = chosen_id
    agreement = next((a for a in agreements if a.id == chosen_id), None)
    if agreement is not None:
        form.period_start.data = services.next_period_start(agreement)
    return _new_page(form, agreements)


@bp.route("/preview", methods=["POST"])
@requires(Role.AGENCY_ADMIN)
def preview():
    form = PeriodForm()
    agreements = _clients(form)
    if not form.validate_on_submit():
        return _new_page(form, agreements, 422)
    agreement = get_or_404(
        Agreement, form.agreement_id.data, agency_id=current_user.organisation_id
    )
    try:
        result = services.preview(
            agreement, form.period_start.data, form.period_end.data, local_today(current_user)
        )
    except DomainError as error:
        show_domain_error(form, error) or flash(error.message, "error")
        return _new_page(form, agreements, 422)
    confirm = IssueForm(formdata=None, data={**form.data, "checked": result.fingerprint})
    confirm.set_clients(agreements)
    return _preview_page(result, confirm)


@bp.route("/issue", methods=["POST"])
@requires(Role.AGENCY_ADMIN)
@requires_recent_password(minutes=10)
def issue():
    form = IssueForm()
    agreements = _clients(form)
    valid = form.validate_on_submit()
    expired = bool(form.errors.get("csrf_token"))
    if expired:
        flash("This form has expired. Check the period and preview again.", "error")
    if expired or any(form[name].errors for name in PERIOD_FIELDS):
        return _new_page(form, agreements, 422)
    agreement = get_or_404(
        Agreement, form.agreement_id.data, agency_id=current_user.organisation_id
    )
    today = local_today(current_user)
    if valid:
        try:
            statement = services.issue(
                agreement,
                form.period_start.data,
                form.period_end.data,
                current_user,
                utcnow(),
                today,
                checked=form.checked.data,
            )
        except DomainError as error:
            db.session.rollback()
            if error.field in PERIOD_FIELDS:
                show_domain_error(form, error)
                return _new_page(form, agreements, 422)
            show_domain_error(form, error) or flash(error.message, "error")
        else:
            db.session.commit()
            flash(
                f"Statement {statement.number} issued; {statement.business.name} has been told.",
                "success",
            )
            return redirect(url_for("statements.show", statement_id=statement.id))
    return _repreview(form, agreement, agreements, today)


def _repreview(form: IssueForm, agreement: Agreement, agreements, today):
    """The preview again, as things stand now, with the reason the statement was not issued."""
    try:
        result = services.preview(agreement, form.period_start.data, form.period_end.data, today)
    except DomainError as error:
        show_domain_error(form, error) or flash(error.message, "error")
        return _new_page(form, agreements, 422)
    form.checked.data = result.fingerprint
    return _preview_page(result, form, 422)


def _preview_page(result: services.Preview, form: IssueForm, status: int = 200):
    summary = services.summary_rows(result.totals)
    page = render_template("statements/preview.html", preview=result, form=form, summary=summary)
    return page, status


def _clients(form: PeriodForm) -> list[Agreement]:
    agreements = services.clients(current_user.organisation_id)
    form.set_clients(agreements)
    return agreements


def _new_page(form: PeriodForm, agreements: list[Agreement], status: int = 200):
    upcoming = [(a, services.last_statement(a)) for a in agreements]
    page = render_template(
        "statements/new.html",
        form=form,
        upcoming=upcoming,
        label=lambda a: services.client_label(a, agreements),
        today=local_today(current_user),
    )
    return page, status


@bp.route("/<int:statement_id>")
@requires(*READERS)
def show(statement_id: int):
    statement = get_or_404(Statement, statement_id)
    totals = services.totals(statement)
    return render_template(
        "statements/show.html",
        statement=statement,
        totals=totals,
        summary=services.summary_rows(totals),
        is_business=not current_user.is_agency,
        received_form=ActionForm(),
    )


@bp.route("/<int:statement_id>/pdf")
@requires(*READERS)
def download_pdf(statement_id: int):
    statement = get_or_404(Statement, statement_id)
    return _download(pdf.render(statement), "application/pdf", f"{statement.number}.pdf")


@bp.route("/<int:statement_id>/csv")
@requires(*READERS)
def download_csv(statement_id: int):
    statement = get_or_404(Statement, statement_id)
    data = services.csv_text(statement).encode("utf-8-sig")  # the BOM tells Excel it is UTF-8
    return _download(data, "text/csv; charset=utf-8", f"{statement.number}.csv")


def _download(data: bytes, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/<int:statement_id>/received", methods=["POST"])
@requires(*BUSINESS)
def mark_received(statement_id: int):
    statement = get_or_404(Statement, statement_id)
    if ActionForm().validate_on_submit():
        with saved() as done:
            services.mark_received(statement, current_user, utcnow())
        if done:
            flash(f"Statement {statement.number} marked received.", "success")
    else:
        flash("This form has expired. Reload the page and try again.", "error")
    return redirect(url_for("statements.show", statement_id=statement.id))
