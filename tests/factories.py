"""Small factories for tests: each makes a valid row with sensible defaults and flushes it."""

from dataclasses import dataclass
from datetime import date, time
from itertools import count

from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.models import (
    AgeUplift,
    Agreement,
    AgreementStatus,
    Case,
    CaseStatus,
    Debtor,
    DebtorKind,
    FeeBand,
    Invoice,
    Organisation,
    OrgKind,
    Role,
    User,
    utcnow,
)

PASSWORD = "correct horse battery"
_HASH = hash_password(PASSWORD)
_seq = count(1)


def organisation(
    kind: OrgKind = OrgKind.BUSINESS, name: str | None = None, **fields
) -> Organisation:
    n = next(_seq)
    org = Organisation(
        kind=kind,
        name=name or f"{kind.value.title()} {n}",
        country="KE",
        timezone="Africa/Nairobi",
        currency="KES",
        # X..: never one of the fixed prefixes the world uses (ACA, BAO), whatever the count.
        case_prefix=fields.pop("case_prefix", f"X{chr(65 + n % 26)}{chr(65 + n // 26 % 26)}")
        if kind == OrgKind.BUSINESS
        else None,
        **fields,
    )
    db.session.add(org)
    db.session.flush()
    return org


def user(org: Organisation, role: Role | None = None, email: str | None = None, **fields) -> User:
    role = role or (Role.AGENCY_ADMIN if org.kind == OrgKind.AGENCY else Role.BUSINESS_ADMIN)
    n = next(_seq)
    u = User(
        organisation=org,
        role=role,
        email=email or f"user{n}@example.example",
        name=fields.pop("name", f"User {n}"),
        password_hash=_HASH,
        active=True,
        failed_logins=0,
        **fields,
    )
    db.session.add(u)
    db.session.flush()
    return u


def agreement(
    business: Organisation,
    agency: Organisation,
    status: AgreementStatus = AgreementStatus.ACTIVE,
    **fields,
) -> Agreement:
    a = Agreement(
        business_id=business.id,
        agency_id=agency.id,
        status=status,
        currency=fields.pop("currency", "KES"),
        window_start=time(8),
        window_end=time(21),
        **fields,
    )
    a.bands = [
        FeeBand(min_balance_minor=0, rate_bps=3000),
        FeeBand(min_balance_minor=100_000_00, rate_bps=2000),
    ]
    a.age_uplifts = [AgeUplift(min_age_days=365, uplift_bps=1000)]
    if status == AgreementStatus.ACTIVE:
        a.business_accepted_at = a.agency_accepted_at = utcnow()
    db.session.add(a)
    db.session.flush()
    return a


def debtor(business: Organisation, **fields) -> Debtor:
    d = Debtor(
        business_id=business.id,
        kind=fields.pop("kind", DebtorKind.COMPANY),
        name=fields.pop("name", f"Debtor {next(_seq)}"),
        country="KE",
        timezone="Africa/Nairobi",
        **fields,
    )
    db.session.add(d)
    db.session.flush()
    return d


def case(
    business: Organisation,
    agency: Organisation | None = None,
    status: CaseStatus = CaseStatus.DRAFT,
    amount_minor: int = 45_000_00,
    **fields,
) -> Case:
    n = next(_seq)
    c = Case(
        business_id=business.id,
        debtor=fields.pop("debtor", None) or debtor(business),
        currency="KES",
        status=status,
        reference=None if status == CaseStatus.DRAFT else f"{business.case_prefix}-2026-{n:05d}",
        agency_id=agency.id if agency else None,
        **fields,
    )
    c.invoices = [
        Invoice(
            number=f"INV-{n}",
            issue_date=date(2026, 8, 1),
            due_date=date(2026, 8, 31),
            amount_minor=amount_minor,
            paid_minor=0,
        )
    ]
    if status != CaseStatus.DRAFT:
        c.placement_balance_minor = amount_minor
        c.submitted_at = utcnow()
    db.session.add(c)
    db.session.flush()
    return c


@dataclass
class World:
    agency: Organisation
    agency_admin: User
    caseworker: User
    other_caseworker: User
    other_agency: Organisation
    other_agency_admin: User
    business: Organisation
    business_admin: User
    business_member: User
    other_business: Organisation
    other_business_admin: User
    agreement: Agreement


def world() -> World:
    agency = organisation(OrgKind.AGENCY, "Nairobi Recovery")
    other_agency = organisation(OrgKind.AGENCY, "Mombasa Credit")
    business = organisation(OrgKind.BUSINESS, "Acacia", case_prefix="ACA")
    other_business = organisation(OrgKind.BUSINESS, "Baobab", case_prefix="BAO")
    w = World(
        agency=agency,
        agency_admin=user(agency, Role.AGENCY_ADMIN, "admin@agency.example"),
        caseworker=user(agency, Role.CASEWORKER, "cw@agency.example"),
        other_caseworker=user(agency, Role.CASEWORKER, "cw2@agency.example"),
        other_agency=other_agency,
        other_agency_admin=user(other_agency, Role.AGENCY_ADMIN, "admin@other-agency.example"),
        business=business,
        business_admin=user(business, Role.BUSINESS_ADMIN, "owner@acacia.example"),
        business_member=user(business, Role.BUSINESS_MEMBER, "clerk@acacia.example"),
        other_business=other_business,
        other_business_admin=user(other_business, Role.BUSINESS_ADMIN, "owner@baobab.example"),
        agreement=agreement(business, agency),
    )
    agreement(other_business, agency)
    agreement(other_business, other_agency)
    db.session.commit()
    return w
