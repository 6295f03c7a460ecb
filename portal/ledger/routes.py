"""Money on a case: payments and reversals, payment plans, settlements, closing.

The case page shows three panels (money, arrangements, closing); each action is a POST here
that parses its form, calls a service, commits once and goes back to the case page. An invalid
form re-renders the case page (422) with its errors beside the fields.
"""

from collections.abc import Callable
from datetime import date

import click
from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from portal.cases import panels
from portal.cases.routes import render_case
from portal.cases.services import local_today
from portal.extensions import db
from portal.forms import ActionForm, saved
from portal.ledger import services
from portal.ledger.forms import (
    STAGES,
    CloseForm,
    ConfirmedReasonForm,
    DecisionForm,
    PaymentForm,
    PlanForm,
    ReasonForm,
    ReverseForm,
    SettlementForm,
    StageForm,
    read_payment,
    read_plan,
    read_settlement,
)
from portal.models import (
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    Case,
    CaseStatus,
    Recovery,
    Role,
    User,
)
from portal.tenancy import get_or_404, requires

bp = Blueprint("ledger", __name__, url_prefix="/cases")

AGENCY = (Role.AGENCY_ADMIN, Role.CASEWORKER)
BUSINESS = (Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER)


# --- the panels ----------------------------------------------------------------------------


@panels.panel("ledger/_money.html", order=20)
def money_panel(case: Case, user: User, forms: dict) -> dict | None:
    if case.status not in services.WORKING and case.status != CaseStatus.CLOSED:
        return None
    if case.fee_rate_bps is None or case.agreement is None:  # never accepted: no money moved
        return None
    today = local_today(user)
    can_record = user.is_agency and case.status in services.WORKING
    failed = forms.get("reverse_form")
    payments = services.payments_of(case)
    return {
        "figures": services.figures(case),
        "payments": payments,
        "by_id": {r.id: r for r in payments},
        "reversed": services.reversed_ids(case),
        "can_record": can_record,
        "pay_form": forms.get("pay_form")
        or PaymentForm(formdata=None, data={"received_on": today}),
        "reverse_form": lambda r: (
            failed
            if failed is not None and failed.recovery_id == r.id
            else ReverseForm(r.id, formdata=None)
        ),
        "reverse_open": failed.recovery_id if failed is not None else None,
        "methods": services.METHODS,
        "tax_rate": case.agreement.fee_tax_bps if case.agreement else None,
        "today": today,
    }


@panels.panel("ledger/_arrangements.html", order=25)
def arrangements_panel(case: Case, user: User, forms: dict) -> dict | None:
    if case.status not in services.WORKING and case.status != CaseStatus.CLOSED:
        return None
    if case.fee_rate_bps is None or case.agreement is None:
        return None
    arrangements = services.arrangements_of(case)
    if case.status == CaseStatus.CLOSED and not arrangements:
        return None
    today = local_today(user)
    grace = case.agreement.grace_days
    balance = services.balance_of(case)
    open_one = next((a for a in arrangements if a.status in services.OPEN), None)
    can_arrange = (
        user.is_agency and case.status in services.ARRANGEABLE and open_one is None and balance > 0
    )
    return {
        "arrangements": arrangements,
        "open": open_one,
        "plans": {
            a.id: services.plan_view(a, grace, today)
            for a in arrangements
            if a.kind == ArrangementKind.PLAN
        },
        "grace": grace,
        "balance": balance,
        "floor_bps": case.agreement.settlement_floor_bps,
        "floor_amount": services.floor_amount(case, balance),
        "can_arrange": can_arrange,
        "can_decide": user.role == Role.BUSINESS_ADMIN,
        "plan_form": forms.get("plan_form")
        or PlanForm(formdata=None, data={"total": _plain(balance, case), "first_due_on": today}),
        "settle_form": forms.get("settle_form") or SettlementForm(formdata=None),
        "decline_form": forms.get("decline_form") or DecisionForm(formdata=None),
        "cancel_form": forms.get("cancel_form") or end_form(formdata=None),
        "frequencies": services.FREQUENCIES,
        "paid_settlement": {
            a.id: services.settlement_paid(a, balance)
            for a in arrangements
            if a.kind == ArrangementKind.SETTLEMENT and a.status == ArrangementStatus.ACTIVE
        },
    }


def end_form(**kwargs) -> ConfirmedReasonForm:
    return ConfirmedReasonForm(
        "end", "Why is it ended?", "Yes, end it: the case returns to collection", **kwargs
    )


def withdraw_form(**kwargs) -> ConfirmedReasonForm:
    return ConfirmedReasonForm(
        "withdraw",
        "Why are you withdrawing it?",
        "Yes, withdraw this case: the agency stops and it closes as withdrawn",
        **kwargs,
    )


def _plain(minor: int, case: Case) -> str:
    from portal.money import plain_amount

    return plain_amount(minor, case.currency) if minor > 0 else ""


@panels.panel("ledger/_closing.html", order=90)
def closing_panel(case: Case, user: User, forms: dict) -> dict | None:
    admin = user.role == Role.AGENCY_ADMIN
    business = user.role in BUSINESS
    shown = (admin and (case.status in services.WORKING or _reopenable(case))) or (
        business and case.status in services.WITHDRAWABLE
    )
    if not shown:
        return None
    return {
        "admin": admin,
        "business": business,
        "reopenable": admin and _reopenable(case),
        "close_form": forms.get("close_form") or CloseForm(formdata=None),
        "stage_form": forms.get("stage_form") or _stage_form(case, formdata=None),
        "reopen_form": forms.get("reopen_form")
        or ReasonForm("reopen", "Why is it reopened?", formdata=None),
        "withdraw_form": forms.get("withdraw_form") or withdraw_form(formdata=None),
        "stages": STAGES,
    }


def _reopenable(case: Case) -> bool:
    from portal.lifecycle import BEFORE_ACCEPTANCE

    return case.status == CaseStatus.CLOSED and case.close_code not in BEFORE_ACCEPTANCE


def _stage_form(case: Case, **kwargs) -> StageForm:
    form = StageForm(**kwargs)
    if form.stage.data is None:
        to = CaseStatus.IN_COLLECTION if case.status == CaseStatus.IN_LEGAL else CaseStatus.IN_LEGAL
        form.stage.data = to.value
    return form


# --- one shape for every action ------------------------------------------------------------


def _act(
    case: Case,
    form: FlaskForm,
    key: str,
    action: Callable[[], str | None],
    anchor: str,
):
    """Validate, run the service, commit once and go back to the case; else show the errors.

    `action` returns the success message, or None when the form's own parsing failed.
    """
    if form.validate_on_submit():
        with saved(form) as done:
            message = action()  # None: the form's own parsing failed, nothing was changed
        if done and message is not None:
            flash(message, "success")
            return redirect(url_for("cases.show", case_id=case.id, _anchor=anchor))
    return render_case(case, 422, panel_forms={key: form})


# --- payments ------------------------------------------------------------------------------


@bp.route("/<int:case_id>/payments", methods=["POST"])
@requires(*AGENCY)
def record_payment(case_id: int):
    case = get_or_404(Case, case_id)
    form = PaymentForm()

    def action() -> str | None:
        data = read_payment(form, case.currency)
        if data is None:
            return None
        recovery, created = services.record_payment(
            case, current_user, data, local_today(current_user)
        )
        if not created:
            return "This payment was already recorded: it was not recorded twice."
        return _recorded_message(case, recovery)

    return _act(case, form, "pay_form", action, "money")


def _recorded_message(case: Case, recovery: Recovery) -> str:
    from portal.money import format_money

    fee = format_money(recovery.fee_minor, case.currency)
    text = f"Payment of {format_money(recovery.amount_minor, case.currency)} recorded; fee {fee}"
    if recovery.tax_minor:
        text += f" plus {format_money(recovery.tax_minor, case.currency)} tax on it"
    text += f", net {format_money(recovery.net_minor, case.currency)}."
    if case.status == CaseStatus.CLOSED:
        text += f" The case is closed: {case.close_code.label.lower()}."
    return text


@bp.route("/<int:case_id>/payments/<int:recovery_id>/reverse", methods=["POST"])
@requires(*AGENCY)
def reverse_payment(case_id: int, recovery_id: int):
    case = get_or_404(Case, case_id)
    recovery = get_or_404(Recovery, recovery_id, case_id=case.id)
    form = ReverseForm(recovery.id)
    return _act(
        case,
        form,
        "reverse_form",
        lambda: (
            services.reverse_payment(
                case, current_user, recovery, form.reason.data, local_today(current_user)
            )
            and "The payment is reversed: the balance is back up and the business has been told."
        ),
        "money",
    )


# --- plans and settlements -----------------------------------------------------------------


@bp.route("/<int:case_id>/plan", methods=["POST"])
@requires(*AGENCY)
def create_plan(case_id: int):
    case = get_or_404(Case, case_id)
    form = PlanForm()

    def action() -> str | None:
        data = read_plan(form, case.currency)
        if data is None:
            return None
        services.create_plan(case, current_user, data, local_today(current_user))
        return "Payment plan agreed; the case is now on a payment plan."

    return _act(case, form, "plan_form", action, "arrangements")


@bp.route("/<int:case_id>/settlement", methods=["POST"])
@requires(*AGENCY)
def offer_settlement(case_id: int):
    case = get_or_404(Case, case_id)
    form = SettlementForm()

    def action() -> str | None:
        amount = read_settlement(form, case.currency)
        if amount is None:
            return None
        settlement = services.offer_settlement(case, current_user, amount, form.note.data or "")
        if settlement.status == ArrangementStatus.ACTIVE:
            return "Settlement accepted: once it is paid, the case closes as settled."
        return f"The settlement is below the floor: {case.business.name} has been asked to approve."

    return _act(case, form, "settle_form", action, "arrangements")


def _settlement(case: Case, arrangement_id: int) -> Arrangement:
    return get_or_404(Arrangement, arrangement_id, case_id=case.id)


@bp.route("/<int:case_id>/settlement/<int:arrangement_id>/approve", methods=["POST"])
@requires(Role.BUSINESS_ADMIN)
def approve_settlement(case_id: int, arrangement_id: int):
    case = get_or_404(Case, case_id)
    settlement = _settlement(case, arrangement_id)
    return _act(
        case,
        ActionForm(),
        "approve_form",
        lambda: (
            services.approve_settlement(case, current_user, settlement)
            or "Settlement approved; the agency has been told."
        ),
        "arrangements",
    )


@bp.route("/<int:case_id>/settlement/<int:arrangement_id>/decline", methods=["POST"])
@requires(Role.BUSINESS_ADMIN)
def decline_settlement(case_id: int, arrangement_id: int):
    case = get_or_404(Case, case_id)
    settlement = _settlement(case, arrangement_id)
    form = DecisionForm()
    return _act(
        case,
        form,
        "decline_form",
        lambda: (
            services.decline_settlement(case, current_user, settlement, form.note.data or "")
            or "Settlement declined; the agency has been told."
        ),
        "arrangements",
    )


@bp.route("/<int:case_id>/arrangements/<int:arrangement_id>/end", methods=["POST"])
@requires(*AGENCY)
def end_arrangement(case_id: int, arrangement_id: int):
    case = get_or_404(Case, case_id)
    arrangement = get_or_404(Arrangement, arrangement_id, case_id=case.id)
    form = end_form()
    return _act(
        case,
        form,
        "cancel_form",
        lambda: (
            services.cancel_arrangement(case, current_user, arrangement, form.reason.data)
            or "Ended; the business has been told."
        ),
        "arrangements",
    )


# --- closing, legal, reopening, withdrawal -------------------------------------------------


@bp.route("/<int:case_id>/close", methods=["POST"])
@requires(Role.AGENCY_ADMIN)
def close_case(case_id: int):
    case = get_or_404(Case, case_id)
    form = CloseForm()
    return _act(
        case,
        form,
        "close_form",
        lambda: (
            services.close_case(case, current_user, form.code, form.reason.data)
            or "The case is closed; the business has been told."
        ),
        "closing",
    )


@bp.route("/<int:case_id>/stage", methods=["POST"])
@requires(Role.AGENCY_ADMIN)
def change_stage(case_id: int):
    case = get_or_404(Case, case_id)
    form = _stage_form(case)
    return _act(
        case,
        form,
        "stage_form",
        lambda: (
            services.change_stage(
                case, current_user, CaseStatus(form.stage.data), form.note.data or ""
            )
            or f"The case is now {case.status.label.lower()}."
        ),
        "closing",
    )


@bp.route("/<int:case_id>/reopen", methods=["POST"])
@requires(Role.AGENCY_ADMIN)
def reopen(case_id: int):
    case = get_or_404(Case, case_id)
    form = ReasonForm("reopen", "Why is it reopened?")
    return _act(
        case,
        form,
        "reopen_form",
        lambda: (
            services.reopen_case(case, current_user, form.reason.data)
            or "The case is reopened and back in collection."
        ),
        "money",
    )


@bp.route("/<int:case_id>/withdraw-accepted", methods=["POST"])
@requires(*BUSINESS)
def withdraw(case_id: int):
    case = get_or_404(Case, case_id)
    form = withdraw_form()
    return _act(
        case,
        form,
        "withdraw_form",
        lambda: (
            services.withdraw_case(case, current_user, form.reason.data)
            or f"{case.reference} is withdrawn; {case.agency.name} has been told."
        ),
        "closing",
    )


# --- the daily job -------------------------------------------------------------------------


bp.cli.help = "Money on cases: the daily plan check."


@bp.cli.command("refresh-plans")
@click.option(
    "--today",
    "today_text",
    default=None,
    help="The day to judge the plans on (YYYY-MM-DD); default: today (UTC).",
)
def refresh_plans_command(today_text: str | None) -> None:
    """Mark instalments late or missed; a missed one breaks its plan (run once a day)."""
    try:
        today = date.fromisoformat(today_text) if today_text else services.utcnow().date()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD, e.g. 2026-03-31", param_hint="--today") from None
    result = services.refresh_plans(today)
    db.session.commit()
    click.echo(
        f"Plans refreshed for {today.isoformat()}: {result.late} instalment(s) late, "
        f"{result.missed} missed, {len(result.broken)} plan(s) broken"
        + (f" ({', '.join(result.broken)})." if result.broken else ".")
    )
