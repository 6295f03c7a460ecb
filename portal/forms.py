"""Form helpers shared by every feature."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from portal.errors import DomainError


class ActionForm(FlaskForm):
    """An empty form: a POST-only button with its CSRF token (deactivate, accept, withdraw...)."""


CONFIRM_MISSING = "Tick the box to confirm."


def confirm_box(label: str) -> BooleanField:
    """The box a person ticks before a destructive step (withdraw, delete, reject, close, end):
    the confirmation lives in the form itself, so it works without script."""
    return BooleanField(label, validators=[DataRequired(CONFIRM_MISSING)])


class ConfirmForm(FlaskForm):
    """A destructive button with nothing else to type: only the confirmation box."""

    confirm = confirm_box("Yes, I am sure")

    def __init__(self, prefix: str, label: str, *args, **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.confirm.label.text = label


def show_domain_error(form: FlaskForm, error: DomainError) -> bool:
    """Put a refused rule's message beside its field; return False when it has no field."""
    field: Field | None = getattr(form, error.field, None) if error.field else None
    if field is None:
        return False
    field.errors = [*field.errors, error.message]
    return True


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
