"""The audit trail, notifications, the mail outbox and saved import mappings."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import text

from portal.extensions import db
from portal.models.base import CreatedAt, UTCDateTime, utcnow
from portal.models.orgs import User


class Event(db.Model):
    """Append-only: who did what, when, to which case, with the state before and after.

    Each event is sealed when its transaction commits (portal.audit): it gets the next place in
    the chain (`seq`), the hash of the event before it and its own hash over both, so a row
    changed or removed afterwards is detectable (`flask privacy verify-audit`).
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_case_occurred", "case_id", "occurred_at"),
        Index("ix_events_org_occurred", "organisation_id", "occurred_at"),
        Index("ix_events_kind_occurred", "kind", "occurred_at"),
        Index(
            "ix_events_unsealed",
            "id",
            postgresql_where=text("hash IS NULL"),
            sqlite_where=text("hash IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Hidden from the business (an agency's internal note).
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    # The chain: set once, at commit, by portal.audit.seal(). The hash covers the case as it
    # was then (`chained_case_id`): `case_id` may only lose its link (a deleted draft).
    chained_case_id: Mapped[int | None] = mapped_column(BigInteger)
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship()


class ImmutableEvent(Exception):
    """Something tried to change or delete an audit event through the ORM."""


@event.listens_for(Event, "before_update")
def _refuse_event_update(mapper, connection, target: Event) -> None:
    raise ImmutableEvent(f"Audit event {target.id} is part of the audit trail: it never changes.")


@event.listens_for(Event, "before_delete")
def _refuse_event_delete(mapper, connection, target: Event) -> None:
    raise ImmutableEvent(f"Audit event {target.id} is part of the audit trail: never deleted.")


class AuditChainHead(db.Model):
    """One row: the last sealed event's place and hash. Locked while a transaction seals."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class Notification(CreatedAt, db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationPreference(db.Model):
    """A user's choice to receive (or not) e-mail for one kind of event."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class OutboxMail(CreatedAt, db.Model):
    """Mail waits here until the sender delivers it (SMTP, or the log in development)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unsent", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class ImportMapping(CreatedAt, db.Model):
    """A business's saved column mapping for its plain CSV/XLSX uploads."""

    __tablename__ = "import_mappings"
    __table_args__ = (UniqueConstraint("business_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(100))
    # our field name -> the file's column header
    columns: Mapped[dict[str, str]] = mapped_column(JSON)
    date_order: Mapped[str] = mapped_column(String(3), default="DMY")
