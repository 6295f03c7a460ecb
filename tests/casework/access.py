"""Who may use casework: agency people work cases (a caseworker only the ones assigned to them),
an agency admin sees the compliance view, the business resolves disputes, both sides write
messages. Another organisation's case, or a case not assigned to the caseworker, is a 404."""

from portal.models import Role
from tests.access_rules import AGENCY, BUSINESS, EVERYONE

ACCESS = {
    "casework.worklist": AGENCY,
    "casework.export_csv": AGENCY,
    "casework.compliance": frozenset({Role.AGENCY_ADMIN}),
    "casework.log_contact": AGENCY,
    "casework.set_profile": AGENCY,
    "casework.raise_dispute": AGENCY,
    "casework.resolve_dispute": BUSINESS,
    "casework.post_message": EVERYONE,
}


def _worked(world):
    from tests.casework.helpers import worked_case

    return worked_case(world).id


def _agency_outsiders(world):
    # A caseworker of the same agency the case is not assigned to, and another agency's admin.
    return [world.other_caseworker, world.other_agency_admin]


def _business_outsiders(world):
    return [world.other_business_admin]


def _everyone_outside(world):
    return [*_agency_outsiders(world), *_business_outsiders(world)]


FOREIGN = {
    "casework.log_contact": ("case_id", _worked, _agency_outsiders),
    "casework.set_profile": ("case_id", _worked, _agency_outsiders),
    "casework.raise_dispute": ("case_id", _worked, _agency_outsiders),
    "casework.resolve_dispute": ("case_id", _worked, _business_outsiders),
    "casework.post_message": ("case_id", _worked, _everyone_outside),
}
