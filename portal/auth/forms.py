from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from portal.auth.passwords import MIN_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(
        "E-mail", validators=[DataRequired("Enter your e-mail address."), Length(max=254)]
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=1024)]
    )


class NewPasswordMixin:
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Choose a password."),
            Length(min=MIN_LENGTH, max=1024, message=f"Use at least {MIN_LENGTH} characters."),
        ],
        description=f"At least {MIN_LENGTH} characters. A short sentence is easy to remember.",
    )
    confirm = PasswordField(
        "Password again",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("password", message="The two passwords are not the same."),
        ],
    )


class AcceptInvitationForm(NewPasswordMixin, FlaskForm):
    name = StringField(
        "Your full name", validators=[DataRequired("Enter your name."), Length(max=200)]
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )
    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired("Choose a new password."),
            Length(min=MIN_LENGTH, max=1024, message=f"Use at least {MIN_LENGTH} characters."),
        ],
        description=f"At least {MIN_LENGTH} characters.",
    )
    confirm = PasswordField(
        "New password again",
        validators=[
            DataRequired("Type the new password again."),
            EqualTo("new_password", message="The two passwords are not the same."),
        ],
    )


__all__ = ["AcceptInvitationForm", "ChangePasswordForm", "Email", "LoginForm"]
