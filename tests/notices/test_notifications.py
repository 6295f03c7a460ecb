"""In-portal notifications and the e-mail they put in the outbox."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import CaseStatus, Notification, NotificationPreference, OutboxMail, utcnow
from portal.notifications import (
    EMAIL_KINDS,
    email_kinds_for,
    notify,
    save_email_preferences,
)
from portal.placements import services as placements
from tests import factories


def _placed(world):
    case = factories.case(
        world.business,
        world.agency,
        status=CaseStatus.SUBMITTED,
        agreement_id=world.agreement.id,
        debt_age_days_at_placement=30,
        answer_due_at=utcnow() + timedelta(days=5),
    )
    db.session.commit()
    return case


def _outbox() -> list[OutboxMail]:
    return list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# notify() and the outbox ----------------------------------------------------------------------


def test_notify_writes_outbox_rows_only_for_email_kinds(world):
    case = _placed(world)
    notify([world.caseworker], "case_assigned", "Yours now.", case=case)
    assert _count(Notification) == 1 and _outbox() == []

    notify([world.business_admin, world.business_member], "placement_accepted", "Taken.", case=case)
    assert sorted(m.to_address for m in _outbox()) == sorted(
        [world.business_admin.email, world.business_member.email]
    )


def test_notify_skips_inactive_users_for_notice_and_email(world):
    world.business_member.active = False
    notify([world.business_admin, world.business_member], "statement_issued", "Statement 7.")
    assert _count(Notification) == 1
    assert [m.to_address for m in _outbox()] == [world.business_admin.email]


def test_every_issue_kind_is_an_email_kind_with_a_plain_label():
    assert set(EMAIL_KINDS) == {
        "placement_received",
        "placement_accepted",
        "placement_rejected",
        "information_requested",
        "dispute_raised",
        "settlement_approval_needed",
        "payment_recorded",
        "statement_issued",
    }
    assert all("_" not in k.label and k.label[0].isupper() for k in EMAIL_KINDS.values())


def test_preference_off_stops_email_but_keeps_the_in_portal_notice(world):
    case = _placed(world)
    save_email_preferences(world.business_admin, {"placement_rejected": False})
    notify([world.business_admin, world.business_member], "placement_rejected", "No.", case=case)
    assert _count(Notification) == 2
    assert [m.to_address for m in _outbox()] == [world.business_member.email]


def test_preference_off_for_one_kind_leaves_other_kinds_on(world):
    save_email_preferences(world.business_admin, {"placement_rejected": False})
    notify([world.business_admin], "placement_accepted", "Yes.")
    assert [m.to_address for m in _outbox()] == [world.business_admin.email]


def test_the_email_names_the_case_and_links_to_it_at_the_configured_address(app, world):
    case = _placed(world)
    app.config["PORTAL_BASE_URL"] = "https://portal.example/"
    try:
        notify([world.business_admin], "placement_accepted", "Nairobi accepted it.", case=case)
    finally:
        app.config["PORTAL_BASE_URL"] = None
    (mail,) = _outbox()
    assert mail.subject == f"{case.reference}: placement accepted"
    assert "Nairobi accepted it." in mail.body
    assert f"Case: {case.reference}" in mail.body
    assert f"https://portal.example/cases/{case.id}" in mail.body
    assert "https://portal.example/notifications/settings" in mail.body


def test_inside_a_request_the_email_link_uses_the_requests_address(client, auth, world):
    case = _placed(world)
    auth.login(world.agency_admin)
    client.post(
        f"/placements/{case.id}/accept",
        data={"caseworker_id": world.caseworker.id},
        base_url="https://portal.test",
    )
    assert _outbox()
    assert all(f"https://portal.test/cases/{case.id}" in m.body for m in _outbox())


def test_outside_a_request_without_a_base_url_the_link_is_the_local_default(world):
    notify([world.business_admin], "statement_issued", "Statement 3 is ready.")
    (mail,) = _outbox()
    assert mail.subject == "Remittance statement issued"
    assert "Open it in the portal: http://localhost:5000/notifications" in mail.body


def test_accepting_a_placement_emails_the_business(world):
    case = _placed(world)
    placements.accept(case, world.agency_admin, world.caseworker.id)
    db.session.commit()
    to = sorted(m.to_address for m in _outbox())
    assert to == sorted([world.business_admin.email, world.business_member.email])
    # The caseworker is told in the portal only.
    assert (
        db.session.scalar(
            select(Notification.kind).where(Notification.user_id == world.caseworker.id)
        )
        == "case_assigned"
    )


# The list, the header count, opening and marking read ----------------------------------------


def _notes(user, n, **fields):
    notes = []
    for i in range(n):
        notes += notify(
            [user],
            fields.get("kind", "case_assigned"),
            f"Notice {i}",
            **{k: v for k, v in fields.items() if k != "kind"},
        )
    db.session.commit()
    return notes


def test_the_header_shows_the_unread_count(client, auth, world):
    _notes(world.business_admin, 3)
    auth.login(world.business_admin)
    page = client.get("/notifications").data.decode()
    assert re.search(r"Notifications \(3<span class=\"visually-hidden\"> unread</span>\)", page)


def test_the_header_shows_no_count_when_nothing_is_unread(client, auth, world):
    auth.login(world.business_admin)
    page = client.get("/notifications/settings").data.decode()
    assert ">Notifications</a>" in page and "unread</span>" not in page


def test_the_list_shows_my_notifications_newest_first_with_unread_marked(client, auth, world):
    old, new = _notes(world.business_admin, 2)
    old.created_at = utcnow() - timedelta(days=1)
    new.read_at = utcnow()
    db.session.commit()
    auth.login(world.business_admin)
    page = client.get("/notifications").data.decode()
    assert page.index("Notice 1") < page.index("Notice 0")
    assert "1 unread of 2" in page
    assert page.count(">Unread</span>") == 1 and page.count(">Read</span>") == 1


def test_the_list_is_paginated(app, client, auth, world):
    app.config["PAGE_SIZE"] = 2
    try:
        _notes(world.business_admin, 5)
        auth.login(world.business_admin)
        first = client.get("/notifications").data.decode()
        last = client.get("/notifications?page=3").data.decode()
        beyond = client.get("/notifications?page=99")
        junk = client.get("/notifications?page=abc")
    finally:
        app.config["PAGE_SIZE"] = 50
    assert "Page 1 of 3" in first and "Notice 4" in first and "Notice 0" not in first
    assert "Page 3 of 3" in last and "Notice 0" in last and "Notice 4" not in last
    assert beyond.status_code == 200 and "Page 3 of 3" in beyond.data.decode()
    assert junk.status_code == 200 and "Page 1 of 3" in junk.data.decode()


def test_looking_at_the_list_does_not_mark_anything_read(client, auth, world):
    _notes(world.business_admin, 2)
    auth.login(world.business_admin)
    client.get("/notifications")
    assert db.session.scalar(select(func.count()).where(Notification.read_at.is_not(None))) == 0


def test_opening_a_notification_marks_it_read_and_goes_to_its_case(client, auth, world):
    case = _placed(world)
    (note,) = _notes(world.business_admin, 1, case=case)
    auth.login(world.business_admin)
    response = client.post(f"/notifications/{note.id}/open")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    db.session.refresh(note)
    assert note.read_at is not None
    page = client.get("/notifications").data.decode()
    assert "unread</span>)" not in page


def test_opening_follows_a_link_inside_the_portal_but_never_one_outside(client, auth, world):
    (inside,) = _notes(world.business_admin, 1, link="/agreements/")
    (outside,) = _notes(world.business_admin, 1, link="https://elsewhere.example/x")
    (sneaky,) = _notes(world.business_admin, 1, link="//elsewhere.example/x")
    auth.login(world.business_admin)
    assert (
        client.post(f"/notifications/{inside.id}/open").headers["Location"].endswith("/agreements/")
    )
    for note in (outside, sneaky):
        location = client.post(f"/notifications/{note.id}/open").headers["Location"]
        assert "elsewhere" not in location and location.endswith("/notifications")


def test_mark_all_read_marks_only_my_notifications(client, auth, world):
    _notes(world.business_admin, 2)
    (theirs,) = _notes(world.business_member, 1)
    auth.login(world.business_admin)
    response = client.post("/notifications/read-all", follow_redirects=True)
    assert "2 notifications marked read." in response.data.decode()
    unread = db.session.scalars(select(Notification).where(Notification.read_at.is_(None))).all()
    assert [n.id for n in unread] == [theirs.id]


def test_a_user_never_sees_or_marks_another_users_notification(client, auth, world):
    (theirs,) = _notes(world.business_member, 1)
    auth.login(world.business_admin)
    assert "Notice 0" not in client.get("/notifications").data.decode()
    assert client.post(f"/notifications/{theirs.id}/open").status_code == 404
    db.session.refresh(theirs)
    assert theirs.read_at is None


def test_an_unknown_notification_is_not_found(client, auth, world):
    auth.login(world.business_admin)
    assert client.post("/notifications/999999/open").status_code == 404


# E-mail settings ------------------------------------------------------------------------------


def test_every_kind_is_on_until_the_user_turns_it_off(client, auth, world):
    auth.login(world.business_admin)
    page = client.get("/notifications/settings").data.decode()
    for kind in email_kinds_for(world.business_admin):
        assert EMAIL_KINDS[kind].label in page
        assert f'<input checked id="{kind}" name="{kind}" type="checkbox"' in page


def test_settings_offer_the_kinds_the_users_role_is_told_of(world):
    member = email_kinds_for(world.business_member)
    owner = email_kinds_for(world.business_admin)
    agency = email_kinds_for(world.agency_admin)
    assert "placement_accepted" in member and "placement_received" not in member
    assert "statement_issued" in owner and "statement_issued" not in member
    assert "placement_received" in agency and "statement_issued" not in agency
    assert "dispute_raised" in member and "dispute_raised" in agency
    assert email_kinds_for(world.caseworker) == []


def test_settings_also_offer_any_kind_the_user_has_been_emailed_about(world):
    assert "payment_recorded" not in email_kinds_for(world.caseworker)
    notify([world.caseworker], "payment_recorded", "Paid.")
    assert "payment_recorded" in email_kinds_for(world.caseworker)


def test_a_caseworker_without_email_kinds_is_told_so_and_posting_changes_nothing(
    client, auth, world
):
    auth.login(world.caseworker)
    page = client.get("/notifications/settings").data.decode()
    assert "No event e-mails you in your role" in page and 'type="checkbox"' not in page
    # A kind not offered to this user cannot be saved through the form.
    assert client.post("/notifications/settings", data={}).status_code == 302
    assert _count(NotificationPreference) == 0


def test_an_unknown_kind_cannot_be_saved(world):
    with pytest.raises(ValueError):
        save_email_preferences(world.business_admin, {"no_such_kind": False})


def test_email_settings_are_saved_per_user(client, auth, world):
    auth.login(world.business_admin)
    offered = email_kinds_for(world.business_admin)
    keep_on = {k: "y" for k in offered if k not in ("payment_recorded", "dispute_raised")}
    response = client.post("/notifications/settings", data=keep_on)
    assert response.status_code == 302
    saved = dict(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.email_enabled).where(
                NotificationPreference.user_id == world.business_admin.id
            )
        ).all()
    )
    assert saved["payment_recorded"] is False and saved["dispute_raised"] is False
    assert saved["statement_issued"] is True
    assert not db.session.scalars(
        select(NotificationPreference).where(
            NotificationPreference.user_id == world.business_member.id
        )
    ).all()
    page = client.get("/notifications/settings").data.decode()
    assert '<input id="payment_recorded" name="payment_recorded" type="checkbox"' in page
    assert '<input checked id="statement_issued" name="statement_issued"' in page

    # Turning it on again
    client.post("/notifications/settings", data=dict.fromkeys(offered, "y"))
    notify([world.business_admin], "payment_recorded", "Paid.")
    assert [m.to_address for m in _outbox()] == [world.business_admin.email]


def test_notify_ignores_a_missing_recipient(world):
    # e.g. notify([case.assigned_to], ...) on a case nobody is assigned to yet
    assert notify([None, world.caseworker], "plan_broken", "Plan broken.") != []
    assert _count(Notification) == 1
