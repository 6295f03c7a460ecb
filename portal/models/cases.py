"""The case: one debtor, its unpaid invoices and the contract terms, placed with one agency."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.agreements import Agreement
from portal.models.base import CreatedAt, UTCDateTime, str_enum
from portal.models.orgs import Organisation, User


class DebtorKind(enum.StrEnum):
    PERSON = "person"
    COMPANY = "company"


class Debtor(CreatedAt, db.Model):
    """A customer of a business who owes it money. Owned by the business."""

    __tablename__ = "debtors"
    __table_args__ = (CheckConstraint("length(country) = 2", name="country_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[DebtorKind] = mapped_column(str_enum(DebtorKind, "debtor_kind"))
    name: Mapped[str] = mapped_column(String(200))
    registration_number: Mapped[str] = mapped_column(String(64), default="")
    account_number: Mapped[str] = mapped_column(String(64), default="")
    contact_person: Mapped[str] = mapped_column(String(200), default="")
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    address: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str] = mapped_column(String(2))
    # The contact rules run on the debtor's local time.
    timezone: Mapped[str] = mapped_column(String(64))

    business: Mapped[Organisation] = relationship()


class CaseStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    INFO_REQUESTED = "info_requested"
    ACCEPTED = "accepted"
    IN_COLLECTION = "in_collection"
    PAYMENT_PLAN = "payment_plan"
    ON_HOLD = "on_hold"
    IN_LEGAL = "in_legal"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    CaseStatus.DRAFT: "Draft",
    CaseStatus.SUBMITTED: "Submitted",
    CaseStatus.INFO_REQUESTED: "Information requested",
    CaseStatus.ACCEPTED: "Accepted",
    CaseStatus.IN_COLLECTION: "In collection",
    CaseStatus.PAYMENT_PLAN: "Payment plan",
    CaseStatus.ON_HOLD: "On hold (dispute)",
    CaseStatus.IN_LEGAL: "In legal",
    CaseStatus.CLOSED: "Closed",
}


class CloseCode(enum.StrEnum):
    PAID_IN_FULL = "paid_in_full"
    SETTLED = "settled"
    INSOLVENT = "insolvent"
    UNTRACEABLE = "untraceable"
    DECEASED = "deceased"
    STATUTE_BARRED = "statute_barred"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class DebtorProfile(enum.StrEnum):
    """The three kinds of late payer: it decides the approach."""

    CANNOT_PAY = "cannot_pay"  # wants to pay but can't: a payment plan
    DELAYS = "delays"  # delays on purpose: firm follow-up
    AVOIDS = "avoids"  # avoids paying: escalation


CHECKLIST_ITEMS = {
    "invoice_correct": "The invoice was correct and complete.",
    "sent_to_right_address": "The invoice was sent to the right address.",
    "payment_instructions_clear": "Its payment instructions were clear.",
    "debtor_contacted": "The debtor was contacted directly (phone, letter or a visit).",
    "reminder_sent": "At least one written reminder was sent.",
}


class Case(CreatedAt, db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint("length(currency) = 3", name="currency_code"),
        CheckConstraint(
            "placement_balance_minor IS NULL OR placement_balance_minor >= 0",
            name="placement_balance",
        ),
        CheckConstraint("fee_rate_bps IS NULL OR fee_rate_bps BETWEEN 0 AND 10000", name="fee"),
        CheckConstraint(
            "(status = 'closed') = (close_code IS NOT NULL)", name="closed_has_close_code"
        ),
        CheckConstraint("status = 'draft' OR reference IS NOT NULL", name="placed_has_reference"),
        Index("ix_cases_business_status", "business_id", "status"),
        Index("ix_cases_agency_status", "agency_id", "status"),
        Index("ix_cases_assignee_status", "assigned_to_id", "status"),
        # Dashboards count over every case of an agency: these serve their figures from the
        # index alone (open cases by client and caseworker, in the index's order, so without
        # a sort; placements waiting, by answer date; promises due by date).
        Index("ix_cases_agency_groups", "agency_id", "business_id", "assigned_to_id", "status"),
        Index("ix_cases_agency_waiting", "agency_id", "status", "answer_due_at", "submitted_at"),
        # The dashboard's list of open cases: its totals line summed from the index alone, and
        # its pages taken in the index's order (newest accepted first), however deep the page.
        Index(
            "ix_cases_agency_balances",
            "agency_id",
            "status",
            "currency",
            "placement_balance_minor",
            "charges_minor",
            "recovered_minor",
        ),
        Index("ix_cases_agency_accepted", "agency_id", "accepted_at", "id", "status"),
        # The business's case list in its default order (last change first), page by page.
        Index(
            "ix_cases_business_changed",
            "business_id",
            text("coalesce(updated_at, created_at)"),
            "id",
        ),
        # Rows of other tables (recoveries above all) joined to their case for the viewer's
        # scope and grouping: read from this index, not from the wide case rows.
        Index("ix_cases_scope", "id", "agency_id", "business_id", "assigned_to_id", "status"),
        Index("ix_cases_agency_promise", "agency_id", "promise_due_on", "status"),
        # The worklist's order (next action, then accepted), read from the index.
        Index("ix_cases_agency_work", "agency_id", "status", "next_action_on", "accepted_at"),
        Index(
            "ix_cases_assignee_work", "assigned_to_id", "status", "next_action_on", "accepted_at"
        ),
        Index("ix_cases_assignee_promise", "assigned_to_id", "promise_due_on", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id"), index=True)
    # Set when the case is submitted: the agency and the agreement it is placed under.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    status: Mapped[CaseStatus] = mapped_column(
        str_enum(CaseStatus, "case_status"), default=CaseStatus.DRAFT
    )
    close_code: Mapped[CloseCode | None] = mapped_column(str_enum(CloseCode, "close_code"))
    currency: Mapped[str] = mapped_column(String(3))
    contract_reference: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # The pre-handover checklist: item key -> confirmed.
    checklist: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)
    checklist_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checklist_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Money frozen at placement and the fee rate fixed at acceptance (never retroactive).
    placement_balance_minor: Mapped[int | None] = mapped_column(BigInteger)
    # What came in and what was charged since placement, kept in step with the ledger's rows
    # (portal/ledger/totals.py) so lists and dashboards read a balance without summing them.
    recovered_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    charges_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    debt_age_days_at_placement: Mapped[int | None] = mapped_column(Integer)
    fee_rate_bps: Mapped[int | None] = mapped_column(Integer)
    fee_rate_explanation: Mapped[str | None] = mapped_column(Text)
    # The agency's side.
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    debtor_profile: Mapped[DebtorProfile | None] = mapped_column(
        str_enum(DebtorProfile, "debtor_profile")
    )
    rejection_reason: Mapped[str | None] = mapped_column(String(64))
    rejection_note: Mapped[str | None] = mapped_column(Text)
    next_action_on: Mapped[date | None] = mapped_column(Date, index=True)
    # The debtor's standing promise to pay: the latest promise in the contact log, neither
    # corrected nor kept yet (portal/casework/promises.py keeps these in step with the log and
    # the ledger, so dashboards count promises due without reading the whole log).
    promise_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("correspondence.id", use_alter=True, ondelete="SET NULL")
    )
    promise_due_on: Mapped[date | None] = mapped_column(Date)
    # Milestones.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    exclusivity_until: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    business: Mapped[Organisation] = relationship(foreign_keys=[business_id])
    agency: Mapped[Organisation | None] = relationship(foreign_keys=[agency_id])
    agreement: Mapped[Agreement | None] = relationship()
    debtor: Mapped[Debtor] = relationship()
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    checklist_confirmed_by: Mapped[User | None] = relationship(
        foreign_keys=[checklist_confirmed_by_id]
    )
    invoices: Mapped[list["Invoice"]] = relationship(
        back_populates="case", order_by="Invoice.due_date", cascade="all, delete-orphan"
    )
    charge_terms: Mapped[list["ChargeTerm"]] = relationship(
        back_populates="case", cascade="all, delete-orphan"
    )

    @hybrid_property
    def balance_minor(self) -> int | None:
        """What is still owed: at placement, plus charges, less what was recovered (None for a
        draft, which has no placement yet)."""
        if self.placement_balance_minor is None:
            return None
        return (
            self.placement_balance_minor + (self.charges_minor or 0) - (self.recovered_minor or 0)
        )

    @balance_minor.inplace.expression
    @classmethod
    def _balance_minor_expression(cls) -> ColumnElement[int]:
        return cls.placement_balance_minor + cls.charges_minor - cls.recovered_minor

    @property
    def is_draft(self) -> bool:
        return self.status == CaseStatus.DRAFT

    @property
    def outstanding_minor(self) -> int:
        """What the invoices still say is owed (before any recovery through the agency)."""
        return sum(i.outstanding_minor for i in self.invoices)


class Invoice(db.Model):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("case_id", "number"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("paid_minor >= 0 AND paid_minor <= amount_minor", name="paid_within"),
        CheckConstraint("due_date >= issue_date", name="due_after_issue"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)

    case: Mapped[Case] = relationship(back_populates="invoices")

    @property
    def outstanding_minor(self) -> int:
        return self.amount_minor - self.paid_minor


class ChargeKind(enum.StrEnum):
    LATE_FEE = "late_fee"
    INTEREST = "interest"
    COMPENSATION = "compensation"


class ChargeBasis(enum.StrEnum):
    CONTRACT = "contract"  # a clause of the signed contract
    STATUTE = "statute"  # e.g. the UK Late Payment of Commercial Debts (Interest) Act 1998


class ChargeTerm(db.Model):
    """A charge the contract or the law allows. Only these may ever be added to the balance."""

    __tablename__ = "charge_terms"
    __table_args__ = (
        CheckConstraint(
            "(fixed_minor IS NOT NULL) OR (annual_rate_bps IS NOT NULL)", name="has_amount"
        ),
        CheckConstraint("fixed_minor IS NULL OR fixed_minor > 0", name="fixed_positive"),
        CheckConstraint(
            "annual_rate_bps IS NULL OR annual_rate_bps BETWEEN 0 AND 100000", name="rate"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ChargeKind] = mapped_column(str_enum(ChargeKind, "charge_kind"))
    basis: Mapped[ChargeBasis] = mapped_column(str_enum(ChargeBasis, "charge_basis"))
    clause: Mapped[str] = mapped_column(String(300), default="")
    fixed_minor: Mapped[int | None] = mapped_column(BigInteger)
    # Simple interest per year, never compounded.
    annual_rate_bps: Mapped[int | None] = mapped_column(Integer)

    case: Mapped[Case] = relationship(back_populates="charge_terms")


class Charge(CreatedAt, db.Model):
    """A charge actually added to a case's balance, on the basis of one of its terms."""

    __tablename__ = "charges"
    __table_args__ = (CheckConstraint("amount_minor <> 0", name="amount_non_zero"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("charge_terms.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("charges.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    term: Mapped[ChargeTerm] = relationship()


class CaseSequence(db.Model):
    """The last case number a business used in a year: ACA-2026-00042."""

    __tablename__ = "case_sequences"

    business_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Dispute(CreatedAt, db.Model):
    """A debtor's dispute: the case is on hold until the business resolves it."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(String(16))  # upheld / rejected
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The status the case returns to when the dispute is rejected.
    status_before: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        CheckConstraint(
            "resolution IS NULL OR resolution IN ('upheld', 'rejected')", name="resolution"
        ),
    )
