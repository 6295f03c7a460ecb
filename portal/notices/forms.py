from flask_wtf import FlaskForm
from wtforms import BooleanField

from portal.notifications import EMAIL_KINDS


class SettingsForm(FlaskForm):
    """One checkbox per kind of event that can send e-mail; make it with `settings_form()`."""

    kinds: tuple[str, ...] = ()

    def choices(self) -> dict[str, bool]:
        return {kind: bool(self[kind].data) for kind in self.kinds}

    def kind_fields(self) -> list:
        return [self[kind] for kind in self.kinds]


def settings_form(kinds: list[str]) -> SettingsForm:
    """The settings form with a checkbox (named after the kind) for each kind given."""
    fields = {kind: BooleanField(EMAIL_KINDS[kind].label) for kind in kinds}
    form_class = type("UserSettingsForm", (SettingsForm,), {"kinds": tuple(kinds), **fields})
    return form_class()
