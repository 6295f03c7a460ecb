"""The agency works a case: the contact log under the rules of contact, the debtor's kind,
disputes, and the message thread between the two sides.

Services flush; the route commits once. Nothing here reads the clock except `now()`, which the
routes call and pass in (tests monkeypatch it).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import audit, lifecycle, money
from portal.casework import promises
from portal.casework.contact_rules import (
    CALL_CHANNEL,
    ContactAttempt,
    ContactDecision,
    ContactPolicy,
    may_contact,
)
from portal.errors import DomainError
from portal.extensions import db
from portal.formatting import nice_date
from portal.models import (
    Agreement,
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    Case,
    CaseStatus,
    Channel,
    CloseCode,
    ContactOutcome,
    CorrespondenceEntry,
    DebtorProfile,
    Direction,
    Dispute,
    Message,
    MessageKind,
    PartyReached,
    Role,
    Side,
    User,
    utcnow,
)
from portal.notifications import notify, people

S = CaseStatus
# The statuses in which the agency works a case (logs contacts, raises disputes).
WORKING = (S.ACCEPTED, S.IN_COLLECTION, S.PAYMENT_PLAN, S.ON_HOLD, S.IN_LEGAL)
# Outcomes that say someone spoke: the person reached cannot be "nobody".
SPOKEN = frozenset(
    {
        ContactOutcome.CONVERSATION,
        ContactOutcome.PROMISE_TO_PAY,
        ContactOutcome.REFUSAL,
        ContactOutcome.DISPUTE_RAISED,
        ContactOutcome.STOP_REQUESTED,
    }
)
PROFILE_LABELS = {
    DebtorProfile.CANNOT_PAY: "Wants to pay but can't (offer a payment plan)",
    DebtorProfile.DELAYS: "Delays on purpose (firm follow-up)",
    DebtorProfile.AVOIDS: "Avoids paying (escalate)",
}
PARTY_LABELS = {
    PartyReached.DEBTOR: "The debtor",
    PartyReached.ATTORNEY: "The debtor's attorney",
    PartyReached.THIRD_PARTY: "A third party",
    PartyReached.NOBODY: "Nobody",
}
RULE_LABELS = {
    "dispute": "during a dispute",
    "stop_requested": "after a request to stop",
    "blocked_day": "on a blocked day",
    "outside_window": "outside the calling window",
    "daily_limit": "over the daily limit",
    "weekly_limit": "over the 7-day limit",
    "quiet_period": "in the quiet days after a conversation",
    "no_calls": "calls not allowed by the agreement",
}
FUTURE_TOLERANCE = timedelta(minutes=5)


def now() -> datetime:
    """The current instant (UTC). Routes call this and pass it on; tests replace it."""
    return utcnow()


# --- the rules of contact ------------------------------------------------------------------


def policy_of(agreement: Agreement | None) -> ContactPolicy:
    """The agreement's contact policy (the defaults when the case has no agreement).

    A limit of 0 calls is handled by `decide` (no calls at all); ContactPolicy needs at least 1.
    """
    if agreement is None:
        return ContactPolicy()
    return ContactPolicy(
        window_start=agreement.window_start,
        window_end=agreement.window_end,
        calls_per_day=max(1, agreement.calls_per_day),
        calls_per_7_days=max(1, agreement.calls_per_7_days),
        quiet_days_after_conversation=agreement.quiet_days,
    )


def agency_log(case: Case) -> list[CorrespondenceEntry]:
    """The agency's contact log on the case, oldest first, corrections included."""
    return list(
        db.session.scalars(
            select(CorrespondenceEntry)
            .where(
                CorrespondenceEntry.case_id == case.id,
                CorrespondenceEntry.side == Side.AGENCY,
                CorrespondenceEntry.outcome_code.is_not(None),
            )
            .order_by(CorrespondenceEntry.occurred_at, CorrespondenceEntry.id)
        )
    )


def effective(entries: list[CorrespondenceEntry]) -> list[CorrespondenceEntry]:
    """The entries that stand: an entry corrected by a later one is replaced by it."""
    corrected = {e.corrects_id for e in entries if e.corrects_id is not None}
    return [e for e in entries if e.id not in corrected]


def attempts_of(entries: list[CorrespondenceEntry]) -> list[ContactAttempt]:
    """The contact log as the pure rules read it."""
    return [
        ContactAttempt(
            at=e.occurred_at,
            channel=e.channel.value,
            outcome=e.outcome_code.value,
            direction=e.direction.value,
        )
        for e in effective(entries)
        if e.outcome_code is not None
    ]


def open_dispute(case: Case) -> Dispute | None:
    return db.session.scalars(
        select(Dispute)
        .where(Dispute.case_id == case.id, Dispute.resolution.is_(None))
        .order_by(Dispute.id.desc())
    ).first()


def decide(
    case: Case,
    at: datetime,
    channel: str = CALL_CHANNEL,
    entries: list[CorrespondenceEntry] | None = None,
    on_hold: bool | None = None,
) -> ContactDecision:
    """May the agency contact this case's debtor on `channel` at `at`? (contact_rules.may_contact
    on the agreement's policy, the agency's log, the debtor's zone and the dispute state.)

    `entries` is the agency's log when the caller has it: entries, or rows with the columns
    `attempts_of` reads (id, occurred_at, channel, direction, outcome_code, corrects_id)."""
    entries = agency_log(case) if entries is None else entries
    if on_hold is None:
        on_hold = case.status == S.ON_HOLD or open_dispute(case) is not None
    decision = may_contact(
        policy_of(case.agreement),
        attempts_of(entries),
        case.debtor.timezone,
        at,
        channel=channel,
        on_hold=on_hold,
    )
    agreement = case.agreement
    no_calls = agreement is not None and 0 in (agreement.calls_per_day, agreement.calls_per_7_days)
    if channel == CALL_CHANNEL and no_calls:
        reason = "The agreement allows no telephone calls to this debtor."
        return ContactDecision(
            False, (*decision.reasons, reason), None, (*decision.rule_codes, "no_calls")
        )
    return decision


# --- the contact log -----------------------------------------------------------------------


@dataclass
class ContactData:
    occurred_at: datetime  # aware
    channel: Channel
    direction: Direction
    party_reached: PartyReached
    outcome: ContactOutcome
    notes: str = ""
    promise_amount_minor: int | None = None
    promise_date: date | None = None
    next_action_on: date | None = None
    internal: bool = False
    override_reason: str = ""
    corrects_id: int | None = None
    token: str = ""  # the form's one-time token: the same token records once


def log_contact_once(
    case: Case, user: User, data: ContactData, at: datetime
) -> tuple[CorrespondenceEntry, bool]:
    """Log the contact unless this form's token already did; return the entry and whether it
    is new (a double-submitted form finds the first entry)."""
    earlier = logged_with(case, data.token)
    if earlier is not None:
        return earlier, False
    return log_contact(case, user, data, at), True


def logged_with(case: Case, token: str) -> CorrespondenceEntry | None:
    """The contact this form's token already recorded, if any."""
    if not token:
        return None
    earlier = db.session.scalars(
        select(CorrespondenceEntry).where(CorrespondenceEntry.idempotency_key == token)
    ).first()
    if earlier is not None and earlier.case_id != case.id:
        raise DomainError("This form was already used: reload the page and enter it again.")
    return earlier


def log_contact(case: Case, user: User, data: ContactData, at: datetime) -> CorrespondenceEntry:
    """Append one contact to the case's log (never edited: a mistake is corrected by a later
    entry naming the one it corrects).

    An outbound contact that broke a rule of contact at the moment it happened is refused
    unless an override reason is given; then it is recorded and flagged for the compliance view.
    A "dispute raised" outcome also raises the dispute (the case goes on hold).
    """
    _check_workable(case, "Contacts are logged on a case the agency is working")
    _check_contact(case, data, at)
    entries = agency_log(case)
    corrected = _corrected_entry(case, entries, data.corrects_id)
    others = [e for e in entries if corrected is None or e.id != corrected.id]
    decision = _decision_for(case, data, others)
    reason = data.override_reason.strip()
    if decision is not None and not decision.allowed and not reason:
        raise DomainError(
            "This contact broke the rules of contact: "
            + " ".join(decision.reasons)
            + " Give the reason it was made anyway; it will be flagged for review.",
            field="override_reason",
        )
    breach = decision is not None and not decision.allowed
    entry = _entry(case, user, data, at, breach, decision, reason)
    if data.next_action_on or data.promise_date:
        case.next_action_on = data.next_action_on or data.promise_date
    _record_contact(case, user, entry, corrected)
    promises.refresh(case)
    lifecycle.start_collection(case, actor=user, because="first contact logged")
    if data.outcome == ContactOutcome.DISPUTE_RAISED and case.status != S.ON_HOLD:
        raise_dispute(case, user, data.notes, at)
    return entry


def _check_workable(case: Case, what: str) -> None:
    if case.status not in WORKING:
        raise DomainError(f"{what}; this one is {case.status.label.lower()}.")


def _check_contact(case: Case, data: ContactData, at: datetime) -> None:
    if data.occurred_at > at + FUTURE_TOLERANCE:
        raise DomainError("This is in the future: log contacts that have happened.", "occurred_at")
    if case.accepted_at is not None and data.occurred_at < case.accepted_at - timedelta(days=1):
        raise DomainError(
            "This is before the agency accepted the case; the business's earlier history is "
            "on the case already.",
            "occurred_at",
        )
    if data.outcome in SPOKEN and data.party_reached == PartyReached.NOBODY:
        raise DomainError(
            f"“{data.outcome.label}” means someone was reached: say who.", "party_reached"
        )
    if data.outcome == ContactOutcome.PROMISE_TO_PAY:
        _check_promise(case, data)
    elif data.promise_amount_minor is not None or data.promise_date is not None:
        raise DomainError(
            "A promised amount and date go with the outcome “promise to pay”.", "promise_amount"
        )
    if data.outcome == ContactOutcome.DISPUTE_RAISED and not data.notes.strip():
        raise DomainError("Write down what the debtor disputes, and why.", "notes")
    if data.corrects_id and not data.notes.strip():
        raise DomainError("Say what this entry corrects.", "notes")


def _check_promise(case: Case, data: ContactData) -> None:
    if data.promise_amount_minor is None or data.promise_amount_minor <= 0:
        raise DomainError("Enter the amount promised.", "promise_amount")
    if case.placement_balance_minor and data.promise_amount_minor > case.placement_balance_minor:
        raise DomainError(
            "The promise is more than the balance at placement "
            f"({money.format_money(case.placement_balance_minor, case.currency)}).",
            "promise_amount",
        )
    if data.promise_date is None:
        raise DomainError("Enter the date the debtor promised to pay by.", "promise_date")
    if data.promise_date < data.occurred_at.date() - timedelta(days=1):
        raise DomainError("The promised date is before the contact.", "promise_date")


def _corrected_entry(
    case: Case, entries: list[CorrespondenceEntry], corrects_id: int | None
) -> CorrespondenceEntry | None:
    if not corrects_id:
        return None
    target = next((e for e in entries if e.id == corrects_id), None)
    if target is None:
        raise DomainError("Choose an entry of this case's contact log.", "corrects_id")
    later = next((e for e in entries if e.corrects_id == target.id), None)
    if later is not None:
        raise DomainError(
            "That entry has already been corrected; correct the correction instead.",
            "corrects_id",
        )
    return target


def _decision_for(
    case: Case, data: ContactData, others: list[CorrespondenceEntry]
) -> ContactDecision | None:
    """The rules at the moment of an outbound contact (the debtor's own calls break none)."""
    if data.direction != Direction.OUTBOUND:
        return None
    return decide(case, data.occurred_at, data.channel.value, entries=others)


def _entry(
    case: Case,
    user: User,
    data: ContactData,
    at: datetime,
    breach: bool,
    decision: ContactDecision | None,
    reason: str,
) -> CorrespondenceEntry:
    entry = CorrespondenceEntry(
        case_id=case.id,
        side=Side.AGENCY,
        occurred_at=data.occurred_at,
        channel=data.channel,
        direction=data.direction,
        contact_person=PARTY_LABELS[data.party_reached],
        summary=data.notes.strip(),
        outcome=data.outcome.label,
        party_reached=data.party_reached,
        outcome_code=data.outcome,
        promise_amount_minor=data.promise_amount_minor,
        promise_date=data.promise_date,
        rule_breach=breach,
        breached_rules=",".join(decision.rule_codes)[:200] if breach and decision else None,
        override_reason=reason if breach else None,
        internal=data.internal,
        corrects_id=data.corrects_id or None,
        idempotency_key=data.token or None,
        recorded_by_id=user.id,
        recorded_at=at,
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:  # the same token committed by a request we did not wait for
        raise DomainError("This contact was already logged.") from None
    return entry


def _record_contact(
    case: Case, user: User, entry: CorrespondenceEntry, corrected: CorrespondenceEntry | None
) -> None:
    summary = f"{entry.channel.label} {_direction_word(entry)}: {entry.outcome_code.label.lower()}"
    if entry.promise_amount_minor:
        amount = money.format_money(entry.promise_amount_minor, case.currency)
        summary += f", {amount} by {nice_date(entry.promise_date)}"
    if corrected is not None:
        summary += f" (corrects the entry of {corrected.occurred_at:%d %b %Y %H:%M} UTC)"
    audit.record(
        "contact_corrected" if corrected else "contact_logged",
        case=case,
        summary=summary,
        internal=entry.internal,
        actor=user,
        after={"entry_id": entry.id},
    )
    if entry.rule_breach:  # the compliance review is the agency's own: the business never sees it
        audit.record(
            "contact_flagged",
            case=case,
            summary=f"Broke the rules of contact ({flagged_rules(entry)}); the reason given is "
            "on the contact log entry",
            internal=True,
            actor=user,
            after={"entry_id": entry.id, "rules": entry.breached_rules},
        )


def _direction_word(entry: CorrespondenceEntry) -> str:
    return "to the debtor" if entry.direction == Direction.OUTBOUND else "from the debtor"


def flagged_rules(entry: CorrespondenceEntry) -> str:
    """The rules a flagged contact broke, in words."""
    codes = [c for c in (entry.breached_rules or "").split(",") if c]
    return ", ".join(RULE_LABELS.get(c, c.replace("_", " ")) for c in codes)


def set_profile(case: Case, user: User, profile: DebtorProfile | None) -> None:
    """Record which kind of late payer the debtor is: it decides the approach."""
    _check_workable(case, "The debtor's kind is recorded on a case the agency is working")
    if profile == case.debtor_profile:
        raise DomainError("That is already the debtor's recorded kind.", "profile")
    before = case.debtor_profile.value if case.debtor_profile else None
    case.debtor_profile = profile
    case.updated_at = utcnow()
    audit.record(
        "debtor_profile_set",
        case=case,
        summary=PROFILE_LABELS[profile] if profile else "Debtor's kind cleared",
        before={"debtor_profile": before},
        after={"debtor_profile": profile.value if profile else None},
        actor=user,
    )


# --- disputes --------------------------------------------------------------------------------


def raise_dispute(case: Case, user: User, reason: str, at: datetime) -> Dispute:
    """The debtor disputes the debt: the case goes on hold, contact stops, the business is told."""
    if not user.is_agency:
        raise DomainError("Only the agency records a debtor's dispute.")
    if open_dispute(case) is not None:
        raise DomainError("A dispute is already open on this case.", "reason")
    if case.status == S.ON_HOLD:
        raise DomainError("The case is already on hold.", "reason")
    _check_workable(case, "A dispute is recorded on a case the agency is working")
    if not reason.strip():
        raise DomainError("Write down what the debtor disputes, and why.", "reason")
    dispute = Dispute(
        case_id=case.id,
        reason=reason.strip(),
        raised_by_id=user.id,
        status_before=case.status.value,
        created_at=at,
    )
    db.session.add(dispute)
    lifecycle.move(case, S.ON_HOLD, summary="The debtor disputes the debt", actor=user)
    audit.record(
        "dispute_raised",
        case=case,
        summary="Contact stopped until the business decides (the reason is under Disputes)",
        after={"dispute_id": dispute.id},
        actor=user,
    )
    notify(
        people(case.business_id, Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER),
        "dispute_raised",
        f"The debtor disputes {case.reference} ({case.debtor.name}): {reason.strip()} "
        "The agency has stopped contact until you resolve it on the case page.",
        case=case,
    )
    return dispute


RESOLUTIONS = {"upheld": "Upheld: the debtor is right", "rejected": "Rejected: the debt stands"}


def resolve_dispute(case: Case, user: User, resolution: str, note: str, at: datetime) -> Dispute:
    """The business decides the dispute. Upheld: the agency stops and the case is returned to
    the business (closed as returned). Rejected: the case goes back to being worked."""
    if user.is_agency:
        raise DomainError("The business resolves a dispute about its own debt.")
    dispute = open_dispute(case)
    if dispute is None or case.status != S.ON_HOLD:
        raise DomainError("There is no open dispute on this case.")
    if resolution not in RESOLUTIONS:
        raise DomainError("Choose whether the dispute is upheld or rejected.", "resolution")
    if not note.strip():
        raise DomainError("Explain the decision to the agency.", "note")
    dispute.resolution, dispute.resolution_note = resolution, note.strip()
    dispute.resolved_by_id, dispute.resolved_at = user.id, at
    summary = f"Dispute {RESOLUTIONS[resolution][:1].lower()}{RESOLUTIONS[resolution][1:]}"
    if resolution == "upheld":
        lifecycle.move(case, S.CLOSED, close_code=CloseCode.RETURNED, summary=summary, actor=user)
    else:
        lifecycle.move(case, _status_after_rejection(case, dispute), summary=summary, actor=user)
    audit.record(
        f"dispute_{resolution}",
        case=case,
        summary=f"{summary} (the business's note is under Disputes)",
        after={"dispute_id": dispute.id},
        actor=user,
    )
    notify(
        agency_people(case),
        "dispute_resolved",
        f"{case.business.name} {resolution} the dispute on {case.reference}: {note.strip()}",
        case=case,
    )
    db.session.flush()
    return dispute


def _status_after_rejection(case: Case, dispute: Dispute) -> CaseStatus:
    """Back where the case was: in legal, on its plan if the plan still runs, else collection."""
    before = dispute.status_before
    if before == S.IN_LEGAL.value:
        return S.IN_LEGAL
    if before == S.PAYMENT_PLAN.value and _active_plan(case):
        return S.PAYMENT_PLAN
    return S.IN_COLLECTION


def _active_plan(case: Case) -> bool:
    return (
        db.session.scalar(
            select(Arrangement.id).where(
                Arrangement.case_id == case.id,
                Arrangement.kind == ArrangementKind.PLAN,
                Arrangement.status == ArrangementStatus.ACTIVE,
            )
        )
        is not None
    )


def agency_people(case: Case) -> list[User]:
    """Who hears from the business about a case: its caseworker, or the agency's admins."""
    if case.assigned_to is not None and case.assigned_to.active:
        return [case.assigned_to]
    return people(case.agency_id, Role.AGENCY_ADMIN) if case.agency_id else []


def disputes_of(case: Case) -> list[Dispute]:
    return list(
        db.session.scalars(
            select(Dispute).where(Dispute.case_id == case.id).order_by(Dispute.id.desc())
        )
    )


# --- messages --------------------------------------------------------------------------------


def post_message(case: Case, user: User, body: str, internal: bool = False) -> Message:
    """A note on the case's thread; the other side is told. An agency note may be internal:
    the business never sees it, and nobody outside the agency is told."""
    if case.is_draft:
        raise DomainError("Messages start once the case is handed over to an agency.")
    if not body.strip():
        raise DomainError("Write the message.", "body")
    if internal and not user.is_agency:
        raise DomainError("Only the agency keeps internal notes.")
    side = Side.AGENCY if user.is_agency else Side.BUSINESS
    message = Message(
        case_id=case.id,
        author_id=user.id,
        side=side,
        kind=MessageKind.NOTE,
        body=body.strip(),
        internal=internal,
    )
    db.session.add(message)
    db.session.flush()
    audit.record(
        "message_note",
        case=case,
        summary=f"from the {side.value}" + (" (internal note)" if internal else ""),
        after={"message_id": message.id},
        internal=internal,
        actor=user,
    )
    if not internal:
        recipients = (
            people(case.business_id, Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER)
            if user.is_agency
            else agency_people(case)
        )
        sender = user.organisation.name
        notify(
            recipients,
            "message_posted",
            f"{sender} wrote on {case.reference}: {_excerpt(body)}",
            case=case,
        )
    return message


def _excerpt(text: str, length: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"
