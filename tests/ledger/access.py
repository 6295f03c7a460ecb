"""Who may use the money routes. Agency users record and arrange; only an agency admin
closes, changes stage or reopens; only a business admin decides on a settlement; the business
withdraws. Another organisation's case, or a case not assigned to the caseworker, is a 404."""

from portal.models import Role
from tests.access_rules import AGENCY, BUSINESS

ACCESS = {
    "ledger.record_payment": AGENCY,
    "ledger.reverse_payment": AGENCY,
    "ledger.create_plan": AGENCY,
    "ledger.offer_settlement": AGENCY,
    "ledger.end_arrangement": AGENCY,
    "ledger.approve_settlement": frozenset({Role.BUSINESS_ADMIN}),
    "ledger.decline_settlement": frozenset({Role.BUSINESS_ADMIN}),
    "ledger.close_case": frozenset({Role.AGENCY_ADMIN}),
    "ledger.change_stage": frozenset({Role.AGENCY_ADMIN}),
    "ledger.reopen": frozenset({Role.AGENCY_ADMIN}),
    "ledger.withdraw": BUSINESS,
}


def _accepted(world):
    from portal.extensions import db
    from portal.models import CaseStatus
    from tests import factories

    case = factories.case(
        world.business,
        world.agency,
        status=CaseStatus.IN_COLLECTION,
        agreement_id=world.agreement.id,
        fee_rate_bps=3000,
        assigned_to_id=world.caseworker.id,
    )
    db.session.commit()
    return case.id


def _agency_outsiders(roles):
    """Another agency's admin; and a caseworker of this agency not assigned to the case."""
    if Role.CASEWORKER in roles:
        return lambda w: [w.other_agency_admin, w.other_caseworker]
    return lambda w: [w.other_agency_admin]


FOREIGN = {
    **{
        endpoint: ("case_id", _accepted, _agency_outsiders(roles))
        for endpoint, roles in ACCESS.items()
        if roles & AGENCY
    },
    **{
        endpoint: ("case_id", _accepted, lambda w: [w.other_business_admin])
        for endpoint, roles in ACCESS.items()
        if roles & BUSINESS
    },
}
