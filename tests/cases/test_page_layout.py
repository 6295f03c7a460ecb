"""The case page reads well for both sides: header, money and key actions first; the message
form with the thread; every contact listed once; a contents list; a bounded number of queries."""

from datetime import date, timedelta

import pytest

from portal.cases import panels
from portal.cases import services as cases
from portal.casework import services as casework
from portal.extensions import db
from portal.ledger import services as ledger
from portal.models import Channel, ContactOutcome, Direction, PaidTo, PartyReached, utcnow
from tests.ledger.helpers import accepted
from tests.querycount import counting


def busy_case(world, contacts=2, history=2, payments=1, messages=2):
    """An accepted case with payments, contacts, the business's history and messages."""
    case = accepted(world)
    moment = utcnow()
    for n in range(payments):
        ledger.record_payment(
            case,
            world.caseworker,
            ledger.PaymentData(
                amount_minor=100_00,
                received_on=date(2026, 9, 1),
                method="mpesa",
                reference=f"R{n}",
                paid_to=PaidTo.AGENCY,
                token=f"tok-{case.id}-{n}",
            ),
            date(2026, 9, 15),
        )
    for n in range(contacts):
        casework.log_contact(
            case,
            world.caseworker,
            casework.ContactData(
                occurred_at=moment - timedelta(minutes=n + 1),
                channel=Channel.EMAIL,
                direction=Direction.INBOUND,
                party_reached=PartyReached.DEBTOR,
                outcome=ContactOutcome.CONVERSATION,
                notes=f"Agency contact number {n}",
            ),
            moment,
        )
    for n in range(history):
        cases.add_history(
            case,
            world.business_admin,
            cases.HistoryData(
                occurred_at=moment - timedelta(days=40 + n),
                channel=Channel.LETTER,
                direction=Direction.OUTBOUND,
                summary=f"Business letter number {n}",
            ),
        )
    for n in range(messages):
        casework.post_message(case, world.caseworker, f"Agency message {n}")
        casework.post_message(case, world.business_admin, f"Business message {n}")
    db.session.commit()
    return case


def page(client, case) -> str:
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def positions(html: str, *ids: str) -> list[int]:
    return [html.index(f'id="{ident}"') for ident in ids]


@pytest.mark.parametrize("who", ["caseworker", "agency_admin", "business_admin"])
def test_header_money_and_key_actions_come_before_the_details(client, auth, world, who):
    case = busy_case(world)
    auth.login(getattr(world, who))
    html = page(client, case)
    order = positions(html, "money", "debtor", "contacts", "history", "messages", "timeline")
    assert order == sorted(order)
    assert html.index('class="case-head"') < html.index('id="money"')
    if who != "business_admin":
        assert html.index('id="contact-rules"') < html.index('id="money"')


def test_the_message_form_sits_in_the_thread_under_the_messages(client, auth, world):
    case = busy_case(world)
    auth.login(world.business_admin)
    html = page(client, case)
    thread = html[html.index('id="messages"') : html.index('id="timeline"')]
    assert thread.index("Business message 1") < thread.index('id="write-message"')
    assert html.count('id="write-message"') == 1


def test_agency_contacts_are_listed_once_in_the_contact_log_not_in_the_history(client, auth, world):
    case = busy_case(world)
    for person in (world.caseworker, world.business_admin):
        auth.login(person)
        html = page(client, case)
        history = html[html.index('id="history"') : html.index('id="invoices"')]
        contacts = html[html.index('id="contacts"') : html.index('id="history"')]
        assert "Agency contact number 0" in contacts and "Agency contact number 0" not in history
        assert "Business letter number 0" in history
        auth.logout()


def test_an_open_dispute_moves_to_the_top_for_the_business_to_decide(client, auth, world):
    case = busy_case(world)
    casework.raise_dispute(case, world.caseworker, "Goods never arrived", utcnow())
    db.session.commit()
    auth.login(world.business_admin)
    html = page(client, case)
    assert html.index('id="dispute"') < html.index('id="money"') < html.index('id="debtor"')


def test_long_cases_have_a_contents_list_linking_each_section(client, auth, world):
    case = busy_case(world)
    auth.login(world.caseworker)
    html = page(client, case)
    nav = html[
        html.index('class="case-contents"') : html.index("</nav>", html.index("case-contents"))
    ]
    for ident in ("money", "contacts", "history", "messages", "timeline"):
        assert f'href="#{ident}"' in nav and f'id="{ident}"' in html


def test_a_panel_slot_must_be_known():
    with pytest.raises(ValueError):
        panels.panel("x/_y.html", slot="sidebar")


def count_queries(client, case_id: int) -> int:
    """The queries one request for the case page makes, from a fresh session as in production."""
    db.session.expunge_all()
    with counting() as seen:
        assert client.get(f"/cases/{case_id}").status_code == 200
    return len(seen)


@pytest.mark.parametrize("who", ["caseworker", "business_admin"])
def test_the_case_page_query_count_does_not_grow_with_the_case(client, auth, world, who):
    small = busy_case(world, contacts=1, history=1, payments=1, messages=1).id
    large = busy_case(world, contacts=12, history=12, payments=6, messages=12).id
    auth.login(getattr(world, who))
    assert count_queries(client, large) == count_queries(client, small)
