"""The PDF case file: everything about one case, for both sides, in one download."""

from flask import Blueprint

bp = Blueprint("casefile", __name__)
