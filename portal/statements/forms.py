from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.fields import DateField
from wtforms.validators import DataRequired, InputRequired, ValidationError

from portal.forms import choices
from portal.models import Agreement
from portal.statements.services import client_label


def _int_or_zero(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class DayField(DateField):
    """A date typed as YYYY-MM-DD (the browser's date picker sends that), with a plain error."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter a date as YYYY-MM-DD, e.g. 2026-10-31.") from None


class PeriodForm(FlaskForm):
    agreement_id = SelectField("Client", coerce=_int_or_zero, validate_choice=False)
    period_start = DayField(
        "From", validators=[InputRequired("Enter the first day of the period.")]
    )
    period_end = DayField(
        "To",
        validators=[InputRequired("Enter the last day of the period.")],
        description="The last day the statement covers: today at the latest.",
    )

    def set_clients(self, agreements: list[Agreement]) -> None:
        self._allowed = {a.id for a in agreements}
        self.agreement_id.choices = choices(
            [(0, "Choose a client…"), *((a.id, client_label(a, agreements)) for a in agreements)]
        )

    def validate_agreement_id(self, field) -> None:
        if field.data not in getattr(self, "_allowed", set()):
            raise ValidationError("Choose one of your clients.")


class IssueForm(PeriodForm):
    """The preview's confirmation: the same period, what was shown, and a yes."""

    checked = HiddenField()
    confirm = BooleanField(
        "I have checked these lines and totals. Issue the statement: it cannot be changed later.",
        validators=[DataRequired("Tick the box to confirm you checked the statement.")],
    )
