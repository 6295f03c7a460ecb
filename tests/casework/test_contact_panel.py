"""The rules-of-contact panel on the case page, through the route, with a fixed clock."""

import pytest

from portal.models import CaseStatus, ContactOutcome
from tests import factories
from tests.casework.helpers import NAIROBI, NEW_YORK, at, freeze, logged, worked_case

YES = "You may call"
NO = "Do not call"


def panel(client, case):
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("hour", "minute", "verdict"),
    [(7, 59, NO), (8, 0, YES), (20, 59, YES), (21, 0, NO)],
)
def test_contact_panel_calling_window_edges_in_the_debtors_zone(
    client, auth, world, monkeypatch, hour, minute, verdict
):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, hour, minute))
    auth.login(world.caseworker)
    page = panel(client, case)
    assert verdict in page
    assert (YES if verdict == NO else NO) not in page


def test_contact_panel_window_edge_across_daylight_saving_change(client, auth, world, monkeypatch):
    # New York moved to EDT on Sunday 8 March 2026: 08:00 on the 9th is 12:00 UTC, not 13:00.
    debtor = factories.debtor(world.business)
    debtor.country, debtor.timezone = "US", "America/New_York"
    case = worked_case(world, debtor=debtor)
    auth.login(world.caseworker)
    freeze(monkeypatch, at(NEW_YORK, 2026, 3, 9, 7, 59))
    assert NO in panel(client, case)
    freeze(monkeypatch, at(NEW_YORK, 2026, 3, 9, 8, 0))
    assert YES in panel(client, case)


def test_contact_panel_says_why_and_the_next_permitted_moment(client, auth, world, monkeypatch):
    case = worked_case(world)
    logged(case, world.caseworker, at(NAIROBI, 2026, 3, 3, 9, 0))
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 15, 0))
    auth.login(world.caseworker)
    page = panel(client, case)
    assert NO in page
    assert "the limit is 1 a day" in page
    # The next day at 08:00 in Nairobi, shown in the caseworker's zone (also Nairobi).
    assert "4 Mar 2026, 08:00" in page


def test_contact_panel_seventh_call_in_7_days_allowed_eighth_refused(
    client, auth, world, monkeypatch
):
    world.agreement.calls_per_day = 3
    case = worked_case(world)
    for day in range(2, 8):  # six calls, 2-7 March
        logged(case, world.caseworker, at(NAIROBI, 2026, 3, day, 9, 0))
    auth.login(world.caseworker)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 7, 12, 0))
    assert YES in panel(client, case)
    logged(case, world.caseworker, at(NAIROBI, 2026, 3, 7, 12, 0))
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 8, 12, 0))
    page = panel(client, case)
    assert NO in page and "the limit is 7 in any 7 days" in page


def test_contact_panel_day_7_after_conversation_refused_day_8_allowed(
    client, auth, world, monkeypatch
):
    case = worked_case(world)
    logged(case, world.caseworker, at(NAIROBI, 2026, 3, 2, 15, 0), ContactOutcome.CONVERSATION)
    auth.login(world.caseworker)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 8, 10, 0))
    assert NO in panel(client, case)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 9, 8, 0))
    assert YES in panel(client, case)


def test_contact_panel_uses_the_agreements_policy(client, auth, world, monkeypatch):
    world.agreement.window_start = world.agreement.window_start.replace(hour=9)
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 8, 30))
    auth.login(world.caseworker)
    page = panel(client, case)
    assert NO in page and "allowed 09:00–21:00" in page


def test_contact_panel_stop_request_stops_contact_for_good(client, auth, world, monkeypatch):
    case = worked_case(world)
    logged(
        case,
        world.caseworker,
        at(NAIROBI, 2026, 3, 1, 10, 0),
        ContactOutcome.STOP_REQUESTED,
        summary="Asked us to stop calling",
    )
    freeze(monkeypatch, at(NAIROBI, 2026, 4, 1, 10, 0))
    auth.login(world.caseworker)
    page = panel(client, case)
    assert NO in page and "asked for contact to stop" in page and "No further contact" in page


def test_contact_panel_not_shown_to_the_business(client, auth, world, monkeypatch):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.business_admin)
    page = panel(client, case)
    assert YES not in page and NO not in page and "May we call" not in page


def test_contact_panel_not_shown_on_a_closed_case(client, auth, world, monkeypatch):
    case = worked_case(world, status=CaseStatus.CLOSED, close_code="returned")
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 0))
    auth.login(world.caseworker)
    assert "May we call" not in panel(client, case)
