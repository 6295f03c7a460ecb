"""The documents routes: upload to a case, download, and the documents panel on a case page."""

from __future__ import annotations

import hashlib
import io
from urllib.parse import urlsplit

from flask import render_template_string, url_for
from flask_login import login_user
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.test import encode_multipart

from portal.documents import services
from portal.extensions import db
from portal.models import Document
from tests.documents.helpers import (
    PNG,
    closed_case,
    correspondence,
    draft_case,
    file_storage,
    files_data,
    pdf,
    stored_files,
    worked_case,
)

MULTIPART = "multipart/form-data"


def _post(client, case, *files, **fields):
    return client.post(
        f"/cases/{case.id}/documents", data=files_data(*files, **fields), content_type=MULTIPART
    )


def _post_big(client, case, *files):
    """Like `_post`, with the body encoded in memory: for bodies over 500 KB the test client
    spools to a temporary file that it does not always close."""
    data = MultiDict([("files", file_storage(content, name)) for content, name in files])
    boundary, body = encode_multipart(data)
    return client.post(
        f"/cases/{case.id}/documents", data=body, content_type=f"{MULTIPART}; boundary={boundary}"
    )


def _flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def _names(case) -> list[str]:
    return sorted(db.session.scalars(select(Document.filename).where(Document.case_id == case.id)))


def _doc(case, user, content=None, name="invoice.pdf") -> Document:
    doc = services.upload(case, file_storage(content or pdf(), name), user)
    db.session.commit()
    return doc


def _download(client, doc):
    return client.get(f"/cases/{doc.case_id}/documents/{doc.id}")


# --- upload ---------------------------------------------------------------------------------


def test_a_business_member_adds_several_files_at_once(client, auth, world):
    case = draft_case(world)
    auth.login(world.business_member)
    response = _post(
        client,
        case,
        (pdf(1), "invoice-1031.pdf"),
        (PNG, "photo.png"),
        description="From the customer file",
    )
    assert response.status_code == 302
    assert _names(case) == ["invoice-1031.pdf", "photo.png"]
    assert {d.description for d in services.documents_of(case, world.business_member)} == {
        "From the customer file"
    }
    assert ("success", "Added “invoice-1031.pdf” and “photo.png”.") in _flashes(client)


def test_after_an_upload_you_are_back_on_the_case_page(app, client, auth, world):
    case = draft_case(world)
    auth.login(world.business_member)
    response = _post(client, case, (pdf(), "a.pdf"))
    if "cases.show" in app.view_functions:
        expected = url_for("cases.show", case_id=case.id, _anchor="documents")
    else:
        expected = url_for("dashboard.home")
    assert urlsplit(response.headers["Location"]).path == urlsplit(expected).path


def test_a_refused_file_does_not_stop_the_others(client, auth, world):
    case = draft_case(world)
    auth.login(world.business_member)
    _post(client, case, (pdf(1), "good.pdf"), (pdf(2), "x.png"), (b"", "empty.txt"))
    assert _names(case) == ["good.pdf"]
    flashes = _flashes(client)
    assert ("error", "“x.png” is not a PNG image: its content is a PDF.") in flashes
    assert ("error", "“empty.txt” is empty.") in flashes
    assert ("success", "Added “good.pdf”.") in flashes


def test_the_same_file_twice_in_one_request_is_stored_once(client, auth, world):
    case = draft_case(world)
    auth.login(world.business_member)
    before = stored_files()
    _post(client, case, (pdf(), "invoice.pdf"), (pdf(), "invoice copy.pdf"))
    assert _names(case) == ["invoice.pdf"]
    assert len(stored_files() - before) == 1
    errors = [m for c, m in _flashes(client) if c == "error"]
    assert len(errors) == 1
    assert errors[0].startswith("“invoice copy.pdf” is already on the case as “invoice.pdf”")


def test_a_file_already_on_the_case_is_reported_not_stored_again(client, auth, world):
    case = draft_case(world)
    _doc(case, world.business_admin, pdf(), "invoice-1031.pdf")
    auth.login(world.business_member)
    _post(client, case, (pdf(), "invoice-1031.pdf"))
    assert _names(case) == ["invoice-1031.pdf"]
    [(category, message)] = _flashes(client)
    assert category == "error"
    assert message.startswith("“invoice-1031.pdf” is already on the case, added ")


def test_no_file_chosen_is_a_message_not_an_error_page(client, auth, world):
    case = draft_case(world)
    auth.login(world.business_member)
    response = client.post(
        f"/cases/{case.id}/documents",
        data={"files": [(io.BytesIO(b""), "")]},
        content_type=MULTIPART,
    )
    assert response.status_code == 302
    assert ("error", "Choose at least one file to add.") in _flashes(client)


def test_oversize_file_is_refused_through_the_form(app, client, auth, world, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_FILE_BYTES", 1024 * 1024)
    case = draft_case(world)
    auth.login(world.business_member)
    before = stored_files()
    response = _post_big(client, case, (pdf() + b"0" * (1024 * 1024), "big.pdf"))
    assert response.status_code == 302
    assert ("error", "“big.pdf” is larger than 1 MB.") in _flashes(client)
    assert stored_files() == before
    assert _names(case) == []


def test_request_over_the_limit_gets_a_friendly_413(app, client, auth, world, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    case = draft_case(world)
    auth.login(world.business_member)
    before = stored_files()
    response = _post_big(
        client, case, (pdf(1) + b"0" * 600_000, "a.pdf"), (pdf(2) + b"0" * 600_000, "b.pdf")
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Too much at once" in page
    assert "over 1 MB in total" in page
    assert stored_files() == before
    assert _names(case) == []


def test_the_413_page_comes_before_the_csrf_check_reads_the_body(
    app, client, auth, world, monkeypatch
):
    case = draft_case(world)
    auth.login(world.business_member)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = _post_big(client, case, (pdf(1) + b"0" * 1_100_000, "a.pdf"))
    assert response.status_code == 413
    assert "Too much at once" in response.get_data(as_text=True)


def test_a_file_can_belong_to_a_contact_in_the_history(client, auth, world):
    case = draft_case(world)
    entry = correspondence(case, world.business_member)
    db.session.commit()
    auth.login(world.business_member)
    _post(client, case, (pdf(), "letter.pdf"), correspondence_id=str(entry.id))
    [doc] = services.documents_of(case, world.business_member)
    assert doc.correspondence_id == entry.id


def test_a_contact_of_another_case_is_not_found(client, auth, world):
    case, other = draft_case(world), draft_case(world)
    entry = correspondence(other, world.business_member)
    db.session.commit()
    auth.login(world.business_member)
    response = _post(client, case, (pdf(), "letter.pdf"), correspondence_id=str(entry.id))
    assert response.status_code == 404
    assert _names(case) == []


def test_the_business_adds_documents_to_a_placed_case_until_it_is_closed(client, auth, world):
    worked, closed = worked_case(world), closed_case(world)
    auth.login(world.business_admin)
    _post(client, worked, (pdf(1), "a.pdf"))
    _post(client, closed, (pdf(2), "b.pdf"))
    assert _names(worked) == ["a.pdf"]
    assert _names(closed) == []
    assert ("error", "This case is closed: no more documents can be added.") in _flashes(client)


def test_the_agency_adds_documents_once_it_has_accepted_the_case(client, auth, world):
    from tests import factories

    submitted = factories.case(world.business, world.agency, status="submitted")
    worked = worked_case(world)
    db.session.commit()
    auth.login(world.agency_admin)
    _post(client, submitted, (pdf(1), "a.pdf"))
    assert _names(submitted) == []
    assert any("once it has accepted the case" in m for _, m in _flashes(client))
    _post(client, worked, (pdf(2), "proof-of-call.pdf"))
    assert _names(worked) == ["proof-of-call.pdf"]
    auth.logout()
    auth.login(world.caseworker)
    _post(client, worked, (pdf(3), "letter.pdf"))
    assert _names(worked) == ["letter.pdf", "proof-of-call.pdf"]


def test_a_caseworker_not_assigned_cannot_upload(client, auth, world):
    case = worked_case(world)
    auth.login(world.other_caseworker)
    assert _post(client, case, (pdf(), "a.pdf")).status_code == 404
    assert _names(case) == []


def test_another_organisation_cannot_upload_to_my_case(client, auth, world):
    case = draft_case(world)
    for outsider in (world.other_business_admin, world.agency_admin):  # a draft is not placed
        auth.login(outsider)
        assert _post(client, case, (pdf(), "a.pdf")).status_code == 404
        auth.logout()
    assert _names(case) == []


# --- download -------------------------------------------------------------------------------


def test_download_is_an_attachment_with_nosniff_and_no_store(client, auth, world):
    case = draft_case(world)
    content = pdf(5)
    doc = _doc(case, world.business_member, content, "invoice-1031.pdf")
    auth.login(world.business_member)
    response = client.get(f"/cases/{case.id}/documents/{doc.id}", buffered=False)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.get_data() == content
    assert response.headers["Content-Disposition"] == "attachment; filename=invoice-1031.pdf"
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Length"] == str(len(content))
    assert "sandbox" in response.headers["Content-Security-Policy"]
    response.close()


def test_a_text_file_is_not_served_as_html(client, auth, world):
    case = draft_case(world)
    doc = _doc(case, world.business_member, b"<html><script>alert(1)</script></html>", "notes.txt")
    auth.login(world.business_member)
    response = _download(client, doc)
    assert response.mimetype == "text/plain"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    response.close()


def test_non_ascii_names_download_with_rfc5987_filename(client, auth, world):
    case = draft_case(world)
    doc = _doc(case, world.business_member, pdf(), "Wanjirũ.pdf")
    auth.login(world.business_member)
    response = _download(client, doc)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Wanjir%C5%A9.pdf" in disposition
    assert "filename=Wanjiru.pdf" in disposition
    response.close()


def test_who_may_download(client, auth, world):
    case = worked_case(world)
    doc = _doc(case, world.business_member)
    for person in (
        world.business_member,
        world.business_admin,
        world.agency_admin,
        world.caseworker,
    ):
        auth.login(person)
        response = _download(client, doc)
        assert response.status_code == 200, person.email
        response.close()
        auth.logout()


def test_anonymous_visitors_are_sent_to_sign_in_for_a_document(client, world):
    doc = _doc(draft_case(world), world.business_member)
    response = _download(client, doc)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_another_organisation_gets_404_for_a_document(client, auth, world):
    doc = _doc(worked_case(world), world.business_member)
    for outsider in (world.other_business_admin, world.other_agency_admin, world.other_caseworker):
        auth.login(outsider)
        assert _download(client, doc).status_code == 404, outsider.email
        auth.logout()


def test_an_agency_never_sees_documents_of_a_draft(client, auth, world):
    doc = _doc(draft_case(world), world.business_member)
    auth.login(world.agency_admin)
    assert _download(client, doc).status_code == 404


def test_a_document_of_another_case_is_not_reachable_through_my_case(client, auth, world):
    mine, theirs = draft_case(world), draft_case(world)  # both of the same business
    their_doc = _doc(theirs, world.business_member)
    auth.login(world.business_member)
    assert client.get(f"/cases/{mine.id}/documents/{their_doc.id}").status_code == 404
    response = client.get(f"/cases/{theirs.id}/documents/{their_doc.id}")
    assert response.status_code == 200
    response.close()


def test_a_lost_stored_file_is_a_404_not_a_500(client, auth, world):
    doc = _doc(draft_case(world), world.business_member)
    services.storage().delete(doc.storage_key)
    auth.login(world.business_member)
    assert _download(client, doc).status_code == 404


# --- the panel on the case page -------------------------------------------------------------


def _panel(app, user, case) -> str:
    with app.test_request_context():
        login_user(user)
        return render_template_string('{% include "documents/_panel.html" %}', case=case)


def test_the_panel_lists_documents_with_size_fingerprint_and_who_added_them(app, world):
    case = draft_case(world)
    entry = correspondence(case, world.business_member, summary="Reminder letter sent")
    content = pdf(9)
    services.upload(
        case, file_storage(content, "invoice-1031.pdf"), world.business_member, correspondence=entry
    )
    db.session.commit()
    world.business_member.name = "Wanjirũ Kamau"
    html = _panel(app, world.business_member, case)
    digest = hashlib.sha256(content).hexdigest()
    assert "invoice-1031.pdf" in html
    assert f"/cases/{case.id}/documents/" in html
    assert f'title="{digest}"' in html
    assert f"{digest[:12]}…" in html
    assert '<th scope="col">Fingerprint</th>' in html and ">SHA-256<" not in html
    assert f"{len(content)} bytes" in html
    assert "Wanjirũ Kamau" in html
    assert "Phone to the debtor" in html
    assert 'enctype="multipart/form-data"' in html
    assert "multiple" in html
    assert 'name="csrf_token"' in html
    assert "<script" not in html
    assert " onclick" not in html and " onchange" not in html


def test_the_panel_offers_no_upload_form_to_who_may_not_upload(app, world):
    from tests import factories

    submitted = factories.case(world.business, world.agency, status="submitted")
    db.session.commit()
    html = _panel(app, world.agency_admin, submitted)
    assert "No documents yet." in html
    assert "<form" not in html
    assert "<form" in _panel(app, world.business_member, submitted)


def test_the_panel_shows_only_documents_of_its_case(app, world):
    mine, theirs = draft_case(world), draft_case(world)
    _doc(theirs, world.business_member, pdf(), "theirs.pdf")
    assert "theirs.pdf" not in _panel(app, world.business_member, mine)


def test_documents_are_counted_once_per_case(world):
    case = draft_case(world)
    _doc(case, world.business_member)
    assert db.session.scalar(select(func.count()).select_from(Document)) == 1
