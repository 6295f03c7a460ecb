"""The audit view's filters (a GET form) and the erasure's confirmation."""

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from portal.cases.queries import event_label
from portal.forms import ConfirmForm, choices


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
        self.kind.choices = choices([("", "All kinds"), *((k, event_label(k)) for k in kinds)])
        self.person.choices = choices(
            [("", "Everyone"), *((str(p.id), f"{p.name} ({p.organisation.name})") for p in people)]
        )

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")


def erase_form(**kwargs) -> ConfirmForm:
    """Erasing a debtor's personal details is confirmed with a box."""
    label = "Yes, erase this debtor's personal details: this cannot be undone"
    return ConfirmForm("erase", label, **kwargs)
