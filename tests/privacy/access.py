"""Who may use the privacy pages: the audit trail for both admins; a debtor's export and erasure
for the business admin only; another business's debtor is a 404."""

from portal.models import Role

BUSINESS_ADMIN = frozenset({Role.BUSINESS_ADMIN})
ACCESS = {
    "privacy.audit_trail": frozenset({Role.BUSINESS_ADMIN, Role.AGENCY_ADMIN}),
    "privacy.debtors": BUSINESS_ADMIN,
    "privacy.debtor": BUSINESS_ADMIN,
    "privacy.export_json": BUSINESS_ADMIN,
    "privacy.export_zip": BUSINESS_ADMIN,
    "privacy.erase": BUSINESS_ADMIN,
}


def _debtor(world):
    from portal.extensions import db
    from tests import factories

    debtor = factories.debtor(world.business, name="Wanjiru Kamau")
    db.session.commit()
    return debtor.id


FOREIGN = {
    endpoint: ("debtor_id", _debtor, lambda w: [w.other_business_admin])
    for endpoint in (
        "privacy.debtor",
        "privacy.export_json",
        "privacy.export_zip",
        "privacy.erase",
    )
}
