from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.forms import choices
from portal.models import RemittanceMode

BAND_ROWS = 6
UPLIFT_ROWS = 3


class BandRow(Form):
    min_balance = StringField("Balance from", validators=[Optional(), Length(max=30)])
    rate = StringField("Fee %", validators=[Optional(), Length(max=10)])


class UpliftRow(Form):
    min_age_days = IntegerField(
        "Debt older than (days)", validators=[Optional(), NumberRange(min=0, max=36500)]
    )
    uplift = StringField("Add points %", validators=[Optional(), Length(max=10)])


class ProposeAgreementForm(FlaskForm):
    business_id = SelectField(
        "Client business", coerce=int, validators=[DataRequired("Choose the business.")]
    )
    currency = StringField(
        "Currency", validators=[DataRequired("Enter the currency."), Length(min=3, max=3)]
    )
    bands = FieldList(FormField(BandRow), min_entries=BAND_ROWS, max_entries=BAND_ROWS)
    uplifts = FieldList(FormField(UpliftRow), min_entries=UPLIFT_ROWS, max_entries=UPLIFT_ROWS)
    legal_rate = StringField(
        "Legal-stage fee %",
        validators=[Optional(), Length(max=10)],
        description="Applies instead of the bands once a case goes legal.",
    )
    fee_cap = StringField(
        "Fee cap %",
        validators=[Optional(), Length(max=10)],
        description="No case's rate goes above this.",
    )
    fee_tax = StringField(
        "Tax on the fee %",
        validators=[Optional(), Length(max=10)],
        description="E.g. VAT charged on the agency's fee.",
    )
    remittance_mode = SelectField(
        "Remittance",
        choices=choices(
            [
                (RemittanceMode.NET.value, "Net: the agency keeps its fee"),
                (RemittanceMode.GROSS.value, "Gross: the agency invoices its fee"),
            ]
        ),
    )
    settlement_floor = StringField(
        "Settlement floor %",
        default="80",
        validators=[DataRequired("Enter the floor.")],
        description="Settlements at or above this share of the balance need no client approval.",
    )
    window_start = TimeField("Calls from", validators=[InputRequired("Enter a time.")])
    window_end = TimeField("Calls until", validators=[InputRequired("Enter a time.")])
    calls_per_day = IntegerField(
        "Calls per day",
        default=1,
        validators=[InputRequired("Enter a number."), NumberRange(min=0, max=20)],
    )
    calls_per_7_days = IntegerField(
        "Calls per 7 days",
        default=7,
        validators=[InputRequired("Enter a number."), NumberRange(min=0, max=100)],
    )
    quiet_days = IntegerField(
        "Quiet days after a conversation",
        default=7,
        validators=[InputRequired("Enter a number."), NumberRange(min=0, max=60)],
    )
    answer_days = IntegerField(
        "Days to answer a placement",
        default=5,
        validators=[InputRequired("Enter a number."), NumberRange(min=1, max=60)],
    )
    grace_days = IntegerField(
        "Grace days for a missed instalment",
        default=5,
        validators=[InputRequired("Enter a number."), NumberRange(min=0, max=60)],
    )
    exclusivity_months = IntegerField(
        "Exclusivity (months)",
        default=6,
        validators=[InputRequired("Enter a number."), NumberRange(min=0, max=60)],
    )
    signature = StringField(
        "Type your full name to sign for the agency",
        validators=[DataRequired("Type your name to sign."), Length(max=200)],
    )


class AcceptAgreementForm(FlaskForm):
    signature = StringField(
        "Type your full name to accept these terms",
        validators=[DataRequired("Type your name to accept."), Length(max=200)],
    )


def terms_from(form: ProposeAgreementForm):
    """Read the form into exact Terms, putting any problem beside its field; None if any."""
    from portal.agreements.services import Terms
    from portal.money import MoneyError, is_currency, parse_amount, parse_rate

    ok = True
    currency = (form.currency.data or "").strip().upper()
    if not is_currency(currency):
        form.currency.errors = [f"“{form.currency.data}” is not a currency code we know."]
        return None

    def read(field, parse):
        nonlocal ok
        if not (field.data or "").strip():
            return None
        try:
            return parse(field.data)
        except MoneyError as error:
            field.errors = [*field.errors, str(error)]
            ok = False
            return None

    bands = []
    for row in form.bands:
        start, rate = (
            read(row.min_balance, lambda t: parse_amount(t, currency)),
            read(row.rate, parse_rate),
        )
        if (start is None) != (rate is None) and ok:
            (row.rate if rate is None else row.min_balance).errors = ["Fill in both, or neither."]
            ok = False
        if start is not None and rate is not None:
            if start < 0:
                row.min_balance.errors = ["A balance cannot be negative."]
                ok = False
            bands.append((start, rate))
    uplifts = []
    for row in form.uplifts:
        days, bps = row.min_age_days.data, read(row.uplift, parse_rate)
        if (days is None) != (bps is None) and ok:
            (row.uplift if bps is None else row.min_age_days).errors = ["Fill in both, or neither."]
            ok = False
        if days is not None and bps is not None:
            uplifts.append((days, bps))
    terms = Terms(
        currency=currency,
        bands=bands,
        uplifts=uplifts,
        legal_rate_bps=read(form.legal_rate, parse_rate),
        fee_cap_bps=read(form.fee_cap, parse_rate),
        fee_tax_bps=read(form.fee_tax, parse_rate),
        remittance_mode=RemittanceMode(form.remittance_mode.data),
        settlement_floor_bps=read(form.settlement_floor, parse_rate) or 0,
        window_start=form.window_start.data,
        window_end=form.window_end.data,
        calls_per_day=form.calls_per_day.data,
        calls_per_7_days=form.calls_per_7_days.data,
        quiet_days=form.quiet_days.data,
        answer_days=form.answer_days.data,
        grace_days=form.grace_days.data,
        exclusivity_months=form.exclusivity_months.data,
    )
    return terms if ok else None
