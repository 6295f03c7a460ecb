"""Audit events cannot be changed or deleted through the portal, and each carries the previous
event's hash, so a row changed in the database is found by `flask privacy verify-audit`."""

import pytest
from sqlalchemy import select

from portal import audit
from portal.extensions import db
from portal.models import Event
from portal.models.events import AuditChainHead, ImmutableEvent
from tests import factories
from tests.privacy.helpers import chain, events, tamper, verify_audit


def test_each_event_carries_the_previous_events_hash(app, world):
    events(3, world.business_admin)
    sealed = chain()
    assert [e.seq for e in sealed] == [1, 2, 3]
    assert sealed[0].prev_hash == audit.GENESIS
    assert [e.prev_hash for e in sealed[1:]] == [e.hash for e in sealed[:-1]]
    assert len({e.hash for e in sealed}) == 3


def test_the_chain_head_holds_the_last_events_place_and_hash(app, world):
    events(2, world.agency_admin)
    head = db.session.get(AuditChainHead, 1)
    assert (head.seq, head.hash) == (2, chain()[-1].hash)


def test_an_event_cannot_be_changed_through_the_portal(app, world):
    (event,) = events(1, world.business_admin)
    event.summary = "Something else"
    with pytest.raises(ImmutableEvent):
        db.session.flush()


def test_an_event_cannot_be_deleted_through_the_portal(app, world):
    (event,) = events(1, world.business_admin)
    db.session.delete(event)
    with pytest.raises(ImmutableEvent):
        db.session.flush()


def test_no_route_of_the_audit_view_changes_anything(app):
    methods = {
        m
        for rule in app.url_map.iter_rules()
        if rule.endpoint == "privacy.audit_trail"
        for m in rule.methods
    }
    assert methods <= {"GET", "HEAD", "OPTIONS"}


def test_verify_audit_passes_an_intact_chain(app, world):
    events(5, world.business_admin)
    result = verify_audit(app)
    assert result.exit_code == 0, result.output
    assert "intact: 5 events checked" in result.output


def test_a_changed_event_is_found_and_named(app, world):
    made = events(4, world.business_admin)
    tamper("UPDATE events SET summary = 'nothing happened' WHERE id = :id", id=made[2].id)
    result = verify_audit(app)
    assert result.exit_code == 1
    assert f"broken at event {made[2].id}" in result.output
    assert "do not match its hash" in result.output


def test_a_changed_actor_is_found(app, world):
    made = events(2, world.business_admin)
    tamper(
        "UPDATE events SET actor_id = :other WHERE id = :id",
        other=world.business_member.id,
        id=made[0].id,
    )
    result = verify_audit(app)
    assert result.exit_code == 1 and f"event {made[0].id}" in result.output


def test_a_deleted_event_is_found_at_the_event_after_it(app, world):
    made = events(4, world.business_admin)
    tamper("DELETE FROM events WHERE id = :id", id=made[1].id)
    result = verify_audit(app)
    assert result.exit_code == 1
    assert f"broken at event {made[2].id}" in result.output
    assert "an event is missing" in result.output


def test_removing_the_last_events_is_found(app, world):
    made = events(3, world.business_admin)
    tamper("DELETE FROM events WHERE id = :id", id=made[-1].id)
    result = verify_audit(app)
    assert result.exit_code == 1
    assert "the last events are missing" in result.output


def test_a_rehashed_event_breaks_the_link_to_the_next(app, world):
    made = events(3, world.business_admin)
    row = chain()[0]
    fields = {name: getattr(row, name) for name in audit.HASHED_FIELDS} | {"summary": "forged"}
    forged = audit.event_hash(fields)
    tamper(
        "UPDATE events SET summary = 'forged', hash = :h WHERE id = :id", h=forged, id=made[0].id
    )
    result = verify_audit(app)
    assert result.exit_code == 1
    assert f"event {made[1].id}" in result.output
    assert "previous event's hash" in result.output


def test_an_event_moved_to_another_case_is_found(app, world):
    first, second = factories.case(world.business), factories.case(world.business)
    (event,) = events(1, world.business_admin, case=first)
    tamper("UPDATE events SET case_id = :c WHERE id = :id", c=second.id, id=event.id)
    result = verify_audit(app)
    assert result.exit_code == 1 and "moved to another case" in result.output


def test_a_deleted_drafts_events_lose_their_case_and_the_chain_stays_intact(app, world):
    from portal.cases.services import delete_draft

    draft = factories.case(world.business)
    events(2, world.business_admin, case=draft)
    delete_draft(draft, world.business_admin)
    db.session.commit()
    assert db.session.scalars(select(Event).where(Event.case_id == draft.id)).all() == []
    assert verify_audit(app).exit_code == 0


def test_an_event_rolled_back_leaves_no_gap_in_the_chain(app, world):
    events(1, world.business_admin)
    audit.record("abandoned", actor=world.business_admin)
    db.session.rollback()
    events(1, world.business_admin)
    assert [e.seq for e in chain()] == [1, 2]
    assert verify_audit(app).exit_code == 0


def test_events_written_before_the_chain_existed_are_sealed_by_the_next_commit(app, world):
    made = events(2, world.business_admin)
    tamper("UPDATE events SET seq = NULL, prev_hash = NULL, hash = NULL")
    tamper("DELETE FROM audit_chain_head")
    assert verify_audit(app).exit_code == 1  # unsealed rows are reported
    events(1, world.business_admin)
    assert [e.id for e in chain()][:2] == [m.id for m in made]
    assert verify_audit(app).exit_code == 0


def test_events_inside_a_savepoint_are_sealed_by_the_real_commit(app, world):
    with db.session.begin_nested():
        audit.record("inside", actor=world.business_admin)
    unsealed = select(Event.hash).where(Event.kind == "inside")
    assert db.session.scalar(unsealed) is None
    db.session.commit()
    assert db.session.scalar(unsealed) is not None
    assert verify_audit(app).exit_code == 0
