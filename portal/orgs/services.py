"""Users of an organisation, and businesses invited by an agency."""

from sqlalchemy import func, select

from portal import audit, places
from portal.auth import services as auth
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Agreement, Invitation, Organisation, OrgKind, Role, User


def create_organisation(
    kind: OrgKind,
    name: str,
    country: str,
    *,
    timezone: str = "",
    currency: str = "",
    address: str = "",
    registration_number: str = "",
    case_prefix: str | None = None,
    invited_by: Organisation | None = None,
) -> Organisation:
    """A business or an agency, its zone and currency defaulting from its country."""
    if not places.is_country(country):
        raise DomainError("Choose a country from the list.", field="country")
    timezone = timezone or places.default_zone(country)
    if not places.is_zone(timezone):
        raise DomainError("Choose a time zone from the list.", field="timezone")
    currency = (currency or places.default_currency(country) or "").upper()
    if not currency:
        raise DomainError("Enter the default currency (e.g. KES).", field="currency")
    prefix = None
    if kind == OrgKind.BUSINESS:
        prefix = _free_prefix(case_prefix or name)
    org = Organisation(
        kind=kind,
        name=name.strip(),
        country=country,
        timezone=timezone,
        currency=currency,
        address=address.strip(),
        registration_number=registration_number.strip(),
        case_prefix=prefix,
        invited_by_id=invited_by.id if invited_by else None,
    )
    db.session.add(org)
    db.session.flush()
    return org


def _free_prefix(wanted: str) -> str:
    prefix = "".join(ch for ch in wanted.upper() if "A" <= ch <= "Z")[:6]
    if len(prefix) < 2:
        raise DomainError("Use 2 to 6 letters, e.g. ACA.", field="case_prefix")
    taken = db.session.scalar(
        select(func.count(Organisation.id)).where(Organisation.case_prefix == prefix)
    )
    if taken:
        raise DomainError(
            f"The prefix {prefix} is already used by another business.", field="case_prefix"
        )
    return prefix


def roles_for(organisation: Organisation) -> list[Role]:
    if organisation.kind == OrgKind.AGENCY:
        return [Role.CASEWORKER, Role.AGENCY_ADMIN]
    return [Role.BUSINESS_MEMBER, Role.BUSINESS_ADMIN]


def invite_business(
    agency_admin: User, fields: dict, admin_name: str, admin_email: str
) -> tuple[Organisation, Invitation, str]:
    """An agency brings a business to the portal: its organisation and its first admin's link."""
    if auth.find_user_by_email(admin_email) is not None:
        raise DomainError("Someone already has an account with this e-mail.", field="admin_email")
    business = create_organisation(OrgKind.BUSINESS, invited_by=agency_admin.organisation, **fields)
    invitation, token = auth.invite(
        business, admin_email, admin_name, Role.BUSINESS_ADMIN, agency_admin
    )
    audit.record("business_invited", summary=business.name, actor=agency_admin)
    return business, invitation, token


def set_active(target: User, active: bool, by: User) -> None:
    """Deactivate or reactivate a user of one's own organisation (never oneself)."""
    if target.id == by.id:
        raise DomainError("You cannot deactivate your own account.")
    if not active and target.is_admin and _other_active_admins(target) == 0:
        raise DomainError("Every organisation keeps at least one active administrator.")
    target.active = active
    audit.record("user_activated" if active else "user_deactivated", summary=target.email, actor=by)


def _other_active_admins(target: User) -> int:
    return db.session.scalar(
        select(func.count(User.id)).where(
            User.organisation_id == target.organisation_id,
            User.id != target.id,
            User.active.is_(True),
            User.role == target.role,
        )
    )


def clients_of(agency: Organisation) -> list[Organisation]:
    """Businesses the agency invited or holds an agreement with."""
    partners = select(Agreement.business_id).where(Agreement.agency_id == agency.id)
    return list(
        db.session.scalars(
            select(Organisation)
            .where(
                Organisation.kind == OrgKind.BUSINESS,
                (Organisation.invited_by_id == agency.id) | Organisation.id.in_(partners),
            )
            .order_by(Organisation.name)
        )
    )
