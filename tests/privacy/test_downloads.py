"""Downloads of case files and documents are logged: who, what, when."""

from sqlalchemy import select

from portal.documents import services as documents
from portal.extensions import db
from portal.models import Event
from tests.documents.helpers import file_storage, pdf, worked_case


def _downloads():
    db.session.expire_all()
    kinds = ("document_downloaded", "case_file_downloaded")
    return list(db.session.scalars(select(Event).where(Event.kind.in_(kinds)).order_by(Event.id)))


def test_a_document_download_is_logged_with_who_what_and_when(client, auth, world):
    case = worked_case(world)
    doc = documents.upload(case, file_storage(pdf(1), "contract.pdf"), world.business_member)
    db.session.commit()
    auth.login(world.caseworker)
    response = client.get(f"/cases/{case.id}/documents/{doc.id}")
    assert response.status_code == 200
    response.close()
    (event,) = _downloads()
    assert event.kind == "document_downloaded"
    assert event.actor_id == world.caseworker.id
    assert event.organisation_id == world.agency.id
    assert event.case_id == case.id
    assert event.after == {"file": "contract.pdf", "document_id": doc.id}
    assert event.occurred_at is not None and event.hash is not None
    assert event.internal  # the agency's own reading is not shown to the business


def test_a_case_file_download_is_logged(client, auth, world):
    case = worked_case(world)
    auth.login(world.business_admin)
    response = client.get(f"/cases/{case.id}/case-file.pdf")
    assert response.status_code == 200
    (event,) = _downloads()
    assert event.kind == "case_file_downloaded"
    assert event.actor_id == world.business_admin.id
    assert event.case_id == case.id
    assert event.after == {"file": f"{case.reference}-case-file.pdf"}
    assert not event.internal


def test_a_refused_download_logs_nothing(client, auth, world):
    case = worked_case(world)
    auth.login(world.other_business_admin)
    assert client.get(f"/cases/{case.id}/case-file.pdf").status_code == 404
    assert _downloads() == []
