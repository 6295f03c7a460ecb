"""The audit view's filters (a GET form) and the erasure's confirmation."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.forms import choices


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a search: it changes nothing

    kind = SelectField("Kind of event", validators=[Optional()])
    person = SelectField("Person", validators=[Optional()])
    reference = StringField("Case reference", validators=[Optional(), Length(max=32)])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    page = IntegerField("Page", default=1, validators=[Optional(), NumberRange(min=1)])

    def set_choices(self, kinds: list[str], people) -> None:
        self.kind.choices = choices([("", "All kinds"), *((k, label(k)) for k in kinds)])
        self.person.choices = choices(
            [("", "Everyone"), *((str(p.id), f"{p.name} ({p.organisation.name})") for p in people)]
        )

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")


def label(kind: str) -> str:
    return kind.replace("_", " ").capitalize()


class EraseForm(FlaskForm):
    confirm = BooleanField(
        "I understand that the debtor's personal details, history texts and documents are "
        "removed for good; the money stays.",
        validators=[DataRequired("Tick the box to confirm the erasure.")],
    )
