"""The life of a case: only the allowed moves, close codes that fit, reopening by an admin."""

import pytest

from portal import lifecycle
from portal.errors import DomainError
from portal.models import CaseStatus, CloseCode
from tests import factories


def test_a_draft_can_only_be_submitted(world):
    case = factories.case(world.business)
    with pytest.raises(DomainError, match="cannot become accepted"):
        lifecycle.move(case, CaseStatus.ACCEPTED)


def test_every_move_is_recorded_with_before_and_after(world):
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Event

    case = factories.case(world.business, world.agency, status=CaseStatus.SUBMITTED)
    lifecycle.move(case, CaseStatus.ACCEPTED, actor=world.agency_admin)
    event = db.session.scalars(select(Event).where(Event.case_id == case.id)).one()
    assert (event.before, event.after, event.actor_id) == (
        {"status": "submitted"},
        {"status": "accepted"},
        world.agency_admin.id,
    )


def test_closing_needs_a_close_code_that_fits_the_moment(world):
    placed = factories.case(world.business, world.agency, status=CaseStatus.SUBMITTED)
    with pytest.raises(DomainError, match="needs a close code"):
        lifecycle.move(placed, CaseStatus.CLOSED)
    with pytest.raises(DomainError):
        lifecycle.move(placed, CaseStatus.CLOSED, close_code=CloseCode.PAID_IN_FULL)
    working = factories.case(world.business, world.agency, status=CaseStatus.IN_COLLECTION)
    with pytest.raises(DomainError):
        lifecycle.move(working, CaseStatus.CLOSED, close_code=CloseCode.REJECTED)
    lifecycle.move(working, CaseStatus.CLOSED, close_code=CloseCode.WITHDRAWN)
    assert working.close_code == CloseCode.WITHDRAWN and working.closed_at is not None


def test_only_an_agency_admin_reopens_a_closed_case_with_a_reason(world):
    case = factories.case(world.business, world.agency, status=CaseStatus.IN_COLLECTION)
    lifecycle.move(case, CaseStatus.CLOSED, close_code=CloseCode.UNTRACEABLE)
    with pytest.raises(DomainError):
        lifecycle.move(case, CaseStatus.IN_COLLECTION)
    with pytest.raises(DomainError, match="Only an admin"):
        lifecycle.reopen(case, "Found a new address", actor=world.caseworker)
    with pytest.raises(DomainError, match="Only an admin"):
        lifecycle.reopen(case, "Found a new address", actor=world.other_agency_admin)
    with pytest.raises(DomainError, match="Say why"):
        lifecycle.reopen(case, "  ", actor=world.agency_admin)
    lifecycle.reopen(case, "Found a new address", actor=world.agency_admin)
    assert (case.status, case.close_code, case.closed_at) == (CaseStatus.IN_COLLECTION, None, None)


def test_a_case_rejected_at_placement_cannot_be_reopened(world):
    case = factories.case(world.business, world.agency, status=CaseStatus.SUBMITTED)
    lifecycle.move(case, CaseStatus.CLOSED, close_code=CloseCode.REJECTED)
    with pytest.raises(DomainError, match="places it again"):
        lifecycle.reopen(case, "oops", actor=world.agency_admin)
