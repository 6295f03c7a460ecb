"""The message thread between the business and the agency on a case."""

from sqlalchemy import select

from portal.extensions import db
from portal.models import Event, Message, Notification, Side
from tests import factories
from tests.casework.helpers import worked_case


def notes_for(user):
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)).all()


def send(client, case, body, internal=False):
    data = {"body": body} | ({"internal": "y"} if internal else {})
    return client.post(f"/cases/{case.id}/messages", data=data)


def test_message_thread_both_sides_write_and_the_other_side_is_told(client, auth, world):
    case = worked_case(world)
    auth.login(world.caseworker)
    assert send(client, case, "Debtor asks for a copy of invoice 12").status_code == 302
    assert any(n.kind == "message_posted" for n in notes_for(world.business_admin))
    auth.logout()
    auth.login(world.business_admin)
    assert send(client, case, "Uploaded it just now").status_code == 302
    assert any(n.kind == "message_posted" for n in notes_for(world.caseworker))
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Debtor asks for a copy of invoice 12" in page and "Uploaded it just now" in page
    sides = [m.side for m in db.session.scalars(select(Message).order_by(Message.id))]
    assert sides == [Side.AGENCY, Side.BUSINESS]
    assert len(db.session.scalars(select(Event).where(Event.kind == "message_note")).all()) == 2


def test_internal_note_hidden_from_business(client, auth, world):
    case = worked_case(world)
    auth.login(world.caseworker)
    send(client, case, "Debtor sounds like he is hiding assets", internal=True)
    assert notes_for(world.business_admin) == []
    assert "hiding assets" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    auth.logout()
    auth.login(world.business_admin)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "hiding assets" not in page  # neither the thread nor the timeline shows it


def test_business_cannot_mark_a_message_internal(client, auth, world):
    case = worked_case(world)
    auth.login(world.business_admin)
    response = send(client, case, "Private?", internal=True)
    assert response.status_code == 422
    assert "Only the agency keeps internal notes." in response.get_data(as_text=True)
    assert db.session.scalars(select(Message)).all() == []


def test_empty_message_refused_beside_the_field(client, auth, world):
    case = worked_case(world)
    auth.login(world.caseworker)
    response = send(client, case, "   ")
    assert response.status_code == 422
    assert 'id="message-body-error"' in response.get_data(as_text=True)


def test_no_messages_on_a_draft(client, auth, world):
    draft = factories.case(world.business)
    db.session.commit()
    auth.login(world.business_admin)
    response = send(client, draft, "Hello")
    assert response.status_code == 422
    assert "handed over" in response.get_data(as_text=True)
