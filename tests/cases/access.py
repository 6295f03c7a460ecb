"""Who may use the business's case pages.

Business admins and members use every page; agency people get 403, except the case page, which
any signed-in user may open when tenancy lets them see the case. Another business's case is 404.
"""

from portal.models import Role
from tests.access_rules import BUSINESS

ACCESS = {
    "cases.index": BUSINESS,
    "cases.export_csv": BUSINESS,
    "cases.new": BUSINESS,
    "cases.edit": BUSINESS,
    "cases.show": frozenset(Role),
    "cases.submit": BUSINESS,
    "cases.withdraw": BUSINESS,
    "cases.answer": BUSINESS,
    "cases.add_history": BUSINESS,
    "cases.delete": BUSINESS,
}


def _draft(world):
    from portal.extensions import db
    from tests import factories

    case = factories.case(world.business)
    db.session.commit()
    return case.id


def _placed(world):
    from portal.extensions import db
    from portal.models import CaseStatus
    from tests import factories

    case = factories.case(
        world.business, world.agency, status=CaseStatus.SUBMITTED, agreement_id=world.agreement.id
    )
    db.session.commit()
    return case.id


def _other_business(world):
    return [world.other_business_admin]


def _outsiders(world):
    # Another business, an agency the case is not placed with, and a caseworker it is not
    # assigned to.
    return [world.other_business_admin, world.other_agency_admin, world.caseworker]


FOREIGN = {
    "cases.show": ("case_id", _placed, _outsiders),
    "cases.edit": ("case_id", _draft, _other_business),
    "cases.submit": ("case_id", _draft, _other_business),
    "cases.withdraw": ("case_id", _placed, _other_business),
    "cases.answer": ("case_id", _placed, _other_business),
    "cases.add_history": ("case_id", _placed, _other_business),
    "cases.delete": ("case_id", _draft, _other_business),
}
