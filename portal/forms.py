"""Form helpers shared by every feature."""

from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from portal.errors import DomainError


class ActionForm(FlaskForm):
    """An empty form: a POST-only button with its CSRF token (deactivate, accept, withdraw...)."""


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
