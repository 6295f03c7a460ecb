"""The business's case list: filters, search, sort, pagination, and nothing breaks it."""

import re
from datetime import date

import pytest

from portal.cases import queries
from portal.extensions import db
from portal.models import AgreementStatus, CaseStatus, Invoice
from tests import factories


def _refs(page: str) -> list[str]:
    return re.findall(r">((?:ACA|BAO)-2026-\d{5})<", page)


def _cases(world):
    """Three placed cases and a draft of Acacia, and one case of Baobab."""
    fed = factories.debtor(world.business, name="Fedha Motors")
    factories.agreement(world.business, world.other_agency, AgreementStatus.ENDED)
    cases = {
        "small": factories.case(
            world.business, world.agency, CaseStatus.SUBMITTED, 5_000_00, debtor=fed
        ),
        "large": factories.case(world.business, world.agency, CaseStatus.ACCEPTED, 90_000_00),
        "other_agency": factories.case(
            world.business, world.other_agency, CaseStatus.IN_COLLECTION, 20_000_00
        ),
        "draft": factories.case(world.business, amount_minor=1_000_00),
        "foreign": factories.case(
            world.other_business, world.agency, CaseStatus.SUBMITTED, 7_000_00
        ),
    }
    cases["large"].invoices[0].due_date = date(2025, 1, 31)
    cases["large"].invoices[0].issue_date = date(2025, 1, 1)
    db.session.commit()
    return cases


def test_the_list_shows_only_the_businesss_own_cases(client, auth, world):
    cases = _cases(world)
    auth.login(world.business_member)
    page = client.get("/cases/").data.decode()
    assert set(_refs(page)) == {cases[k].reference for k in ("small", "large", "other_agency")}
    assert "Draft" in page
    assert cases["foreign"].reference not in page


def test_the_list_filters_by_status(client, auth, world):
    cases = _cases(world)
    auth.login(world.business_admin)
    page = client.get("/cases/?status=accepted").data.decode()
    assert _refs(page) == [cases["large"].reference]
    assert 'class="badge badge-status-accepted"' in page


def test_the_status_counts_link_to_the_filtered_list(client, auth, world):
    _cases(world)
    auth.login(world.business_admin)
    page = client.get("/cases/?q=a").data.decode()
    assert 'href="/cases/?status=submitted&amp;q=a"' in page
    assert re.search(r"Submitted <span class=\"count\">1</span>", page)


def test_the_list_filters_by_agency_and_by_debtor(client, auth, world):
    cases = _cases(world)
    auth.login(world.business_admin)
    page = client.get(f"/cases/?agency={world.other_agency.id}").data.decode()
    assert _refs(page) == [cases["other_agency"].reference]
    page = client.get(f"/cases/?debtor={cases['small'].debtor_id}").data.decode()
    assert _refs(page) == [cases["small"].reference]


def test_a_debtor_or_agency_of_another_business_is_not_a_filter(client, auth, world):
    cases = _cases(world)
    auth.login(world.business_admin)
    page = client.get(f"/cases/?debtor={cases['foreign'].debtor_id}").data.decode()
    assert len(_refs(page)) == 3  # ignored: the whole list


def test_the_list_searches_by_reference_or_debtor_name(client, auth, world):
    cases = _cases(world)
    auth.login(world.business_admin)
    assert _refs(client.get("/cases/?q=fedha").data.decode()) == [cases["small"].reference]
    ref = cases["large"].reference
    assert _refs(client.get(f"/cases/?q={ref.lower()}").data.decode()) == [ref]
    page = client.get("/cases/?q=nobody-by-this-name").data.decode()
    assert _refs(page) == [] and "No case matches these filters." in page


def test_search_wildcards_are_taken_literally(client, auth, world):
    _cases(world)
    auth.login(world.business_admin)
    assert _refs(client.get("/cases/?q=%25").data.decode()) == []
    assert _refs(client.get("/cases/?q=_").data.decode()) == []


def test_the_list_sorts_by_amount(client, auth, world):
    cases = _cases(world)
    auth.login(world.business_admin)
    largest_first = _refs(client.get("/cases/?sort=amount_desc").data.decode())
    order = [cases[k].reference for k in ("large", "other_agency", "small")]
    assert largest_first == order
    assert _refs(client.get("/cases/?sort=amount_asc").data.decode()) == order[::-1]


def test_the_list_sorts_by_age(client, auth, world):
    cases = _cases(world)
    auth.login(world.business_admin)
    oldest_first = _refs(client.get("/cases/?sort=age_desc").data.decode())
    assert oldest_first[0] == cases["large"].reference
    assert _refs(client.get("/cases/?sort=age_asc").data.decode())[-1] == cases["large"].reference


def test_the_list_totals_per_currency(client, auth, world):
    cases = _cases(world)
    usd = factories.case(world.business, world.agency, CaseStatus.SUBMITTED, 300_00)
    usd.currency = "USD"
    db.session.commit()
    listing = queries.case_list(world.business_admin, queries.Filters())
    assert listing.totals == [("KES", 4, 116_000_00), ("USD", 1, 300_00)]
    auth.login(world.business_admin)
    page = client.get("/cases/").data.decode()
    assert "Total in KES" in page and "Total in USD" in page
    assert cases["draft"].id  # the draft counts with what its invoices still say is owed


def test_the_list_is_paginated_and_the_pages_keep_the_filters(client, auth, world, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    for amount in (1, 2, 3, 4, 5):
        factories.case(world.business, world.agency, CaseStatus.SUBMITTED, amount * 1000_00)
    db.session.commit()
    auth.login(world.business_admin)
    first = client.get("/cases/?status=submitted&sort=amount_asc").data.decode()
    assert len(_refs(first)) == 2 and "Page 1 of 3" in first
    assert 'href="/cases/?status=submitted&amp;sort=amount_asc&amp;page=2"' in first
    second = client.get("/cases/?status=submitted&sort=amount_asc&page=2").data.decode()
    assert 'href="/cases/?status=submitted&amp;sort=amount_asc"' in second  # previous: page 1
    seen = (
        _refs(first)
        + _refs(second)
        + _refs(client.get("/cases/?status=submitted&sort=amount_asc&page=3").data.decode())
    )
    assert len(seen) == len(set(seen)) == 5
    # A page past the end shows the last one.
    assert "Page 3 of 3" in client.get("/cases/?status=submitted&page=99").data.decode()


def test_the_filter_links_keep_an_agency_or_debtor_whose_id_is_one(world):
    filters = queries.Filters(agency_id=1, debtor_id=1, sort="amount_desc")
    assert filters.args(page=2) == {"agency": 1, "debtor": 1, "sort": "amount_desc", "page": 2}


@pytest.mark.parametrize(
    "query",
    [
        "status=nonsense&agency=x&debtor=-1&sort=drop+table&page=abc",
        "page=-5",
        "page=99999999999999999999",
        "page=%00",
        "q=%00%00",
        "q=" + "x" * 5000,
        "status=&status=draft&page=1&page=2",
        "agency=1e9&debtor=%C3%A9",
        "q=%ZZ",
    ],
)
def test_garbage_query_strings_never_cause_a_500(client, auth, world, query):
    _cases(world)
    auth.login(world.business_admin)
    response = client.get(f"/cases/?{query}")
    assert response.status_code == 200


def test_a_new_business_is_told_how_to_create_its_first_case(client, auth, world):
    auth.login(world.business_admin)
    page = client.get("/cases/").data.decode()
    assert "Create your first case" in page and 'href="/cases/new"' in page
    assert "<table" not in page


def test_hostile_debtor_names_are_shown_escaped_in_the_list(client, auth, world):
    hostile = factories.debtor(world.business, name="<script>alert(1)</script> {{7*7}}")
    factories.case(world.business, debtor=hostile)
    db.session.commit()
    auth.login(world.business_admin)
    page = client.get("/cases/?q=%3Cscript%3E").data.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{7*7}}" in page
    main = re.sub(r'<td class="date">[^<]*</td>', "", page.split("<main", 1)[1])
    assert "49" not in main  # the dates are left out: the clock may read 15:49
    assert 'value="&lt;script&gt;"' in page  # the search box keeps the query, escaped


def test_days_past_due_count_from_the_oldest_unpaid_invoice(world):
    case = factories.case(world.business, world.agency, CaseStatus.SUBMITTED)
    case.invoices.append(
        Invoice(
            number="OLD",
            issue_date=date(2026, 1, 1),
            due_date=date(2026, 2, 1),
            amount_minor=100,
            paid_minor=100,  # paid: does not count
        )
    )
    db.session.commit()
    (row,) = queries.case_list(world.business_admin, queries.Filters()).rows
    assert row.days_past_due(date(2026, 9, 10)) == 10


def test_every_row_links_the_debtors_name_drafts_included(client, auth, world):
    cases = _cases(world)
    unnamed = factories.case(world.business, debtor=factories.debtor(world.business, name=""))
    db.session.commit()
    auth.login(world.business_member)
    page = client.get("/cases/").data.decode()
    draft = cases["draft"]
    assert f'<a href="/cases/{draft.id}">{draft.debtor.name}</a>' in page
    assert f'<a href="/cases/{unnamed.id}">Unnamed debtor</a>' in page
    assert f'<a href="/cases/{draft.id}">Draft' not in page
    placed = cases["small"]
    assert f'<a href="/cases/{placed.id}">{placed.debtor.name}</a>' in page
