"""Organisations (businesses and agencies), their users and invitations."""

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import CreatedAt, UTCDateTime, str_enum


class OrgKind(enum.StrEnum):
    BUSINESS = "business"
    AGENCY = "agency"


class Role(enum.StrEnum):
    BUSINESS_ADMIN = "business_admin"
    BUSINESS_MEMBER = "business_member"
    AGENCY_ADMIN = "agency_admin"
    CASEWORKER = "caseworker"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def org_kind(self) -> OrgKind:
        return OrgKind.AGENCY if self in AGENCY_ROLES else OrgKind.BUSINESS


AGENCY_ROLES = frozenset({Role.AGENCY_ADMIN, Role.CASEWORKER})
BUSINESS_ROLES = frozenset({Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER})
ADMIN_ROLES = frozenset({Role.AGENCY_ADMIN, Role.BUSINESS_ADMIN})


class Organisation(CreatedAt, db.Model):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("length(country) = 2", name="country_code"),
        CheckConstraint("length(currency) = 3", name="currency_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind, "org_kind"))
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    address: Mapped[str] = mapped_column(Text, default="")
    registration_number: Mapped[str] = mapped_column(String(64), default="")
    # Businesses only: the prefix of their case references, e.g. ACA in ACA-2026-00042.
    case_prefix: Mapped[str | None] = mapped_column(String(8), unique=True)
    # The agency that invited this business to the portal, if any.
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))

    users: Mapped[list["User"]] = relationship(back_populates="organisation")

    @property
    def is_agency(self) -> bool:
        return self.kind == OrgKind.AGENCY

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.kind} {self.name!r}>"


class User(UserMixin, CreatedAt, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # E-mail addresses are kept lower-case, so the unique index is case-insensitive.
        CheckConstraint("email = lower(email)", name="email_lower_case"),
        CheckConstraint("failed_logins >= 0", name="failed_logins_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Failures are counted in a 15-minute window that starts at the first of them.
    first_failed_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Raised when the password changes: every session signed in before then ends.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Two-factor sign-in (TOTP): the secret is set at enrolment, in use once confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # a code is good only once
    recovery_codes: Mapped[list[str] | None] = mapped_column(JSON)  # hashes of unused codes
    # The zone the user reads times in; None means the organisation's.
    timezone: Mapped[str | None] = mapped_column(String(64))

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_agency(self) -> bool:
        return self.role in AGENCY_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def zone(self) -> str:
        return self.timezone or self.organisation.timezone

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class Invitation(CreatedAt, db.Model):
    """A one-time, expiring link that lets a person set their password and join."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    # Only a hash of the token is stored; the token itself is shown once to the inviter.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()
