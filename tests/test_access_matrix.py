"""Every endpoint, every method, eight personas: each request gets the answer the matrix expects.

Built from the app's own url_map: an endpoint missing from the access tables, or one whose URL
takes arguments and has no TARGETS entry, fails here. The expected answers come from
tests/access_personas.py (ACCESS/FOREIGN of every feature plus the persona rule); a failure
prints the endpoint's rows, e.g.

    cases.show GET [worked case]: anonymous=login, biz_a_admin=200, biz_a_member=200,
    biz_b_admin=404, agency_admin=200, caseworker=200, other_caseworker=404,
    other_agency_admin=404

Print the whole matrix with `.venv/bin/python -m tests.access_personas`.

One world (tests/factories.py) and one signed-in session per persona serve the module; every
request runs inside a transaction that is rolled back afterwards, so one persona's successful
POST (a deleted draft, a deactivated colleague) never changes what the next persona sees.
"""

import time
from contextlib import contextmanager

import pytest
from flask import url_for
from flask_sqlalchemy.session import Session as FlaskSession
from werkzeug.routing import Rule

from config import TestingConfig
from portal import create_app
from portal.extensions import db
from portal.models import CaseStatus
from tests import access_personas as matrix
from tests import factories
from tests.access_personas import (
    ACCESS,
    ANONYMOUS,
    FOREIGN,
    NO_OBJECT,
    TARGETS,
    USERS,
)
from tests.conftest import _empty_tables


def _endpoints() -> list[str]:
    app = create_app(TestingConfig)
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()})


ENDPOINTS = _endpoints()
SIGN_IN_AGAIN_AFTER = 5 * 60  # seconds; well inside the 10-minute re-authentication window


# --- one world, one session per persona, every request rolled back -----------------------------


class _JoinedSession(FlaskSession):
    """The app's session class, on one connection whose outer transaction the test owns: the
    request's commits release SAVEPOINTs instead of committing."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@contextmanager
def rolled_back():
    """Whatever the requests inside write is gone afterwards."""
    original = db.session.registry()
    original.commit()
    connection = db.engine.connect()
    outer = connection.begin()
    joined = _JoinedSession(db, bind=connection, join_transaction_mode="create_savepoint")
    db.session.registry.set(joined)
    try:
        yield
    finally:
        joined.close()
        outer.rollback()
        connection.close()
        db.session.registry.set(original)


class Personas:
    """A signed-in session cookie per persona, handed to a fresh client for every request."""

    def __init__(self, app, world):
        self.app, self.world = app, world
        self._cookies: dict[str, tuple[str, float]] = {}

    def _cookie(self, persona: str) -> str:
        value, at = self._cookies.get(persona, (None, 0.0))
        if value is None or time.monotonic() - at > SIGN_IN_AGAIN_AFTER:
            client = self.app.test_client()
            user = getattr(self.world, USERS[persona])
            response = client.post(
                "/login", data={"email": user.email, "password": factories.PASSWORD}
            )
            assert response.status_code == 302, f"{persona} could not sign in"
            value = client.get_cookie(self._name, domain=self._domain).value
            self._cookies[persona] = (value, time.monotonic())
        return value

    @property
    def _name(self) -> str:
        return self.app.config["SESSION_COOKIE_NAME"]

    @property
    def _domain(self) -> str:
        return self.app.config["SERVER_NAME"]

    def ask(self, persona: str, method: str, url: str) -> str:
        """The answer `persona` gets; nothing the request wrote is kept."""
        client = self.app.test_client()
        if persona != ANONYMOUS:
            client.set_cookie(self._name, self._cookie(persona), domain=self._domain)
        with rolled_back():
            response = client.open(url, method=method, buffered=True)
            response.close()
        return matrix.answer_of(response)


@pytest.fixture(scope="module")
def personas(_app):
    with _app.app_context():
        world = factories.world()
        yield Personas(_app, world)
        db.session.rollback()
        db.session.remove()
        _empty_tables()


# --- the matrix ----------------------------------------------------------------------------------


def _rules(app, endpoint: str) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint]


def _targets(rule: Rule):
    return TARGETS.get(rule.endpoint, (NO_OBJECT,))


def test_every_endpoint_and_method_has_a_row_in_the_matrix(personas):
    app = personas.app
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in ACCESS:
            missing.append(f"{rule.endpoint}: not in any tests/<feature>/access.py ACCESS table")
        elif rule.arguments and rule.endpoint not in TARGETS:
            missing.append(f"{rule.endpoint}: takes {sorted(rule.arguments)}, no TARGETS entry")
    stale = sorted(set(ACCESS) - {rule.endpoint for rule in app.url_map.iter_rules()})
    assert not missing, "routes the access matrix does not cover:\n" + "\n".join(missing)
    assert not stale, f"access-table entries for routes that no longer exist: {stale}"


def test_every_target_fills_its_routes_arguments(personas):
    app = personas.app
    for endpoint, targets in TARGETS.items():
        for rule in _rules(app, endpoint):
            for target in targets:
                built = target.build(personas.world)
                assert set(built) == set(rule.arguments), (endpoint, target.label, built)


def test_the_matrix_answers_404_to_every_outsider_of_the_foreign_table(personas):
    """The first target of an endpoint is FOREIGN's object: its outsiders must be out of reach."""
    world = personas.world
    for endpoint, (_, _, outsiders) in FOREIGN.items():
        target = TARGETS[endpoint][0]
        for user in outsiders(world):
            persona = matrix.persona_of(world, user)
            for method in matrix.methods(_rules(personas.app, endpoint)[0]):
                answer = matrix.expected(endpoint, method, persona, target)
                assert answer == "404", (endpoint, method, persona, answer)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_persona_gets_the_expected_answer(personas, endpoint):
    assert endpoint in ACCESS, f"{endpoint} is not in any tests/<feature>/access.py ACCESS table"
    rows, wrong = [], []
    for rule in _rules(personas.app, endpoint):
        assert not rule.arguments or endpoint in TARGETS, f"{rule.rule}: no TARGETS entry"
        for target in _targets(rule):
            url = url_for(endpoint, **target.build(personas.world))
            for method in matrix.methods(rule):
                row = matrix.row(endpoint, method, target)
                rows.append(matrix.line(endpoint, method, target, row))
                for persona, expected in row.items():
                    actual = personas.ask(persona, method, url)
                    if not matrix.agrees(expected, actual):
                        wrong.append(
                            f"{method} {url} as {persona}: expected {expected}, got {actual}"
                        )
    assert not wrong, "\n".join(["expected:", *rows, "wrong answers:", *wrong])


# --- objects reached through another object belong to it ----------------------------------------


def _second_worked_case(world):
    from tests.ledger.helpers import accepted

    return accepted(world)


def _assert_found_only_through_its_own_case(personas, method, own_url, other_url, who):
    """Through its own case each persona reaches the object; through another case they may
    also see, it is not found."""
    for persona in who:
        expected = "200" if method == "GET" else "ok"
        own = personas.ask(persona, method, own_url)
        assert matrix.agrees(expected, own), (persona, method, own_url, own)
        assert personas.ask(persona, method, other_url) == "404", (persona, method, other_url)


def test_a_document_of_one_case_is_not_found_through_another_case(personas):
    world = personas.world
    doc = matrix.document(world)
    other = _second_worked_case(world)
    _assert_found_only_through_its_own_case(
        personas,
        "GET",
        f"/cases/{doc.case_id}/documents/{doc.id}",
        f"/cases/{other.id}/documents/{doc.id}",
        who=("biz_a_admin", "agency_admin", "caseworker"),
    )


def test_a_payment_of_one_case_is_not_reversed_through_another_case(personas):
    world = personas.world
    recovery = matrix.payment(world)
    other = _second_worked_case(world)
    _assert_found_only_through_its_own_case(
        personas,
        "POST",
        f"/cases/{recovery.case_id}/payments/{recovery.id}/reverse",
        f"/cases/{other.id}/payments/{recovery.id}/reverse",
        who=("agency_admin", "caseworker"),
    )


@pytest.mark.parametrize("action", ["approve", "decline"])
def test_a_settlement_of_one_case_is_not_decided_through_another_case(personas, action):
    world = personas.world
    offer = matrix.settlement(world)
    other = _second_worked_case(world)
    _assert_found_only_through_its_own_case(
        personas,
        "POST",
        f"/cases/{offer.case_id}/settlement/{offer.id}/{action}",
        f"/cases/{other.id}/settlement/{offer.id}/{action}",
        who=("biz_a_admin",),
    )


def test_an_arrangement_of_one_case_is_not_ended_through_another_case(personas):
    world = personas.world
    offer = matrix.settlement(world)
    other = _second_worked_case(world)
    _assert_found_only_through_its_own_case(
        personas,
        "POST",
        f"/cases/{offer.case_id}/arrangements/{offer.id}/end",
        f"/cases/{other.id}/arrangements/{offer.id}/end",
        who=("agency_admin", "caseworker"),
    )


def test_every_route_with_two_objects_checks_that_the_inner_one_belongs_to_the_outer(personas):
    """The tests above cover every URL that reaches one object through another; instalments and
    statement lines have no URL of their own (they are shown on their plan's and statement's
    pages only). A new nested route must be added here and get its own test."""
    covered = {
        "documents.download",
        "ledger.reverse_payment",
        "ledger.approve_settlement",
        "ledger.decline_settlement",
        "ledger.end_arrangement",
    }
    nested = {
        rule.endpoint
        for rule in personas.app.url_map.iter_rules()
        if len([a for a in rule.arguments if a.endswith("_id")]) > 1
    }
    assert nested == covered


def test_a_case_of_the_caseworkers_colleague_is_not_found(personas):
    """The unassigned-caseworker rule with a real colleague: a case assigned to the other
    caseworker is theirs, not the caseworker's."""
    world = personas.world
    case = factories.case(
        world.business,
        world.agency,
        status=CaseStatus.IN_COLLECTION,
        agreement_id=world.agreement.id,
        assigned_to_id=world.other_caseworker.id,
    )
    db.session.commit()
    assert personas.ask("other_caseworker", "GET", f"/cases/{case.id}") == "200"
    assert personas.ask("caseworker", "GET", f"/cases/{case.id}") == "404"
