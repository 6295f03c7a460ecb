"""Bulk handover: upload an accounting export, map its columns, preview, confirm."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from portal.cases.services import local_today
from portal.documents.services import megabytes
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import ActionForm, show_domain_error
from portal.imports import services
from portal.imports.forms import FIELD_GROUPS, ColumnsForm, UploadForm
from portal.imports.readers import FIELD_LABELS, FORMATS, suggest_mapping
from portal.models import ImportMapping, Role
from portal.tenancy import get_or_404, requires

bp = Blueprint("imports", __name__, url_prefix="/imports")

BUSINESS = (Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER)


# --- step 1: the upload ----------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
@requires(*BUSINESS)
def upload():
    mappings = services.saved_mappings(current_user)
    form = UploadForm()
    form.setup(current_user.organisation.currency, mappings)
    if form.validate_on_submit():
        saved = get_or_404(ImportMapping, form.mapping_id.data) if form.mapping_id.data else None
        try:
            pending = services.receive(form.file.data, current_user, form.currency.data)
        except DomainError as error:
            show_domain_error(form, error) or flash(error.message, "error")
        else:
            return redirect(_next_step(pending, saved))
    return _upload_page(form, mappings)


def _upload_page(form: UploadForm, mappings: list[ImportMapping]):
    status = 422 if form.errors else 200
    return render_template(
        "imports/upload.html",
        form=form,
        mappings=mappings,
        formats=[label for key, label in FORMATS.items() if key != "plain"],
        limit=megabytes(services.max_import_bytes()),
        action=ActionForm(formdata=None),
    ), status


def _next_step(pending: services.PendingUpload, saved: ImportMapping | None) -> str:
    """A recognised export goes to the preview; a plain file to its columns, unless a saved
    mapping chosen on upload fits the file."""
    if saved is not None:
        head = services.headers_of(pending)
        fits, missing = services.fitting_mapping(saved, head.headers)
        if not missing:
            pending = services.with_mapping(pending, fits, saved.date_order)
            return url_for("imports.preview", upload=services.pending_token(pending))
        token = services.pending_token(pending)
        return url_for("imports.columns", upload=token, saved=saved.id)
    token = services.pending_token(pending)
    if pending.needs_mapping:
        return url_for("imports.columns", upload=token)
    return url_for("imports.preview", upload=token)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """A request over the portal's limit: say so beside the file field, not on an error page."""
    if getattr(current_user, "role", None) not in BUSINESS:
        limit = megabytes(int(current_app.config["MAX_CONTENT_LENGTH"]))
        text = f"What you sent is over {limit} in total. Send fewer or smaller files."
        return render_template(
            "errors/error.html", status=413, title="Too much at once", text=text
        ), 413
    mappings = services.saved_mappings(current_user)
    form = UploadForm(formdata=None)
    form.setup(current_user.organisation.currency, mappings)
    form.file.errors = [f"The file is larger than {megabytes(services.max_import_bytes())}."]
    page, _ = _upload_page(form, mappings)
    return page, 413


# --- the pending upload ----------------------------------------------------------------------


def _pending(token: str) -> services.PendingUpload:
    """The current user's pending upload, or 404; `UploadGone` when it expired or was used."""
    pending = services.pending_from_token(token, current_user)
    if pending is None:
        abort(404)
    return pending


def _start_again(error: services.UploadGone):
    flash(error.message, "info")
    return redirect(url_for("imports.upload"))


# --- step 2: the columns of a plain file -----------------------------------------------------


@bp.route("/<upload>/columns", methods=["GET", "POST"])
@requires(*BUSINESS)
def columns(upload: str):
    try:
        pending = _pending(upload)
        if pending.fmt != "plain":
            return redirect(url_for("imports.preview", upload=upload))
        head = services.headers_of(pending)
    except services.UploadGone as error:
        return _start_again(error)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("imports.upload"))
    mappings = services.saved_mappings(current_user)
    form = ColumnsForm()
    form.setup(head.headers)
    notes = []
    if request.method == "GET":
        notes = _prefill(form, pending, head.headers)
    elif form.validate_on_submit():
        done = _use_columns(form, pending)
        if done is not None:
            return done
    return render_template(
        "imports/columns.html",
        form=form,
        pending=pending,
        upload=upload,
        head=head,
        groups=FIELD_GROUPS,
        mappings=mappings,
        notes=notes,
        action=ActionForm(formdata=None),
    ), 422 if form.errors else 200


def _prefill(form: ColumnsForm, pending: services.PendingUpload, headers: list[str]) -> list[str]:
    """Fill the selects from a saved mapping (?saved=id), the upload's mapping, or a guess."""
    saved_id = request.args.get("saved")
    if saved_id:
        saved = get_or_404(ImportMapping, saved_id)
        fits, missing = services.fitting_mapping(saved, headers)
        form.prefill(fits, saved.date_order)
        form.save_as.data = saved.name
        return [
            f"The saved mapping “{saved.name}” expects a column “{saved.columns[name]}” for "
            f"{FIELD_LABELS[name].lower()}, and this file has none: choose one."
            for name in missing
        ]
    if pending.mapping:
        form.prefill(pending.mapping, pending.date_order)
    else:
        form.prefill(suggest_mapping(headers))
    return []


def _use_columns(form: ColumnsForm, pending: services.PendingUpload):
    """Save the mapping if it is named, then go to the preview; None to show the form again."""
    columns = form.columns()
    if form.save_as.data:
        try:
            mapping = services.save_mapping(
                current_user, form.save_as.data, columns, form.date_order.data
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error) or flash(error.message, "error")
            return None
        db.session.commit()
        flash(f"Column mapping “{mapping.name}” saved: choose it for your next file.", "success")
    pending = services.with_mapping(pending, columns, form.date_order.data)
    return redirect(url_for("imports.preview", upload=services.pending_token(pending)))


# --- step 3: preview and confirm -------------------------------------------------------------


@bp.route("/<upload>/preview")
@requires(*BUSINESS)
def preview(upload: str):
    try:
        pending = _pending(upload)
        if pending.needs_mapping:
            return redirect(url_for("imports.columns", upload=upload))
        result = services.preview(pending, local_today(current_user))
    except services.UploadGone as error:
        return _start_again(error)
    return _preview_page(pending, upload, result)


def _preview_page(pending, upload: str, result: services.Preview, status: int = 200):
    return render_template(
        "imports/preview.html",
        pending=pending,
        upload=upload,
        preview=result,
        action=ActionForm(formdata=None),
    ), status


@bp.route("/<upload>/confirm", methods=["POST"])
@requires(*BUSINESS)
def confirm(upload: str):
    try:
        pending = _pending(upload)
        if not ActionForm().validate_on_submit():
            return redirect(url_for("imports.preview", upload=upload))
        created = services.confirm(pending, current_user, local_today(current_user))
    except services.UploadGone as error:
        db.session.rollback()
        return _start_again(error)
    except services.ImportRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return _preview_page(pending, upload, refused.preview, 422)
    db.session.commit()
    services.discard(pending)
    flash(
        f"{created} draft case{'' if created == 1 else 's'} created from “{pending.filename}”. "
        "Before you can hand them over, each needs its correspondence history and the "
        "pre-handover checklist.",
        "success",
    )
    return redirect(url_for("imports.done"))


@bp.route("/<upload>/cancel", methods=["POST"])
@requires(*BUSINESS)
def cancel(upload: str):
    try:
        pending = _pending(upload)
    except services.UploadGone as error:
        return _start_again(error)
    if ActionForm().validate_on_submit():
        services.discard(pending)
        flash(f"“{pending.filename}” was discarded; nothing was imported.", "info")
    return redirect(url_for("imports.upload"))


@bp.route("/done")
@requires(*BUSINESS)
def done():
    drafts, without_history = services.drafts_waiting(current_user)
    return render_template("imports/done.html", drafts=drafts, without_history=without_history)


# --- saved mappings --------------------------------------------------------------------------


@bp.route("/mappings/<int:mapping_id>/delete", methods=["POST"])
@requires(*BUSINESS)
def delete_mapping(mapping_id: int):
    mapping = get_or_404(ImportMapping, mapping_id)
    if ActionForm().validate_on_submit():
        name = mapping.name
        services.delete_mapping(mapping, current_user)
        db.session.commit()
        flash(f"Column mapping “{name}” deleted.", "success")
    return redirect(url_for("imports.upload"))
