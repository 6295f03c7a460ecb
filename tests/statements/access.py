"""Who may use statements: the agency admin issues; the agency admin and the business's people
read; the business marks received. Another organisation's statement is a 404."""

from portal.models import Role

READERS = frozenset({Role.AGENCY_ADMIN, Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER})

ACCESS = {
    "statements.index": READERS,
    "statements.new": frozenset({Role.AGENCY_ADMIN}),
    "statements.preview": frozenset({Role.AGENCY_ADMIN}),
    "statements.issue": frozenset({Role.AGENCY_ADMIN}),
    "statements.show": READERS,
    "statements.download_pdf": READERS,
    "statements.download_csv": READERS,
    "statements.mark_received": frozenset({Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER}),
}


def _statement(world):
    """A statement from world.agency to world.business (made once per world)."""
    from datetime import date

    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Statement
    from tests.statements import helpers

    existing = db.session.scalar(select(Statement.id).where(Statement.agency_id == world.agency.id))
    if existing is not None:
        return existing
    case = helpers.placed_case(world.agreement)
    helpers.recovery(case, 10_000_00, date(2026, 10, 5))
    statement = helpers.issue(
        world.agreement, date(2026, 10, 1), date(2026, 10, 31), world.agency_admin
    )
    return statement.id


def _outsiders(world):
    return [world.other_business_admin, world.other_agency_admin]


FOREIGN = {
    "statements.show": ("statement_id", _statement, _outsiders),
    "statements.download_pdf": ("statement_id", _statement, _outsiders),
    "statements.download_csv": ("statement_id", _statement, _outsiders),
    "statements.mark_received": ("statement_id", _statement, lambda w: [w.other_business_admin]),
}
