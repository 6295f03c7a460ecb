"""Agreements: an agency admin proposes terms, the business admin accepts them by name."""

from sqlalchemy import select

from portal.extensions import db
from portal.models import Agreement, AgreementStatus


def _proposal(business_id, **overrides):
    data = {
        "business_id": business_id,
        "currency": "KES",
        "bands-0-min_balance": "0",
        "bands-0-rate": "30",
        "bands-1-min_balance": "100,000",
        "bands-1-rate": "20",
        "uplifts-0-min_age_days": "365",
        "uplifts-0-uplift": "10",
        "legal_rate": "35",
        "fee_cap": "40",
        "fee_tax": "16",
        "remittance_mode": "net",
        "settlement_floor": "80",
        "window_start": "08:00",
        "window_end": "21:00",
        "calls_per_day": "1",
        "calls_per_7_days": "7",
        "quiet_days": "7",
        "answer_days": "5",
        "grace_days": "5",
        "exclusivity_months": "6",
        "signature": "User Agency",
    }
    data.update(overrides)
    return data


def _agency_admin_named(world):
    world.agency_admin.name = "User Agency"
    db.session.commit()


def test_agency_admin_proposes_terms_in_exact_units(client, auth, world):
    _agency_admin_named(world)
    auth.login(world.agency_admin)
    response = client.post("/agreements/new", data=_proposal(world.business.id))
    assert response.status_code == 302
    proposed = db.session.scalars(
        select(Agreement).where(Agreement.status == AgreementStatus.PROPOSED)
    ).one()
    assert [(b.min_balance_minor, b.rate_bps) for b in proposed.bands] == [
        (0, 3000),
        (10_000_000, 2000),
    ]
    assert [(u.min_age_days, u.uplift_bps) for u in proposed.age_uplifts] == [(365, 1000)]
    assert (proposed.legal_rate_bps, proposed.fee_cap_bps, proposed.fee_tax_bps) == (
        3500,
        4000,
        1600,
    )
    assert proposed.agency_signature == "User Agency" and proposed.agency_accepted_ip


def test_a_schedule_without_a_band_from_zero_is_refused_and_nothing_typed_is_lost(
    client, auth, world
):
    _agency_admin_named(world)
    auth.login(world.agency_admin)
    response = client.post(
        "/agreements/new", data=_proposal(world.business.id, **{"bands-0-min_balance": "500"})
    )
    assert response.status_code == 200
    assert b"lowest band must start at 0" in response.data
    assert b'value="500"' in response.data and b'value="100,000"' in response.data


def test_a_rate_that_is_not_a_percentage_is_refused_beside_it(client, auth, world):
    _agency_admin_named(world)
    auth.login(world.agency_admin)
    response = client.post(
        "/agreements/new", data=_proposal(world.business.id, **{"bands-1-rate": "120"})
    )
    assert b"A percentage is between 0 and 100." in response.data
    assert (
        db.session.scalar(select(Agreement).where(Agreement.status == AgreementStatus.PROPOSED))
        is None
    )


def test_the_calling_window_must_end_after_it_starts(client, auth, world):
    _agency_admin_named(world)
    auth.login(world.agency_admin)
    response = client.post(
        "/agreements/new",
        data=_proposal(world.business.id, window_start="21:00", window_end="08:00"),
    )
    assert b"must end after it starts" in response.data


def test_the_signature_must_be_the_signers_own_name(client, auth, world):
    _agency_admin_named(world)
    auth.login(world.agency_admin)
    response = client.post(
        "/agreements/new", data=_proposal(world.business.id, signature="Someone Else")
    )
    assert b"Type your name exactly as on your account" in response.data


def test_an_agency_cannot_propose_to_a_business_that_is_not_its_client(client, auth, world):
    from tests import factories

    stranger = factories.organisation(name="Stranger Ltd")
    db.session.commit()
    _agency_admin_named(world)
    auth.login(world.agency_admin)
    response = client.post("/agreements/new", data=_proposal(stranger.id))
    assert response.status_code == 200  # not among the choices
    assert b"Not a valid choice" in response.data


def test_business_admin_accepts_with_typed_name_and_the_old_terms_end(client, auth, world):
    proposed = Agreement(
        business_id=world.business.id,
        agency_id=world.agency.id,
        status=AgreementStatus.PROPOSED,
        currency="KES",
    )
    from portal.models import FeeBand

    proposed.bands = [FeeBand(min_balance_minor=0, rate_bps=2500)]
    db.session.add(proposed)
    world.business_admin.name = "Joseph Kariuki"
    db.session.commit()
    auth.login(world.business_admin)
    refused = client.post(f"/agreements/{proposed.id}/accept", data={"signature": "J K"})
    assert b"Type your name exactly" in refused.data
    accepted = client.post(
        f"/agreements/{proposed.id}/accept", data={"signature": "  joseph   KARIUKI "}
    )
    assert accepted.status_code == 302
    db.session.refresh(proposed)
    db.session.refresh(world.agreement)
    assert proposed.status == AgreementStatus.ACTIVE
    assert proposed.business_accepted_by_id == world.business_admin.id
    assert proposed.business_accepted_at is not None
    assert world.agreement.status == AgreementStatus.ENDED


def test_each_side_sees_only_its_own_agreements(client, auth, world):
    auth.login(world.other_agency_admin)
    page = client.get("/agreements/")
    assert b"Acacia" not in page.data and b"Baobab" in page.data


def test_the_terms_page_shows_rates_and_money_formatted(client, auth, world):
    auth.login(world.business_member)
    page = client.get(f"/agreements/{world.agreement.id}")
    assert b"30 %" in page.data and "KES\u00a0100,000.00".encode() in page.data


def test_ending_an_agreement_needs_the_confirmation_box_ticked(client, auth, world):
    auth.login(world.business_admin)
    url = f"/agreements/{world.agreement.id}/end"
    assert b'name="end-confirm"' in client.get(f"/agreements/{world.agreement.id}").data
    refused = client.post(url, data={})
    assert refused.status_code == 422 and b'id="end-confirm-error"' in refused.data
    db.session.refresh(world.agreement)
    assert world.agreement.status == AgreementStatus.ACTIVE
    assert client.post(url, data={"end-confirm": "y"}).status_code == 302
    db.session.refresh(world.agreement)
    assert world.agreement.status == AgreementStatus.ENDED


def test_the_agreements_list_names_the_fee_rate_column_for_what_it_shows(client, auth, world):
    auth.login(world.business_admin)
    page = client.get("/agreements/").data.decode()
    assert "Fee rate (by balance)" in page and "Fees from" not in page
