"""A debtor's personal details never go into the sealed audit trail, and erasure reaches every
copy of them kept elsewhere: statement lines, notifications, mail, references. Money stays."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

from pypdf import PdfReader
from sqlalchemy import select

from portal.cases import services as cases
from portal.casework import services as casework
from portal.extensions import db
from portal.ledger import services as ledger
from portal.models import (
    Case,
    CaseStatus,
    Channel,
    ChargeTerm,
    CloseCode,
    ContactOutcome,
    Direction,
    Event,
    Notification,
    OutboxMail,
    PaidTo,
    PartyReached,
    Recovery,
    StatementLine,
    utcnow,
)
from portal.placements import services as placements
from portal.privacy import services
from tests import factories
from tests.cases.helpers import case_form, only_case
from tests.statements.helpers import issue, placed_case, recovery

NAME = "Zawadi Otieno-Mbugua"
LATER = utcnow().date() + timedelta(days=3 * 366 + 2)
OCT = (date(2026, 10, 1), date(2026, 10, 31))


def _event_texts() -> list[str]:
    return [
        f"{e.summary} {e.before!r} {e.after!r}" for e in db.session.scalars(select(Event)).all()
    ]


def test_no_event_summary_or_payload_holds_the_debtors_name(client, auth, world):
    auth.login(world.business_member)
    form = case_form(NAME, notes=f"{NAME} is slow to pay")
    assert client.post("/cases/new", data=form, content_type="multipart/form-data").status_code
    case = only_case(world.business)
    assert case.debtor.name == NAME
    cases.submit(case, world.business_member, world.agreement.id)
    cases.request_information(case, world.agency_admin, f"Did {NAME} sign the order?")
    cases.answer_information_request(case, world.business_member, f"Yes, {NAME} signed.")
    placements.accept(case, world.agency_admin, world.caseworker.id)
    now = utcnow()
    contact = casework.ContactData(
        occurred_at=now - timedelta(hours=1),
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        party_reached=PartyReached.DEBTOR,
        outcome=ContactOutcome.CONVERSATION,
        notes=f"{NAME} wrote back",
        override_reason=f"{NAME} asked us to write",
    )
    casework.log_contact(case, world.caseworker, contact, now)
    casework.post_message(case, world.caseworker, f"{NAME} asks for a copy of the invoice")
    casework.post_message(case, world.caseworker, f"{NAME} sounds unwell", internal=True)
    payment = ledger.PaymentData(
        amount_minor=100_00,
        received_on=now.date(),
        method="mpesa",
        reference=f"QX1 {NAME}",
        paid_to=PaidTo.AGENCY,
        token="tok-1",
        note=f"Paid by {NAME}",
    )
    ledger.record_payment(case, world.caseworker, payment, now.date())
    casework.raise_dispute(case, world.caseworker, f"{NAME} says the goods came back", now)
    casework.resolve_dispute(case, world.business_admin, "rejected", f"{NAME} kept the goods", now)
    ledger.close_case(case, world.agency_admin, CloseCode.UNTRACEABLE, "Moved abroad")
    db.session.commit()

    kinds = {e.kind for e in db.session.scalars(select(Event)).all()}
    assert {"case_created", "status_changed", "contact_logged", "payment_recorded"} <= kinds
    assert {"message_note", "dispute_raised", "dispute_rejected", "message_question"} <= kinds
    assert case.status == CaseStatus.CLOSED
    for text in _event_texts():
        assert "Zawadi" not in text and "Otieno" not in text, text


def test_a_deleted_draft_is_named_by_number_in_the_audit_trail(client, auth, world):
    auth.login(world.business_member)
    client.post("/cases/new", data=case_form(NAME), content_type="multipart/form-data")
    case = only_case(world.business)
    case_id, debtor_id = case.id, case.debtor_id
    cases.delete_draft(case, world.business_member)
    db.session.commit()
    event = db.session.scalars(select(Event).where(Event.kind == "draft_deleted")).one()
    assert event.summary == f"Draft {case_id} for debtor #{debtor_id} deleted"
    assert all("Zawadi" not in text for text in _event_texts())


def _closed_with_statement(world):
    debtor = factories.debtor(
        world.business,
        name=NAME,
        contact_person="Amani Otieno",
        emails=["zawadi@otieno.example"],
        phones=["+254 700 111222"],
        created_at=datetime(2020, 1, 1, tzinfo=UTC),
    )
    case = placed_case(
        world.agreement,
        debtor=debtor,
        contract_reference=f"Supply to {NAME} 2025/3",
        assigned_to_id=world.caseworker.id,
    )
    case.charge_terms = [
        ChargeTerm(
            kind="interest", basis="contract", clause=f"{NAME} clause 4", annual_rate_bps=800
        )
    ]
    paid = recovery(case, 1_000_00, date(2026, 10, 3))
    paid.reference = f"MPESA QX1 {NAME.upper()}"
    other = placed_case(world.agreement, debtor=factories.debtor(world.business, name="Keep Me"))
    recovery(other, 500_00, date(2026, 10, 4))
    db.session.flush()
    statement = issue(world.agreement, *OCT, world.agency_admin)
    case.status, case.close_code, case.closed_at = (
        CaseStatus.CLOSED,
        CloseCode.PAID_IN_FULL,
        utcnow(),
    )
    db.session.commit()
    return debtor, case, statement


def test_erasure_puts_the_erased_name_on_statement_lines_and_keeps_their_amounts(
    client, auth, world
):
    debtor, case, statement = _closed_with_statement(world)
    amounts = [(ln.gross_minor, ln.fee_minor, ln.net_minor) for ln in statement.lines]
    totals = (statement.gross_minor, statement.net_minor, statement.due_to_client_minor)
    services.erase(debtor, world.business_admin, LATER)
    db.session.commit()
    db.session.expire_all()
    erased = f"Erased debtor #{debtor.id}"
    lines = db.session.scalars(select(StatementLine).order_by(StatementLine.id)).all()
    assert {ln.debtor_name for ln in lines if ln.case_id == case.id} == {erased}
    assert {ln.debtor_name for ln in lines if ln.case_id != case.id} == {"Keep Me"}
    assert [(ln.gross_minor, ln.fee_minor, ln.net_minor) for ln in lines] == amounts
    assert (statement.gross_minor, statement.net_minor, statement.due_to_client_minor) == totals
    auth.login(world.business_admin)
    page = client.get(f"/statements/{statement.id}").get_data(as_text=True)
    text = client.get(f"/statements/{statement.id}/csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    reader = PdfReader(io.BytesIO(client.get(f"/statements/{statement.id}/pdf").get_data()))
    pdf = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    for shown in (page, text, pdf):
        assert erased in shown and "Zawadi" not in shown and "Keep Me" in shown
    assert [r[2] for r in rows[1:3]].count(erased) == 1


def test_erasure_redacts_the_debtors_name_in_mail_about_its_cases_only(world):
    debtor, case, _ = _closed_with_statement(world)
    db.session.add_all(
        [
            OutboxMail(
                to_address="a@business.example",
                subject=f"{case.reference}: dispute raised",
                body=f"Hello,\n\nThe debtor disputes {case.reference} ({NAME}).\n\n"
                f"Case: {case.reference}\nOpen it in the portal: x\n",
                sent_at=utcnow(),
            ),
            OutboxMail(
                to_address="b@business.example",
                subject="ACA-2026-99999: payment recorded",
                body=f"Hello,\n\n{NAME} of another business paid.\n\nCase: ACA-2026-99999\n",
            ),
        ]
    )
    db.session.commit()
    services.erase(debtor, world.business_admin, LATER)
    db.session.commit()
    mails = select(OutboxMail).where(OutboxMail.to_address.like("%@business.example"))
    mine, other = db.session.scalars(mails.order_by(OutboxMail.id)).all()
    assert NAME not in mine.body and f"({services.erased_name(debtor)})" in mine.body
    assert mine.subject == f"{case.reference}: dispute raised"
    assert NAME in other.body  # not a mail about this debtor's cases


def test_erasure_reaches_references_notifications_and_contact_details_keeping_the_money(world):
    debtor, case, _ = _closed_with_statement(world)
    db.session.add(
        Notification(
            user_id=world.caseworker.id,
            kind="case_assigned",
            case_id=case.id,
            text=f"{case.reference} ({NAME}) is yours; ask for amani otieno, +254 700 111222.",
        )
    )
    db.session.commit()
    services.erase(debtor, world.business_admin, LATER)
    db.session.commit()
    db.session.expire_all()
    erased = services.erased_name(debtor)
    mine = select(Notification.text).where(Notification.kind == "case_assigned")
    note = db.session.scalars(mine).one()
    assert note == f"{case.reference} ({erased}) is yours; ask for Erased, Erased."
    stored = db.session.get(Case, case.id)
    assert stored.contract_reference == f"Supply to {erased} 2025/3"
    assert stored.charge_terms[0].clause == f"{erased} clause 4"
    payment = db.session.scalars(select(Recovery).where(Recovery.case_id == case.id)).one()
    assert payment.reference == f"MPESA QX1 {erased}"
    assert (payment.amount_minor, payment.received_on) == (1_000_00, date(2026, 10, 3))
