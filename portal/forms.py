"""Form helpers shared by every feature."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import flash
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from portal.errors import DomainError
from portal.extensions import db


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


class Outcome:
    """What became of the block under `saved`: truthy when it was committed."""

    def __init__(self) -> None:
        self.committed = False

    def __bool__(self) -> bool:
        return self.committed


@contextmanager
def saved(
    form: FlaskForm | None = None,
    show: Callable[[FlaskForm, DomainError], bool] = show_domain_error,
) -> Iterator[Outcome]:
    """Run the request's one unit of work: commit it; or, when a rule refuses it (DomainError),
    roll it back and put the message beside its field in `form` (`show`), else flash it.

        with saved(form) as done:
            services.raise_dispute(case, current_user, form.reason.data, now)
        if done:
            flash("Dispute recorded.", "success")
            return redirect(...)
        return render_case(case, 422, ...)
    """
    outcome = Outcome()
    try:
        yield outcome
    except DomainError as error:
        db.session.rollback()
        if form is None or not show(form, error):
            flash(error.message, "error")
    else:
        db.session.commit()
        outcome.committed = True
