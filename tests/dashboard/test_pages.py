"""The dashboard pages: figures link to their lists, the chart, empty states, the lists."""

import re
from datetime import timedelta

import pytest

from portal.dashboard import services as s
from portal.models import AgreementStatus, ArrangementStatus, CaseStatus, OrgKind, Role, utcnow
from tests import factories
from tests.dashboard import helpers as h


def _today(user):
    return s.local_today(user, utcnow())


def _case_links(html: str) -> set[str]:
    return set(re.findall(r'href="/cases/(\d+)"', html))


def test_the_business_dashboard_links_every_figure_to_its_list(client, auth, world):
    today = _today(world.business_admin)
    case = h.placed_case(world.business, world.agency, amount=150_000, due=today - timedelta(45))
    h.recovery(case, 50_000, today)
    h.settle()
    auth.login(world.business_admin)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "KES\u00a01,500.00" in html and "KES\u00a0500.00" in html  # placed, recovered
    assert 'href="/cases/?status=in_collection"' in html
    assert 'href="/dashboard/placed"' in html and 'href="/dashboard/recovered"' in html
    assert 'href="/dashboard/open?age=31-60"' in html
    assert f'href="/cases/?agency={world.agency.id}"' in html
    assert f'href="/dashboard/recovered?month={today:%Y-%m}"' in html
    assert "33.33 %" in html  # recovery rate: 50,000 of 150,000


def test_the_recoveries_chart_is_inline_svg_with_a_table_and_no_script(client, auth, world):
    today = _today(world.business_admin)
    case = h.placed_case(world.business, world.agency)
    h.recovery(case, 12_300, today)
    h.settle()
    auth.login(world.business_admin)
    html = client.get("/dashboard").get_data(as_text=True)
    assert '<svg class="bar-chart"' in html and 'aria-labelledby="chart-KES chart-KES-desc"' in html
    assert html.count('class="bar"') == 1  # one month with money, eleven empty
    assert "The amounts as a table" in html and "<caption" in html
    assert "<script" not in html and "cdn" not in html.lower()
    assert not re.search(r'(src|href)="https?://', html)


def test_a_new_business_without_an_agreement_is_told_to_ask_an_agency(client, auth, app):
    business = factories.organisation(OrgKind.BUSINESS, "Mvule Traders")
    admin = factories.user(business, Role.BUSINESS_ADMIN)
    h.settle()
    auth.login(admin)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Ask the agency you want to work with to propose one" in html
    assert "Hand over your first overdue account" in html
    assert 'href="/cases/new"' in html


def test_a_proposed_agreement_invites_the_business_admin_to_accept_it(client, auth, app):
    business = factories.organisation(OrgKind.BUSINESS, "Mvule Traders")
    agency = factories.organisation(OrgKind.AGENCY, "Simba Collections")
    factories.agreement(business, agency, status=AgreementStatus.PROPOSED)
    admin = factories.user(business, Role.BUSINESS_ADMIN)
    member = factories.user(business, Role.BUSINESS_MEMBER)
    h.settle()
    auth.login(admin)
    assert "Read and accept them" in client.get("/dashboard").get_data(as_text=True)
    auth.logout()
    auth.login(member)
    assert "Ask an admin of Mvule Traders" in client.get("/dashboard").get_data(as_text=True)


def test_an_agency_without_clients_is_told_to_invite_and_propose(client, auth, app):
    agency = factories.organisation(OrgKind.AGENCY, "Simba Collections")
    admin = factories.user(agency, Role.AGENCY_ADMIN)
    h.settle()
    auth.login(admin)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "First, a client" in html and 'href="/agreements/new"' in html


def test_the_agency_dashboard_lists_late_placements_first_and_links_to_the_queue(
    client, auth, world
):
    now = utcnow()
    h.placed_case(
        world.business, world.agency, status=CaseStatus.SUBMITTED, answer_due_at=now + timedelta(1)
    )
    late = h.placed_case(
        world.business, world.agency, status=CaseStatus.SUBMITTED, answer_due_at=now - timedelta(1)
    )
    h.settle()
    auth.login(world.agency_admin)
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/placements/"' in html and "1 late" in html
    first = re.search(r'href="/placements/(\d+)"', html).group(1)
    assert first == str(late.id)
    for figure in ("working", "promises", "broken", "flagged"):
        assert f'href="/dashboard/{figure}"' in html


def test_a_caseworker_dashboard_has_no_placement_queue_and_says_when_nothing_is_assigned(
    client, auth, world
):
    auth.login(world.caseworker)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Placements awaiting an answer" not in html and "By caseworker" not in html
    assert "No case is assigned to you yet" in html


def test_the_age_bucket_list_shows_exactly_the_cases_the_figure_counts(client, auth, world):
    today = _today(world.business_admin)
    inside = h.placed_case(world.business, world.agency, due=today - timedelta(days=31))
    edge = h.placed_case(world.business, world.agency, due=today - timedelta(days=60))
    h.placed_case(world.business, world.agency, due=today - timedelta(days=30))
    h.placed_case(world.business, world.agency, due=today - timedelta(days=61))
    h.placed_case(world.other_business, world.agency, due=today - timedelta(days=40))
    h.settle()
    auth.login(world.business_admin)
    html = client.get("/dashboard/open?age=31-60").get_data(as_text=True)
    assert "Open balances 31–60 days past due" in html
    assert _case_links(html) == {str(inside.id), str(edge.id)}


def test_the_month_list_shows_the_cases_paid_in_that_month(client, auth, world):
    paid = h.placed_case(world.business, world.agency)
    h.placed_case(world.business, world.agency)
    earlier = h.placed_case(world.business, world.agency)
    h.recovery(paid, 1_000, h.date(2026, 5, 31))
    h.recovery(earlier, 1_000, h.date(2026, 4, 30))
    h.settle()
    auth.login(world.business_admin)
    html = client.get("/dashboard/recovered?month=2026-05").get_data(as_text=True)
    assert "Money recovered in May 2026" in html
    assert _case_links(html) == {str(paid.id)}


def test_agency_lists_show_the_rows_their_figures_count(client, auth, world):
    now = utcnow()
    flagged = h.placed_case(world.business, world.agency, assigned_to=world.caseworker)
    h.contact(flagged, now - timedelta(days=1), breach=True)
    broken = h.placed_case(world.business, world.agency, assigned_to=world.other_caseworker)
    h.plan(broken, ArrangementStatus.BROKEN)
    promised = h.placed_case(world.business, world.agency)
    h.contact(promised, now - timedelta(days=3), promise_date=_today(world.agency_admin))
    h.settle()
    auth.login(world.agency_admin)
    assert _case_links(client.get("/dashboard/flagged").get_data(as_text=True)) == {str(flagged.id)}
    assert _case_links(client.get("/dashboard/broken").get_data(as_text=True)) == {str(broken.id)}
    assert _case_links(client.get("/dashboard/promises").get_data(as_text=True)) == {
        str(promised.id)
    }
    html = client.get(f"/dashboard/working?caseworker={world.caseworker.id}").get_data(as_text=True)
    assert _case_links(html) == {str(flagged.id)} and "assigned to" in html
    html = client.get("/dashboard/working?caseworker=none").get_data(as_text=True)
    assert _case_links(html) == {str(promised.id)}
    auth.logout()
    auth.login(world.caseworker)
    html = client.get("/dashboard/working").get_data(as_text=True)
    assert _case_links(html) == {str(flagged.id)}


def test_a_filter_naming_another_organisation_shows_nothing_of_it(client, auth, world):
    h.placed_case(world.business, world.agency)
    h.settle()
    auth.login(world.other_agency_admin)
    html = client.get(f"/dashboard/working?client={world.business.id}").get_data(as_text=True)
    assert _case_links(html) == set() and "Acacia" not in html


@pytest.mark.parametrize(
    ("who", "figure"),
    [("business_admin", "promises"), ("agency_admin", "placed"), ("caseworker", "nonsense")],
)
def test_a_figure_of_the_other_side_or_unknown_is_not_found(client, auth, world, who, figure):
    auth.login(getattr(world, who))
    assert client.get(f"/dashboard/{figure}").status_code == 404


def test_nonsense_in_the_query_string_is_ignored(client, auth, world):
    h.placed_case(world.business, world.agency)
    h.settle()
    auth.login(world.business_admin)
    for query in ("age=zzz", "month=2026-13", "page=abc", "page=99999", "agency=x%00", "age="):
        response = client.get(f"/dashboard/open?{query}")
        assert response.status_code == 200, query
        assert len(_case_links(response.get_data(as_text=True))) == 1, query


def test_an_agency_with_clients_but_no_cases_is_told_where_placements_arrive(client, auth, world):
    auth.login(world.agency_admin)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "No case has been placed with Nairobi Recovery yet" in html
    assert "Open cases by status" not in html
