"""The demo data: two agencies, two businesses, their people and agreements, and cases.

Idempotent: every piece is looked up by a natural key before it is created.
"""

from datetime import datetime, time, timedelta

from sqlalchemy import select

from portal.agreements.services import Terms
from portal.auth.passwords import hash_password
from portal.demo import cases as demo_cases
from portal.demo import work as demo_work
from portal.extensions import db
from portal.models import (
    AgeUplift,
    Agreement,
    AgreementStatus,
    FeeBand,
    Organisation,
    OrgKind,
    RemittanceMode,
    Role,
    User,
    utcnow,
)

DEMO_PASSWORD = "demo-password-1"
AGREEMENTS_SIGNED_DAYS_AGO = 90

ORGANISATIONS = [
    # name, kind, country, zone, prefix, address, registration number
    (
        "Nairobi Recovery Associates",
        OrgKind.AGENCY,
        "KE",
        "Africa/Nairobi",
        None,
        "Kimathi Street 4, PO Box 30100-00100, Nairobi",
        "PVT-2019-AB12",
    ),
    (
        "Mombasa Credit Partners",
        OrgKind.AGENCY,
        "KE",
        "Africa/Nairobi",
        None,
        "Nkrumah Road 22, Mombasa",
        "PVT-2017-MC77",
    ),
    (
        "Acacia Office Supplies Ltd",
        OrgKind.BUSINESS,
        "KE",
        "Africa/Nairobi",
        "ACA",
        "Tom Mboya Street 15, Nairobi",
        "PVT-2015-AC03",
    ),
    (
        "Baobab Print Co",
        OrgKind.BUSINESS,
        "KE",
        "Africa/Nairobi",
        "BAO",
        "Ngong Road 101, Nairobi",
        "PVT-2020-BP44",
    ),
]

USERS = [
    ("admin@agency.example", "Achieng Otieno", Role.AGENCY_ADMIN, "Nairobi Recovery Associates"),
    ("caseworker@agency.example", "Brian Mwangi", Role.CASEWORKER, "Nairobi Recovery Associates"),
    ("caseworker2@agency.example", "Faith Wambui", Role.CASEWORKER, "Nairobi Recovery Associates"),
    ("owner@acacia.example", "Joseph Kariuki", Role.BUSINESS_ADMIN, "Acacia Office Supplies Ltd"),
    ("clerk@acacia.example", "Mercy Atieno", Role.BUSINESS_MEMBER, "Acacia Office Supplies Ltd"),
    ("owner@baobab.example", "Zoë Wanjirũ", Role.BUSINESS_ADMIN, "Baobab Print Co"),
    ("admin@mombasa.example", "Hassan Omar", Role.AGENCY_ADMIN, "Mombasa Credit Partners"),
]

# KES, tiered like the published schedules in DOMAIN.md (KES 100 ≈ USD 0.77).
NAIROBI_TERMS = Terms(
    currency="KES",
    bands=[
        (0, 3000),
        (13_000_000, 2000),
        (104_000_000, 1500),
        (975_000_000, 1000),
        (1_950_000_000, 750),
    ],
    uplifts=[(365, 1000), (730, 2000)],
    legal_rate_bps=3500,
    fee_cap_bps=4000,
    fee_tax_bps=1600,
    remittance_mode=RemittanceMode.NET,
    settlement_floor_bps=8000,
)
MOMBASA_TERMS = Terms(
    currency="KES",
    bands=[(0, 2500), (50_000_000, 1800)],
    uplifts=[(365, 500)],
    remittance_mode=RemittanceMode.GROSS,
    settlement_floor_bps=7500,
    window_start=time(9, 0),
    window_end=time(19, 0),
    answer_days=3,
)
AGREEMENTS = [
    ("Acacia Office Supplies Ltd", "Nairobi Recovery Associates", NAIROBI_TERMS),
    ("Baobab Print Co", "Nairobi Recovery Associates", NAIROBI_TERMS),
    ("Baobab Print Co", "Mombasa Credit Partners", MOMBASA_TERMS),
]


def logins() -> list[tuple[str, str, str]]:
    return [(email, role.value, org) for email, _, role, org in USERS]


def run() -> None:
    """Create whatever of the demo data is missing."""
    orgs = {row[0]: _organisation(*row) for row in ORGANISATIONS}
    users = {email: _user(email, name, role, orgs[org]) for email, name, role, org in USERS}
    for business, agency, terms in AGREEMENTS:
        _agreement(orgs[business], orgs[agency], terms, users)
    db.session.flush()
    created = demo_cases.run()
    today = datetime.now(demo_cases.NAIROBI).date()
    demo_work.play_all(created, today)
    demo_work.issue_statements(users["admin@agency.example"], today)
    db.session.flush()


def _organisation(name, kind, country, zone, prefix, address, reg) -> Organisation:
    org = db.session.scalars(select(Organisation).where(Organisation.name == name)).first()
    if org is None:
        org = Organisation(
            name=name,
            kind=kind,
            country=country,
            timezone=zone,
            currency="KES",
            case_prefix=prefix,
            address=address,
            registration_number=reg,
        )
        db.session.add(org)
        db.session.flush()
    return org


def _user(email: str, name: str, role: Role, org: Organisation) -> User:
    user = db.session.scalars(select(User).where(User.email == email)).first()
    if user is None:
        user = User(
            email=email,
            name=name,
            role=role,
            organisation=org,
            active=True,
            failed_logins=0,
            password_hash=hash_password(DEMO_PASSWORD),
        )
        db.session.add(user)
        db.session.flush()
    return user


def _signer(org: Organisation, users: dict[str, User]) -> User:
    role = Role.AGENCY_ADMIN if org.kind == OrgKind.AGENCY else Role.BUSINESS_ADMIN
    return next(u for u in users.values() if u.organisation_id == org.id and u.role == role)


def _agreement(
    business: Organisation, agency: Organisation, terms: Terms, users: dict[str, User]
) -> Agreement:
    existing = db.session.scalars(
        select(Agreement).where(
            Agreement.business_id == business.id, Agreement.agency_id == agency.id
        )
    ).first()
    if existing is not None:
        return existing
    agency_admin, business_admin = _signer(agency, users), _signer(business, users)
    # Signed before the oldest demo case was placed under it (the stories go back ~50 days).
    signed = utcnow() - timedelta(days=AGREEMENTS_SIGNED_DAYS_AGO)
    agreement = Agreement(
        business_id=business.id,
        agency_id=agency.id,
        status=AgreementStatus.ACTIVE,
        agency_accepted_by_id=agency_admin.id,
        agency_accepted_at=signed,
        agency_signature=agency_admin.name,
        agency_accepted_ip="127.0.0.1",
        business_accepted_by_id=business_admin.id,
        business_accepted_at=signed,
        business_signature=business_admin.name,
        business_accepted_ip="127.0.0.1",
        **{k: v for k, v in vars(terms).items() if k not in ("bands", "uplifts")},
    )
    agreement.bands = [FeeBand(min_balance_minor=b, rate_bps=r) for b, r in terms.bands]
    agreement.age_uplifts = [AgeUplift(min_age_days=d, uplift_bps=u) for d, u in terms.uplifts]
    db.session.add(agreement)
    return agreement
