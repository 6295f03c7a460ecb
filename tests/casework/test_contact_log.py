"""The contact log: coded entries, overrides that are flagged, corrections, append-only."""

from sqlalchemy import select

from portal.extensions import db
from portal.models import CaseStatus, ContactOutcome, CorrespondenceEntry, DebtorProfile, Event
from tests.casework.helpers import NAIROBI, at, contact_form, freeze, logged, worked_case


def entries(case):
    return db.session.scalars(
        select(CorrespondenceEntry)
        .where(CorrespondenceEntry.case_id == case.id)
        .order_by(CorrespondenceEntry.id)
    ).all()


def post(client, case, **fields):
    return client.post(f"/cases/{case.id}/contacts", data=contact_form(**fields))


def test_contact_logged_with_channel_party_outcome_and_an_audit_event(
    client, auth, world, monkeypatch
):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))
    auth.login(world.caseworker)
    response = post(
        client,
        case,
        party_reached="attorney",
        outcome="conversation",
        notes="Spoke to their lawyer",
    )
    assert response.status_code == 302
    (entry,) = entries(case)
    assert entry.occurred_at == at(NAIROBI, 2026, 3, 3, 10, 0)
    assert (entry.channel.value, entry.party_reached.value, entry.outcome_code.value) == (
        "phone",
        "attorney",
        "conversation",
    )
    assert not entry.rule_breach
    event = db.session.scalars(select(Event).where(Event.kind == "contact_logged")).one()
    assert event.case_id == case.id and event.actor_id == world.caseworker.id


def test_contact_breaking_a_rule_needs_an_override_reason(client, auth, world, monkeypatch):
    case = worked_case(world)
    logged(case, world.caseworker, at(NAIROBI, 2026, 3, 3, 9, 0))
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))
    auth.login(world.caseworker)
    response = post(client, case, notes="Tried again")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="contact-override_reason-error"' in page and "the limit is 1 a day" in page
    assert "Tried again" in page  # nothing typed is lost
    assert len(entries(case)) == 1


def test_contact_breaking_a_rule_with_a_reason_is_logged_and_flagged(
    client, auth, world, monkeypatch
):
    case = worked_case(world)
    logged(case, world.caseworker, at(NAIROBI, 2026, 3, 3, 9, 0))
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))
    auth.login(world.caseworker)
    response = post(client, case, override_reason="The debtor asked us to call back at ten")
    assert response.status_code == 302
    entry = entries(case)[-1]
    assert entry.rule_breach and entry.breached_rules == "daily_limit"
    assert entry.override_reason == "The debtor asked us to call back at ten"


def test_contact_within_the_rules_ignores_an_override_reason(client, auth, world, monkeypatch):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))
    auth.login(world.caseworker)
    post(client, case, override_reason="Just in case")
    (entry,) = entries(case)
    assert not entry.rule_breach and entry.override_reason is None


def test_contact_from_the_debtor_never_breaks_a_rule(client, auth, world, monkeypatch):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 23, 30))
    auth.login(world.caseworker)
    response = post(
        client,
        case,
        occurred_at="2026-03-03T23:00",
        direction="inbound",
        party_reached="debtor",
        outcome="conversation",
    )
    assert response.status_code == 302
    assert not entries(case)[0].rule_breach


def test_contact_in_the_future_is_refused_beside_the_field(client, auth, world, monkeypatch):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))
    auth.login(world.caseworker)
    response = post(client, case, occurred_at="2026-03-03T12:00")
    assert response.status_code == 422
    assert 'id="contact-occurred_at-error"' in response.get_data(as_text=True)
    assert entries(case) == []


def test_promise_to_pay_needs_amount_and_date_and_sets_the_next_action(
    client, auth, world, monkeypatch
):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))
    auth.login(world.caseworker)
    response = post(client, case, party_reached="debtor", outcome="promise_to_pay")
    assert response.status_code == 422
    assert 'id="contact-promise_amount-error"' in response.get_data(as_text=True)
    response = post(
        client,
        case,
        party_reached="debtor",
        outcome="promise_to_pay",
        promise_amount="5,000.50",
        promise_date="2026-03-10",
    )
    assert response.status_code == 302
    (entry,) = entries(case)
    assert entry.promise_amount_minor == 500050
    assert case.next_action_on.isoformat() == "2026-03-10"


def test_someone_must_be_reached_for_a_conversation(client, auth, world, monkeypatch):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))
    auth.login(world.caseworker)
    response = post(client, case, party_reached="nobody", outcome="refusal")
    assert response.status_code == 422
    assert 'id="contact-party_reached-error"' in response.get_data(as_text=True)


def test_request_to_stop_contact_stops_further_contact(client, auth, world, monkeypatch):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))
    auth.login(world.caseworker)
    post(client, case, channel="email", party_reached="debtor", outcome="stop_requested")
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 20, 10, 30))
    response = post(client, case, occurred_at="2026-03-20T10:00", channel="letter")
    assert response.status_code == 422
    assert "asked for contact to stop" in response.get_data(as_text=True)


def test_correction_is_a_later_entry_and_the_original_stays(client, auth, world, monkeypatch):
    case = worked_case(world)
    wrong = logged(
        case, world.caseworker, at(NAIROBI, 2026, 3, 2, 9, 0), ContactOutcome.CONVERSATION
    )
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))
    auth.login(world.caseworker)
    # While the conversation stands, calling today is inside the quiet period.
    assert "Do not call" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    response = post(
        client,
        case,
        occurred_at="2026-03-02T09:00",
        corrects_id=str(wrong.id),
        notes="Nobody answered: logged as a conversation by mistake",
    )
    assert response.status_code == 302
    original, correction = entries(case)
    assert original.outcome_code == ContactOutcome.CONVERSATION  # never edited
    assert correction.corrects_id == original.id
    assert "You may call" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert db.session.scalars(select(Event).where(Event.kind == "contact_corrected")).one()


def test_correction_needs_a_note_and_an_entry_of_this_case(client, auth, world, monkeypatch):
    case = worked_case(world)
    other = worked_case(world)
    foreign = logged(other, world.caseworker, at(NAIROBI, 2026, 3, 2, 9, 0))
    mine = logged(case, world.caseworker, at(NAIROBI, 2026, 3, 2, 9, 0))
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))
    auth.login(world.caseworker)
    response = post(client, case, corrects_id=str(mine.id))
    assert response.status_code == 422 and 'id="contact-notes-error"' in response.get_data(
        as_text=True
    )
    response = post(client, case, corrects_id=str(foreign.id), notes="Fix")
    assert response.status_code == 422
    assert 'id="contact-corrects_id-error"' in response.get_data(as_text=True)
    assert len(entries(case)) == 1


def test_contact_log_is_append_only_no_edit_or_delete_endpoints(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("casework."):
            assert not rule.methods & {"PUT", "PATCH", "DELETE"}, rule.rule
            assert "edit" not in rule.rule and "delete" not in rule.rule, rule.rule
    contact_routes = [r for r in app.url_map.iter_rules() if "/contacts" in r.rule]
    assert [sorted(r.methods - {"HEAD", "OPTIONS"}) for r in contact_routes] == [["POST"]]


def test_business_reads_the_log_without_internal_entries_and_no_form(
    client, auth, world, monkeypatch
):
    case = worked_case(world)
    logged(case, world.caseworker, at(NAIROBI, 2026, 3, 2, 9, 0), summary="Visible call note")
    logged(
        case,
        world.caseworker,
        at(NAIROBI, 2026, 3, 2, 10, 0),
        ContactOutcome.CONVERSATION,
        summary="Secret strategy note",
        internal=True,
    )
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))
    auth.login(world.business_member)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Visible call note" in page
    assert "Secret strategy note" not in page
    assert "Log a contact" not in page


def test_contact_on_a_case_not_being_worked_is_refused_with_a_message(
    client, auth, world, monkeypatch
):
    case = worked_case(world, status=CaseStatus.CLOSED, close_code="returned")
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))
    auth.login(world.caseworker)
    response = post(client, case)
    assert response.status_code == 422
    assert "this one is closed" in response.get_data(as_text=True)


def test_debtor_kind_is_recorded_with_an_event(client, auth, world):
    case = worked_case(world)
    auth.login(world.caseworker)
    response = client.post(f"/cases/{case.id}/debtor-kind", data={"profile": "delays"})
    assert response.status_code == 302
    assert case.debtor_profile == DebtorProfile.DELAYS
    assert db.session.scalars(select(Event).where(Event.kind == "debtor_profile_set")).one()


def _contact_page(client, case) -> str:
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_override_reason_is_asked_for_only_when_the_rules_refuse_contact_now(
    client, auth, world, monkeypatch
):
    case = worked_case(world)
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 8, 30))
    auth.login(world.caseworker)
    assert 'name="override_reason"' not in _contact_page(client, case)
    logged(case, world.caseworker, at(NAIROBI, 2026, 3, 3, 9, 0))
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 3, 10, 30))  # one call a day: refused now
    assert 'name="override_reason"' in _contact_page(client, case)


def test_a_refused_contact_asks_for_the_override_reason_and_keeps_what_was_typed(
    client, auth, world, monkeypatch
):
    case = worked_case(world)
    logged(case, world.caseworker, at(NAIROBI, 2026, 3, 3, 9, 0))
    freeze(monkeypatch, at(NAIROBI, 2026, 3, 4, 8, 30))  # a call is allowed at this moment
    auth.login(world.caseworker)
    assert 'name="override_reason"' not in _contact_page(client, case)
    response = post(client, case, notes="Called back")  # a second call on 3 March: refused
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="contact-override_reason-error"' in page and "Called back" in page
    response = post(client, case, override_reason="The debtor asked", occurred_at="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'name="override_reason"' in page and "The debtor asked" in page
