"""The case page: everything on the case, its status and its timeline, safely shown."""

from datetime import timedelta

from portal.cases import services
from portal.extensions import db
from portal.models import CaseStatus, Channel, Direction, utcnow
from tests import factories
from tests.cases.helpers import placed, ready_draft

HOSTILE = "<script>alert(1)</script> {{7*7}} {% raw %}"


def test_the_case_page_shows_the_status_the_invoices_and_the_timeline(client, auth, world):
    case = ready_draft(world, amount_minor=12_345_00)
    auth.login(world.business_admin)
    page = client.get(f"/cases/{case.id}").data.decode()
    assert 'class="badge badge-status-draft"' in page
    assert "KES\xa012,345.00" in page
    timeline = page[page.index('id="timeline-heading"') :]
    assert "History entry added" in timeline
    assert world.business_admin.name in timeline


def test_the_timeline_records_the_submission_newest_first(client, auth, world):
    case = ready_draft(world)
    services.submit(case, world.business_admin, world.agreement.id)
    db.session.commit()
    auth.login(world.business_member)
    page = client.get(f"/cases/{case.id}").data.decode()
    timeline = page[page.index('id="timeline-heading"') :]
    assert f"Placed with Nairobi Recovery as {case.reference}" in timeline
    assert timeline.index("Status changed") < timeline.index("History entry added")


def test_a_draft_is_not_shown_to_any_agency(client, auth, world):
    case = ready_draft(world)
    auth.login(world.agency_admin)
    assert client.get(f"/cases/{case.id}").status_code == 404


def test_the_agency_opens_a_case_placed_with_it(client, auth, world):
    case = placed(world)
    auth.login(world.agency_admin)
    page = client.get(f"/cases/{case.id}").data.decode()
    assert case.reference in page
    assert "Withdraw the case" not in page and "Delete the draft" not in page


def test_a_caseworker_only_opens_cases_assigned_to_them(client, auth, world):
    case = placed(world, status=CaseStatus.ACCEPTED, assigned_to_id=world.caseworker.id)
    auth.login(world.other_caseworker)
    assert client.get(f"/cases/{case.id}").status_code == 404
    auth.logout()
    auth.login(world.caseworker)
    assert client.get(f"/cases/{case.id}").status_code == 200


def test_another_businesss_case_is_not_found(client, auth, world):
    case = placed(world)
    auth.login(world.other_business_admin)
    for url in (f"/cases/{case.id}", f"/cases/{case.id}/edit"):
        assert client.get(url).status_code == 404


def test_hostile_text_is_shown_escaped_on_the_case_page_and_the_form(client, auth, world):
    debtor = factories.debtor(world.business, name=HOSTILE, address=HOSTILE, contact_person=HOSTILE)
    case = factories.case(world.business, debtor=debtor, notes=HOSTILE, contract_reference=HOSTILE)
    case.invoices[0].number = HOSTILE[:60]
    services.add_history(
        case,
        world.business_admin,
        services.HistoryData(
            occurred_at=utcnow() - timedelta(days=1),
            channel=Channel.LETTER,
            direction=Direction.OUTBOUND,
            summary=HOSTILE,
            contact_person=HOSTILE,
            outcome=HOSTILE,
        ),
    )
    db.session.commit()
    auth.login(world.business_admin)
    for url in (f"/cases/{case.id}", f"/cases/{case.id}/edit", "/cases/"):
        response = client.get(url)
        page = response.data.decode()
        assert response.status_code == 200, url
        assert "<script>alert(1)</script>" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
        assert "{{7*7}}" in page, url


def test_hostile_text_in_a_refused_form_is_shown_escaped(client, auth, world):
    auth.login(world.business_admin)
    data = {
        "action": "save",
        "debtor_id": "0",
        "debtor-name": HOSTILE,
        "currency": HOSTILE[:10],
        "invoices-0-number": HOSTILE[:60],
        "invoices-0-amount": HOSTILE[:30],
    }
    response = client.post("/cases/new", data=data)
    page = response.data.decode()
    assert response.status_code == 200
    assert "<script>" not in page.replace('<script src="', "")
    assert "&lt;script&gt;" in page


def test_the_answer_form_appears_only_while_the_agency_waits_for_an_answer(client, auth, world):
    case = placed(world)
    auth.login(world.business_admin)
    assert "Send the answer" not in client.get(f"/cases/{case.id}").data.decode()
    services.request_information(case, world.agency_admin, "Which branch ordered it?")
    db.session.commit()
    page = client.get(f"/cases/{case.id}").data.decode()
    assert "Send the answer" in page and "Which branch ordered it?" in page
    assert "Withdraw the case" in page  # still before acceptance


def test_the_case_page_speaks_to_the_side_that_reads_it(client, auth, world):
    case = placed(world, answer_due_at=utcnow() + timedelta(days=2), notes="Call after noon")
    case.submitted_at = utcnow()
    services.request_information(case, world.agency_admin, "Which branch ordered it?")
    db.session.commit()
    agency, business = world.agency.name, world.business.name

    auth.login(world.agency_admin)
    page = client.get(f"/cases/{case.id}").data.decode()
    assert f"Your question to {business}" in page and f"{agency} asks" not in page
    assert "accept or decline it by" in page and "the agency answers" not in page
    assert f"Notes from {business}" in page and "Notes for the agency" not in page
    assert "your own contacts are in the contact log" in page

    auth.logout()
    auth.login(world.business_admin)
    page = client.get(f"/cases/{case.id}").data.decode()
    assert f"{agency} asks" in page and f"{agency} answers by" in page
    assert "Your notes for the agency" in page
    assert "the agency&#39;s own contacts are in the contact log" in page
