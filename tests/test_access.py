"""Who may open what, for every route the app has.

Built from the app's own url_map: a route missing from the merged ACCESS table fails the suite, so
every new page states who may use it. Each feature keeps its table in tests/<feature>/access.py
(ACCESS and FOREIGN, merged by tests/access_personas.py). Anonymous users are sent to sign in; a
wrong role gets 403; an object of another organisation gets 404 (its existence is not confirmed).
The full eight-persona matrix, with the allowed answers, is tests/test_access_matrix.py.
"""

import re

import pytest

from portal.models import Role
from tests import factories
from tests.access_personas import ACCESS, FOREIGN
from tests.access_rules import AGENCY, PUBLIC


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def _url(rule, value=1) -> str:
    return re.sub(
        r"<(?:[^:<>]+:)?([^<>]+)>",
        lambda m: "tok" if m.group(1) == "token" else str(value),
        rule.rule,
    )


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def test_every_route_is_in_the_access_table(app):
    missing = sorted({r.endpoint for r in app.url_map.iter_rules()} - set(ACCESS))
    assert not missing, f"routes without an access rule: {missing}"


def test_decorators_grant_exactly_the_roles_in_the_table(app):
    for endpoint, allowed in ACCESS.items():
        view = app.view_functions[endpoint]
        granted = getattr(view, "required_roles", PUBLIC)
        assert granted == allowed, endpoint


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    for rule in _rules(app):
        if ACCESS[rule.endpoint] == PUBLIC:
            continue
        for method in _methods(rule):
            response = client.open(_url(rule), method=method)
            assert response.status_code == 302, (rule.rule, method)
            assert "/login" in response.headers["Location"], (rule.rule, method)


@pytest.mark.parametrize("role", list(Role))
def test_a_wrong_role_is_forbidden(app, client, auth, world, role):
    person = {
        Role.BUSINESS_ADMIN: world.business_admin,
        Role.BUSINESS_MEMBER: world.business_member,
        Role.AGENCY_ADMIN: world.agency_admin,
        Role.CASEWORKER: world.caseworker,
    }[role]
    auth.login(person)
    for rule in _rules(app):
        allowed = ACCESS[rule.endpoint]
        if allowed == PUBLIC or role in allowed:
            continue
        for method in _methods(rule):
            response = client.open(_url(rule), method=method)
            assert response.status_code == 403, (rule.rule, method, role)


def test_another_organisations_objects_are_not_found(app, client, auth, world):
    _, token = _invitation(world)
    for endpoint, (_, own, outsiders) in FOREIGN.items():
        ident = own(world) if own else token
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        for outsider in outsiders(world):
            auth.login(outsider)
            for method in _methods(rule):
                response = client.open(_url(rule, ident), method=method)
                assert response.status_code == 404, (endpoint, method, outsider.email)
            auth.logout()


def _invitation(world):
    from portal.auth import services
    from portal.extensions import db

    invitation, _ = services.invite(
        world.business,
        "new@acacia.example",
        "New Person",
        Role.BUSINESS_MEMBER,
        world.business_admin,
    )
    db.session.commit()
    return invitation, invitation.id


@pytest.mark.parametrize("role", list(Role))
def test_every_page_a_role_may_open_answers(app, client, auth, world, role):
    person = factories.user(getattr(world, "agency" if role in AGENCY else "business"), role)
    from portal.extensions import db

    db.session.commit()
    auth.login(person)
    for rule in _rules(app):
        allowed = ACCESS[rule.endpoint]
        if allowed == PUBLIC or role not in allowed or "GET" not in rule.methods or rule.arguments:
            continue
        response = client.get(_url(rule))
        assert response.status_code == 200, (rule.rule, role)
