"""The business's case pages: list, form, draft, checklist, submit, withdraw, answer questions.

Routes parse the request, call a service and render; every case is found through tenancy.
"""

from functools import cache

from babel.numbers import get_currency_precision, list_currencies
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from portal.cases import bp, export, queries, services
from portal.cases.forms import (
    CHARGE_KINDS,
    ROW_LISTS,
    AddHistoryForm,
    AnswerForm,
    CaseForm,
    CaseInput,
    Reader,
    SubmitCaseForm,
    WithdrawForm,
    add_row,
    attachment_holders,
    blank_rows,
    data_from_case,
    delete_draft_form,
    place_error,
    problem_list,
    read_case,
    read_history,
    typed_outstanding,
)
from portal.cases.panels import SLOTS, in_slot, panels_for
from portal.documents import services as documents
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import ActionForm, choices, saved
from portal.models import CHECKLIST_ITEMS, Case, CaseStatus, CorrespondenceEntry, Role, User
from portal.tenancy import get_or_404, requires, signed_in

BUSINESS = (Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER)

__all__ = ["bp"]


# --- the list ------------------------------------------------------------------------------


@bp.route("/")
@requires(*BUSINESS)
def index():
    agencies = queries.agency_choices(current_user)
    debtors = queries.debtor_choices(current_user)
    filters = queries.read_filters(request.args, agencies, debtors)
    listing = queries.case_list(current_user, filters)
    return render_template(
        "cases/index.html",
        listing=listing,
        agencies=agencies,
        debtors=debtors,
        sorts=queries.SORTS,
        statuses=list(CaseStatus),
        today=services.local_today(current_user),
        import_url=_import_url(),
    )


@bp.route("/export.csv")
@requires(*BUSINESS)
def export_csv():
    """The list as CSV, with the same filters (every page); streamed."""
    user = current_user._get_current_object()
    filters = queries.read_filters(
        request.args, queries.agency_choices(user), queries.debtor_choices(user)
    )
    return export.csv_response(
        queries.EXPORT_HEADER,
        lambda: queries.export_rows(user, filters),
        services.local_today(user),
    )


def _import_url() -> str | None:
    """The bulk import page, when that feature is installed."""
    try:
        return url_for("imports.upload")
    except BuildError:
        return None


# --- the case form: new and draft ----------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@requires(*BUSINESS)
def new():
    if request.method == "GET":
        org = current_user.organisation
        form = _case_form(data={"currency": org.currency, "debtor": {"country": org.country}})
        for _ in range(2):
            form.invoices.append_entry()
        form.history.append_entry()
        return _render_form(form, None)
    form = _case_form()
    return _handle_case_form(form, None) or _render_form(form, None)


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@requires(*BUSINESS)
def edit(case_id: int):
    case = get_or_404(Case, case_id)
    if not case.is_draft:
        flash(
            "This case has been handed over: it can no longer be edited. Add history or "
            "documents on its page.",
            "info",
        )
        return redirect(url_for("cases.show", case_id=case.id))
    if request.method == "GET":
        form = _case_form(data=data_from_case(case, services.debtor_is_shared(case)))
        form.invoices.append_entry()
        return _render_form(form, case)
    form = _case_form()
    return _handle_case_form(form, case) or _render_form(form, case)


def _case_form(**kwargs) -> CaseForm:
    form = CaseForm(**kwargs)
    form.debtor_id.choices = choices(
        [(0, "A new debtor: enter the details below"), *queries.debtor_choices(current_user)]
    )
    form.documents.form.files.label.text = "Documents"
    return form


def _handle_case_form(form: CaseForm, case: Case | None) -> Response | None:
    """Keep every upload, then add a row or save; a response only when the draft was saved."""
    for holder in attachment_holders(form):
        keep_uploads(holder)
    action = request.form.get("action", "save")
    if action in ROW_LISTS:
        add_row(form, action)
        return None
    valid = form.validate()
    parsed = read_case(form, current_user)
    if not valid or parsed is None:
        return None
    with saved(form, show=place_error) as done:
        draft, notes = _save(parsed, case)
    if not done:
        return None
    for note in notes:
        flash(note, "info")
    flash(_saved_message(draft), "success")
    return redirect(url_for("cases.show", case_id=draft.id))


def _save(parsed: CaseInput, case: Case | None) -> tuple[Case, list[str]]:
    """The draft, its new history entries with their files, and its documents, in one flush."""
    draft = services.save_draft(current_user, parsed.case, case)
    notes: list[str] = []
    for entry in parsed.history:
        prefix = entry.row.summary.name.removesuffix("summary")
        try:
            row = services.add_history(draft, current_user, entry.data)
        except DomainError as error:
            error.field = prefix + error.field if error.field else None
            raise
        notes += _attach_all(draft, entry.files, correspondence=row)
    notes += _attach_all(draft, parsed.documents)
    return draft, notes


def _attach_all(
    case: Case, files: list[documents.StagedFile], correspondence: CorrespondenceEntry | None = None
) -> list[str]:
    """Attach staged files; a file already on the case is not added twice (and we say so)."""
    notes = []
    for staged in files:
        try:
            documents.attach(case, staged, current_user, correspondence=correspondence)
        except DomainError as error:
            notes.append(error.message)
    return notes


def _saved_message(case: Case) -> str:
    problems = services.submission_problems(case)
    if problems:
        return (
            f"Draft saved. {len(problems)} thing{'' if len(problems) == 1 else 's'} to do "
            "before you can hand it over: see below."
        )
    return "Draft saved. It is ready: choose an agency below to hand it over."


def keep_uploads(holder) -> None:
    """Stage this submit's files and keep the ones staged before, so a refused submit loses
    nothing; files ticked for removal are dropped."""
    removed = set(holder.remove.data or [])
    kept, expired = [], 0
    for token in holder.staged.data or []:
        staged = None if token in removed else documents.staged_from_token(token, current_user)
        if staged is not None:
            kept.append((token, staged))
        elif token not in removed:
            expired += 1
    for upload in holder.files.data or []:
        try:
            staged = documents.stage(upload, current_user)
        except DomainError as error:
            holder.files.refused.append(error.message)
        else:
            kept.append((documents.staged_token(staged, current_user), staged))
    if expired:
        holder.files.refused.append("A file you attached earlier has expired: attach it again.")
    holder.files.errors = list(holder.files.refused)
    holder.staged.data = [token for token, _ in kept]
    holder.staged.files = [(t, s, documents.human_size(s.size)) for t, s in kept]
    holder.remove.data = []


def _render_form(form: CaseForm, case: Case | None):
    history = queries.history_of(case, current_user) if case is not None else []
    docs = documents.documents_of(case) if case is not None else []
    code = (form.currency.data or "").strip().upper()
    return render_template(
        "cases/form.html",
        form=form,
        case=case,
        blank=blank_rows(),
        problems=problem_list(form),
        outstanding=typed_outstanding(form),
        currency=code,
        digits=currency_digits(),
        existing_history=history,
        existing_documents=docs,
    )


@cache
def currency_digits() -> dict[str, int]:
    """Currencies whose minor unit is not two digits (for the page's running total)."""
    return {
        code: digits for code in list_currencies() if (digits := get_currency_precision(code)) != 2
    }


# --- the case page -------------------------------------------------------------------------


@bp.route("/<int:case_id>")
@signed_in
def show(case_id: int):
    return render_case(get_or_404(Case, case_id))


def render_case(case: Case, status: int = 200, panel_forms: dict | None = None, **forms):
    """The case page; other features re-render it with their form's errors via `panel_forms`."""
    is_business = not current_user.is_agency
    messages = queries.messages_of(case, current_user)
    submit_form = forms.get("submit_form") or SubmitCaseForm(formdata=None)
    placement = queries.placement_of(case) if case.is_draft and is_business else None
    if placement is not None:
        submit_form.agreement_id.choices = _agreement_choices(placement)
    shown = panels_for(case, current_user, panel_forms)
    question = queries.open_question(case, messages)
    placed = case.status in (CaseStatus.SUBMITTED, CaseStatus.INFO_REQUESTED)
    return render_template(
        "cases/show.html",
        case=case,
        is_business=is_business,
        history=queries.history_of(case, current_user),
        messages=messages,
        question=question,
        timeline=queries.timeline_of(case, current_user),
        event_label=queries.event_label,
        event_summary=queries.event_summary,
        totals=queries.invoice_totals(case),
        placement=placement,
        submit_form=submit_form,
        withdraw_form=forms.get("withdraw_form") or WithdrawForm(formdata=None),
        delete_form=forms.get("delete_form") or delete_draft_form(formdata=None),
        answer_form=forms.get("answer_form") or AnswerForm(formdata=None),
        history_form=forms.get("history_form") or AddHistoryForm(formdata=None),
        action=ActionForm(),
        today=services.local_today(current_user),
        slots={slot: in_slot(shown, slot) for slot in SLOTS},
        shown_templates={p.template for p in shown},
        contents=_contents(case, is_business, shown, question, placement, placed),
        placed=placed,
        checklist_items=CHECKLIST_ITEMS,
        charge_labels=dict(CHARGE_KINDS),
        checklist_by=db.session.get(User, case.checklist_confirmed_by_id)
        if case.checklist_confirmed_by_id
        else None,
    ), status


def _contents(case: Case, is_business: bool, shown, question, placement, placed) -> list:
    """The page's sections in the order show.html renders them: (id, short name)."""

    def of(slot: str) -> list:
        return [p.contents for p in in_slot(shown, slot) if p.contents]

    asked = "The agency's question" if is_business else "Your question"
    first = [("question", asked)] if question else []
    first += [("submit", "Hand it over")] if placement else []
    details = [("debtor", "Debtor"), *of("main"), ("history", "History")]
    details += [("invoices", "Invoices"), ("terms", "Contract terms"), ("documents", "Documents")]
    talk = [] if case.is_draft else [("messages", "Messages")]
    closing = [("withdraw", "Withdraw")] if is_business and placed else []
    closing += [("delete", "Delete the draft")] if is_business and case.is_draft else []
    return [*first, *of("top"), *details, *talk, *closing, *of("bottom"), ("timeline", "Timeline")]


def _agreement_choices(placement: queries.Placement) -> list:
    return choices([(0, "Choose…"), *((a.id, a.agency.name) for a in placement.agreements)])


@bp.route("/<int:case_id>/submit", methods=["POST"])
@requires(*BUSINESS)
def submit(case_id: int):
    case = get_or_404(Case, case_id)
    if not case.is_draft:
        flash("This case has already been submitted.", "error")
        return redirect(url_for("cases.show", case_id=case.id))
    form = SubmitCaseForm()
    form.agreement_id.choices = _agreement_choices(queries.placement_of(case))
    if form.validate_on_submit():
        with saved(form) as done:
            services.submit(case, current_user, form.agreement_id.data)
        if done:
            flash(
                f"Handed over to {case.agency.name} as {case.reference}. They answer within "
                f"{case.agreement.answer_days} days; you will see it here.",
                "success",
            )
            return redirect(url_for("cases.show", case_id=case.id))
    return render_case(case, submit_form=form)


@bp.route("/<int:case_id>/withdraw", methods=["POST"])
@requires(*BUSINESS)
def withdraw(case_id: int):
    case = get_or_404(Case, case_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        with saved(form) as done:
            services.withdraw(case, current_user, form.reason.data)
        if done:
            flash(f"{case.reference} is withdrawn; {case.agency.name} has been told.", "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_case(case, withdraw_form=form)


@bp.route("/<int:case_id>/answer", methods=["POST"])
@requires(*BUSINESS)
def answer(case_id: int):
    case = get_or_404(Case, case_id)
    form = AnswerForm()
    if form.validate_on_submit():
        with saved(form) as done:
            services.answer_information_request(case, current_user, form.answer.data)
        if done:
            flash(f"Answer sent. {case.reference} is back with {case.agency.name}.", "success")
            return redirect(url_for("cases.show", case_id=case.id, _anchor="messages"))
    return render_case(case, answer_form=form)


@bp.route("/<int:case_id>/history", methods=["POST"])
@requires(*BUSINESS)
def add_history(case_id: int):
    case = get_or_404(Case, case_id)
    form = AddHistoryForm()
    keep_uploads(form)
    if form.validate_on_submit():
        data = read_history(Reader(current_user), form)
        if data is not None and not form.files.refused:
            with saved(form, show=place_error) as done:
                entry = services.add_history(case, current_user, data)
                notes = _attach_all(case, [s for _, s, _ in form.staged.files], entry)
            if done:
                for note in notes:
                    flash(note, "info")
                flash("History entry added.", "success")
                return redirect(url_for("cases.show", case_id=case.id, _anchor="history"))
    return render_case(case, history_form=form)


@bp.route("/<int:case_id>/delete", methods=["POST"])
@requires(*BUSINESS)
def delete(case_id: int):
    case = get_or_404(Case, case_id)
    form = delete_draft_form()
    if not form.validate_on_submit():
        return render_case(case, 422, delete_form=form)
    name = case.debtor.name
    with saved() as done:
        services.delete_draft(case, current_user)
    if not done:
        return redirect(url_for("cases.show", case_id=case.id))
    flash(f"The draft for {name} is deleted.", "success")
    return redirect(url_for("cases.index"))
