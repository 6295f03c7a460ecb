"""The life of a case: the one place that changes `Case.status`.

draft → submitted → (information requested ⇄ submitted) → accepted → in collection
→ (payment plan, on hold for a dispute, in legal) → closed, with a close code.
"""

from portal import audit
from portal.errors import DomainError
from portal.models import Case, CaseStatus, CloseCode, Role, User, utcnow

S = CaseStatus

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.DRAFT: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset({S.INFO_REQUESTED, S.ACCEPTED, S.CLOSED}),
    S.INFO_REQUESTED: frozenset({S.SUBMITTED, S.CLOSED}),
    S.ACCEPTED: frozenset({S.IN_COLLECTION, S.PAYMENT_PLAN, S.ON_HOLD, S.IN_LEGAL, S.CLOSED}),
    S.IN_COLLECTION: frozenset({S.PAYMENT_PLAN, S.ON_HOLD, S.IN_LEGAL, S.CLOSED}),
    S.PAYMENT_PLAN: frozenset({S.IN_COLLECTION, S.ON_HOLD, S.IN_LEGAL, S.CLOSED}),
    S.ON_HOLD: frozenset({S.IN_COLLECTION, S.PAYMENT_PLAN, S.IN_LEGAL, S.CLOSED}),
    S.IN_LEGAL: frozenset({S.IN_COLLECTION, S.PAYMENT_PLAN, S.ON_HOLD, S.CLOSED}),
    # Only an agency admin reopens a closed case, with a reason: see reopen().
    S.CLOSED: frozenset({S.IN_COLLECTION}),
}

# Which close codes fit which moment: a business withdraws before acceptance, an agency
# rejects at placement; the working outcomes come after acceptance.
BEFORE_ACCEPTANCE = frozenset({CloseCode.WITHDRAWN, CloseCode.REJECTED})
PLACED = frozenset({S.SUBMITTED, S.INFO_REQUESTED})


def can_move(case: Case, to: CaseStatus) -> bool:
    return to in TRANSITIONS[case.status]


def move(
    case: Case,
    to: CaseStatus,
    *,
    summary: str = "",
    close_code: CloseCode | None = None,
    actor: User | None = None,
) -> None:
    """Change the case's status if the life of a case allows it, and record the event."""
    if not can_move(case, to):
        raise DomainError(
            f"A case that is {case.status.label.lower()} cannot become {to.label.lower()}."
        )
    _check_close_code(case, to, close_code)
    if case.status == S.CLOSED:
        raise DomainError("A closed case is reopened by an agency admin, with a reason.")
    _change(case, to, summary, close_code, actor)


def _change(
    case: Case, to: CaseStatus, summary: str, close_code: CloseCode | None, actor: User | None
) -> None:
    before = {"status": case.status.value}
    if case.close_code:
        before["close_code"] = case.close_code.value
    case.status = to
    case.updated_at = utcnow()
    case.close_code = close_code
    case.closed_at = case.updated_at if to == S.CLOSED else None
    after = {"status": to.value} | ({"close_code": close_code.value} if close_code else {})
    audit.record(
        "status_changed", case=case, summary=summary, before=before, after=after, actor=actor
    )


def _check_close_code(case: Case, to: CaseStatus, close_code: CloseCode | None) -> None:
    if to != S.CLOSED:
        if close_code is not None:
            raise DomainError("Only a closed case has a close code.")
        return
    if close_code is None:
        raise DomainError("Closing a case needs a close code.")
    placed = case.status in PLACED
    if (placed and close_code not in BEFORE_ACCEPTANCE) or (
        not placed and close_code == CloseCode.REJECTED
    ):
        raise DomainError(
            f"A {case.status.label.lower()} case cannot close as “{close_code.label.lower()}”."
        )


def reopen(case: Case, reason: str, *, actor: User) -> None:
    """An agency admin brings a closed case back into collection, saying why."""
    if actor.role != Role.AGENCY_ADMIN or actor.organisation_id != case.agency_id:
        raise DomainError("Only an admin of the agency working the case can reopen it.")
    if case.status != S.CLOSED:
        raise DomainError("Only a closed case can be reopened.")
    if case.close_code in BEFORE_ACCEPTANCE:
        raise DomainError(
            "A case withdrawn or rejected before acceptance cannot be reopened; "
            "the business places it again."
        )
    if not reason.strip():
        raise DomainError("Say why the case is reopened.", field="reason")
    _change(case, S.IN_COLLECTION, f"Reopened: {reason.strip()}", None, actor)


def start_collection(case: Case, *, actor: User | None, because: str) -> None:
    """An accepted case is in collection from the agency's first contact or payment on it."""
    if case.status == S.ACCEPTED:
        move(case, S.IN_COLLECTION, summary=f"Collection started: {because}", actor=actor)
