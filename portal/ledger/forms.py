"""The money forms of a case page: payment, reversal, plan, settlement, closing.

Each form has a prefix, so that several of them sit on one page with distinct field names.
Amounts are typed as text and parsed exactly by `portal.money.parse_amount` in the case's
currency; a bad amount goes beside its field with everything else kept.
"""

import secrets

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.cases.forms import CleanText
from portal.forms import choices, confirm_box
from portal.ledger.services import (
    CLOSE_OUTCOMES,
    FREQUENCIES,
    MAX_INSTALMENTS,
    METHODS,
    PAID_TO,
    PaymentData,
    PlanData,
)
from portal.models import CaseStatus, CloseCode, Frequency, PaidTo
from portal.money import MoneyError, parse_amount


class DayField(DateField):
    """A date with a message a person understands when what they typed is not one."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Enter a date, e.g. 2026-03-31.") from None


def _token() -> str:
    return secrets.token_urlsafe(32)


class PaymentForm(CleanText, FlaskForm):
    amount = StringField(
        "Amount received", validators=[DataRequired("Enter the amount."), Length(max=30)]
    )
    received_on = DayField("Date received", validators=[InputRequired("Enter the date.")])
    method = SelectField(
        "Method",
        validators=[DataRequired("Choose how it was paid.")],
        choices=choices([("", "Choose…"), *METHODS.items()]),
    )
    reference = StringField(
        "Reference", validators=[Optional(), Length(max=120)], description="e.g. M-Pesa code QX12AB"
    )
    paid_to = RadioField(
        "Paid to",
        validators=[DataRequired("Say who received the money.")],
        choices=choices([(k.value, v) for k, v in PAID_TO.items()]),
        default=PaidTo.AGENCY.value,
    )
    token = HiddenField(default=_token, validators=[DataRequired(), Length(max=64)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="pay", **kwargs)


def read_payment(form: PaymentForm, currency: str) -> PaymentData | None:
    """The typed payment, or None with the amount's error beside it."""
    amount = _amount(form.amount, currency)
    if amount is None:
        return None
    return PaymentData(
        amount_minor=amount,
        received_on=form.received_on.data,
        method=form.method.data,
        reference=form.reference.data or "",
        paid_to=PaidTo(form.paid_to.data),
        token=form.token.data,
    )


def _amount(f, currency: str) -> int | None:
    try:
        return parse_amount(f.data or "", currency)
    except MoneyError as error:
        f.errors = [*f.errors, str(error)]
        return None


class ReverseForm(CleanText, FlaskForm):
    reason = TextAreaField(
        "Why is it reversed?",
        validators=[DataRequired("Say why the payment is reversed."), Length(max=2000)],
        description="e.g. “cheque returned unpaid on 3 March”.",
    )
    confirm = confirm_box("Yes, reverse this payment: the balance goes back up")

    def __init__(self, recovery_id: int, *args, **kwargs):
        super().__init__(*args, prefix=f"reverse-{recovery_id}", **kwargs)
        self.recovery_id = recovery_id


class PlanForm(CleanText, FlaskForm):
    total = StringField("Plan total", validators=[DataRequired("Enter the total."), Length(max=30)])
    count = IntegerField(
        "Number of instalments",
        validators=[
            InputRequired("Enter how many instalments."),
            NumberRange(1, MAX_INSTALMENTS, f"Between 1 and {MAX_INSTALMENTS} instalments."),
        ],
    )
    frequency = SelectField(
        "How often",
        validators=[DataRequired("Choose how often.")],
        choices=choices([(k.value, v) for k, v in FREQUENCIES.items()]),
        default=Frequency.MONTHLY.value,
    )
    first_due_on = DayField("First instalment due", validators=[InputRequired("Enter the date.")])
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="plan", **kwargs)


def read_plan(form: PlanForm, currency: str) -> PlanData | None:
    total = _amount(form.total, currency)
    if total is None:
        return None
    return PlanData(
        total_minor=total,
        count=form.count.data,
        frequency=Frequency(form.frequency.data),
        first_due_on=form.first_due_on.data,
        note=form.note.data or "",
    )


class SettlementForm(CleanText, FlaskForm):
    amount = StringField(
        "Settlement amount", validators=[DataRequired("Enter the amount."), Length(max=30)]
    )
    note = TextAreaField(
        "Terms and note",
        validators=[Optional(), Length(max=2000)],
        description="e.g. “one payment by 30 April, in full and final settlement”.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="settle", **kwargs)


def read_settlement(form: SettlementForm, currency: str) -> int | None:
    return _amount(form.amount, currency)


class DecisionForm(CleanText, FlaskForm):
    """A business admin's decline; the note is optional."""

    note = TextAreaField(
        "Why do you decline? (optional)", validators=[Optional(), Length(max=2000)]
    )
    confirm = confirm_box("Yes, decline this settlement")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="decide", **kwargs)


class ReasonForm(CleanText, FlaskForm):
    """A reason, for ending an arrangement, reopening or withdrawing."""

    reason = TextAreaField(
        "Reason", validators=[DataRequired("Give the reason."), Length(max=2000)]
    )

    def __init__(self, prefix: str, label: str = "Reason", *args, **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.reason.label.text = label


class ConfirmedReasonForm(ReasonForm):
    """A reason for a step that cannot simply be undone (ending a plan, withdrawing a case),
    and the box that confirms it."""

    confirm = confirm_box("Yes, I am sure")

    def __init__(self, prefix: str, label: str, confirm: str, *args, **kwargs):
        super().__init__(prefix, label, *args, **kwargs)
        self.confirm.label.text = confirm


class CloseForm(CleanText, FlaskForm):
    outcome = SelectField(
        "Outcome",
        validators=[DataRequired("Choose an outcome.")],
        choices=choices([("", "Choose…"), *((k.value, v) for k, v in CLOSE_OUTCOMES.items())]),
    )
    reason = TextAreaField(
        "Reason", validators=[DataRequired("Give the reason."), Length(max=2000)]
    )
    confirm = confirm_box("Yes, close this case: the business is told and the work stops")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="close", **kwargs)

    @property
    def code(self) -> CloseCode:
        return CloseCode(self.outcome.data)


STAGES = {CaseStatus.IN_LEGAL: "Send to legal", CaseStatus.IN_COLLECTION: "Back to collection"}


class StageForm(CleanText, FlaskForm):
    stage = SelectField(
        "Move the case",
        validators=[DataRequired("Choose where the case goes.")],
        choices=choices([(k.value, v) for k, v in STAGES.items()]),
    )
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="stage", **kwargs)
