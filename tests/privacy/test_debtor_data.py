"""A business admin exports everything held on one debtor, and erases the debtor's personal
details once every case is closed and the retention period has passed, keeping the money."""

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

from sqlalchemy import func, select

from portal.documents import services as documents
from portal.extensions import db
from portal.models import (
    Case,
    CaseStatus,
    Channel,
    CloseCode,
    CorrespondenceEntry,
    Debtor,
    Direction,
    Document,
    Event,
    Invoice,
    Message,
    MessageKind,
    Notification,
    PaidTo,
    Recovery,
    Side,
    utcnow,
)
from portal.privacy import services
from tests import factories
from tests.documents.helpers import file_storage, pdf

LONG_AGO = datetime(2020, 1, 10, 9, tzinfo=UTC)
TICKED = {"erase-confirm": "y"}


def _entry(case, side, summary, internal=False, when=LONG_AGO):
    db.session.add(
        CorrespondenceEntry(
            case_id=case.id,
            side=side,
            occurred_at=when,
            channel=Channel.PHONE,
            direction=Direction.OUTBOUND,
            contact_person="Mrs Wanjiru",
            summary=summary,
            outcome="Promised to call back",
            internal=internal,
            recorded_at=when,
        )
    )


def _held(world, status=CaseStatus.IN_COLLECTION, when=LONG_AGO):
    """A debtor with one case: history, contacts (one internal), a message, a payment, a file."""
    debtor = factories.debtor(
        world.business,
        name="Wanjiru Kamau",
        registration_number="PVT-123",
        account_number="ACC-9",
        contact_person="Wanjiru",
        emails=["wanjiru@kamau.example"],
        phones=["+254 712 345678"],
        address="12 Moi Avenue, Nairobi",
        created_at=when,
    )
    extra = {"close_code": CloseCode.PAID_IN_FULL, "closed_at": when} if status == "closed" else {}
    case = factories.case(
        world.business,
        world.agency,
        status=status,
        debtor=debtor,
        amount_minor=1_000_00,
        agreement_id=world.agreement.id,
        fee_rate_bps=2000,
        assigned_to_id=world.caseworker.id,
        notes="Wanjiru runs the kiosk by the market",
        created_at=when,
        **extra,
    )
    case.submitted_at = when
    _entry(case, Side.BUSINESS, "Called Wanjiru about INV-1")
    _entry(case, Side.AGENCY, "Spoke to Wanjiru, will pay")
    _entry(case, Side.AGENCY, "Agency-only thoughts on Wanjiru", internal=True)
    db.session.add(
        Message(
            case_id=case.id,
            side=Side.AGENCY,
            kind=MessageKind.NOTE,
            body="Wanjiru moved house",
            created_at=when,
        )
    )
    db.session.add(
        Recovery(
            case_id=case.id,
            received_on=when.date(),
            amount_minor=400_00,
            currency="KES",
            method="mpesa",
            paid_to=PaidTo.AGENCY,
            reference="QX1",
            fee_rate_bps=2000,
            fee_minor=80_00,
            tax_minor=0,
            net_minor=320_00,
            note="Paid by Wanjiru's son",
            created_at=when,
        )
    )
    db.session.add(
        Notification(
            user_id=world.business_admin.id,
            kind="x",
            case_id=case.id,
            text=f"{case.reference} (Wanjiru Kamau) paid.",
            created_at=when,
        )
    )
    db.session.flush()
    doc = documents.upload(case, file_storage(pdf(3), "wanjiru-contract.pdf"), world.business_admin)
    doc.uploaded_at = when
    db.session.commit()
    return debtor, case, doc


# --- export ---------------------------------------------------------------------------------


def test_the_json_export_holds_the_debtor_cases_invoices_history_contacts_and_payments(
    client, auth, world
):
    debtor, case, _ = _held(world)
    auth.login(world.business_admin)
    response = client.get(f"/privacy/debtors/{debtor.id}/export.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="debtor-{debtor.id}-export.json"'
    )
    data = json.loads(response.data)
    assert data["debtor"]["name"] == "Wanjiru Kamau"
    assert data["debtor"]["emails"] == ["wanjiru@kamau.example"]
    (exported,) = data["cases"]
    assert exported["reference"] == case.reference
    assert [i["amount_minor"] for i in exported["invoices"]] == [1_000_00]
    assert [h["summary"] for h in exported["history"]] == ["Called Wanjiru about INV-1"]
    assert [c["summary"] for c in exported["contacts"]] == ["Spoke to Wanjiru, will pay"]
    assert [m["body"] for m in exported["messages"]] == ["Wanjiru moved house"]
    assert [p["amount_minor"] for p in exported["payments"]] == [400_00]
    assert [d["filename"] for d in exported["documents"]] == ["wanjiru-contract.pdf"]
    assert "storage_key" not in exported["documents"][0]


def test_the_export_never_holds_the_agencys_internal_contacts(client, auth, world):
    debtor, _, _ = _held(world)
    auth.login(world.business_admin)
    assert (
        b"Agency-only thoughts" not in client.get(f"/privacy/debtors/{debtor.id}/export.json").data
    )


def test_the_zip_export_holds_the_json_and_each_cases_pdf(client, auth, world):
    debtor, case, _ = _held(world)
    second = factories.case(world.business, debtor=debtor)
    db.session.commit()
    auth.login(world.business_admin)
    response = client.get(f"/privacy/debtors/{debtor.id}/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert names == {
        f"debtor-{debtor.id}.json",
        f"case-files/{case.reference}-case-file.pdf",
        f"case-files/draft-{second.id}-case-file.pdf",
    }
    assert archive.read(f"case-files/{case.reference}-case-file.pdf").startswith(b"%PDF")
    assert len(json.loads(archive.read(f"debtor-{debtor.id}.json"))["cases"]) == 2


def test_an_export_is_recorded_in_the_audit_trail(client, auth, world):
    debtor, _, _ = _held(world)
    auth.login(world.business_admin)
    client.get(f"/privacy/debtors/{debtor.id}/export.json")
    event = db.session.scalars(select(Event).where(Event.kind == "debtor_exported")).one()
    assert event.actor_id == world.business_admin.id
    assert event.after["debtor_id"] == debtor.id


# --- erasure --------------------------------------------------------------------------------


def _closed(world):
    debtor, case, doc = _held(world, status=CaseStatus.CLOSED)
    return debtor, case, doc


LATER = utcnow().date() + timedelta(days=3 * 366 + 2)


def test_a_debtor_with_an_open_case_cannot_be_erased(app, world):
    debtor, case, _ = _held(world)
    check = services.erasability(debtor, LATER)
    assert not check.allowed
    assert f"still open: {case.reference}" in check.reason


def test_a_debtor_within_the_retention_period_cannot_be_erased(app, world):
    debtor, _, _ = _closed(world)
    check = services.erasability(debtor, utcnow().date())
    assert not check.allowed
    assert "kept for 3 years after the last activity" in check.reason
    assert services.erasability(debtor, LATER).allowed


def test_the_retention_period_comes_from_the_configuration(app, world):
    debtor, _, _ = _closed(world)
    app.config["DEBTOR_RETENTION_YEARS"] = 10
    try:
        check = services.erasability(debtor, LATER)
    finally:
        del app.config["DEBTOR_RETENTION_YEARS"]
    assert not check.allowed and "kept for 10 years" in check.reason


def test_downloads_and_exports_do_not_extend_the_retention_period(app, world):
    debtor, case, _ = _closed(world)
    before = services.last_activity(debtor)
    from portal import audit

    audit.record("case_file_downloaded", case=case, actor=world.business_admin)
    db.session.commit()
    assert services.last_activity(debtor) == before


def test_erasure_removes_personal_details_and_keeps_the_money(app, world):
    debtor, case, doc = _closed(world)
    path = Path(app.config["DOCUMENT_ROOT"]) / doc.storage_key[:2] / doc.storage_key[2:4]
    path = path / doc.storage_key
    assert path.exists()
    keys = services.erase(debtor, world.business_admin, LATER)
    db.session.commit()
    services.delete_files(keys)
    db.session.expire_all()
    erased = db.session.get(Debtor, debtor.id)
    assert erased.name == f"Erased debtor #{debtor.id}"
    assert (erased.emails, erased.phones, erased.address) == ([], [], "")
    assert (erased.registration_number, erased.account_number, erased.contact_person) == (
        "",
        "",
        "",
    )
    texts = db.session.scalars(
        select(CorrespondenceEntry.summary).where(CorrespondenceEntry.case_id == case.id)
    ).all()
    assert set(texts) == {"Erased"}
    assert db.session.scalars(select(Message.body).where(Message.case_id == case.id)).all() == [
        "Erased"
    ]
    assert db.session.get(Case, case.id).notes == ""
    assert db.session.scalars(select(Document).where(Document.case_id == case.id)).all() == []
    assert not path.exists()
    note = db.session.scalars(select(Notification.text)).one()
    assert "Wanjiru" not in note and f"Erased debtor #{debtor.id}" in note
    # the money stays
    assert (
        db.session.scalar(
            select(func.sum(Recovery.amount_minor)).where(Recovery.case_id == case.id)
        )
        == 400_00
    )
    assert (
        db.session.scalar(select(Invoice.amount_minor).where(Invoice.case_id == case.id))
        == 1_000_00
    )


def test_an_erased_debtor_cannot_be_erased_again(app, world):
    debtor, _, _ = _closed(world)
    services.erase(debtor, world.business_admin, LATER)
    db.session.commit()
    assert "already been erased" in services.erasability(debtor, LATER).reason


def test_the_erasure_is_recorded_without_the_debtors_name(app, world):
    debtor, _, _ = _closed(world)
    services.erase(debtor, world.business_admin, LATER)
    db.session.commit()
    event = db.session.scalars(select(Event).where(Event.kind == "debtor_erased")).one()
    assert "Wanjiru" not in event.summary and event.after["debtor_id"] == debtor.id


def test_the_erase_button_refuses_an_open_case_with_a_clear_message(client, auth, world):
    debtor, case, _ = _held(world)
    auth.login(world.business_admin)
    response = client.post(f"/privacy/debtors/{debtor.id}/erase", data=TICKED)
    assert response.status_code == 422
    assert f"still open: {case.reference}" in unescape(response.get_data(as_text=True))
    assert db.session.get(Debtor, debtor.id).name == "Wanjiru Kamau"


def test_erasing_a_debtor_needs_the_confirmation_ticked(client, auth, world, app):
    debtor, _, _ = _closed(world)
    auth.login(world.business_admin)
    app.config["DEBTOR_RETENTION_YEARS"] = 0
    try:
        page = client.get(f"/privacy/debtors/{debtor.id}").get_data(as_text=True)
        assert "Yes, erase this debtor&#39;s personal details: this cannot be undone" in page
        response = client.post(f"/privacy/debtors/{debtor.id}/erase", data={})
    finally:
        del app.config["DEBTOR_RETENTION_YEARS"]
    assert response.status_code == 422
    assert 'id="erase-confirm-error">Tick the box to confirm.<' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Debtor, debtor.id).name == "Wanjiru Kamau"
    assert db.session.scalars(select(Event).where(Event.kind == "debtor_erased")).all() == []


def test_the_debtor_page_says_when_erasure_becomes_possible(client, auth, world):
    debtor, _, _ = _closed(world)
    auth.login(world.business_admin)
    page = unescape(client.get(f"/privacy/debtors/{debtor.id}").get_data(as_text=True))
    assert "they can be erased from" in page


def test_the_debtors_list_shows_the_business_own_debtors_only(client, auth, world):
    _held(world)
    factories.debtor(world.other_business, name="Someone Else")
    db.session.commit()
    auth.login(world.business_admin)
    page = client.get("/privacy/debtors").get_data(as_text=True)
    assert "Wanjiru Kamau" in page and "Someone Else" not in page


def test_the_erase_button_erases_once_the_retention_period_has_passed(client, auth, world, app):
    debtor, _, _ = _closed(world)
    auth.login(world.business_admin)
    app.config["DEBTOR_RETENTION_YEARS"] = 0
    try:
        response = client.post(f"/privacy/debtors/{debtor.id}/erase", data=TICKED)
    finally:
        del app.config["DEBTOR_RETENTION_YEARS"]
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Debtor, debtor.id).name == f"Erased debtor #{debtor.id}"
