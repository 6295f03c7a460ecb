"""Accessibility of the main pages: axe-core finds no serious or critical violation, every
input has a label, headings go in order, and the case form can be used from the keyboard."""

from itertools import pairwise

import pytest

from tests.e2e.conftest import AXE
from tests.e2e.setup_data import DEBTORS

PAGES = {
    "owner@acacia.example": ["/dashboard", "/cases/", "/cases/new", "/agreements/", "/imports/"],
    "admin@agency.example": ["/dashboard", "/placements/", "/work", "/compliance", "/clients"],
    "caseworker@agency.example": ["/dashboard", "/work"],
}


# The pages forbid inline scripts (Content-Security-Policy script-src 'self'), so axe-core is
# served from the portal's own origin by the browser itself instead of being inlined.
AXE_URL = "/__e2e__/axe.min.js"


def _fulfil_axe(route) -> None:
    route.fulfill(path=str(AXE), content_type="application/javascript")


def _axe_violations(page) -> list[dict]:
    page.route(f"**{AXE_URL}", _fulfil_axe)
    try:
        page.add_script_tag(url=AXE_URL)
    finally:
        page.unroute(f"**{AXE_URL}", _fulfil_axe)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def _describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(n["target"][0] for n in v["nodes"][:5])
        for v in violations
    )


def _heading_levels_in_order(page) -> list[str]:
    levels = page.eval_on_selector_all(
        "h1, h2, h3, h4, h5, h6", "els => els.map(e => Number(e.tagName[1]))"
    )
    problems = []
    if levels and levels[0] != 1:
        problems.append(f"the first heading is h{levels[0]}")
    for before, after in pairwise(levels):
        if after > before + 1:
            problems.append(f"h{before} followed by h{after}")
    return problems


def _unlabelled_inputs(page) -> list[str]:
    return page.eval_on_selector_all(
        "input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea",
        """els => els.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                   && !e.getAttribute('aria-labelledby') && !e.closest('template')
                   && e.offsetParent !== null).map(e => e.name || e.id)""",
    )


def _duplicate_ids(page) -> list[str]:
    """An id used twice sends a label (or a link, or aria-describedby) to the wrong element."""
    return page.eval_on_selector_all(
        "[id]:not(template *):not(input[type=hidden])",
        """els => { const seen = {}; els.forEach(e => { seen[e.id] = (seen[e.id] || 0) + 1; });
                    return Object.keys(seen).filter(id => seen[id] > 1); }""",
    )


def _problems_of(page, where: str) -> list[str]:
    problems = []
    violations = _axe_violations(page)
    if violations:
        problems.append(f"{where}:\n{_describe(violations)}")
    problems += [f"{where}: {p}" for p in _heading_levels_in_order(page)]
    problems += [f"{where}: input without a label: {n}" for n in _unlabelled_inputs(page)]
    problems += [f"{where}: id used more than once: {i}" for i in _duplicate_ids(page)]
    return problems


@pytest.mark.parametrize("email", list(PAGES))
def test_main_pages_have_no_serious_accessibility_violations(person, email):
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `make e2e-deps` (npm)")
    who = person(email)
    problems = []
    for path in PAGES[email]:
        response = who.page.goto(path)
        if response.status == 404:
            problems.append(f"{path}: not found")
            continue
        problems += _problems_of(who.page, path)
    assert not problems, "\n".join(problems)


# The case pages, opened from each person's own list: an accepted case with a payment on it
# (both sides) and the first placement waiting for the agency's answer.
CASE_PAGES = {
    "owner@acacia.example": ("/cases/", DEBTORS["recovered"]),
    "caseworker@agency.example": ("/work", DEBTORS["recovered"]),
    "admin@agency.example": ("/placements/", None),
}


@pytest.mark.parametrize("email", list(CASE_PAGES))
def test_case_pages_have_no_serious_accessibility_violations(person, email):
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `make e2e-deps` (npm)")
    page = person(email).page
    listing, debtor = CASE_PAGES[email]
    page.goto(listing)
    rows = page.get_by_role("row").filter(has=page.get_by_role("link"))
    row = rows.filter(has_text=debtor) if debtor else rows.first
    with page.expect_navigation():
        row.get_by_role("link").first.click()
    problems = _problems_of(page, page.url)
    assert not problems, "\n".join(problems)


def _tab_to(page, name: str) -> None:
    """Press Tab until the field called `name` has the focus (a date box takes several)."""
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.name") == name:
            return
    raise AssertionError(f"Tab never reached {name}")


def test_the_case_form_can_be_filled_and_saved_from_the_keyboard(person):
    clerk = person("clerk@acacia.example")
    page = clerk.page
    page.goto("/cases/new")
    page.get_by_label("Name", exact=True).focus()
    page.keyboard.type("Keyboard Only Traders")
    page.get_by_label("Invoice number").first.focus()
    page.keyboard.type("KB-1")
    # Chromium's date box (the browser runs in en-US) takes month, day and year in turn.
    _tab_to(page, "invoices-0-issue_date")
    page.keyboard.type("09012026")
    _tab_to(page, "invoices-0-due_date")
    page.keyboard.type("10012026")
    _tab_to(page, "invoices-0-amount")
    page.keyboard.type("1200")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter saves the draft, it does not add a row
    assert page.get_by_role("heading", name="Draft: Keyboard Only Traders").is_visible(), (
        page.locator(".error-summary").all_inner_texts()
    )
