"""Money on a case: recoveries with their fee, arrangements, and remittance statements.

Every amount is an integer in the currency's minor unit; every rate is in basis points.
Recoveries are append-only: a payment that bounces is reversed by a new, negative entry.
"""

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.agreements import RemittanceMode
from portal.models.base import CreatedAt, UTCDateTime, str_enum
from portal.models.cases import Case
from portal.models.orgs import Organisation, User


class PaidTo(enum.StrEnum):
    AGENCY = "agency"
    CLIENT = "client"  # paid directly to the business: still earns the agency its fee


class Recovery(CreatedAt, db.Model):
    __tablename__ = "recoveries"
    __table_args__ = (
        CheckConstraint("amount_minor <> 0", name="amount_non_zero"),
        CheckConstraint("fee_rate_bps BETWEEN 0 AND 10000", name="fee_rate"),
        CheckConstraint(
            "net_minor = amount_minor - fee_minor - tax_minor", name="net_is_gross_less_fee"
        ),
        CheckConstraint("reverses_id IS NULL OR amount_minor < 0", name="reversal_negative"),
        Index("ix_recoveries_case_received", "case_id", "received_on"),
        # The month's collections are summed from this index alone (by date, case and currency).
        Index("ix_recoveries_received", "received_on", "case_id", "currency", "amount_minor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    received_on: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(32))
    paid_to: Mapped[PaidTo] = mapped_column(str_enum(PaidTo, "paid_to"))
    reference: Mapped[str] = mapped_column(String(120), default="")
    fee_rate_bps: Mapped[int] = mapped_column(Integer)
    fee_minor: Mapped[int] = mapped_column(BigInteger)
    tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("recoveries.id"), unique=True)
    instalment_id: Mapped[int | None] = mapped_column(ForeignKey("instalments.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The payment form's one-time token: submitting the same form twice records once.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    case: Mapped[Case] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class ArrangementKind(enum.StrEnum):
    PLAN = "plan"
    SETTLEMENT = "settlement"


class ArrangementStatus(enum.StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"  # a settlement below the floor waits for the client
    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class Frequency(enum.StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


class Arrangement(CreatedAt, db.Model):
    """A payment plan (instalments) or a settlement (less than the balance, in full and final)."""

    __tablename__ = "arrangements"
    __table_args__ = (
        CheckConstraint("total_minor > 0", name="total_positive"),
        CheckConstraint(
            "kind <> 'plan' OR (instalment_count > 0 AND frequency IS NOT NULL)",
            name="plan_has_schedule",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[ArrangementKind] = mapped_column(str_enum(ArrangementKind, "arrangement_kind"))
    status: Mapped[ArrangementStatus] = mapped_column(
        str_enum(ArrangementStatus, "arrangement_status")
    )
    total_minor: Mapped[int] = mapped_column(BigInteger)
    instalment_count: Mapped[int | None] = mapped_column(Integer)
    frequency: Mapped[Frequency | None] = mapped_column(str_enum(Frequency, "frequency"))
    first_due_on: Mapped[date | None] = mapped_column(Date)
    # For a settlement: the balance it settles, so the share of it can be checked later.
    balance_at_offer_minor: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    broken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship()
    instalments: Mapped[list["Instalment"]] = relationship(
        back_populates="arrangement", order_by="Instalment.seq", cascade="all, delete-orphan"
    )


class InstalmentStatus(enum.StrEnum):
    DUE = "due"
    PAID = "paid"
    LATE = "late"  # past its date, within the grace days
    MISSED = "missed"  # past the grace days: the plan breaks


class Instalment(db.Model):
    __tablename__ = "instalments"
    __table_args__ = (
        UniqueConstraint("arrangement_id", "seq"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("paid_minor >= 0", name="paid_non_negative"),
        Index("ix_instalments_due_status", "due_on", "status"),
        # "Has this plan missed an instalment?" for every plan the broken-plans figure reads.
        Index(
            "ix_instalments_missed",
            "arrangement_id",
            sqlite_where=text("status = 'missed'"),
            postgresql_where=text("status = 'missed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    arrangement_id: Mapped[int] = mapped_column(ForeignKey("arrangements.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[InstalmentStatus] = mapped_column(
        str_enum(InstalmentStatus, "instalment_status"), default=InstalmentStatus.DUE
    )

    arrangement: Mapped[Arrangement] = relationship(back_populates="instalments")


class Statement(db.Model):
    """A remittance statement for one client and a period. Issued statements never change."""

    __tablename__ = "statements"
    __table_args__ = (
        UniqueConstraint("agency_id", "number"),
        CheckConstraint("period_end >= period_start", name="period"),
        CheckConstraint("net_minor = gross_minor - fee_minor - tax_minor", name="net"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    number: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    remittance_mode: Mapped[RemittanceMode] = mapped_column(
        str_enum(RemittanceMode, "remittance_mode")
    )
    gross_minor: Mapped[int] = mapped_column(BigInteger)
    fee_minor: Mapped[int] = mapped_column(BigInteger)
    tax_minor: Mapped[int] = mapped_column(BigInteger)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    # What changes hands: net mode remits net; gross mode remits the agency-held gross and
    # invoices fee and tax; payments made to the client directly are owed back as fee.
    due_to_client_minor: Mapped[int] = mapped_column(BigInteger)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The business's acknowledgement: who marked the statement received, and when.
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    agency: Mapped[Organisation] = relationship(foreign_keys=[agency_id])
    business: Mapped[Organisation] = relationship(foreign_keys=[business_id])
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id])
    lines: Mapped[list["StatementLine"]] = relationship(
        back_populates="statement", order_by="StatementLine.id"
    )


class StatementLine(db.Model):
    __tablename__ = "statement_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id"), index=True)
    # A recovery appears on exactly one statement.
    recovery_id: Mapped[int] = mapped_column(ForeignKey("recoveries.id"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    case_reference: Mapped[str] = mapped_column(String(32))
    debtor_name: Mapped[str] = mapped_column(String(200))
    received_on: Mapped[date] = mapped_column(Date)
    paid_to: Mapped[PaidTo] = mapped_column(str_enum(PaidTo, "paid_to"))
    gross_minor: Mapped[int] = mapped_column(BigInteger)
    fee_rate_bps: Mapped[int] = mapped_column(Integer)
    fee_minor: Mapped[int] = mapped_column(BigInteger)
    tax_minor: Mapped[int] = mapped_column(BigInteger)
    net_minor: Mapped[int] = mapped_column(BigInteger)

    statement: Mapped[Statement] = relationship(back_populates="lines")


class CollectionMonth(db.Model):
    """Money received in one month, in one currency, on the cases an agency works for one client
    and one caseworker (or nobody): the dashboards' collections, kept as payments are recorded
    and cases reassigned (portal/ledger/collections.py) instead of summed from every recovery of
    the month on each view. The recoveries are the truth; these rows are their sums."""

    __tablename__ = "collection_months"
    __table_args__ = (
        Index(
            "ix_collection_months_agency",
            "agency_id",
            "month",
            "business_id",
            "assigned_to_id",
            "currency",
            "amount_minor",
        ),
        Index("ix_collection_months_assignee", "assigned_to_id", "month"),
        Index("ix_collection_months_business", "business_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    business_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
