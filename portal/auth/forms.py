from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from portal.auth.passwords import MIN_LENGTH
from portal.forms import confirm_box


class LoginForm(FlaskForm):
    email = EmailField(
        "E-mail",
        validators=[DataRequired("Enter your e-mail address."), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


class NewPasswordMixin:
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Choose a password."),
            Length(min=MIN_LENGTH, max=1024, message=f"Use at least {MIN_LENGTH} characters."),
        ],
        description=f"At least {MIN_LENGTH} characters. A short sentence is easy to remember.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Password again",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("password", message="The two passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class AcceptInvitationForm(NewPasswordMixin, FlaskForm):
    name = StringField(
        "Your full name", validators=[DataRequired("Enter your name."), Length(max=200)]
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired("Choose a new password."),
            Length(min=MIN_LENGTH, max=1024, message=f"Use at least {MIN_LENGTH} characters."),
        ],
        description=f"At least {MIN_LENGTH} characters, not one of the most common passwords.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "New password again",
        validators=[
            DataRequired("Type the new password again."),
            EqualTo("new_password", message="The two passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "E-mail",
        validators=[
            DataRequired("Enter the e-mail address you sign in with."),
            Email("Enter an e-mail address like name@example.com."),
            Length(max=254),
        ],
    )


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


class ReauthenticateForm(FlaskForm):
    reauth_password = PasswordField(
        "Your password",
        validators=[DataRequired("Enter your password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


class CodeForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[DataRequired("Enter the code."), Length(max=64)],
        description="The 6 digits your authenticator app shows now, or one of your recovery codes.",
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"},
    )


class ConfirmTwoFactorForm(FlaskForm):
    code = StringField(
        "Code from your app",
        validators=[DataRequired("Enter the 6 digits your app shows."), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class DisableTwoFactorForm(FlaskForm):
    """Turning two-factor sign-in off: the password, a code and the box that confirms it. Its
    fields are prefixed (`disable-password`...) so they do not share an id with the recovery
    codes form on the same page."""

    password = PasswordField(
        "Your password",
        validators=[DataRequired("Enter your password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        "Code from your app, or a recovery code",
        validators=[DataRequired("Enter a code."), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "off"},
    )
    confirm = confirm_box("Yes, turn off two-factor sign-in: my password alone will sign me in")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="disable", **kwargs)


class RecoveryCodesForm(FlaskForm):
    password = PasswordField(
        "Your password",
        validators=[DataRequired("Enter your password."), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


__all__ = [
    "AcceptInvitationForm",
    "ChangePasswordForm",
    "CodeForm",
    "ConfirmTwoFactorForm",
    "DisableTwoFactorForm",
    "ForgotPasswordForm",
    "LoginForm",
    "ReauthenticateForm",
    "RecoveryCodesForm",
    "ResetPasswordForm",
]
