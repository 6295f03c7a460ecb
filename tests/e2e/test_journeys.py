"""The portal's main journeys, as its people go through them in a real browser.

Each journey stands on its own: journeys 1 and 4 create their debtors in the browser, the others
start from a case tests/e2e/setup_data.py prepared through the services (DEBTORS names them).
Things are found by their visible labels and roles, never by CSS classes. Each journey saves
screenshots of its main pages to tests/e2e/screenshots/.
"""

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from portal.models import CHECKLIST_ITEMS
from tests.e2e.setup_data import DEBTORS

ROOT = Path(__file__).resolve().parent.parent.parent
QUICKBOOKS = ROOT / "tests" / "imports" / "data" / "quickbooks-online-ar-aging-detail.csv"
NAIROBI = ZoneInfo("Africa/Nairobi")
ACACIA = "Acacia Office Supplies Ltd"


def nairobi_today() -> date:
    return datetime.now(NAIROBI).date()


def query(portal, sql: str, **params) -> list[tuple]:
    """Read the server's own database, to check what a page cannot show (nothing was saved)."""
    engine = create_engine(f"sqlite:///{portal.env['PORTAL_INSTANCE_DIR']}/portal.db")
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def open_case(page: Page, listing: str, debtor: str) -> None:
    """Open a case the way a person does: from a list, by the debtor's name."""
    page.goto(listing)
    row = page.get_by_role("row").filter(has_text=debtor)
    expect(row).to_have_count(1)
    with page.expect_navigation():
        row.get_by_role("link").first.click()
    expect(page.get_by_role("main")).to_contain_text(debtor)


def a_pdf(folder: Path, name: str, lines: list[str]) -> Path:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    for line in lines:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    path = folder / name
    pdf.output(str(path))
    return path


def money_figures(page: Page) -> dict[str, str]:
    """The case page's money table: column heading -> figure."""
    table = page.get_by_role("table", name="Money on this case")
    rows = table.get_by_role("row")
    heads = rows.nth(0).get_by_role("columnheader").all_inner_texts()
    cells = rows.nth(1).get_by_role("cell").all_inner_texts()
    return {
        h.strip(): c.split("\n")[0].replace("\xa0", " ").strip()
        for h, c in zip(heads, cells, strict=True)
    }


def flash(page: Page, message: str) -> None:
    expect(page.get_by_role("status").filter(has_text=message)).to_be_visible()


# --- 1. the business: an agreement, then a case handed over ------------------------------------


def row_of(page: Page, title: str, number: int, add: str):
    """Row `number` of a list on the case form, pressing "Add another" when it is not there yet."""
    row = page.get_by_role("group", name=f"{title} {number}", exact=True)
    if row.count() == 0:
        add_row(page, title, add)
    expect(row).to_be_visible()
    return row


FIELDS = "input:not([type=hidden]), select, textarea"


def add_row(page: Page, title: str, add: str):
    """With JavaScript, "Add another" shows a new row at once, its first field focused, without
    sending anything to the server."""
    rows = page.get_by_role("group", name=re.compile(rf"^{title} \d+$"))
    before = rows.count()
    sent: list[str] = []

    def note(request) -> None:
        sent.append(request.url)

    page.on("request", note)
    page.get_by_role("button", name=add).click()
    new = page.get_by_role("group", name=f"{title} {before + 1}", exact=True)
    expect(new.locator(FIELDS).first).to_be_focused()
    page.remove_listener("request", note)
    assert not sent, f"adding a row sent {sent}"
    return new


def fill_invoice(page: Page, number: int, invoice: str, issued: date, due: date, amount: str):
    row = row_of(page, "Invoice", number, "Add another invoice")
    row.get_by_label("Invoice number").fill(invoice)
    row.get_by_label("Issue date").fill(issued.isoformat())
    row.get_by_label("Due date").fill(due.isoformat())
    row.get_by_label("Amount", exact=True).fill(amount)


def fill_history(page: Page, number: int, when: datetime, how: str, said: str, outcome: str):
    row = row_of(page, "New entry", number, "Add another entry")
    row.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT%H:%M"))
    row.get_by_label("How").select_option(label=how)
    row.get_by_label("Who (their side)").fill("Grace Wairimu, accounts")
    row.get_by_label("What was said or sent").fill(said)
    row.get_by_label("Outcome").fill(outcome)


def test_a_business_accepts_an_agreement_and_hands_over_a_case_with_invoices_history_and_a_pdf(
    person, tmp_path
):
    debtor = "Thika Road Stationers Ltd"
    today = nairobi_today()

    owner = person("owner@acacia.example")
    page = owner.page
    page.goto("/agreements/")
    owner.shot("agreements")
    row = page.get_by_role("row").filter(has_text="Mombasa Credit Partners")
    expect(row).to_contain_text("Proposed")
    row.get_by_role("link", name=re.compile("Read")).click()
    expect(page.get_by_role("heading", name="Accept these terms")).to_be_visible()
    owner.shot("agreement-to-accept")
    page.get_by_label("Type your full name to accept these terms").fill("Joseph Kariuki")
    page.get_by_role("button", name="Accept the agreement").click()
    expect(page.get_by_role("heading", name="Accept these terms")).to_have_count(0)
    expect(page.get_by_text(f"For {ACACIA}: Joseph Kariuki")).to_be_visible()
    owner.shot("agreement-accepted")
    page.goto("/agreements/")
    expect(page.get_by_role("row").filter(has_text="Mombasa Credit Partners")).to_contain_text(
        "Active"
    )

    clerk = person("clerk@acacia.example")
    page = clerk.page
    page.goto("/dashboard")
    page.get_by_role("link", name="New case").first.click()
    expect(page.get_by_role("heading", name="New case")).to_be_visible()
    page.get_by_label("Name", exact=True).fill(debtor)
    page.get_by_label("Contact person").fill("Grace Wairimu")
    page.get_by_label("Phone numbers").fill("+254 711 222 333")
    page.get_by_label("E-mail addresses").fill("accounts@thikaroad.example")

    fill_invoice(
        page, 1, "AC-3101", today - timedelta(days=120), today - timedelta(days=90), "45,000.00"
    )
    fill_invoice(
        page, 2, "AC-3117", today - timedelta(days=95), today - timedelta(days=65), "12,750.50"
    )
    outstanding = page.get_by_text("Outstanding:")
    expect(outstanding).to_contain_text("KES 57,750.50")
    # One row too many, taken away again: the total follows.
    extra = add_row(page, "Invoice", "Add another invoice")
    extra.get_by_label("Invoice number").fill("AC-3120")
    extra.get_by_label("Amount", exact=True).fill("1,000")
    expect(outstanding).to_contain_text("KES 58,750.50")
    extra.get_by_role("button", name=re.compile(r"^Remove invoice")).click()
    expect(extra).to_have_count(0)
    expect(outstanding).to_contain_text("KES 57,750.50")

    morning = datetime.combine(today, datetime.min.time()).replace(hour=10, minute=30)
    fill_history(
        page,
        1,
        morning - timedelta(days=60),
        "E-mail",
        "Sent the statement with both invoices and a first reminder.",
        "No reply",
    )
    fill_history(
        page,
        2,
        morning - timedelta(days=30),
        "Phone",
        "Called the accounts office about the two overdue invoices.",
        "Promised to pay by the 15th; nothing came.",
    )
    invoice_copy = a_pdf(tmp_path, "AC-3101.pdf", [f"{ACACIA}: invoice AC-3101", debtor])
    documents = page.get_by_role("region", name="5. Documents")
    documents.get_by_label("Documents", exact=True).set_input_files(invoice_copy)
    expect(documents.get_by_text("AC-3101.pdf")).to_be_visible()
    for item in CHECKLIST_ITEMS.values():
        page.get_by_label(item).check()
    clerk.shot("case-form")
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_role("heading", name=f"Draft: {debtor}")).to_be_visible()
    invoices = page.get_by_role("table", name="Invoices on this case")
    expect(invoices.get_by_role("row").filter(has_text=re.compile(r"AC-31\d\d"))).to_have_count(2)
    expect(invoices).not_to_contain_text("AC-3120")
    expect(page.get_by_role("link", name="AC-3101.pdf").first).to_be_visible()
    history = page.get_by_role("region", name="Correspondence history")
    expect(history.get_by_text("Sent the statement with both invoices")).to_be_visible()
    expect(history.get_by_text("Called the accounts office")).to_be_visible()
    clerk.shot("draft")

    submit = page.get_by_role("region", name="Hand it over to an agency")
    expect(submit).to_contain_text("KES 57,750.50")
    submit.get_by_label("Agency").select_option(label="Nairobi Recovery Associates")
    submit.get_by_role("button", name="Submit to the agency").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(rf"^ACA-\d{{4}}-\d{{5}}: {debtor}$"))
    expect(page.get_by_text("Placed with Nairobi Recovery Associates on")).to_be_visible()
    clerk.shot("submitted")


# --- 2. the agency: accept, assign, may we call, a promise, a payment ----------------------------


def log_call(who, promise: tuple[str, date]) -> None:
    """Log a telephone call with a promise to pay. When the call broke a rule of contact the
    form keeps everything typed and asks why; the caseworker then gives the reason."""
    page = who.page
    contacts = page.get_by_role("region", name="Contact log")
    contacts.get_by_text("Log a contact").click()
    contacts.get_by_label("Channel").select_option(label="Phone")
    contacts.get_by_label("Who was reached").select_option(label="The debtor")
    contacts.get_by_label("Outcome").select_option(label="Promise to pay")
    contacts.get_by_label("Amount promised").fill(promise[0])
    contacts.get_by_label("Promised by").fill(promise[1].isoformat())
    notes = f"Spoke to the owner; he will pay {promise[0]} by {promise[1]:%d %B}."
    contacts.get_by_label("Notes").fill(notes)
    who.shot("contact-form")
    contacts.get_by_role("button", name="Log the contact").click()
    page.wait_for_load_state()
    override = page.get_by_role("region", name="Contact log").get_by_label(
        "Why the rules of contact were broken"
    )
    if override.count() and override.get_attribute("aria-invalid") == "true":
        # Only when the panel said no (or the calling window closed meanwhile); otherwise the
        # reason is not asked for at all.
        contacts = page.get_by_role("region", name="Contact log")
        expect(contacts.get_by_label("Notes")).to_have_value(notes)
        expect(contacts.get_by_label("Amount promised")).to_have_value(promise[0])
        who.shot("contact-override-asked")
        override.fill("The debtor asked us to call back at this hour.")
        contacts.get_by_role("button", name="Log the contact").click()
        flash(page, "Contact logged and flagged: it broke the rules of contact.")
    else:
        flash(page, "Contact logged.")


def test_the_agency_accepts_a_placement_and_its_caseworker_logs_a_promise_and_a_payment(person):
    debtor = DEBTORS["placement"]
    today = nairobi_today()

    admin = person("admin@agency.example")
    page = admin.page
    open_case(page, "/placements/", debtor)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Placement ACA-")
    reference = heading.inner_text().removeprefix("Placement ").strip()
    admin.shot("placement-review")
    page.get_by_label("Assign to").select_option(label="Brian Mwangi (Caseworker)")
    page.get_by_role("button", name=re.compile("^Accept at")).click()
    flash(page, f"{reference} accepted and assigned to Brian Mwangi.")
    admin.shot("placement-accepted")

    worker = person("caseworker@agency.example")
    page = worker.page
    open_case(page, "/work", debtor)
    worker.shot("case")
    rules = page.get_by_role("region", name="May we call the debtor now?")
    verdict = rules.get_by_text(re.compile(rf"(You may call|Do not call) {debtor} now\."))
    expect(verdict).to_be_visible()
    may_call = verdict.inner_text().startswith("You may call")

    if not may_call:
        expect(rules).to_contain_text("Next permitted call")
    log_call(worker, promise=("30,000", today + timedelta(days=7)))
    contacts = page.get_by_role("region", name="Contact log")
    entry = contacts.get_by_role("listitem").filter(has_text="Promised KES 30,000.00 by")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Phone to the debtor")
    expect(entry).to_contain_text("Promise to pay")

    money = page.get_by_role("region", name="Money")
    payment = money.locator("details").filter(has_text="Record a payment")
    if not payment.evaluate("details => details.open"):
        money.get_by_text("Record a payment").click()
    money.get_by_label("Amount received").fill("10,000.00")
    money.get_by_label("Date received").fill(today.isoformat())
    money.get_by_label("Method").select_option(label="M-Pesa")
    money.get_by_label("Reference").fill("QX55KT01")
    expect(money.get_by_label("To the agency")).to_be_checked()
    worker.shot("payment-form")
    money.get_by_role("button", name="Record the payment").click()
    flash(page, "Payment of KES 10,000.00 recorded")
    figures = money_figures(page)
    assert figures["Recovered"] == "KES 10,000.00", figures
    assert figures["Balance now"] == "KES 75,000.00", figures
    payments = (
        page.get_by_role("region", name="Money").get_by_role("row").filter(has_text="QX55KT01")
    )
    expect(payments).to_contain_text("M-Pesa")
    worker.shot("payment-recorded")


# --- 3. the business sees the money and downloads the case file ---------------------------------


def test_a_business_sees_what_was_recovered_less_the_fee_and_downloads_the_case_file(
    person, portal
):
    debtor = DEBTORS["recovered"]
    owner = person("owner@acacia.example")
    page = owner.page

    page.goto("/dashboard")
    owner.shot("dashboard")
    # The tiles add up every payment on the business's cases, whichever journey recorded it.
    recovered, fees, net = query(
        portal,
        "SELECT coalesce(sum(r.amount_minor), 0), coalesce(sum(r.fee_minor + r.tax_minor), 0), "
        "coalesce(sum(r.net_minor), 0) "
        "FROM recoveries r JOIN cases c ON c.id = r.case_id "
        "JOIN organisations o ON o.id = c.business_id WHERE o.name = :name",
        name=ACACIA,
    )[0]
    tiles = page.get_by_role("region", name="Money")
    for label, minor in (
        ("Recovered", recovered),
        ("Agency fees (with tax)", fees),
        ("Net to you", net),
    ):
        tile = tiles.get_by_role("link").filter(has_text=label)
        expect(tile.first).to_contain_text(f"KES {minor / 100:,.2f}")

    tiles.get_by_role("link").filter(has_text="Recovered").first.click()
    row = page.get_by_role("row").filter(has_text=debtor)
    expect(row).to_contain_text("KES 20,000.00")
    owner.shot("recovered-list")
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(debtor)
    reference = page.get_by_role("heading", level=1).inner_text().split(":")[0]

    # 30 % of KES 20,000.00 is 6,000.00, plus 16 % tax on it: 6,960.00; the agency keeps it.
    figures = money_figures(page)
    assert figures["Recovered"] == "KES 20,000.00", figures
    assert figures["Agency fee"] == "KES 6,960.00", figures
    assert figures["Net to you"] == "KES 13,040.00", figures
    assert figures["Balance now"] == "KES 65,000.00", figures
    owner.shot("case-money")

    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download the case file (PDF)").first.click()
    download = waiting.value
    assert reference in download.suggested_filename, download.suggested_filename
    assert download.suggested_filename.endswith(".pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF")


# --- 4. a bulk import: a bad row stops it all; the corrected file imports ----------------------

IMPORT_DEBTORS = {
    "Riverside Clinic": "Nyeri Hillside Clinic",
    "Kamau Hardware & Sons": "Kisumu Lakeside Hardware",
    "Wanjiru Catering Services": "Eldoret Highland Caterers",
    "Lakeview Academy": "Machakos Valley Academy",
}


def upload(page: Page, path: Path) -> None:
    page.goto("/imports/")
    page.get_by_label("Your file").set_input_files(path)
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", name="Check before importing")).to_be_visible()


def test_an_import_with_a_bad_row_saves_nothing_and_the_corrected_file_imports(
    person, portal, tmp_path
):
    good = QUICKBOOKS.read_text(encoding="utf-8")
    for theirs, ours in IMPORT_DEBTORS.items():
        good = good.replace(theirs, ours)
    bad_row = '"","08/20/2026","Invoice","1031","Kisumu Lakeside Hardware","09/19/2026"'
    assert bad_row in good
    broken = good.replace(bad_row, bad_row.replace('"09/19/2026"', '"09/31/2026"'))
    corrected_path = tmp_path / "ar-aging-detail.csv"
    broken_path = tmp_path / "ar-aging-detail-broken.csv"
    corrected_path.write_text(good, encoding="utf-8")
    broken_path.write_text(broken, encoding="utf-8")
    count_sql = (
        "SELECT count(*) FROM cases c JOIN debtors d ON d.id = c.debtor_id "
        "WHERE d.name IN ('Nyeri Hillside Clinic', 'Kisumu Lakeside Hardware', "
        "'Eldoret Highland Caterers', 'Machakos Valley Academy')"
    )

    clerk = person("clerk@acacia.example")
    page = clerk.page
    page.goto("/imports/")
    clerk.shot("upload")
    upload(page, broken_path)
    problems = page.get_by_role("region", name=re.compile("problem.* to correct in the file"))
    expect(problems).to_be_visible()
    problem = problems.get_by_role("row").filter(has_text="Due date")
    expect(problem).to_have_count(1)
    expect(problem.get_by_role("cell").first).to_have_text("10")
    expect(page.get_by_role("button", name=re.compile("^Create"))).to_have_count(0)
    clerk.shot("preview-with-error")
    assert query(portal, count_sql) == [(0,)]

    page.get_by_role("link", name="Upload the corrected file").click()
    upload(page, corrected_path)
    expect(page.get_by_role("region", name=re.compile("problem"))).to_have_count(0)
    drafts = page.get_by_role("region", name=re.compile("^The draft cases"))
    for name in IMPORT_DEBTORS.values():
        expect(drafts.get_by_role("row").filter(has_text=name)).to_have_count(1)
    expect(drafts.get_by_role("row").filter(has_text="Kisumu Lakeside Hardware")).to_contain_text(
        "KES 55,750.50"
    )
    clerk.shot("preview-ok")
    assert query(portal, count_sql) == [(0,)]
    page.get_by_role("button", name="Create 4 draft cases").click()
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
    clerk.shot("done")
    assert query(portal, count_sql) == [(4,)]

    page.get_by_role("link", name="Open your draft cases").click()
    for name in IMPORT_DEBTORS.values():
        expect(page.get_by_role("row").filter(has_text=name)).to_have_count(1)
    clerk.shot("drafts")


# --- 6. a payment plan that is not kept ---------------------------------------------------------


def test_a_missed_instalment_shows_the_plan_broken_to_the_agency_and_the_business(person, portal):
    debtor = DEBTORS["plan"]
    today = nairobi_today()

    worker = person("caseworker@agency.example")
    page = worker.page
    open_case(page, "/work", debtor)
    reference = page.get_by_role("heading", level=1).inner_text().split(":")[0]
    plans = page.get_by_role("region", name="Plans and settlements")
    plans.get_by_text("Agree a payment plan").click()
    plans.get_by_label("Plan total").fill("60,000.00")
    plans.get_by_label("Number of instalments").fill("3")
    plans.get_by_label("How often").select_option(label="Monthly")
    plans.get_by_label("First instalment due").fill(today.isoformat())
    plans.get_by_label("Note", exact=True).fill("Agreed on the phone with the owner.")
    worker.shot("plan-form")
    plans.get_by_role("button", name="Agree the plan").click()
    plans = page.get_by_role("region", name="Plans and settlements")
    plan = plans.get_by_role("heading", name=re.compile("^Payment plan: KES 60,000.00 in 3"))
    expect(plan).to_contain_text("In force")
    worker.shot("plan-agreed")

    # Time passes: the daily job runs the day after the grace days of the first instalment.
    grace = query(
        portal,
        "SELECT a.grace_days FROM cases c JOIN agreements a ON a.id = c.agreement_id "
        "JOIN debtors d ON d.id = c.debtor_id WHERE d.name = :debtor",
        debtor=debtor,
    )[0][0]
    judged = today + timedelta(days=grace + 1)
    output = portal.flask("ledger", "refresh-plans", "--today", judged.isoformat())
    assert reference in output, output

    page.reload()
    plan = page.get_by_role("heading", name=re.compile("^Payment plan: KES 60,000.00 in 3"))
    expect(plan).to_contain_text("Broken")
    expect(page.get_by_role("heading", level=1).locator("..")).to_contain_text("In collection")
    worker.shot("plan-broken")
    page.goto("/work")
    broken = page.get_by_role("region", name="Broken payment plans")
    expect(broken.get_by_role("listitem").filter(has_text=debtor)).to_contain_text(reference)
    worker.shot("worklist")

    clerk = person("clerk@acacia.example")
    page = clerk.page
    open_case(page, "/cases/", debtor)
    plan = page.get_by_role("heading", name=re.compile("^Payment plan: KES 60,000.00 in 3"))
    expect(plan).to_contain_text("Broken")
    expect(page.get_by_role("region", name="Timeline")).to_contain_text(
        "Payment plan broken: instalment 1"
    )
    clerk.shot("business-case")
