"""Remittance statements: what the agency collected for a client in a period, and what is due."""

from flask import Blueprint

bp = Blueprint("statements", __name__, url_prefix="/statements")
