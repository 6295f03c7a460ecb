"""The audit view (both admins), a debtor's export and erasure (the business admin), and the
command that verifies the audit chain."""

import sys

import click
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal import audit
from portal.cases.queries import event_label, event_summary
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.models import Debtor, Role, utcnow
from portal.privacy import audit_view, redact, services
from portal.privacy.forms import AuditFilterForm, erase_form
from portal.tenancy import get_or_404, requires

bp = Blueprint("privacy", __name__, url_prefix="/privacy")
bp.record_once(lambda state: redact.install())


@bp.route("/audit")
@requires(Role.AGENCY_ADMIN, Role.BUSINESS_ADMIN)
def audit_trail():
    user = current_user._get_current_object()
    people = audit_view.people(user)
    form = AuditFilterForm(request.args)
    form.set_choices(audit_view.kinds(user), people)
    form.validate()
    page = audit_view.search(user, _filters(form))
    return render_template(
        "privacy/audit.html",
        form=form,
        page=page,
        label=event_label,
        summary=event_summary,
        args=_query_args(form),
    )


def _filters(form: AuditFilterForm) -> audit_view.Filters:
    """The filters from the fields that are valid; a field in error filters nothing."""

    def ok(field):
        return field.data if not field.errors else None

    person = ok(form.person)
    return audit_view.Filters(
        kind=ok(form.kind) or "",
        person_id=int(person) if person else None,
        reference=ok(form.reference) or "",
        date_from=ok(form.date_from),
        date_to=ok(form.date_to),
        page=ok(form.page) or 1,
    )


def _query_args(form: AuditFilterForm) -> dict:
    return {
        name: request.args[name]
        for name in ("kind", "person", "reference", "date_from", "date_to")
        if request.args.get(name)
    }


@bp.route("/debtors")
@requires(Role.BUSINESS_ADMIN)
def debtors():
    return render_template("privacy/debtors.html", rows=services.debtors(current_user))


@bp.route("/debtors/<int:debtor_id>")
@requires(Role.BUSINESS_ADMIN)
def debtor(debtor_id: int):
    return _debtor_page(get_or_404(Debtor, debtor_id))


def _debtor_page(debtor: Debtor, form: ConfirmForm | None = None, status: int = 200):
    return render_template(
        "privacy/debtor.html",
        debtor=debtor,
        cases=services.cases_of(debtor, current_user),
        check=services.erasability(debtor, utcnow().date()),
        erased=services.is_erased(debtor),
        years=services.retention_years(),
        form=form or erase_form(formdata=None),
    ), status


@bp.route("/debtors/<int:debtor_id>/export.json")
@requires(Role.BUSINESS_ADMIN)
def export_json(debtor_id: int):
    debtor = get_or_404(Debtor, debtor_id)
    data = services.export_json(debtor, current_user, utcnow())
    db.session.commit()
    return _attachment(data, "application/json", services.export_filename(debtor, "json"))


@bp.route("/debtors/<int:debtor_id>/export.zip")
@requires(Role.BUSINESS_ADMIN)
def export_zip(debtor_id: int):
    debtor = get_or_404(Debtor, debtor_id)
    data = services.export_zip(debtor, current_user, utcnow())
    db.session.commit()
    return _attachment(data, "application/zip", services.export_filename(debtor, "zip"))


def _attachment(data: bytes, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/debtors/<int:debtor_id>/erase", methods=["POST"])
@requires(Role.BUSINESS_ADMIN)
def erase(debtor_id: int):
    debtor = get_or_404(Debtor, debtor_id)
    form = erase_form()
    if not form.validate_on_submit():
        return _debtor_page(debtor, form, 422)
    try:
        keys = services.erase(debtor, current_user, utcnow().date())
    except DomainError as error:
        db.session.rollback()
        form.confirm.errors = [*form.confirm.errors, error.message]
        return _debtor_page(debtor, form, 422)
    db.session.commit()
    services.delete_files(keys)
    flash(f"The personal details of debtor #{debtor.id} were erased; the money stays.", "success")
    return redirect(url_for("privacy.debtor", debtor_id=debtor.id))


bp.cli.help = "Audit trail and data protection."


@bp.cli.command("verify-audit")
def verify_audit_command() -> None:
    """Check every audit event against the chain; exit 1 and name the first broken event."""
    with db.engine.connect() as conn:
        report = audit.verify(conn)
    if report.ok:
        click.echo(f"The audit chain is intact: {report.checked} events checked.")
        return
    where = f"event {report.broken_event_id}" if report.broken_event_id else "the chain's end"
    click.echo(
        f"The audit chain is broken at {where}: {report.problem}. "
        f"{report.checked} events before it are intact.",
        err=True,
    )
    sys.exit(1)
