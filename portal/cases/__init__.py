"""The business's handover: case form, drafts, checklist, submission, withdrawal, list, page."""

from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")
