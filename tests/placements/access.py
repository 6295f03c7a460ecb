"""Who may use the placement queue: agency admins only; a case of another agency is a 404."""

from portal.models import Role

ACCESS = {
    "placements.index": frozenset({Role.AGENCY_ADMIN}),
    "placements.review": frozenset({Role.AGENCY_ADMIN}),
    "placements.accept": frozenset({Role.AGENCY_ADMIN}),
    "placements.reject": frozenset({Role.AGENCY_ADMIN}),
    "placements.ask": frozenset({Role.AGENCY_ADMIN}),
}


def _placed(world):
    from portal.extensions import db
    from portal.models import CaseStatus
    from tests import factories

    case = factories.case(
        world.business, world.agency, status=CaseStatus.SUBMITTED, agreement_id=world.agreement.id
    )
    db.session.commit()
    return case.id


FOREIGN = {
    endpoint: ("case_id", _placed, lambda w: [w.other_agency_admin])
    for endpoint in (
        "placements.review",
        "placements.accept",
        "placements.reject",
        "placements.ask",
    )
}
