from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from portal import places
from portal.forms import ConfirmForm, choices
from portal.models import Invitation, Role, User
from portal.money import is_currency


class InviteUserForm(FlaskForm):
    name = StringField(
        "Full name", validators=[DataRequired("Enter the person's name."), Length(max=200)]
    )
    email = EmailField(
        "E-mail",
        validators=[
            DataRequired("Enter an e-mail address."),
            Email("Enter an e-mail address like name@example.com.", check_deliverability=False),
            Length(max=254),
        ],
    )
    role = SelectField("Role", validators=[DataRequired("Choose a role.")])

    def set_roles(self, roles: list[Role]) -> None:
        self.role.choices = choices((r.value, r.label) for r in roles)


def deactivate_form(user: User, **kwargs) -> ConfirmForm:
    """Deactivating a colleague is confirmed with a box of the user's own (one per row)."""
    label = f"Yes, deactivate {user.name}: they can no longer sign in"
    return ConfirmForm(f"deactivate-{user.id}", label, **kwargs)


def withdraw_invitation_form(invitation: Invitation, **kwargs) -> ConfirmForm:
    """Withdrawing an invitation is confirmed with a box of its own (one per invitation)."""
    label = f"Yes, withdraw the invitation for {invitation.email}: its link stops working"
    return ConfirmForm(f"invitation-{invitation.id}", label, **kwargs)


class OrganisationFields:
    """The fields an organisation is described by."""

    name = StringField(
        "Organisation name", validators=[DataRequired("Enter the name."), Length(max=200)]
    )
    country = SelectField("Country", validators=[DataRequired("Choose the country.")])
    timezone = SelectField(
        "Time zone",
        validators=[Optional()],
        description="Leave empty to use the country's main time zone.",
    )
    currency = StringField(
        "Default currency",
        validators=[Optional(), Length(min=3, max=3)],
        description="ISO code such as KES; leave empty for the country's.",
    )
    address = TextAreaField("Postal address", validators=[Optional(), Length(max=1000)])
    registration_number = StringField(
        "Registration number", validators=[Optional(), Length(max=64)]
    )

    def set_place_choices(self) -> None:
        self.country.choices = choices([("", "Choose…"), *places.countries()])
        self.timezone.choices = choices(
            [("", "The country's time zone"), *((z, z) for z in places.zone_choices())]
        )

    def validate_currency(self, field) -> None:
        if field.data and not is_currency(field.data.strip().upper()):
            raise ValidationError(f"“{field.data}” is not a currency code we know (e.g. KES).")


class InviteBusinessForm(OrganisationFields, FlaskForm):
    case_prefix = StringField(
        "Case reference prefix",
        validators=[
            DataRequired("Choose a short prefix for the business's case references."),
            Regexp(r"^[A-Za-z]{2,6}$", message="Use 2 to 6 letters, e.g. ACA."),
        ],
        description="Letters that start every case reference, e.g. ACA in ACA-2026-00042.",
    )
    admin_name = StringField(
        "Administrator's name",
        validators=[DataRequired("Enter the administrator's name."), Length(max=200)],
    )
    admin_email = EmailField(
        "Administrator's e-mail",
        validators=[
            DataRequired("Enter the administrator's e-mail."),
            Email("Enter an e-mail address like name@example.com.", check_deliverability=False),
            Length(max=254),
        ],
    )
