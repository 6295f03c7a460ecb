"""Agreements: the agency proposes terms, the business accepts them, either side may end them."""

from dataclasses import dataclass, field
from datetime import time

from sqlalchemy import select

from portal import audit
from portal.errors import DomainError
from portal.extensions import db
from portal.ledger import fees
from portal.models import (
    AgeUplift,
    Agreement,
    AgreementStatus,
    FeeBand,
    Organisation,
    OrgKind,
    RemittanceMode,
    User,
    utcnow,
)


@dataclass
class Terms:
    """Everything an agreement says, in exact units (minor units, basis points)."""

    currency: str
    bands: list[tuple[int, int]]  # (min balance minor, rate bps)
    uplifts: list[tuple[int, int]] = field(default_factory=list)  # (min age days, bps)
    legal_rate_bps: int | None = None
    fee_cap_bps: int | None = None
    fee_tax_bps: int | None = None
    remittance_mode: RemittanceMode = RemittanceMode.NET
    settlement_floor_bps: int = 8000
    window_start: time = time(8, 0)
    window_end: time = time(21, 0)
    calls_per_day: int = 1
    calls_per_7_days: int = 7
    quiet_days: int = 7
    answer_days: int = 5
    grace_days: int = 5
    exclusivity_months: int = 6


def schedule_problems(terms: Terms) -> list[tuple[str, str]]:
    """(field, message) for a fee schedule or contact policy that cannot work."""
    problems = []
    if not terms.bands:
        problems.append(("bands", "Enter at least one fee band."))
    elif min(b for b, _ in terms.bands) != 0:
        problems.append(("bands", "The lowest band must start at 0, so every balance has a rate."))
    if len({b for b, _ in terms.bands}) != len(terms.bands):
        problems.append(("bands", "Two bands start at the same balance."))
    if len({d for d, _ in terms.uplifts}) != len(terms.uplifts):
        problems.append(("uplifts", "Two age uplifts start at the same age."))
    if terms.window_start >= terms.window_end:
        problems.append(("window_end", "The calling window must end after it starts."))
    if terms.calls_per_7_days < terms.calls_per_day:
        problems.append(("calls_per_7_days", "Calls per 7 days cannot be fewer than per day."))
    return problems


def _signature_matches(user: User, typed: str) -> bool:
    def squash(text: str) -> str:
        return " ".join(text.casefold().split())

    return squash(typed) == squash(user.name)


def propose(
    agency_admin: User, business: Organisation, terms: Terms, signature: str, ip: str | None
) -> Agreement:
    """The agency's proposal, signed by its admin; it binds once the business accepts."""
    if business.kind != OrgKind.BUSINESS:
        raise DomainError("Agreements are made with businesses.", field="business_id")
    if not _signature_matches(agency_admin, signature):
        raise DomainError(
            f"Type your name exactly as on your account: {agency_admin.name}.", field="signature"
        )
    problems = schedule_problems(terms)
    if problems:
        raise DomainError(problems[0][1], field=problems[0][0])
    agreement = Agreement(
        business_id=business.id,
        agency_id=agency_admin.organisation_id,
        status=AgreementStatus.PROPOSED,
        agency_accepted_by_id=agency_admin.id,
        agency_accepted_at=utcnow(),
        agency_accepted_ip=ip,
        agency_signature=signature.strip(),
        **{k: v for k, v in vars(terms).items() if k not in ("bands", "uplifts")},
    )
    agreement.bands = [FeeBand(min_balance_minor=b, rate_bps=r) for b, r in sorted(terms.bands)]
    agreement.age_uplifts = [
        AgeUplift(min_age_days=d, uplift_bps=u) for d, u in sorted(terms.uplifts)
    ]
    db.session.add(agreement)
    db.session.flush()
    audit.record(
        "agreement_proposed",
        summary=f"Agreement {agreement.id} with {business.name}",
        actor=agency_admin,
    )
    return agreement


def accept(business_admin: User, agreement: Agreement, signature: str, ip: str | None) -> None:
    """The business admin accepts the proposed terms; an earlier active agreement between the
    same two parties ends, since only one set of terms can apply to new placements."""
    if agreement.business_id != business_admin.organisation_id:
        raise DomainError("Only the business named in an agreement can accept it.")
    if agreement.status != AgreementStatus.PROPOSED:
        raise DomainError("Only a proposed agreement can be accepted.")
    if not _signature_matches(business_admin, signature):
        raise DomainError(
            f"Type your name exactly as on your account: {business_admin.name}.", field="signature"
        )
    for previous in _active_between(agreement.business_id, agreement.agency_id):
        _end(previous, business_admin, f"superseded by agreement {agreement.id}")
    agreement.status = AgreementStatus.ACTIVE
    agreement.business_accepted_by_id = business_admin.id
    agreement.business_accepted_at = utcnow()
    agreement.business_accepted_ip = ip
    agreement.business_signature = signature.strip()
    audit.record("agreement_accepted", summary=f"Agreement {agreement.id}", actor=business_admin)


def end(agreement: Agreement, by: User) -> None:
    """Either party ends the agreement: no new placements under it; placed cases carry on."""
    if agreement.status == AgreementStatus.ENDED:
        raise DomainError("This agreement has already ended.")
    _end(agreement, by, "ended")


def _end(agreement: Agreement, by: User, how: str) -> None:
    agreement.status = AgreementStatus.ENDED
    agreement.ended_at = utcnow()
    agreement.ended_by_id = by.id
    audit.record("agreement_ended", summary=f"Agreement {agreement.id} {how}", actor=by)


def _active_between(business_id: int, agency_id: int) -> list[Agreement]:
    return list(
        db.session.scalars(
            select(Agreement).where(
                Agreement.business_id == business_id,
                Agreement.agency_id == agency_id,
                Agreement.status == AgreementStatus.ACTIVE,
            )
        )
    )


def active_agencies_for(business: Organisation) -> list[Agreement]:
    """The active agreements a business can place cases under, one per agency."""
    return list(
        db.session.scalars(
            select(Agreement)
            .where(Agreement.business_id == business.id, Agreement.status == AgreementStatus.ACTIVE)
            .order_by(Agreement.id)
        )
    )


def fee_schedule(agreement: Agreement) -> fees.FeeSchedule:
    """The agreement's fee terms as the pure fee module reads them."""
    return fees.FeeSchedule(
        bands=tuple(fees.FeeBand(b.min_balance_minor, b.rate_bps) for b in agreement.bands),
        age_uplifts=tuple(
            fees.AgeUplift(u.min_age_days, u.uplift_bps) for u in agreement.age_uplifts
        ),
        legal_rate_bps=agreement.legal_rate_bps,
        cap_bps=agreement.fee_cap_bps,
    )
