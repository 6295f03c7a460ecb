"""Notifications: the in-portal list, the header's unread count, e-mail settings, the sender."""

from flask import Blueprint
from flask_login import current_user

bp = Blueprint("notices", __name__)


@bp.app_template_global("unread_notifications")
def unread_notifications() -> int:
    """The signed-in user's unread count for the header (0 for visitors)."""
    if not getattr(current_user, "is_authenticated", False):
        return 0
    from portal.notifications import unread_count

    return unread_count(current_user)
