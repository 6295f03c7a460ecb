"""The case form with JavaScript (portal/static/case-form.js), in Chromium.

The browser talks to the app through the test client (every request is routed to it), so no
server runs. Skipped, with the reason, when Chromium or Playwright is not installed.
"""

import os
from datetime import date, timedelta
from pathlib import Path

import pytest

from portal.extensions import db
from tests import factories
from tests.cases.helpers import only_case

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = pytest.mark.skipif(
    sync_playwright is None or not Path(CHROMIUM).exists(),
    reason="the case form's script needs Playwright and Chromium",
)

ORIGIN = "http://portal.test"


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, client, auth, world):
    """A signed-in business admin's browser page; every request goes to the test client."""
    auth.login(world.business_admin)
    context = chromium.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.route(f"{ORIGIN}/**", lambda route: _forward(route, client))
    page.goto(f"{ORIGIN}/cases/new")
    yield page
    context.close()
    assert errors == []


def _forward(route, client) -> None:
    """Answer the browser's request with the test client's response."""
    request = route.request
    response = client.open(
        request.url.removeprefix(ORIGIN),
        method=request.method,
        data=request.post_data_buffer,
        headers={"Content-Type": request.headers.get("content-type", "")},
    )
    try:
        body = response.get_data()
    finally:
        response.close()
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    route.fulfill(status=response.status_code, headers=headers, body=body)


def _rows(page, name: str):
    return page.locator(f'[data-rows="{name}"] > [data-row]')


def _day(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


def test_adding_a_row_numbers_its_fields_like_the_server_does(page):
    before = _rows(page, "invoices").count()
    page.get_by_role("button", name="Add another invoice").click()
    assert _rows(page, "invoices").count() == before + 1
    new = _rows(page, "invoices").last
    assert new.locator("input").first.get_attribute("name") == f"invoices-{before}-number"
    assert new.get_by_label("Amount").get_attribute("id") == f"invoices-{before}-amount"
    assert new.locator("[data-row-number]").inner_text() == str(before + 1)
    assert page.url.endswith("/cases/new")  # no request was made


def test_removing_a_row_renumbers_the_rows_left(page):
    page.fill("#invoices-2-number", "THIRD")
    _rows(page, "invoices").nth(1).get_by_role("button", name="Remove invoice 2").click()
    assert _rows(page, "invoices").count() == 2
    assert page.input_value("#invoices-1-number") == "THIRD"
    assert page.locator("#invoices-2-number").count() == 0


def test_the_outstanding_total_follows_the_rows(page):
    total = page.locator("[data-outstanding]")
    page.fill("#invoices-0-amount", "45,000.00")
    page.fill("#invoices-0-paid", "5,000")
    page.fill("#invoices-1-amount", "12,500.50")
    assert total.inner_text() == "KES\xa052,500.50"
    page.fill("#invoices-1-paid", "500")
    assert total.inner_text() == "KES\xa052,000.50"
    page.fill("#invoices-1-paid", "not a number")  # what cannot be read counts as nothing
    assert total.inner_text() == "KES\xa052,500.50"
    _rows(page, "invoices").nth(1).get_by_role("button", name="Remove invoice 2").click()
    assert total.inner_text() == "KES\xa040,000.00"


def test_the_total_uses_the_currencys_own_minor_unit(page):
    page.fill("#currency", "jpy")
    page.fill("#invoices-0-amount", "1,234")
    page.fill("#invoices-1-amount", "10.5")  # JPY has no decimals: refused, counts as nothing
    assert page.locator("[data-outstanding]").inner_text() == "JPY\xa01,234"
    page.fill("#currency", "BHD")
    page.fill("#invoices-1-amount", "0.125")
    assert page.locator("[data-outstanding]").inner_text() == "BHD\xa01,234.125"


def test_picking_an_existing_debtor_hides_the_new_debtors_fields(world, chromium, client, auth):
    factories.debtor(world.business, name="Westlands Traders")
    db.session.commit()
    auth.login(world.business_admin)
    context = chromium.new_context()
    page = context.new_page()
    page.route(f"{ORIGIN}/**", lambda route: _forward(route, client))
    page.goto(f"{ORIGIN}/cases/new")
    debtor_name = page.locator("#debtor-name")
    assert debtor_name.is_visible()
    page.select_option("#debtor_id", label="Westlands Traders")
    assert not debtor_name.is_visible()
    page.select_option("#debtor_id", index=0)
    assert debtor_name.is_visible()
    context.close()


def test_rows_added_and_removed_in_the_browser_are_saved_as_shown(page, world):
    for n, amount in enumerate(("1,000", "2,000", "3,000")):
        page.fill(f"#invoices-{n}-number", f"INV-{n + 1}")
        page.fill(f"#invoices-{n}-issue_date", _day(90))
        page.fill(f"#invoices-{n}-due_date", _day(60))
        page.fill(f"#invoices-{n}-amount", amount)
    page.get_by_role("button", name="Add another invoice").click()
    page.fill("#invoices-3-number", "INV-4")
    page.fill("#invoices-3-issue_date", _day(80))
    page.fill("#invoices-3-due_date", _day(50))
    page.fill("#invoices-3-amount", "4,000")
    _rows(page, "invoices").nth(0).get_by_role("button", name="Remove invoice 1").click()
    page.fill("#debtor-name", "Kilimani Hardware Ltd")
    page.fill("#history-0-occurred_at", _day(5) + "T10:30")
    page.select_option("#history-0-channel", "letter")
    page.fill("#history-0-summary", "Sent a reminder")
    page.get_by_role("button", name="Save draft").last.click()
    page.wait_for_url("**/cases/*")
    case = only_case(world.business)
    assert sorted(i.number for i in case.invoices) == ["INV-2", "INV-3", "INV-4"]
    assert case.outstanding_minor == 9_000_00
