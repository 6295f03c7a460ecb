"""The dashboards are SQL aggregates: the number of queries does not grow with the cases."""

from datetime import timedelta

import pytest

from portal.models import ArrangementStatus, CaseStatus, OrgKind, utcnow
from tests import factories
from tests.dashboard import helpers as h
from tests.querycount import counting


def _populate(world, n: int) -> None:
    """`n` cases of each kind a figure counts, in two currencies, with two agencies and clients."""
    second = factories.organisation(OrgKind.AGENCY, f"Second Agency {n}")
    factories.agreement(world.business, second)
    now, today = utcnow(), utcnow().date()
    workers = [world.caseworker, world.other_caseworker, None]
    for i in range(n):
        business = world.business if i % 2 else world.other_business
        agency = second if (i % 5 == 0 and business is world.business) else world.agency
        case = h.placed_case(
            business,
            agency,
            currency="USD" if i % 3 == 0 else "KES",
            due=today - timedelta(days=i * 9),
            assigned_to=workers[i % 3] if agency is world.agency else None,
        )
        h.recovery(case, 1_000 + i, today - timedelta(days=i * 11))
        h.charge(case, 50)
        h.contact(case, now - timedelta(days=i % 40), promise_date=today, breach=i % 2 == 0)
        h.plan(case, ArrangementStatus.BROKEN if i % 2 else ArrangementStatus.ACTIVE, missed=True)
        h.placed_case(
            business,
            agency,
            status=CaseStatus.SUBMITTED,
            answer_due_at=now + timedelta(hours=i - n / 2),
        )
    h.settle()


def _queries(client, auth, user, url: str) -> int:
    auth.login(user)
    with counting() as seen:
        response = client.get(url)
    assert response.status_code == 200
    auth.logout()
    return len(seen)


PAGES = [
    ("business_admin", "/dashboard"),
    ("business_member", "/dashboard"),
    ("agency_admin", "/dashboard"),
    ("caseworker", "/dashboard"),
    ("business_admin", "/dashboard/open?age=0-30"),
    ("agency_admin", "/dashboard/promises"),
]


@pytest.mark.parametrize(("who", "url"), PAGES)
def test_the_number_of_queries_is_the_same_for_5_cases_and_for_50(client, auth, world, who, url):
    _populate(world, 5)
    few = _queries(client, auth, getattr(world, who), url)
    _populate(world, 45)
    many = _queries(client, auth, getattr(world, who), url)
    assert few == many
    assert 0 < few < 25, few
