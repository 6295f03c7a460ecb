"""Recording payments: the fee, the balance, overpayment, reversals, idempotency, closing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.errors import DomainError
from portal.extensions import db
from portal.ledger import services
from portal.ledger.services import PaymentData
from portal.models import (
    CaseStatus,
    CloseCode,
    Event,
    Notification,
    PaidTo,
    Recovery,
)
from tests.ledger.helpers import TODAY, accepted, payment_form


def _pay(case, user, amount, paid_to=PaidTo.AGENCY, token=None, on=TODAY):
    data = PaymentData(amount, on, "bank_transfer", "REF", paid_to, token or f"t-{amount}-{on}")
    recovery, _ = services.record_payment(case, user, data, TODAY)
    db.session.commit()
    return recovery


def test_the_fee_is_the_case_rate_times_the_amount_rounded_half_up(world):
    case = accepted(world, rate_bps=1250)  # 12.5 %
    r = _pay(case, world.caseworker, 1_00)  # 12.5 cents -> 13
    assert (r.fee_minor, r.tax_minor, r.net_minor) == (13, 0, 87)
    r = _pay(case, world.caseworker, 3)  # 0.375 -> 0
    assert (r.fee_minor, r.net_minor) == (0, 3)
    r = _pay(case, world.caseworker, 4)  # 0.5 -> 1 (half-up, not half-even)
    assert (r.fee_minor, r.net_minor) == (1, 3)


def test_tax_on_the_fee_comes_from_the_agreement(world):
    world.agreement.fee_tax_bps = 1600
    case = accepted(world, rate_bps=3000)
    r = _pay(case, world.caseworker, 10_000_00)
    assert (r.fee_minor, r.tax_minor, r.net_minor) == (3_000_00, 480_00, 6_520_00)


def test_a_payment_lowers_the_balance_and_the_figures_add_up(world):
    case = accepted(world, amount_minor=45_000_00)
    _pay(case, world.caseworker, 10_000_00)
    f = services.figures(case)
    assert (f.placement, f.recovered, f.fee, f.net, f.balance) == (
        45_000_00,
        10_000_00,
        3_000_00,
        7_000_00,
        35_000_00,
    )


def test_a_direct_payment_leaves_the_fee_owed_by_the_business(world):
    case = accepted(world)
    r = _pay(case, world.caseworker, 10_000_00, paid_to=PaidTo.CLIENT)
    assert r.paid_to == PaidTo.CLIENT and r.fee_minor == 3_000_00
    assert services.figures(case).fee_owed_by_business == 3_000_00


def test_a_payment_above_the_balance_is_refused_beside_the_amount(client, auth, world):
    case = accepted(world, amount_minor=1_000_00)
    auth.login(world.caseworker)
    response = client.post(f"/cases/{case.id}/payments", data=payment_form(amount="1000.01"))
    assert response.status_code == 422
    page = response.data.decode()
    assert 'id="pay-amount-error"' in page and "more than the balance of KES" in page
    assert 'value="1000.01"' in page  # nothing typed is lost
    assert db.session.scalar(select(func.count(Recovery.id))) == 0


def test_a_payment_dated_in_the_future_is_refused(world):
    case = accepted(world)
    data = PaymentData(100, TODAY + timedelta(days=1), "cash", "", PaidTo.AGENCY, "tok")
    with pytest.raises(DomainError) as refused:
        services.record_payment(case, world.caseworker, data, TODAY)
    assert refused.value.field == "received_on"


def test_an_amount_that_is_not_money_is_refused_beside_the_field(client, auth, world):
    case = accepted(world)
    auth.login(world.caseworker)
    for typed in ("ten", "10.001", "-5", "0"):
        response = client.post(f"/cases/{case.id}/payments", data=payment_form(amount=typed))
        assert response.status_code == 422, typed
        assert 'id="pay-amount-error"' in response.data.decode(), typed


def test_a_bad_date_or_method_is_refused_beside_its_field(client, auth, world):
    case = accepted(world)
    auth.login(world.caseworker)
    response = client.post(
        f"/cases/{case.id}/payments", data=payment_form(received_on="31/02/2026", method="gold")
    )
    page = response.data.decode()
    assert response.status_code == 422
    assert 'id="pay-received_on-error"' in page and 'id="pay-method-error"' in page


def test_submitting_the_same_payment_form_twice_records_once(client, auth, world):
    case = accepted(world)
    auth.login(world.caseworker)
    first = client.post(f"/cases/{case.id}/payments", data=payment_form(token="same-token"))
    second = client.post(
        f"/cases/{case.id}/payments", data=payment_form(token="same-token"), follow_redirects=True
    )
    assert first.status_code == 302 and second.status_code == 200
    assert "already recorded" in second.data.decode()
    assert db.session.scalar(select(func.count(Recovery.id))) == 1


def test_the_idempotency_key_is_unique_in_the_database(world):
    case = accepted(world)
    _pay(case, world.caseworker, 100, token="k")
    db.session.add(
        Recovery(
            case_id=case.id, received_on=TODAY, amount_minor=1, currency="KES", method="cash",
            paid_to=PaidTo.AGENCY, fee_rate_bps=0, fee_minor=0, net_minor=1,
            idempotency_key="k",
        )
    )  # fmt: skip
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_bounced_payment_is_reversed_by_a_new_negative_entry(client, auth, world):
    case = accepted(world)
    paid = _pay(case, world.caseworker, 10_000_00)
    auth.login(world.caseworker)
    response = client.post(
        f"/cases/{case.id}/payments/{paid.id}/reverse",
        data={f"reverse-{paid.id}-reason": "Cheque bounced", f"reverse-{paid.id}-confirm": "y"},
    )
    assert response.status_code == 302
    entries = db.session.scalars(select(Recovery).order_by(Recovery.id)).all()
    assert len(entries) == 2  # nothing deleted
    reversal = entries[1]
    assert reversal.reverses_id == paid.id and reversal.note == "Cheque bounced"
    assert (reversal.amount_minor, reversal.fee_minor, reversal.net_minor) == (
        -10_000_00,
        -3_000_00,
        -7_000_00,
    )
    assert services.figures(case).balance == 45_000_00


def test_a_payment_is_reversed_only_once(client, auth, world):
    case = accepted(world)
    paid = _pay(case, world.caseworker, 10_000_00)
    auth.login(world.caseworker)
    url = f"/cases/{case.id}/payments/{paid.id}/reverse"
    client.post(
        url, data={f"reverse-{paid.id}-reason": "Bounced", f"reverse-{paid.id}-confirm": "y"}
    )
    again = client.post(
        url, data={f"reverse-{paid.id}-reason": "Bounced again", f"reverse-{paid.id}-confirm": "y"}
    )
    assert again.status_code == 422
    assert "already been reversed" in again.data.decode()
    assert db.session.scalar(select(func.count(Recovery.id))) == 2


def test_a_reversal_cannot_itself_be_reversed(world):
    case = accepted(world)
    paid = _pay(case, world.caseworker, 100)
    reversal = services.reverse_payment(case, world.caseworker, paid, "bounced", TODAY)
    with pytest.raises(DomainError, match="itself a reversal"):
        services.reverse_payment(case, world.caseworker, reversal, "again", TODAY)


def test_a_reversal_needs_a_reason(client, auth, world):
    case = accepted(world)
    paid = _pay(case, world.caseworker, 100)
    auth.login(world.caseworker)
    response = client.post(f"/cases/{case.id}/payments/{paid.id}/reverse", data={})
    assert response.status_code == 422
    assert f'id="reverse-{paid.id}-reason-error"' in response.data.decode()


def test_paying_the_whole_balance_closes_the_case_as_paid_in_full(client, auth, world):
    case = accepted(world, amount_minor=500_00)
    _pay(case, world.caseworker, 200_00)
    assert case.status == CaseStatus.IN_COLLECTION
    auth.login(world.caseworker)
    response = client.post(
        f"/cases/{case.id}/payments", data=payment_form(amount="300"), follow_redirects=True
    )
    assert "The case is closed: paid in full." in response.data.decode()
    db.session.refresh(case)
    assert (case.status, case.close_code) == (CaseStatus.CLOSED, CloseCode.PAID_IN_FULL)


def test_a_closed_case_refuses_payments_with_a_message(client, auth, world):
    case = accepted(world, amount_minor=100_00)
    _pay(case, world.caseworker, 100_00)
    auth.login(world.caseworker)
    response = client.post(f"/cases/{case.id}/payments", data=payment_form(amount="1"))
    assert response.status_code == 422
    assert "This case is closed (paid in full)" in response.data.decode()


def test_a_payment_is_recorded_in_the_audit_trail_and_the_business_is_told(world):
    case = accepted(world)
    _pay(case, world.caseworker, 10_000_00)
    event = db.session.scalars(select(Event).where(Event.kind == "payment_recorded")).one()
    assert event.actor_id == world.caseworker.id and event.case_id == case.id
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "payment_recorded")
    )
    assert set(told) == {world.business_admin.id, world.business_member.id}


def test_both_sides_see_the_figures_and_each_payment_with_fee_and_net(client, auth, world):
    case = accepted(world)
    _pay(case, world.caseworker, 10_000_00, paid_to=PaidTo.CLIENT)
    for person in (world.caseworker, world.business_member):
        auth.logout()
        auth.login(person)
        page = client.get(f"/cases/{case.id}").data.decode()
        for text in ("Balance at placement", "Recovered", "Agency fee", "Balance now"):
            assert text in page, (person.email, text)
        for amount in ("35,000.00", "3,000.00", "7,000.00"):
            assert f"KES\xa0{amount}" in page, (person.email, amount)
    assert "Fee you owe on payments made directly to you" in page
    assert "Record a payment" not in page  # the business does not record


def test_the_record_form_is_offered_only_to_the_agency_on_a_case_being_worked(client, auth, world):
    case = accepted(world)
    auth.login(world.caseworker)
    assert "Record a payment" in client.get(f"/cases/{case.id}").data.decode()
    auth.logout()
    auth.login(world.agency_admin)
    assert "Record a payment" in client.get(f"/cases/{case.id}").data.decode()


def test_reversing_a_payment_needs_the_confirmation_box_ticked(client, auth, world):
    case = accepted(world)
    paid = _pay(case, world.caseworker, 10_000_00)
    db.session.commit()
    auth.login(world.caseworker)
    url = f"/cases/{case.id}/payments/{paid.id}/reverse"
    refused = client.post(url, data={f"reverse-{paid.id}-reason": "Bounced"})
    assert refused.status_code == 422
    assert f'id="reverse-{paid.id}-confirm-error"' in refused.data.decode()
    assert services.reversed_ids(case) == set()


def test_paid_to_is_a_fieldset_with_a_legend_not_a_list(client, auth, world):
    case = accepted(world)
    auth.login(world.caseworker)
    page = client.get(f"/cases/{case.id}").data.decode()
    form = page[page.index('id="record-payment"') :]
    form = form[: form.index("</form>")]
    assert (
        '<fieldset class="field radios' in form and '<legend class="label">Paid to</legend>' in form
    )
    assert "<ul" not in form and "<li" not in form
    assert 'type="radio"' in form and 'name="pay-paid_to"' in form
