"""What happened on a case: correspondence and contacts, documents, messages between the sides."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import CreatedAt, UTCDateTime, str_enum
from portal.models.cases import Case
from portal.models.orgs import User


class Channel(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    LETTER = "letter"
    SMS = "sms"
    VISIT = "visit"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"sms": "SMS", "email": "E-mail"}.get(self.value, self.value.capitalize())


class Direction(enum.StrEnum):
    OUTBOUND = "outbound"  # to the debtor
    INBOUND = "inbound"  # from the debtor


class PartyReached(enum.StrEnum):
    DEBTOR = "debtor"
    ATTORNEY = "attorney"
    THIRD_PARTY = "third_party"
    NOBODY = "nobody"


class ContactOutcome(enum.StrEnum):
    NO_ANSWER = "no_answer"
    MESSAGE_LEFT = "message_left"
    CONVERSATION = "conversation"
    PROMISE_TO_PAY = "promise_to_pay"
    REFUSAL = "refusal"
    DISPUTE_RAISED = "dispute_raised"
    WRONG_NUMBER = "wrong_number"
    STOP_REQUESTED = "stop_requested"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Side(enum.StrEnum):
    BUSINESS = "business"
    AGENCY = "agency"


class CorrespondenceEntry(db.Model):
    """One contact with the debtor, before or after handover. Append-only.

    The business records its history before handover (free-text outcome); the agency's contact
    log adds who was reached, a coded outcome, promises and any breach of the contact rules.
    A mistake is corrected by a later entry that names the one it corrects.
    """

    __tablename__ = "correspondence"
    __table_args__ = (
        Index("ix_correspondence_case_occurred", "case_id", "occurred_at"),
        # Few rows carry these, and the figures look for exactly those rows.
        Index(
            "ix_correspondence_corrects",
            "corrects_id",
            sqlite_where=text("corrects_id IS NOT NULL"),
            postgresql_where=text("corrects_id IS NOT NULL"),
        ),
        Index(
            "ix_correspondence_breaches",
            "occurred_at",
            "case_id",
            sqlite_where=text("rule_breach = 1"),
            postgresql_where=text("rule_breach"),
        ),
        CheckConstraint(
            "promise_amount_minor IS NULL OR promise_amount_minor > 0", name="promise_amount"
        ),
        CheckConstraint(
            "NOT rule_breach OR override_reason IS NOT NULL", name="breach_needs_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    side: Mapped[Side] = mapped_column(str_enum(Side, "side"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, "direction"))
    contact_person: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text, default="")
    party_reached: Mapped[PartyReached | None] = mapped_column(
        str_enum(PartyReached, "party_reached")
    )
    outcome_code: Mapped[ContactOutcome | None] = mapped_column(
        str_enum(ContactOutcome, "contact_outcome")
    )
    promise_amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    promise_date: Mapped[date | None] = mapped_column(Date)
    rule_breach: Mapped[bool] = mapped_column(Boolean, default=False)
    breached_rules: Mapped[str | None] = mapped_column(String(200))
    override_reason: Mapped[str | None] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("correspondence.id"))
    # The contact form's one-time token: a double submit records the contact once.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    recorded_by: Mapped[User | None] = relationship()
    documents: Mapped[list["Document"]] = relationship(back_populates="correspondence")


class Document(db.Model):
    """A file on a case. The bytes live in storage under a random key; the name is only shown."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_case_sha256", "case_id", "sha256"),
        CheckConstraint("size_bytes >= 0", name="size"),
        CheckConstraint("length(sha256) = 64", name="sha256_hex"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    correspondence_id: Mapped[int | None] = mapped_column(
        ForeignKey("correspondence.id"), index=True
    )
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(300), default="")
    side: Mapped[Side] = mapped_column(str_enum(Side, "side"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship()
    correspondence: Mapped[CorrespondenceEntry | None] = relationship(back_populates="documents")
    uploaded_by: Mapped[User | None] = relationship()


class MessageKind(enum.StrEnum):
    NOTE = "note"
    QUESTION = "question"  # the agency asks the business for information
    ANSWER = "answer"


class Message(CreatedAt, db.Model):
    """A message on a case's thread between the business and the agency."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_case_created", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    side: Mapped[Side] = mapped_column(str_enum(Side, "side"))
    kind: Mapped[MessageKind] = mapped_column(str_enum(MessageKind, "message_kind"))
    body: Mapped[str] = mapped_column(Text)
    # An agency note marked internal is never shown to the business.
    internal: Mapped[bool] = mapped_column(Boolean, default=False)

    author: Mapped[User | None] = relationship()
