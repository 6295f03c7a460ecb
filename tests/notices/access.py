"""Who may use notifications: every signed-in role; another user's notification is a 404."""

from tests.access_rules import EVERYONE

ACCESS = {
    "notices.index": EVERYONE,
    "notices.open_notification": EVERYONE,
    "notices.read_all": EVERYONE,
    "notices.settings": EVERYONE,
}


def _owners_notification(world):
    from portal.extensions import db
    from portal.notifications import notify

    (note,) = notify([world.business_admin], "case_assigned", "For the owner only.")
    db.session.commit()
    return note.id


FOREIGN = {
    "notices.open_notification": (
        "notification_id",
        _owners_notification,
        # Someone else in the same organisation, the agency, and another business.
        lambda w: [w.business_member, w.agency_admin, w.other_business_admin],
    ),
}
