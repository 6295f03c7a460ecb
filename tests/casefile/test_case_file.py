"""The PDF case file: complete, named for the case, private to those who may see the case."""

from datetime import date

import pytest

from portal.casefile.pdf import REPLACEMENT, clean
from portal.extensions import db
from portal.models import PaidTo
from tests import factories
from tests.casefile import helpers as h


def url(case, bundle: bool = False) -> str:
    return f"/cases/{case.id}/case-file.pdf" + ("?bundle=1" if bundle else "")


def download(client, auth, user, case, bundle: bool = False):
    auth.login(user)
    response = client.get(url(case, bundle))
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    return response


def test_the_file_holds_every_history_entry_and_every_contact_log_entry(client, auth, world):
    case = h.worked_case(world)
    history = [
        h.history(case, world.business_member, f"Reminder letter number {i} sent to the debtor", i)
        for i in range(40)
    ]
    long_text = " ".join(f"word{i}" for i in range(400))  # wraps over many lines
    history.append(h.history(case, world.business_member, long_text, 41))
    contacts = [
        h.contact(case, world.caseworker, f"Caseworker call {i}: debtor asked for time", 100 + i)
        for i in range(40)
    ]
    db.session.commit()

    text = h.pdf_text(download(client, auth, world.agency_admin, case).data, running=False)

    for entry in history + contacts:
        assert entry.summary in text
        assert f"#{entry.id} " in text


def test_the_file_is_named_for_the_reference_is_an_attachment_and_never_cached(client, auth, world):
    case = h.worked_case(world)
    response = download(client, auth, world.business_member, case)
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="{case.reference}-case-file.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"%PDF-")


def test_a_draft_is_named_for_its_id_until_it_has_a_reference(client, auth, world):
    draft = factories.case(world.business)
    db.session.commit()
    response = download(client, auth, world.business_admin, draft)
    assert f'filename="draft-{draft.id}-case-file.pdf"' in response.headers["Content-Disposition"]


def test_a_business_user_of_another_business_gets_404(client, auth, world):
    case = h.worked_case(world)
    auth.login(world.other_business_admin)
    assert client.get(url(case)).status_code == 404
    assert client.get(url(case, bundle=True)).status_code == 404


def test_a_caseworker_not_assigned_to_the_case_gets_404(client, auth, world):
    case = h.worked_case(world)
    auth.login(world.other_caseworker)
    assert client.get(url(case)).status_code == 404


def test_internal_agency_notes_are_absent_from_the_business_copy(client, auth, world):
    case = h.worked_case(world)
    h.contact(case, world.caseworker, "Shared contact: debtor will pay Friday", 1)
    h.contact(case, world.caseworker, "Secret contact: debtor sounds evasive", 2, internal=True)
    h.message(case, world.caseworker, "Secret message: escalate next week", internal=True)
    h.message(case, world.caseworker, "Shared message: please send the contract")
    h.event(case, world.caseworker, "note_added", "Secret event: skip trace ordered", internal=True)
    h.event(case, world.caseworker, "note_added", "Shared event: letter sent")
    db.session.commit()

    business = h.pdf_text(download(client, auth, world.business_member, case).data)
    auth.logout()
    agency = h.pdf_text(download(client, auth, world.caseworker, case).data)

    for shared in ("Shared contact", "Shared message", "Shared event"):
        assert shared in business and shared in agency
    for secret in ("Secret contact", "Secret message", "Secret event", "INTERNAL"):
        assert secret not in business
        assert secret in agency


def test_names_in_any_script_appear_in_the_extracted_text(client, auth, world):
    debtor = factories.debtor(world.business, name="Wanjirũ Njoroge", contact_person="Zoë Kowalska")
    case = h.worked_case(world, debtor=debtor)
    h.history(case, world.business_admin, "Visited the office in Łódź", 1)
    h.history(case, world.business_admin, "Letter in Arabic: مرحبا بكم", 2)
    h.history(case, world.business_admin, "Chinese customer 王小明 replied 你好", 3)
    db.session.commit()

    text = h.pdf_text(download(client, auth, world.agency_admin, case).data)

    for name in ("Wanjirũ Njoroge", "Zoë Kowalska", "Łódź", "مرحبا", "بكم", "王小明", "你好"):
        assert name in text


def test_emoji_do_not_break_the_file(client, auth, world):
    debtor = factories.debtor(world.business, name="Kamau 👍🏽 Traders 🧾")
    case = h.worked_case(world, debtor=debtor)
    h.history(case, world.business_admin, "Paid? 💸💸 no ✅ family: 👨‍👩‍👧 flag 🇰🇪", 1)
    db.session.commit()

    text = h.pdf_text(download(client, auth, world.agency_admin, case).data)

    assert "Kamau" in text and "Traders" in text
    assert "Paid?" in text and "flag" in text


def test_a_character_no_font_has_becomes_a_replacement_glyph():
    assert clean("Zoë Łódź 王 مرحبا") == "Zoë Łódź 王 مرحبا"
    assert clean("pay 🧾 now") == f"pay {REPLACEMENT} now"
    assert clean("ok 👍🏽") == f"ok {REPLACEMENT}"  # the skin tone is dropped, not replaced
    assert clean("tab\there\x00") == "tab    here"


def test_the_cover_shows_the_money_recovered_fee_and_net(client, auth, world):
    case = h.worked_case(world)  # KES 45,000.00 at placement, 30 %
    h.recovery(case, world.caseworker, 10_000_00, reference="MPESA-QX1")
    h.recovery(case, world.caseworker, 2_000_00, paid_to=PaidTo.CLIENT)
    db.session.commit()

    text = h.pdf_text(download(client, auth, world.business_admin, case).data)

    assert "Balance at placement KES 45,000.00" in text
    assert "Recovered KES 12,000.00" in text
    assert "Agency fee KES 3,600.00" in text
    assert "Net to the client KES 8,400.00" in text
    assert "Balance now KES 33,000.00" in text
    assert "MPESA-QX1" in text
    assert "Private and confidential" in text
    assert "Page 1 of" in text


def test_every_page_has_the_reference_and_page_x_of_y(client, auth, world):
    case = h.worked_case(world)
    for i in range(60):
        h.history(case, world.business_admin, f"Call {i} " + "about the invoice " * 20, i)
    db.session.commit()

    data = download(client, auth, world.business_admin, case).data
    pages = h.page_count(data)
    assert pages > 2
    reader = h.PdfReader(h.io.BytesIO(data))
    for n, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert case.reference in text
        assert "Private and confidential" in text
        assert f"Page {n} of {pages}" in text


def test_the_index_lists_each_document_with_size_sha256_and_uploader(client, auth, world):
    case = h.worked_case(world)
    doc = h.attach(case, world.business_member, h.pdf_with_pages("one"), "signed-contract.pdf")
    db.session.commit()

    text = h.pdf_text(download(client, auth, world.caseworker, case).data)

    assert "signed-contract.pdf" in text
    assert doc.sha256 in text
    assert f"({doc.size_bytes} bytes)" in text
    assert f"uploaded by {world.business_member.name}" in text


def test_the_bundle_appends_the_pages_of_an_attached_pdf(client, auth, world):
    case = h.worked_case(world)
    h.attach(case, world.business_admin, h.pdf_with_pages("CONTRACT-P1", "CONTRACT-P2"), "c.pdf")
    db.session.commit()

    plain = download(client, auth, world.agency_admin, case).data
    bundled = client.get(url(case, bundle=True))

    assert bundled.status_code == 200
    assert "with-documents" in bundled.headers["Content-Disposition"]
    assert case.reference in bundled.headers["Content-Disposition"]
    assert h.page_count(bundled.data) == h.page_count(plain) + 2
    text = h.pdf_text(bundled.data)
    assert "CONTRACT-P1" in text and "CONTRACT-P2" in text
    assert "c.pdf: included, 2 pages" in text
    assert "CONTRACT-P1" not in h.pdf_text(plain)


@pytest.mark.parametrize(
    "content", [b"%PDF-1.4\nnot really a pdf\n%%EOF\n", b"%PDF-1.7\n" + b"\x00\xff" * 200]
)
def test_a_pdf_that_does_not_parse_is_listed_as_not_included(client, auth, world, content):
    case = h.worked_case(world)
    h.attach(case, world.business_admin, content, "broken.pdf")
    h.attach(case, world.business_admin, h.pdf_with_pages("GOOD-PAGE"), "good.pdf")
    db.session.commit()

    response = download(client, auth, world.business_admin, case, bundle=True)

    text = h.pdf_text(response.data)
    assert "broken.pdf: NOT INCLUDED" in text
    assert "good.pdf: included, 1 page" in text
    assert "GOOD-PAGE" in text


def test_the_case_page_links_to_the_case_file_and_the_bundle(client, auth, world):
    case = h.worked_case(world)
    auth.login(world.business_member)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/cases/{case.id}/case-file.pdf" in page
    assert "Case file with documents" in page
    assert f"/cases/{case.id}/case-file.pdf?bundle=1" in page


def test_september_reads_sep_in_the_file_as_on_the_web_pages(client, auth, world):
    case = h.worked_case(world)
    h.history(case, world.business_member, "Reminder letter sent")  # 1 Sep 2026, 07:00 UTC
    h.recovery(case, world.caseworker, 1_000_00, received_on=date(2026, 9, 15))
    db.session.commit()
    text = h.pdf_text(download(client, auth, world.agency_admin, case).data)
    assert "1 Sep 2026, 10:00" in text  # the history entry, in the viewer's zone (Nairobi)
    assert "15 Sep 2026" in text  # the payment's day
    assert "Sept" not in text


def test_the_timeline_reads_as_on_the_case_page(client, auth, world):
    case = h.worked_case(world)
    summary = "Payment plan broken: instalment 1 due 2026-09-01 was not paid"
    h.event(case, world.caseworker, "plan_broken", summary)
    h.event(case, world.caseworker, "contact_logged", "Phone, outbound")
    db.session.commit()
    text = h.pdf_text(download(client, auth, world.agency_admin, case).data)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = " ".join(page[page.index('id="timeline"') :].split())
    said = "instalment 1 due 1 Sep 2026 was not paid"
    assert f"Payment plan broken: {said}" in text
    assert f"<strong>Payment plan broken</strong>: {said}" in timeline
    assert "Contact with the debtor logged: Phone, outbound" in text
    assert "<strong>Contact with the debtor logged</strong>: Phone, outbound" in timeline
    assert "2026-09-01" not in text and "2026-09-01" not in timeline
