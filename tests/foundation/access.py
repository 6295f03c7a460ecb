"""Who may use the foundation's routes. Merged into the app-wide matrix in tests/test_access.py.

ACCESS: endpoint -> the roles that may use it (or PUBLIC).
FOREIGN: endpoint -> (URL argument, the object of business A or its agency, the users of other
organisations who must get 404 for it). `None` for the object means "an invitation's id".
"""

from portal.models import Role
from tests.access_rules import ADMINS, EVERYONE, PUBLIC

# endpoint -> the roles that may use it (or PUBLIC).
ACCESS: dict[str, frozenset[Role] | str] = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.accept_invitation": PUBLIC,
    "dashboard.index": PUBLIC,
    "dashboard.home": EVERYONE,
    "auth.change_password": EVERYONE,
    "orgs.users": ADMINS,
    "orgs.deactivate": ADMINS,
    "orgs.activate": ADMINS,
    "orgs.revoke_invitation": ADMINS,
    "orgs.clients": frozenset({Role.AGENCY_ADMIN}),
    "agreements.index": EVERYONE,
    "agreements.propose": frozenset({Role.AGENCY_ADMIN}),
    "agreements.show": EVERYONE,
    "agreements.accept": frozenset({Role.BUSINESS_ADMIN}),
    "agreements.end": ADMINS,
}

# endpoint -> (URL argument, the object of business A / its agency, users that must get 404).
FOREIGN = {
    "orgs.deactivate": (
        "user_id",
        lambda w: w.business_member.id,
        lambda w: [w.other_business_admin, w.agency_admin],
    ),
    "orgs.activate": (
        "user_id",
        lambda w: w.caseworker.id,
        lambda w: [w.other_agency_admin, w.business_admin],
    ),
    "agreements.show": (
        "agreement_id",
        lambda w: w.agreement.id,
        lambda w: [w.other_business_admin, w.other_agency_admin],
    ),
    "agreements.accept": (
        "agreement_id",
        lambda w: w.agreement.id,
        lambda w: [w.other_business_admin],
    ),
    "agreements.end": (
        "agreement_id",
        lambda w: w.agreement.id,
        lambda w: [w.other_business_admin, w.other_agency_admin],
    ),
    "orgs.revoke_invitation": (
        "invitation_id",
        None,
        lambda w: [w.other_business_admin, w.agency_admin],
    ),
}
