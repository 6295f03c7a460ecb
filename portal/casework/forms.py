"""The casework forms, and reading the contact form into the service's data."""

import secrets
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from portal.cases.forms import own_ids
from portal.casework.services import PARTY_LABELS, PROFILE_LABELS, RESOLUTIONS, ContactData
from portal.forms import choices
from portal.models import (
    Case,
    Channel,
    ContactOutcome,
    CorrespondenceEntry,
    DebtorProfile,
    Direction,
    PartyReached,
    User,
)
from portal.money import MoneyError, parse_amount

DIRECTIONS = [
    (Direction.OUTBOUND.value, "We contacted the debtor"),
    (Direction.INBOUND.value, "The debtor contacted us"),
]
MOMENT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def _enum_choices(enum_cls, labels=None) -> list:
    return choices(
        [("", "Choose…"), *((m.value, labels[m] if labels else m.label) for m in enum_cls)]
    )


class ContactForm(FlaskForm):
    occurred_at = DateTimeLocalField(
        "When", format=MOMENT_FORMATS, validators=[DataRequired("Enter the date and time.")]
    )
    channel = SelectField("Channel", choices=_enum_choices(Channel))
    direction = SelectField("Direction", choices=choices(DIRECTIONS), default="outbound")
    party_reached = SelectField(
        "Who was reached", choices=_enum_choices(PartyReached, PARTY_LABELS)
    )
    outcome = SelectField("Outcome", choices=_enum_choices(ContactOutcome))
    promise_amount = StringField("Amount promised", validators=[Length(max=30)])
    promise_date = DateField("Promised by", validators=[Optional()])
    notes = TextAreaField("Notes", validators=[Length(max=5000)])
    next_action_on = DateField(
        "Next action on",
        validators=[Optional()],
        description="Orders your worklist. A promise sets it to the promised date when empty.",
    )
    internal = BooleanField("Internal: the business does not see this entry")
    corrects_id = SelectField("This entry corrects", coerce=int, default=0)
    token = HiddenField(default=lambda: secrets.token_urlsafe(32), validators=[Length(max=64)])
    override_reason = TextAreaField(
        "Why the rules of contact were broken",
        validators=[Length(max=2000)],
        description="Only when this contact broke a rule (see the panel above); "
        "it is flagged for the compliance review.",
    )

    def set_corrections(self, entries: list[CorrespondenceEntry], user: User) -> None:
        zone = ZoneInfo(user.zone)
        self.corrects_id.choices = choices(
            [
                (0, "Nothing: a new contact"),
                *(
                    (
                        e.id,
                        f"{e.occurred_at.astimezone(zone):%d %b %Y %H:%M} · {e.channel.label} · "
                        f"{e.outcome_code.label}",
                    )
                    for e in entries
                ),
            ]
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        own_ids(self, "contact")


class ProfileForm(FlaskForm):
    profile = SelectField(
        "The debtor's kind",
        choices=choices(
            [("", "Not known yet"), *((p.value, label) for p, label in PROFILE_LABELS.items())]
        ),
    )


class DisputeForm(FlaskForm):
    reason = TextAreaField(
        "What the debtor disputes, and why",
        validators=[DataRequired("Write down what the debtor disputes."), Length(max=5000)],
    )


class ResolveDisputeForm(FlaskForm):
    resolution = SelectField(
        "Your decision",
        choices=choices([("", "Choose…"), *RESOLUTIONS.items()]),
        validators=[DataRequired("Choose whether the dispute is upheld or rejected.")],
    )
    note = TextAreaField(
        "Note to the agency",
        validators=[DataRequired("Explain the decision to the agency."), Length(max=5000)],
    )


class MessageForm(FlaskForm):
    body = TextAreaField(
        "Message", validators=[DataRequired("Write the message."), Length(max=5000)]
    )
    internal = BooleanField("Internal note: only your agency sees it")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        own_ids(self, "message")


def read_contact(form: ContactForm, case: Case, user: User) -> ContactData | None:
    """The contact form as the service's data, or None with each problem beside its field."""
    ok = True

    def fail(field, message: str) -> None:
        nonlocal ok
        field.errors = [*field.errors, message]
        ok = False

    picked = {}
    for name, enum_cls, message in (
        ("channel", Channel, "Choose the channel."),
        ("direction", Direction, "Choose the direction."),
        ("party_reached", PartyReached, "Choose who was reached."),
        ("outcome", ContactOutcome, "Choose the outcome."),
    ):
        value = {m.value: m for m in enum_cls}.get(getattr(form, name).data or "")
        if value is None:
            fail(getattr(form, name), message)
        picked[name] = value
    amount = None
    typed = (form.promise_amount.data or "").strip()
    if typed:
        try:
            amount = parse_amount(typed, case.currency)
        except MoneyError as error:
            fail(form.promise_amount, str(error))
    if not ok or form.occurred_at.data is None:
        return None
    zone = ZoneInfo(user.zone)
    return ContactData(
        occurred_at=form.occurred_at.data.replace(tzinfo=zone).astimezone(UTC),
        notes=form.notes.data or "",
        promise_amount_minor=amount,
        promise_date=form.promise_date.data,
        next_action_on=form.next_action_on.data,
        internal=bool(form.internal.data),
        override_reason=form.override_reason.data or "",
        corrects_id=form.corrects_id.data or None,
        token=(form.token.data or "").strip(),
        **picked,
    )


def local_input(moment: datetime, user: User) -> datetime:
    """A UTC instant as the naive local time a datetime-local input shows."""
    return moment.astimezone(ZoneInfo(user.zone)).replace(tzinfo=None, second=0, microsecond=0)


def read_profile(form: ProfileForm) -> DebtorProfile | None:
    return {p.value: p for p in DebtorProfile}.get(form.profile.data or "")
