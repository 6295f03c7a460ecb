"""Demo cases in the states people meet first: drafts, placements, questions, accepted work.

Each case goes through the same services a person's clicks do, signed in as that person, so the
timeline, notifications and audit trail look as they would. A case is created only when its
business has no case for that debtor yet, so running the seed again changes nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

from flask import current_app
from flask_login import login_user, logout_user
from fpdf import FPDF
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal import money
from portal.cases import services as cases
from portal.documents import services as documents
from portal.extensions import db
from portal.models import (
    CHECKLIST_ITEMS,
    Agreement,
    Case,
    Channel,
    Debtor,
    DebtorKind,
    Direction,
    Organisation,
    Role,
    User,
)
from portal.placements import services as placements

NAIROBI = ZoneInfo("Africa/Nairobi")
ALL_CONFIRMED = dict.fromkeys(CHECKLIST_ITEMS, True)


@dataclass
class Scenario:
    """One demo case: who owns it, the debtor, its invoices and history, and how far it went."""

    business: str
    clerk: str  # e-mail of the person who prepares it
    debtor: cases.DebtorData
    invoices: list[tuple[str, int, int, int]]  # number, days overdue, amount minor, paid minor
    history: list[tuple[int, Channel, Direction, str, str]]  # days ago, channel, dir, what, outcome
    stage: str  # draft, ready, submitted, info_requested, answered, accepted, rejected, withdrawn
    agency: str = "Nairobi Recovery Associates"
    question: str = ""
    answer: str = ""
    caseworker: str = "caseworker@agency.example"
    contract_reference: str = ""
    attach_invoice_copy: bool = True
    checklist: dict[str, bool] = field(default_factory=lambda: dict(ALL_CONFIRMED))


def _debtor(name, kind=DebtorKind.COMPANY, contact="", email="", phone="", address="", reg=""):
    return cases.DebtorData(
        kind=kind,
        name=name,
        country="KE",
        timezone="Africa/Nairobi",
        registration_number=reg,
        contact_person=contact,
        emails=[email] if email else [],
        phones=[phone] if phone else [],
        address=address,
    )


REMINDERS = [
    (75, Channel.EMAIL, Direction.OUTBOUND, "Sent a statement and a first reminder.", "No reply"),
    (
        60,
        Channel.PHONE,
        Direction.OUTBOUND,
        "Called the accounts office about the overdue invoices.",
        "Promised payment by the end of the month; nothing came.",
    ),
    (
        40,
        Channel.LETTER,
        Direction.OUTBOUND,
        "Final reminder by registered post, giving 14 days before handing over to an agency.",
        "No answer",
    ),
]

SCENARIOS = [
    Scenario(
        business="Acacia Office Supplies Ltd",
        clerk="clerk@acacia.example",
        debtor=_debtor(
            "Kilimani Dental Clinic",
            contact="Dr. Wanjirũ Kamau",
            email="accounts@kilimanidental.example",
            phone="+254 712 345 678",
            address="Argwings Kodhek Road 12, Nairobi",
            reg="PVT-2016-KD91",
        ),
        invoices=[("INV-2026-0412", 96, 4_500_000, 0), ("INV-2026-0455", 81, 1_250_000, 250_000)],
        history=REMINDERS,
        stage="accepted",
        contract_reference="Supply agreement SA-2024-17, clause 9 (payment within 30 days)",
    ),
    Scenario(
        business="Acacia Office Supplies Ltd",
        clerk="clerk@acacia.example",
        debtor=_debtor(
            "Westlands Realty Ltd",
            contact="Peter Njoroge",
            email="finance@westlandsrealty.example",
            phone="+254 733 222 111",
            address="Waiyaki Way 40, Nairobi",
        ),
        invoices=[("INV-2026-0301", 142, 18_900_000, 0)],
        history=REMINDERS[:2],
        stage="submitted",
    ),
    Scenario(
        business="Acacia Office Supplies Ltd",
        clerk="owner@acacia.example",
        debtor=_debtor(
            "Grace Achieng",
            kind=DebtorKind.PERSON,
            email="grace.achieng@mail.example",
            phone="+254 701 000 222",
            address="Kileleshwa, Nairobi",
        ),
        invoices=[("INV-2026-0388", 110, 780_000, 0)],
        history=REMINDERS[1:],
        stage="info_requested",
        question="Do you have the signed delivery note for INV-2026-0388? "
        "The debtor may say the goods never arrived.",
    ),
    Scenario(
        business="Acacia Office Supplies Ltd",
        clerk="clerk@acacia.example",
        debtor=_debtor(
            "Ngong Road Pharmacy",
            contact="Samuel Otieno",
            email="orders@ngongpharmacy.example",
            phone="+254 722 444 555",
        ),
        invoices=[("INV-2026-0520", 64, 2_340_000, 0), ("INV-2026-0533", 58, 615_000, 0)],
        history=REMINDERS[:1],
        stage="draft",
        checklist={"invoice_correct": True, "sent_to_right_address": True},
        attach_invoice_copy=False,
    ),
    Scenario(
        business="Acacia Office Supplies Ltd",
        clerk="clerk@acacia.example",
        debtor=_debtor(
            "Lavington Bakers",
            contact="Zoë Mwende",
            email="hello@lavingtonbakers.example",
            phone="+254 711 987 654",
            address="James Gichuru Road 3, Nairobi",
        ),
        invoices=[("INV-2026-0470", 88, 960_000, 0)],
        history=REMINDERS,
        stage="ready",
    ),
    Scenario(
        business="Baobab Print Co",
        clerk="owner@baobab.example",
        debtor=_debtor(
            "Łódź Trading Company",
            contact="Marek Nowak",
            email="ap@lodztrading.example",
            phone="+48 42 123 45 67",
            address="ul. Piotrkowska 100, Łódź, Poland",
        ),
        invoices=[("BP-1093", 130, 6_200_000, 0)],
        history=REMINDERS,
        stage="answered",
        question="Is the debtor's office in Nairobi or only in Poland?",
        answer="They have a Nairobi branch at Mombasa Road 8; the contact there is Jane Wairimu.",
    ),
    Scenario(
        business="Baobab Print Co",
        clerk="owner@baobab.example",
        debtor=_debtor(
            "Karen Events Ltd",
            contact="Aisha Hassan",
            email="aisha@karenevents.example",
            phone="+254 720 303 404",
        ),
        invoices=[("BP-1101", 75, 1_450_000, 0)],
        history=REMINDERS[:2],
        stage="submitted",
        agency="Mombasa Credit Partners",
    ),
    Scenario(
        business="Acacia Office Supplies Ltd",
        clerk="clerk@acacia.example",
        debtor=_debtor(
            "Upper Hill Motors",
            contact="James Kiprop",
            email="garage@upperhillmotors.example",
            phone="+254 725 111 000",
            address="Upper Hill Road 7, Nairobi",
        ),
        invoices=[("INV-2026-0290", 120, 2_400_000, 0)],
        history=REMINDERS,
        stage="accepted",
        caseworker="caseworker2@agency.example",
    ),
    Scenario(
        business="Acacia Office Supplies Ltd",
        clerk="owner@acacia.example",
        debtor=_debtor(
            "Runda Water Services",
            contact="Esther Njeri",
            email="office@rundawater.example",
            phone="+254 710 555 666",
        ),
        invoices=[("INV-2026-0333", 100, 1_180_000, 0), ("INV-2026-0349", 92, 1_180_000, 0)],
        history=REMINDERS[1:],
        stage="accepted",
    ),
    Scenario(
        business="Acacia Office Supplies Ltd",
        clerk="clerk@acacia.example",
        debtor=_debtor(
            "Parklands Hardware",
            contact="Ravi Shah",
            email="ravi@parklandshw.example",
            phone="+254 733 909 808",
        ),
        invoices=[("INV-2026-0311", 135, 3_150_000, 0)],
        history=REMINDERS,
        stage="accepted",
        caseworker="caseworker2@agency.example",
    ),
    Scenario(
        business="Baobab Print Co",
        clerk="owner@baobab.example",
        debtor=_debtor(
            "Gigiri Catering",
            contact="Amina Yusuf",
            email="amina@gigiricatering.example",
            phone="+254 701 202 303",
        ),
        invoices=[("BP-1040", 95, 870_000, 0)],
        history=REMINDERS[:2],
        stage="accepted",
    ),
    Scenario(
        business="Baobab Print Co",
        clerk="owner@baobab.example",
        debtor=_debtor("Riverside Hardware", email="accounts@riverside.example"),
        invoices=[("BP-0977", 400, 380_000, 0)],
        history=REMINDERS[2:],
        stage="rejected",
    ),
]


@contextmanager
def acting_as(user: User) -> Iterator[None]:
    """Run services as if `user` clicked: signed in inside a request context."""
    with current_app.test_request_context("/"):
        login_user(user)
        try:
            yield
        finally:
            logout_user()


def run(now: datetime | None = None) -> list[Case]:
    """Create the demo cases that are missing; return them."""
    now = now or datetime.now(UTC)
    created = [_play(scenario, now) for scenario in SCENARIOS if not _exists(scenario)]
    db.session.flush()
    return created


def _exists(scenario: Scenario) -> bool:
    business = _organisation(scenario.business)
    return (
        db.session.scalar(
            select(Case.id)
            .join(Debtor, Debtor.id == Case.debtor_id)
            .where(Case.business_id == business.id, Debtor.name == scenario.debtor.name)
        )
        is not None
    )


def _play(scenario: Scenario, now: datetime) -> Case:
    clerk = _user(scenario.clerk)
    today = now.astimezone(NAIROBI).date()
    with acting_as(clerk):
        case = cases.save_draft(clerk, _case_data(scenario, today))
        for days_ago, channel, direction, summary, outcome in scenario.history:
            moment = datetime.combine(today - timedelta(days=days_ago), time(10, 30), NAIROBI)
            cases.add_history(
                case,
                clerk,
                cases.HistoryData(
                    occurred_at=moment,
                    channel=channel,
                    direction=direction,
                    summary=summary,
                    contact_person=scenario.debtor.contact_person,
                    outcome=outcome,
                ),
            )
        if scenario.attach_invoice_copy:
            for number, *_ in scenario.invoices:
                documents.upload(case, _invoice_pdf(scenario, number), clerk)
        if scenario.stage in ("draft", "ready"):
            return case
        cases.submit(case, clerk, _agreement(case, scenario.agency).id)
    agency_admin = _agency_admin(case.agency_id)
    with acting_as(agency_admin):
        if scenario.stage in ("info_requested", "answered"):
            cases.request_information(case, agency_admin, scenario.question)
        elif scenario.stage == "accepted":
            placements.accept(case, agency_admin, _user(scenario.caseworker).id, today)
        elif scenario.stage == "rejected":
            placements.reject(
                case,
                agency_admin,
                "statute_barred",
                "The only invoice fell due over a year ago and there has been no "
                "acknowledgement since; we would not take it to court.",
            )
    if scenario.stage == "answered":
        with acting_as(clerk):
            cases.answer_information_request(case, clerk, scenario.answer)
    return case


def _case_data(scenario: Scenario, today: date) -> cases.CaseData:
    invoices = [
        cases.InvoiceData(
            number=number,
            issue_date=today - timedelta(days=overdue + 30),
            due_date=today - timedelta(days=overdue),
            amount_minor=amount,
            paid_minor=paid,
        )
        for number, overdue, amount, paid in scenario.invoices
    ]
    return cases.CaseData(
        currency="KES",
        invoices=invoices,
        debtor=scenario.debtor,
        contract_reference=scenario.contract_reference,
        checklist=scenario.checklist,
    )


def _invoice_pdf(scenario: Scenario, number: str) -> FileStorage:
    """A one-page copy of the invoice, as a business would attach it."""
    amount = next(a for n, _, a, _ in scenario.invoices if n == number)
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, f"{scenario.business}: invoice {number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=11)
    for line in (
        f"Bill to: {scenario.debtor.name}".encode("latin-1", "replace").decode("latin-1"),
        f"Amount due: {money.format_money(amount, 'KES')}",
        "Payment within 30 days to account 0123456789, Equity Bank, Nairobi.",
    ):
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return FileStorage(
        BytesIO(bytes(pdf.output())), filename=f"{number}.pdf", content_type="application/pdf"
    )


def _organisation(name: str) -> Organisation:
    return db.session.scalars(select(Organisation).where(Organisation.name == name)).one()


def _user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def _agency_admin(agency_id: int) -> User:
    return db.session.scalars(
        select(User)
        .where(User.organisation_id == agency_id, User.role == Role.AGENCY_ADMIN)
        .order_by(User.id)
    ).first()


def _agreement(case: Case, agency_name: str) -> Agreement:
    agency = _organisation(agency_name)
    return next(a for a in cases.placeable_agreements(case.business_id) if a.agency_id == agency.id)
