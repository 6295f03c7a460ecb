"""Builders for the casework tests: a case the agency works, log entries, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from portal.casework import promises
from portal.extensions import db
from portal.models import (
    Case,
    CaseStatus,
    Channel,
    ContactOutcome,
    CorrespondenceEntry,
    Direction,
    PartyReached,
    Side,
)
from tests import factories

NAIROBI = ZoneInfo("Africa/Nairobi")
NEW_YORK = ZoneInfo("America/New_York")


def at(zone: ZoneInfo, *args: int) -> datetime:
    """A wall-clock time in `zone`, as an aware UTC instant."""
    return datetime(*args, tzinfo=zone).astimezone(UTC)


def worked_case(world, status: CaseStatus = CaseStatus.IN_COLLECTION, **fields) -> Case:
    """A case placed with world.agency, accepted and assigned to world.caseworker."""
    fields.setdefault("assigned_to_id", world.caseworker.id)
    fields.setdefault("accepted_at", datetime(2026, 1, 5, 9, tzinfo=UTC))
    case = factories.case(
        world.business, world.agency, status=status, agreement_id=world.agreement.id, **fields
    )
    db.session.commit()
    return case


def logged(
    case: Case,
    user,
    when: datetime,
    outcome: ContactOutcome = ContactOutcome.NO_ANSWER,
    channel: Channel = Channel.PHONE,
    **fields,
) -> CorrespondenceEntry:
    """A contact log entry written straight to the table (the service is tested elsewhere)."""
    entry = CorrespondenceEntry(
        case_id=case.id,
        side=Side.AGENCY,
        occurred_at=when,
        channel=channel,
        direction=fields.pop("direction", Direction.OUTBOUND),
        summary=fields.pop("summary", ""),
        party_reached=fields.pop(
            "party_reached",
            PartyReached.NOBODY if outcome == ContactOutcome.NO_ANSWER else PartyReached.DEBTOR,
        ),
        outcome_code=outcome,
        outcome=outcome.label,
        recorded_by_id=user.id,
        recorded_at=when,
        **fields,
    )
    db.session.add(entry)
    promises.refresh(case)  # as the contact log does
    db.session.commit()
    return entry


def freeze(monkeypatch, moment: datetime) -> None:
    """Fix the clock the casework routes read."""
    monkeypatch.setattr("portal.casework.services.now", lambda: moment)


def contact_form(**fields) -> dict:
    """A valid contact form: an unanswered call on 3 March 2026 at 10:00 (the user's zone)."""
    return {
        "occurred_at": "2026-03-03T10:00",
        "channel": "phone",
        "direction": "outbound",
        "party_reached": "nobody",
        "outcome": "no_answer",
        "corrects_id": "0",
    } | fields
