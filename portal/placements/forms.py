from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms import choices, confirm_box
from portal.placements.services import REJECTION_REASONS


class AcceptForm(FlaskForm):
    caseworker_id = SelectField(
        "Assign to", coerce=int, validators=[DataRequired("Choose a caseworker.")]
    )

    def set_people(self, people) -> None:
        self.caseworker_id.choices = choices(
            [(0, "Choose…"), *((u.id, f"{u.name} ({u.role.label})") for u in people)]
        )


class RejectForm(FlaskForm):
    reason = SelectField(
        "Reason",
        validators=[DataRequired("Choose a reason.")],
        choices=choices([("", "Choose…"), *REJECTION_REASONS.items()]),
    )
    note = TextAreaField("Explanation for the business", validators=[Optional(), Length(max=4000)])
    confirm = confirm_box("Yes, reject this placement: the case closes as rejected")


class AskForm(FlaskForm):
    question = TextAreaField(
        "Your question to the business",
        validators=[DataRequired("Write the question."), Length(max=4000)],
    )
