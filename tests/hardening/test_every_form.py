"""Every POST route, as each role that may use it, with hostile text in every common field.

A sweep for 500s: whatever a form is, hostile values in its fields (markup, NUL, template
syntax, bidi controls, a megabyte) are refused beside the field or stored; the answer is never
a server error and never shows markup unescaped. The per-form tests in test_hostile_input.py
check what is stored; this one makes sure no route was forgotten.
"""

import pytest

from portal.models import Role
from tests.access_rules import PUBLIC
from tests.hardening.corpus import HOSTILE
from tests.hardening.test_hostile_input import assert_safe_page
from tests.test_access import ACCESS, FOREIGN, _rules, _url

EVERYTHING = " | ".join(HOSTILE.values())
# Over every field's limit (the 1 MB string goes through each form in test_hostile_input.py;
# sixty fields of it would only meet the request size limit).
LONG = "<b>x</b>\x00" * 700
FIELDS = [
    "action",
    "agreement_id",
    "amount",
    "answer",
    "basis",
    "body",
    "business_id",
    "calls_per_day",
    "case_prefix",
    "channel",
    "checked",
    "confirm",
    "contact_person",
    "contract_reference",
    "corrects_id",
    "count",
    "country",
    "currency",
    "date_order",
    "debtor_id",
    "description",
    "direction",
    "due_date",
    "email",
    "emails",
    "first_due_on",
    "frequency",
    "internal",
    "kind",
    "mapping_id",
    "method",
    "name",
    "next_action_on",
    "note",
    "notes",
    "occurred_at",
    "outcome",
    "override_reason",
    "paid_to",
    "party_reached",
    "period_end",
    "period_start",
    "phone",
    "profile",
    "promise_amount",
    "promise_date",
    "reason",
    "received_on",
    "reference",
    "resolution",
    "role",
    "settlement_floor",
    "signature",
    "stage",
    "summary",
    "timezone",
    "to",
    "token",
    "total",
    "window_end",
    "window_start",
]
SKIPPED = {"auth.logout"}  # signing out would end the sweep early


def _payload(value: str) -> dict:
    data = dict.fromkeys(FIELDS, value)
    data |= {f"pay-{f}": value for f in ("amount", "received_on", "method", "reference", "token")}
    return data


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("value", [EVERYTHING, LONG], ids=["every_hostile_string", "too_long"])
def test_no_post_route_answers_hostile_fields_with_a_server_error(
    app, client, auth, world, role, value
):
    person = {
        Role.BUSINESS_ADMIN: world.business_admin,
        Role.BUSINESS_MEMBER: world.business_member,
        Role.AGENCY_ADMIN: world.agency_admin,
        Role.CASEWORKER: world.caseworker,
    }[role]
    targets = []
    for rule in _rules(app):
        allowed = ACCESS[rule.endpoint]
        if "POST" not in rule.methods or rule.endpoint in SKIPPED:
            continue
        if allowed != PUBLIC and role not in allowed:
            continue
        ident = 1
        if rule.endpoint in FOREIGN:
            _, own, _ = FOREIGN[rule.endpoint]
            ident = own(world) if own else "tok"
        targets.append((rule.endpoint, _url(rule, ident)))
    assert targets
    auth.login(person)
    for endpoint, url in targets:
        response = client.post(url, data=_payload(value))
        try:
            assert_safe_page(response)
        except AssertionError as exc:
            raise AssertionError(f"{endpoint} {url}: {exc}") from exc
        if response.status_code == 302 and "/login" in response.headers["Location"]:
            auth.login(person)
