"""The upload form on a case's documents panel."""

from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import MultipleFileField, SelectField, StringField
from wtforms.validators import Length

from portal.documents.checks import ACCEPTED_SUMMARY, EXTENSION_KINDS

ACCEPT_ATTRIBUTE = ",".join(f".{ext}" for ext in EXTENSION_KINDS)


class UploadDocumentsForm(FlaskForm):
    files = MultipleFileField(
        "Files", description=ACCEPTED_SUMMARY, render_kw={"accept": ACCEPT_ATTRIBUTE}
    )
    description = StringField(
        "Description (optional)",
        validators=[Length(max=300, message="Keep the description under 300 characters.")],
        description="Applies to every file you add now, e.g. “Signed contract”.",
    )
    correspondence_id = SelectField(
        "Belongs to a contact in the history (optional)",
        coerce=int,
        default=0,
        validate_choice=False,
    )

    def chosen_files(self) -> list[FileStorage]:
        """The files actually chosen (a browser sends one empty part when none was)."""
        return [
            f
            for f in (self.files.data or [])
            if isinstance(f, FileStorage) and (f.filename or "").strip()
        ]
