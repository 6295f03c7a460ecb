"""Re-authentication: the password again before proposing an agreement (a fee schedule) or
issuing a statement, when it was not typed in the last 10 minutes."""

import time
from datetime import date

from sqlalchemy import func, select

from portal.auth import sessions
from portal.extensions import db
from portal.models import Statement, User
from portal.statements import services as statements
from tests import factories
from tests.auth.conftest import field_error
from tests.statements.helpers import placed_case, recovery


def _password_typed(client, minutes_ago: float) -> None:
    with client.session_transaction() as session:
        session[sessions.PASSWORD_AT] = int(time.time() - minutes_ago * 60)


def test_a_fresh_sign_in_proposes_an_agreement_without_a_second_password(client, auth, world):
    auth.login(world.agency_admin)
    _password_typed(client, 9)
    assert client.get("/agreements/new").status_code == 200


def test_proposing_an_agreement_asks_for_the_password_again_after_ten_minutes(client, auth, world):
    auth.login(world.agency_admin)
    _password_typed(client, 11)
    response = client.get("/agreements/new")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/reauthenticate?next=/agreements/new")
    page = client.get(response.headers["Location"])
    assert "Confirm your password" in page.get_data(as_text=True)
    wrong = client.post(response.headers["Location"], data={"reauth_password": "not mine at all"})
    assert field_error(wrong.get_data(as_text=True), "reauth_password") == (
        "That is not your password."
    )
    right = client.post(response.headers["Location"], data={"reauth_password": factories.PASSWORD})
    assert right.status_code == 302 and right.headers["Location"].endswith("/agreements/new")
    assert client.get("/agreements/new").status_code == 200


def test_a_stale_post_of_the_agreement_form_keeps_everything_typed(client, auth, world):
    auth.login(world.agency_admin)
    _password_typed(client, 30)
    sent = {"business_id": str(world.business.id), "signature": "Typed <b>Name</b>"}
    page = client.post("/agreements/new", data=sent)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Confirm your password" in html
    assert 'action="/agreements/new"' in html
    assert '<input type="hidden" name="signature" value="Typed &lt;b&gt;Name&lt;/b&gt;">' in html
    assert f'<input type="hidden" name="business_id" value="{world.business.id}">' in html


def test_issuing_a_statement_asks_for_the_password_and_then_issues_what_was_sent(
    client, auth, world
):
    case = placed_case(world.agreement)
    recovery(case, 5_000_00, date(2026, 10, 3))
    db.session.commit()
    auth.login(world.agency_admin)
    period = (date(2026, 10, 1), date(2026, 10, 31))
    checked = statements.preview(world.agreement, *period, date(2026, 11, 20)).fingerprint
    sent = {
        "agreement_id": world.agreement.id,
        "period_start": "2026-10-01",
        "period_end": "2026-10-31",
        "checked": checked,
        "confirm": "y",
    }
    _password_typed(client, 11)
    asked = client.post("/statements/issue", data=sent)
    assert asked.status_code == 200
    html = asked.get_data(as_text=True)
    assert "Confirm your password" in html and f'value="{checked}"' in html
    assert db.session.scalar(select(func.count(Statement.id))) == 0
    wrong = client.post("/statements/issue", data={**sent, "reauth_password": "wrong one here"})
    assert wrong.status_code == 422
    assert db.session.scalar(select(func.count(Statement.id))) == 0
    issued = client.post("/statements/issue", data={**sent, "reauth_password": factories.PASSWORD})
    assert issued.status_code == 302
    statement = db.session.scalars(select(Statement)).one()
    assert issued.headers["Location"].endswith(f"/statements/{statement.id}")


def test_guessing_the_password_at_reauthentication_locks_the_account_and_ends_the_session(
    client, auth, world
):
    auth.login(world.agency_admin)
    _password_typed(client, 11)
    for _ in range(9):
        client.post(
            "/reauthenticate?next=/agreements/new", data={"reauth_password": "a wrong guess"}
        )
    last = client.post(
        "/reauthenticate?next=/agreements/new", data={"reauth_password": "a wrong guess"}
    )
    assert last.status_code == 302 and last.headers["Location"].endswith("/login")
    assert db.session.get(User, world.agency_admin.id).locked_until is not None
    assert client.get("/dashboard").status_code == 302


def test_reauthentication_never_sends_anyone_to_another_site(client, auth, world):
    auth.login(world.agency_admin)
    response = client.post(
        "/reauthenticate?next=//evil.example/x", data={"reauth_password": factories.PASSWORD}
    )
    assert response.headers["Location"].endswith("/dashboard")


def test_the_two_money_actions_carry_the_reauthentication_rule(app):
    for endpoint in ("agreements.propose", "statements.issue"):
        assert app.view_functions[endpoint].requires_recent_password == 10, endpoint
