"""The signed agreement between one business and one agency, with its fee schedule."""

import enum
from datetime import datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import CreatedAt, UTCDateTime, str_enum
from portal.models.orgs import Organisation, User


class AgreementStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    ENDED = "ended"


class RemittanceMode(enum.StrEnum):
    NET = "net"  # the agency keeps its fee and remits the rest
    GROSS = "gross"  # the agency remits everything and invoices its fee


BPS = "BETWEEN 0 AND 10000"


class Agreement(CreatedAt, db.Model):
    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint("business_id <> agency_id", name="two_parties"),
        CheckConstraint(f"legal_rate_bps IS NULL OR legal_rate_bps {BPS}", name="legal_rate_bps"),
        CheckConstraint(f"fee_cap_bps IS NULL OR fee_cap_bps {BPS}", name="fee_cap_bps"),
        CheckConstraint(f"fee_tax_bps IS NULL OR fee_tax_bps {BPS}", name="fee_tax_bps"),
        CheckConstraint(f"settlement_floor_bps {BPS}", name="settlement_floor_bps"),
        CheckConstraint("window_start < window_end", name="calling_window"),
        CheckConstraint("calls_per_day >= 0 AND calls_per_7_days >= 0", name="call_limits"),
        CheckConstraint("quiet_days >= 0", name="quiet_days"),
        CheckConstraint("answer_days > 0", name="answer_days"),
        CheckConstraint("grace_days >= 0", name="grace_days"),
        CheckConstraint("exclusivity_months >= 0", name="exclusivity_months"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[AgreementStatus] = mapped_column(
        str_enum(AgreementStatus, "agreement_status"), default=AgreementStatus.PROPOSED
    )
    currency: Mapped[str] = mapped_column(String(3))
    # Fees: tiers live in FeeBand and AgeUplift; these apply on top.
    legal_rate_bps: Mapped[int | None] = mapped_column(Integer)
    fee_cap_bps: Mapped[int | None] = mapped_column(Integer)
    fee_tax_bps: Mapped[int | None] = mapped_column(Integer)
    remittance_mode: Mapped[RemittanceMode] = mapped_column(
        str_enum(RemittanceMode, "remittance_mode"), default=RemittanceMode.NET
    )
    # The agency may accept a settlement down to this share of the balance without asking.
    settlement_floor_bps: Mapped[int] = mapped_column(Integer, default=8000)
    # The contact policy, in the debtor's local time.
    window_start: Mapped[time] = mapped_column(Time, default=time(8, 0))
    window_end: Mapped[time] = mapped_column(Time, default=time(21, 0))
    calls_per_day: Mapped[int] = mapped_column(Integer, default=1)
    calls_per_7_days: Mapped[int] = mapped_column(Integer, default=7)
    quiet_days: Mapped[int] = mapped_column(Integer, default=7)
    # Days the agency has to answer a placement; grace before a missed instalment breaks a plan.
    answer_days: Mapped[int] = mapped_column(Integer, default=5)
    grace_days: Mapped[int] = mapped_column(Integer, default=5)
    exclusivity_months: Mapped[int] = mapped_column(Integer, default=6)
    # Each side's acceptance: who, when, from which address, under which typed name.
    agency_accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    agency_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    agency_accepted_ip: Mapped[str | None] = mapped_column(String(45))
    agency_signature: Mapped[str | None] = mapped_column(String(200))
    business_accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    business_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    business_accepted_ip: Mapped[str | None] = mapped_column(String(45))
    business_signature: Mapped[str | None] = mapped_column(String(200))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    business: Mapped[Organisation] = relationship(foreign_keys=[business_id])
    agency: Mapped[Organisation] = relationship(foreign_keys=[agency_id])
    agency_accepted_by: Mapped[User | None] = relationship(foreign_keys=[agency_accepted_by_id])
    business_accepted_by: Mapped[User | None] = relationship(foreign_keys=[business_accepted_by_id])
    bands: Mapped[list["FeeBand"]] = relationship(
        back_populates="agreement",
        order_by="FeeBand.min_balance_minor",
        cascade="all, delete-orphan",
    )
    age_uplifts: Mapped[list["AgeUplift"]] = relationship(
        back_populates="agreement",
        order_by="AgeUplift.min_age_days",
        cascade="all, delete-orphan",
    )

    @property
    def is_active(self) -> bool:
        return self.status == AgreementStatus.ACTIVE

    def party_of(self, organisation_id: int) -> bool:
        return organisation_id in (self.business_id, self.agency_id)


class FeeBand(db.Model):
    """A fee rate for placements whose balance is at least `min_balance_minor`."""

    __tablename__ = "fee_bands"
    __table_args__ = (
        UniqueConstraint("agreement_id", "min_balance_minor"),
        CheckConstraint("min_balance_minor >= 0", name="min_balance"),
        CheckConstraint(f"rate_bps {BPS}", name="rate_bps"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    min_balance_minor: Mapped[int] = mapped_column(Integer)
    rate_bps: Mapped[int] = mapped_column(Integer)

    agreement: Mapped[Agreement] = relationship(back_populates="bands")


class AgeUplift(db.Model):
    """Points added to the band rate when the debt is older than `min_age_days` at placement."""

    __tablename__ = "fee_age_uplifts"
    __table_args__ = (
        UniqueConstraint("agreement_id", "min_age_days"),
        CheckConstraint("min_age_days >= 0", name="min_age_days"),
        CheckConstraint(f"uplift_bps {BPS}", name="uplift_bps"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    min_age_days: Mapped[int] = mapped_column(Integer)
    uplift_bps: Mapped[int] = mapped_column(Integer)

    agreement: Mapped[Agreement] = relationship(back_populates="age_uplifts")
