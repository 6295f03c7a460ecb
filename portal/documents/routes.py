"""Uploading documents to a case and downloading them, through authorised routes only.

Who may add documents (see `services.check_may_upload`): the case's business (admin or member)
until the case is closed; the agency it is placed with (its admin, or the assigned caseworker)
once it has accepted the case and until it is closed. Anyone who can see a case can download its
documents; tenancy decides who can see it (another organisation, or a caseworker it is not
assigned to, gets 404).
"""

from urllib.parse import urlsplit

import click
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from werkzeug.routing import BuildError

from portal import audit
from portal.documents import services
from portal.documents.forms import UploadDocumentsForm
from portal.documents.storage import DocumentNotFound
from portal.errors import DomainError
from portal.extensions import db
from portal.formatting import local_datetime
from portal.models import Case, CorrespondenceEntry, Document, Role
from portal.tenancy import get_or_404, owned, requires

bp = Blueprint("documents", __name__)

KIND_LABELS = {
    "pdf": "PDF",
    "png": "PNG image",
    "jpeg": "JPEG image",
    "text": "Text",
    "eml": "E-mail",
    "docx": "Word",
    "xlsx": "Excel",
}
EVERYONE = (Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER, Role.AGENCY_ADMIN, Role.CASEWORKER)


@bp.route("/cases/<int:case_id>/documents", methods=["POST"])
@requires(*EVERYONE)
def upload(case_id: int):
    case = get_or_404(Case, case_id)
    back = _case_page(case)
    try:
        services.check_may_upload(case, current_user)
    except DomainError as error:
        flash(error.message, "error")
        return back
    form = UploadDocumentsForm()  # reads the request body: over MAX_CONTENT_LENGTH -> 413 page
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
        return back
    files = form.chosen_files()
    if not files:
        flash("Choose at least one file to add.", "error")
        return back
    correspondence = None
    if form.correspondence_id.data:
        correspondence = get_or_404(
            CorrespondenceEntry, form.correspondence_id.data, case_id=case.id
        )
    added, refused = [], []
    for file in files:
        try:
            doc = services.upload(
                case,
                file,
                current_user,
                correspondence=correspondence,
                description=form.description.data or "",
            )
        except DomainError as error:
            refused.append(error.message)
        else:
            added.append(doc.filename)
    if added:
        db.session.commit()
        flash(_added_message(added), "success")
    for message in refused:
        flash(message, "error")
    return back


@bp.route("/cases/<int:case_id>/documents/<int:doc_id>")
@requires(*EVERYONE)
def download(case_id: int, doc_id: int):
    case = get_or_404(Case, case_id)
    doc = get_or_404(Document, doc_id, case_id=case.id)
    try:
        stream = services.open_document(doc)
    except DocumentNotFound:
        current_app.logger.error("document %s: no stored file under its key", doc.id)
        abort(404)
    audit.downloaded(case, doc.filename, document_id=doc.id)
    response = send_file(
        stream,
        mimetype=doc.content_type,
        as_attachment=True,
        download_name=doc.filename,
        conditional=False,
        etag=False,
        last_modified=doc.uploaded_at,
    )
    response.content_length = doc.size_bytes
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    # If a browser ever renders it anyway, it runs nothing and loads nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.teardown_app_request
def _discard_files_of_failed_request(error: BaseException | None) -> None:
    """A request that failed after storing files (e.g. its commit raised) removes them."""
    services.discard_after_failed_request(error)


@bp.app_context_processor
def _documents_panel() -> dict:
    """What templates/documents/_panel.html needs, given only `case`."""
    return {
        "documents_of": services.documents_of,
        "can_upload_documents": lambda case: services.may_upload(case),
        "document_upload_form": upload_form_for,
        "document_kind_label": lambda kind: KIND_LABELS.get(kind, kind),
        "max_document_size": services.megabytes(services.max_file_bytes()),
        "max_request_size": services.megabytes(current_app.config["MAX_CONTENT_LENGTH"] or 0),
    }


@bp.app_template_filter("filesize")
def _filesize(n: int | None) -> str:
    return "—" if n is None else services.human_size(n)


def upload_form_for(case: Case) -> UploadDocumentsForm:
    """An empty upload form for the case, its correspondence choices filled in."""
    form = UploadDocumentsForm(formdata=None)
    entries = db.session.scalars(
        owned(CorrespondenceEntry)
        .where(CorrespondenceEntry.case_id == case.id)
        .order_by(CorrespondenceEntry.occurred_at.desc(), CorrespondenceEntry.id.desc())
    ).all()
    form.correspondence_id.choices = [(0, "None")] + [(e.id, _entry_label(e)) for e in entries]
    return form


def _entry_label(entry: CorrespondenceEntry) -> str:
    summary = entry.summary if len(entry.summary) <= 60 else entry.summary[:59] + "…"
    direction = "to" if entry.direction == "outbound" else "from"
    return (
        f"{local_datetime(entry.occurred_at, 'd MMM yyyy')} · {entry.channel.label} "
        f"{direction} the debtor · {summary}"
    )


def _added_message(names: list[str]) -> str:
    quoted = [f"“{n}”" for n in names]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    return f"Added {listed}."


def _case_page(case: Case):
    """Back to the case page (its documents panel); if it does not exist, a safe fallback."""
    try:
        return redirect(url_for("cases.show", case_id=case.id, _anchor="documents"))
    except BuildError:
        pass
    referrer = request.referrer
    if referrer:
        parts = urlsplit(referrer)
        if parts.netloc == request.host and parts.scheme in ("http", "https"):
            return redirect(referrer)
    return redirect(url_for("dashboard.home"))


bp.cli.help = "Documents kept on cases."


@bp.cli.command("collect-garbage")
def collect_garbage_command() -> None:
    """Remove stored files no document points to (abandoned uploads older than a day)."""
    removed = services.collect_garbage()
    db.session.commit()
    click.echo(f"Removed {removed} abandoned file{'' if removed == 1 else 's'}.")
