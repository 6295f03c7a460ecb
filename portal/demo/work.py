"""What the agency did on the demo's accepted cases: contacts, promises, payments, plans, a
dispute, a settlement waiting for the business, a case paid in full, a flagged call and the
remittance statements that follow.

Each story is played day by day through the services, with the service's own `today` and `at`
set to the day in the story, so every rule (calling window, quiet days, grace days, balances)
applies as it would have. Placement and acceptance are dated back to before the story starts.
"""

import secrets
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from portal.casework import services as casework
from portal.demo.cases import NAIROBI, acting_as
from portal.extensions import db
from portal.ledger import services as ledger
from portal.models import (
    Case,
    Channel,
    ContactOutcome,
    DebtorProfile,
    Direction,
    Frequency,
    PaidTo,
    PartyReached,
    User,
)
from portal.statements import services as statements


class Story:
    """One accepted case, told from `start_days_ago` to today."""

    def __init__(self, case: Case, worker: User, today: date, start_days_ago: int):
        self.case, self.worker, self.today = case, worker, today
        accepted = datetime.combine(today - timedelta(days=start_days_ago), time(9), NAIROBI)
        case.submitted_at = accepted - timedelta(days=3)
        if case.checklist_confirmed_at is not None:  # confirmed just before handing it over
            case.checklist_confirmed_at = case.submitted_at - timedelta(minutes=5)
        case.answer_due_at = accepted + timedelta(days=2)
        case.accepted_at = accepted
        db.session.flush()

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def moment(self, days_ago: int, hour: int = 10, minute: int = 30) -> datetime:
        return datetime.combine(self.day(days_ago), time(hour, minute), NAIROBI)

    def contact(
        self,
        days_ago: int,
        outcome: ContactOutcome,
        notes: str,
        *,
        reached: PartyReached = PartyReached.DEBTOR,
        promise: tuple[int, int] | None = None,  # amount minor, days ago the promise falls due
        hour: int = 10,
        override: str = "",
    ) -> None:
        at = self.moment(days_ago, hour)
        casework.log_contact(
            self.case,
            self.worker,
            casework.ContactData(
                occurred_at=at,
                channel=Channel.PHONE,
                direction=Direction.OUTBOUND,
                party_reached=reached,
                outcome=outcome,
                notes=notes,
                promise_amount_minor=promise[0] if promise else None,
                promise_date=self.day(promise[1]) if promise else None,
                override_reason=override,
            ),
            at + timedelta(minutes=10),
        )

    def payment(self, days_ago: int, amount: int, method: str = "mpesa", direct=False) -> None:
        ledger.record_payment(
            self.case,
            self.worker,
            ledger.PaymentData(
                amount_minor=amount,
                received_on=self.day(days_ago),
                method=method,
                reference=f"QX{secrets.token_hex(4).upper()}",
                paid_to=PaidTo.CLIENT if direct else PaidTo.AGENCY,
                token=secrets.token_hex(16),
            ),
            self.day(days_ago),
        )

    def plan(self, days_ago: int, total: int, count: int, frequency: Frequency, first: int):
        return ledger.create_plan(
            self.case,
            self.worker,
            ledger.PlanData(
                total_minor=total, count=count, frequency=frequency, first_due_on=self.day(first)
            ),
            self.day(days_ago),
        )


def kilimani_dental(s: Story) -> None:
    """Paid part on a promise, then agreed a plan it keeps."""
    s.contact(
        40,
        ContactOutcome.NO_ANSWER,
        "Rang the clinic's accounts line twice.",
        reached=PartyReached.NOBODY,
    )
    s.contact(
        38,
        ContactOutcome.PROMISE_TO_PAY,
        "Spoke to Dr. Kamau: cash flow is tight after new equipment; will pay KES 20,000 now.",
        promise=(2_000_000, 33),
    )
    s.payment(34, 2_000_000)
    casework.set_profile(s.case, s.worker, DebtorProfile.CANNOT_PAY)
    s.contact(
        26,
        ContactOutcome.CONVERSATION,
        "Agreed the rest in five monthly instalments, the first due in a week.",
    )
    s.plan(26, 3_500_000, 5, Frequency.MONTHLY, 19)
    s.payment(19, 700_000, method="bank_transfer")


def upper_hill_motors(s: Story) -> None:
    """A plan broken after one instalment, and a late call logged with its reason."""
    s.contact(
        36, ContactOutcome.CONVERSATION, "Owner accepts the debt; offers fortnightly payments."
    )
    s.plan(35, 2_400_000, 3, Frequency.FORTNIGHTLY, 30)
    s.payment(30, 800_000)
    ledger.refresh_plans(s.today)
    s.contact(
        3,
        ContactOutcome.CONVERSATION,
        "Called after the plan broke; he asked to be rung after closing time.",
        hour=21,
        override="The debtor asked to be called after the garage closes at 21:00.",
    )


def runda_water(s: Story) -> None:
    """The debtor disputes the quantity delivered: the case waits on the business."""
    s.contact(
        20,
        ContactOutcome.DISPUTE_RAISED,
        "Says the second delivery was 40 cartons short and will not pay until it is credited.",
    )


def gigiri_catering(s: Story) -> None:
    """Paid in full, straight to the business after our letter and call."""
    s.contact(
        28,
        ContactOutcome.PROMISE_TO_PAY,
        "Will clear it all by Friday.",
        promise=(s.case.placement_balance_minor, 24),
    )
    s.payment(25, s.case.placement_balance_minor, method="bank_transfer", direct=True)


def parklands_hardware(s: Story) -> None:
    """Offers less than the floor: the business decides."""
    casework.set_profile(s.case, s.worker, DebtorProfile.AVOIDS)
    s.contact(12, ContactOutcome.REFUSAL, "Refused to pay the full amount; disputes nothing.")
    s.contact(
        4,
        ContactOutcome.CONVERSATION,
        "Offers 60 % in one payment this week in full and final settlement.",
    )
    balance = ledger.balance_of(s.case)
    ledger.offer_settlement(
        s.case, s.worker, balance * 60 // 100, "One payment within 7 days if accepted."
    )


STORIES: dict[str, tuple[Callable[[Story], None], int]] = {
    "Kilimani Dental Clinic": (kilimani_dental, 45),
    "Upper Hill Motors": (upper_hill_motors, 40),
    "Runda Water Services": (runda_water, 25),
    "Gigiri Catering": (gigiri_catering, 32),
    "Parklands Hardware": (parklands_hardware, 16),
}


def play_all(cases: list[Case], today: date) -> None:
    """Tell the story of each newly created case that has one."""
    for case in cases:
        if case.debtor.name in STORIES and case.assigned_to is not None:
            story, start = STORIES[case.debtor.name]
            with acting_as(case.assigned_to):
                story(Story(case, case.assigned_to, today, start))


def issue_statements(agency_admin: User, today: date) -> None:
    """A statement for each client with payments, covering the period up to yesterday."""
    with acting_as(agency_admin):
        for agreement in statements.clients(agency_admin.organisation_id):
            if statements.last_statement(agreement) is not None:
                continue
            start = today - timedelta(days=60)
            result = statements.preview(agreement, start, today - timedelta(days=1), today)
            if not result.lines:
                continue
            statements.issue(
                agreement,
                start,
                today - timedelta(days=1),
                agency_admin,
                datetime.combine(today, time(8), NAIROBI),
                today,
            )
