"""Every money route, with real ids: the unassigned caseworker and another agency get 404,
the business gets 403 on agency actions, the agency 403 on the business's decisions."""

import pytest

from portal.extensions import db
from portal.ledger import services
from portal.models import Role
from tests.ledger.access import ACCESS
from tests.ledger.helpers import TODAY, accepted

ROUTES = {
    "ledger.record_payment": "/cases/{case}/payments",
    "ledger.reverse_payment": "/cases/{case}/payments/{recovery}/reverse",
    "ledger.create_plan": "/cases/{case}/plan",
    "ledger.offer_settlement": "/cases/{case}/settlement",
    "ledger.end_arrangement": "/cases/{case}/arrangements/{settlement}/end",
    "ledger.approve_settlement": "/cases/{case}/settlement/{settlement}/approve",
    "ledger.decline_settlement": "/cases/{case}/settlement/{settlement}/decline",
    "ledger.close_case": "/cases/{case}/close",
    "ledger.change_stage": "/cases/{case}/stage",
    "ledger.reopen": "/cases/{case}/reopen",
    "ledger.withdraw": "/cases/{case}/withdraw-accepted",
}


def test_every_ledger_route_is_in_this_table():
    assert set(ROUTES) == set(ACCESS)


@pytest.fixture
def ids(world):
    case = accepted(world)
    data = services.PaymentData(100_00, TODAY, "cash", "", services.PaidTo.AGENCY, "a")
    recovery, _ = services.record_payment(case, world.caseworker, data, TODAY)
    settlement = services.offer_settlement(case, world.caseworker, 1_00, "")
    db.session.commit()
    return {"case": case.id, "recovery": recovery.id, "settlement": settlement.id}


def _who(world):
    return {
        "unassigned caseworker": (world.other_caseworker, Role.CASEWORKER),
        "other agency admin": (world.other_agency_admin, Role.AGENCY_ADMIN),
        "other business admin": (world.other_business_admin, Role.BUSINESS_ADMIN),
        "business admin": (world.business_admin, Role.BUSINESS_ADMIN),
        "business member": (world.business_member, Role.BUSINESS_MEMBER),
        "caseworker": (world.caseworker, Role.CASEWORKER),
        "agency admin": (world.agency_admin, Role.AGENCY_ADMIN),
    }


OUTSIDERS = {"unassigned caseworker", "other agency admin", "other business admin"}


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_outsiders_get_404_and_wrong_roles_403(client, auth, world, ids, endpoint):
    url = ROUTES[endpoint].format(**ids)
    for label, (person, role) in _who(world).items():
        auth.logout()
        auth.login(person)
        status = client.post(url, data={}).status_code
        if role not in ACCESS[endpoint]:
            assert status == 403, (label, endpoint)
        elif label in OUTSIDERS:
            assert status == 404, (label, endpoint)
        else:
            assert status not in (403, 404, 500), (label, endpoint, status)


def test_a_payment_of_another_case_is_not_found_through_this_one(client, auth, world, ids):
    other = accepted(world)
    auth.login(world.caseworker)
    url = f"/cases/{other.id}/payments/{ids['recovery']}/reverse"
    assert client.post(url, data={}).status_code == 404


def test_a_get_on_a_money_route_is_not_allowed(client, auth, world, ids):
    auth.login(world.caseworker)
    assert client.get(ROUTES["ledger.record_payment"].format(**ids)).status_code == 405
