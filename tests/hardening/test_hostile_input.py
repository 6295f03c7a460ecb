"""Hostile strings through every form: no 500, nothing executed, stored and shown exactly.

Each test posts one corpus string (tests/hardening/corpus.py) into the free-text fields of one
form, as the person who may use it, then checks:

- the answer is never a 5xx;
- no dangerous markup reaches a page unescaped (`DANGEROUS_MARKUP`);
- the database holds exactly what was sent, after the documented normalisation
  (`corpus.normalised`: NUL removed, surrounding whitespace trimmed), and the page that shows it
  holds it escaped;
- the 1 MB string is refused beside the field (422), never stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from markupsafe import escape
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Agreement,
    AgreementStatus,
    Case,
    CaseStatus,
    CorrespondenceEntry,
    Invitation,
    Message,
    OrgKind,
    Recovery,
    Role,
)
from tests import factories
from tests.cases import helpers as case_helpers
from tests.casework.helpers import contact_form, freeze, worked_case
from tests.hardening.corpus import BIG, DANGEROUS_MARKUP, HOSTILE, normalised
from tests.ledger.helpers import accepted, payment_form

CORPUS = pytest.mark.parametrize("value", list(HOSTILE.values()), ids=list(HOSTILE))


def assert_safe_page(response) -> str:
    """No 5xx, and no dangerous markup unescaped; returns the page's HTML."""
    assert response.status_code < 500, response.status_code
    html = response.get_data(as_text=True)
    for markup in DANGEROUS_MARKUP:
        assert markup not in html, markup
    return html


def assert_shown(html: str, value: str) -> None:
    """The value is on the page exactly, escaped (quotes may be escaped either way)."""
    shown = str(escape(normalised(value)))
    alternatives = {shown, shown.replace("&#39;", "&#x27;"), shown.replace("&#34;", "&quot;")}
    assert any(a in html for a in alternatives), normalised(value)[:80]


def _count(model) -> int:
    return len(db.session.scalars(select(model.id)).all())


# --- the case form --------------------------------------------------------------------------


def _case_form(value: str) -> dict:
    return case_helpers.case_form(
        value,
        **{
            "debtor-contact_person": value,
            "debtor-address": value,
            "contract_reference": value,
            "notes": value,
            "history-0-summary": value,
            "history-0-outcome": value,
            "history-0-contact_person": value,
        },
    )


@CORPUS
def test_the_case_form_stores_and_shows_hostile_text_exactly(client, auth, world, value):
    auth.login(world.business_admin)
    response = client.post("/cases/new", data=_case_form(value))
    assert_safe_page(response)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    case = case_helpers.only_case(world.business)
    expected = normalised(value)
    assert case.debtor.name == expected
    assert case.debtor.contact_person == expected
    assert case.debtor.address == expected
    assert case.contract_reference == expected
    assert case.notes == expected
    entry = db.session.scalars(select(CorrespondenceEntry)).one()
    assert (entry.summary, entry.outcome, entry.contact_person) == (expected,) * 3
    html = assert_safe_page(client.get(f"/cases/{case.id}"))
    assert_shown(html, value)
    html = assert_safe_page(client.get(f"/cases/{case.id}/edit"))
    assert_shown(html, value)
    assert_safe_page(client.get("/cases/"))
    pdf = client.get(f"/cases/{case.id}/case-file.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_case_form_refuses_a_megabyte_beside_the_field_and_keeps_nothing(client, auth, world):
    auth.login(world.business_admin)
    response = client.post("/cases/new", data=_case_form(BIG))
    assert_safe_page(response)
    assert response.status_code in (200, 422)  # refused beside the field
    assert _count(Case) == 0
    assert "characters" in response.get_data(as_text=True)


def test_hostile_search_terms_are_harmless(client, auth, world):
    auth.login(world.business_admin)
    for value in [*HOSTILE.values(), BIG[:4000]]:
        assert_safe_page(client.get("/cases/", query_string={"q": value, "status": value}))
        assert_safe_page(client.get("/dashboard/" + "x", query_string={"q": value}))


# --- the history form (a case already handed over) ---------------------------------------


@CORPUS
def test_the_history_form_stores_and_shows_hostile_text_exactly(client, auth, world, value):
    case = case_helpers.placed(world, CaseStatus.IN_COLLECTION)
    auth.login(world.business_admin)
    fields = case_helpers.history(0, summary=value, contact_person=value, outcome=value)
    data = {key.removeprefix("history-0-"): v for key, v in fields.items()}
    response = client.post(f"/cases/{case.id}/history", data=data)
    assert_safe_page(response)
    assert response.status_code == 302
    entry = db.session.scalars(
        select(CorrespondenceEntry).where(CorrespondenceEntry.case_id == case.id)
    ).one()
    assert (entry.summary, entry.outcome, entry.contact_person) == (normalised(value),) * 3
    assert_shown(assert_safe_page(client.get(f"/cases/{case.id}")), value)


def test_the_history_form_refuses_a_megabyte(client, auth, world):
    case = case_helpers.placed(world, CaseStatus.IN_COLLECTION)
    auth.login(world.business_admin)
    data = {k.removeprefix("history-0-"): v for k, v in case_helpers.history(0, BIG).items()}
    response = client.post(f"/cases/{case.id}/history", data=data)
    assert_safe_page(response)
    assert response.status_code in (200, 422)  # refused beside the field
    assert _count(CorrespondenceEntry) == 0


# --- the message thread ---------------------------------------------------------------------


@CORPUS
@pytest.mark.parametrize("side", ["business", "agency"])
def test_the_message_thread_stores_and_shows_hostile_text_exactly(client, auth, world, value, side):
    case = worked_case(world)
    author = world.business_admin if side == "business" else world.caseworker
    auth.login(author)
    response = client.post(f"/cases/{case.id}/messages", data={"body": value})
    assert_safe_page(response)
    assert response.status_code == 302
    message = db.session.scalars(select(Message).where(Message.case_id == case.id)).one()
    assert message.body == normalised(value)
    auth.logout()
    reader = world.agency_admin if side == "business" else world.business_admin
    auth.login(reader)
    assert_shown(assert_safe_page(client.get(f"/cases/{case.id}")), value)
    assert_safe_page(client.get("/notifications"))
    pdf = client.get(f"/cases/{case.id}/case-file.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_message_thread_refuses_a_megabyte(client, auth, world):
    case = worked_case(world)
    auth.login(world.business_admin)
    response = client.post(f"/cases/{case.id}/messages", data={"body": BIG})
    assert_safe_page(response)
    assert response.status_code in (200, 422)  # refused beside the field
    assert _count(Message) == 0


# --- the contact log ------------------------------------------------------------------------


@CORPUS
def test_the_contact_log_stores_and_shows_hostile_text_exactly(
    client, auth, world, monkeypatch, value
):
    freeze(monkeypatch, datetime(2026, 3, 3, 12, tzinfo=UTC))
    case = worked_case(world)
    auth.login(world.caseworker)
    response = client.post(
        f"/cases/{case.id}/contacts",
        data=contact_form(outcome="no_answer", notes=value),
    )
    assert_safe_page(response)
    assert response.status_code == 302, _errors(response)
    entry = db.session.scalars(
        select(CorrespondenceEntry).where(CorrespondenceEntry.case_id == case.id)
    ).one()
    assert entry.summary == normalised(value)
    assert_shown(assert_safe_page(client.get(f"/cases/{case.id}")), value)
    assert_safe_page(client.get("/work"))
    auth.logout()
    auth.login(world.agency_admin)
    assert_safe_page(client.get("/compliance"))


def test_the_contact_log_refuses_a_megabyte(client, auth, world, monkeypatch):
    freeze(monkeypatch, datetime(2026, 3, 3, 12, tzinfo=UTC))
    case = worked_case(world)
    auth.login(world.caseworker)
    response = client.post(f"/cases/{case.id}/contacts", data=contact_form(notes=BIG))
    assert_safe_page(response)
    assert response.status_code in (200, 422)  # refused beside the field
    assert _count(CorrespondenceEntry) == 0


# --- payments -------------------------------------------------------------------------------


@CORPUS
def test_a_payment_stores_and_shows_a_hostile_reference_exactly(client, auth, world, value):
    case = accepted(world)
    auth.login(world.caseworker)
    reference = value[:120]
    response = client.post(f"/cases/{case.id}/payments", data=payment_form(reference=reference))
    assert_safe_page(response)
    assert response.status_code == 302, _errors(response)
    recovery = db.session.scalars(select(Recovery)).one()
    assert recovery.reference == normalised(reference)
    assert_shown(assert_safe_page(client.get(f"/cases/{case.id}")), reference)


@CORPUS
def test_hostile_amounts_and_dates_are_refused_beside_the_field(client, auth, world, value):
    case = accepted(world)
    auth.login(world.caseworker)
    for data in (
        payment_form(amount=value),
        payment_form(received_on=value),
        payment_form(method=value, paid_to=value, token=value[:64]),
    ):
        response = client.post(f"/cases/{case.id}/payments", data=data)
        assert_safe_page(response)
        assert response.status_code in (302, 400, 422)
    assert _count(Recovery) == 0


def test_a_payment_refuses_a_megabyte(client, auth, world):
    case = accepted(world)
    auth.login(world.caseworker)
    response = client.post(f"/cases/{case.id}/payments", data=payment_form(reference=BIG))
    assert_safe_page(response)
    assert response.status_code in (200, 422)  # refused beside the field
    assert _count(Recovery) == 0


# --- agreements -----------------------------------------------------------------------------


def _proposal(business_id: int, signature: str, **overrides) -> dict:
    from tests.foundation.test_agreements import _proposal as proposal

    return proposal(business_id, signature=signature, **overrides)


@CORPUS
def test_an_agreement_signed_with_a_hostile_name_is_stored_and_shown_exactly(
    client, auth, world, value
):
    business = factories.organisation(
        OrgKind.BUSINESS, name=normalised(value)[:200], invited_by_id=world.agency.id
    )
    admin = factories.user(world.agency, Role.AGENCY_ADMIN, name=normalised(value)[:200])
    db.session.commit()
    auth.login(admin)
    response = client.post("/agreements/new", data=_proposal(business.id, value[:200]))
    assert_safe_page(response)
    assert response.status_code == 302, _errors(response)
    agreement = db.session.scalars(
        select(Agreement).where(Agreement.status == AgreementStatus.PROPOSED)
    ).one()
    assert agreement.agency_signature == normalised(value[:200])
    html = assert_safe_page(client.get(f"/agreements/{agreement.id}"))
    assert_shown(html, value[:200])
    assert_safe_page(client.get("/agreements/"))


@CORPUS
def test_hostile_agreement_terms_are_refused_beside_the_field(client, auth, world, value):
    business = factories.organisation(OrgKind.BUSINESS, invited_by_id=world.agency.id)
    admin = factories.user(world.agency, Role.AGENCY_ADMIN, name="Agency Signer")
    db.session.commit()
    auth.login(admin)
    fields = ("currency", "bands-0-rate", "legal_rate", "fee_cap", "window_start", "quiet_days")
    data = _proposal(business.id, "Agency Signer", **dict.fromkeys(fields, value))
    response = client.post("/agreements/new", data=data)
    assert_safe_page(response)
    assert response.status_code in (200, 422)
    assert (
        db.session.scalars(select(Agreement).where(Agreement.business_id == business.id)).all()
        == []
    )


# --- users and invitations ------------------------------------------------------------------


@CORPUS
def test_an_invitation_stores_and_shows_a_hostile_name_exactly(client, auth, world, value):
    auth.login(world.business_admin)
    data = {"name": value, "email": "new.person@acacia.example", "role": Role.BUSINESS_MEMBER.value}
    response = client.post("/users", data=data)
    assert_safe_page(response)
    assert response.status_code == 200, _errors(response)  # the page shows the link to pass on
    invitation = db.session.scalars(select(Invitation)).one()
    assert invitation.name == normalised(value)
    assert_shown(assert_safe_page(client.get("/users")), value)


@CORPUS
def test_a_hostile_email_address_is_refused_beside_the_field(client, auth, world, value):
    auth.login(world.business_admin)
    data = {"name": "New Person", "email": value, "role": value}
    response = client.post("/users", data=data)
    assert_safe_page(response)
    assert response.status_code in (200, 422)
    assert _count(Invitation) == 0


def test_an_invitation_refuses_a_megabyte(client, auth, world):
    auth.login(world.business_admin)
    data = {"name": BIG, "email": "new.person@acacia.example", "role": "business_member"}
    assert_safe_page(client.post("/users", data=data))
    assert _count(Invitation) == 0


@CORPUS
def test_hostile_sign_in_attempts_are_harmless(client, value):
    response = client.post("/login", data={"email": value, "password": value})
    assert_safe_page(response)
    assert response.status_code in (200, 422)


def _errors(response) -> str:
    """The error messages on a refused form's page (for a failing assertion's message)."""
    import re

    html = response.get_data(as_text=True)
    found = re.findall(r'class="[^"]*(?:error|flash)[^"]*"[^>]*>(.*?)<', html, re.S)
    return f"{response.status_code}: " + " | ".join(t.strip() for t in found if t.strip())


# --- statements -----------------------------------------------------------------------------


@CORPUS
def test_hostile_statement_periods_are_refused_beside_the_field(client, auth, world, value):
    from portal.models import Statement

    auth.login(world.agency_admin)
    for field in ("agreement_id", "period_start", "period_end", "checked"):
        data = {
            "agreement_id": world.agreement.id,
            "period_start": "2026-10-01",
            "period_end": "2026-10-31",
            "confirm": "y",
        } | {field: value}
        for url in ("/statements/preview", "/statements/issue"):
            response = client.post(url, data=data)
            assert_safe_page(response)
        assert_safe_page(client.get("/statements/new", query_string={field: value}))
    assert _count(Statement) == 0
