"""The agency works its cases: the worklist, the contact log under the rules of contact,
disputes, the compliance view, and the message thread both sides write to.

Routes parse, call a service with `services.now()`, commit once, flash and redirect. The case
page sections are panels (portal.cases.panels).
"""

from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.cases import export, panels
from portal.cases.routes import render_case
from portal.cases.services import local_today
from portal.casework import queries, services
from portal.casework.contact_rules import CALL_CHANNEL
from portal.casework.forms import (
    ContactForm,
    DisputeForm,
    MessageForm,
    ProfileForm,
    ResolveDisputeForm,
    local_input,
    read_contact,
    read_profile,
)
from portal.extensions import db
from portal.forms import saved
from portal.models import Case, CaseStatus, Role, User
from portal.tenancy import get_or_404, requires, signed_in

bp = Blueprint("casework", __name__)

AGENCY = (Role.AGENCY_ADMIN, Role.CASEWORKER)
OUTBOUND_CHANNELS = (CALL_CHANNEL, "sms", "email")
BUSINESS = (Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER)


# --- the caseworker's day --------------------------------------------------------------------


@bp.route("/work")
@requires(*AGENCY)
def worklist():
    filters = queries.read_filters(request.args, current_user)
    is_admin = current_user.role == Role.AGENCY_ADMIN
    return render_template(
        "casework/worklist.html",
        work=queries.worklist(current_user, services.now(), filters),
        is_admin=is_admin,
        caseworkers=queries.caseworkers(current_user) if is_admin else [],
        statuses=queries.OPEN,
    )


@bp.route("/work/export.csv")
@requires(*AGENCY)
def export_csv():
    """The worklist as CSV, with the same filters (every page); streamed."""
    user = current_user._get_current_object()
    filters = queries.read_filters(request.args, user)
    return export.csv_response(
        queries.EXPORT_HEADER, lambda: queries.export_rows(user, filters), local_today(user)
    )


@bp.route("/compliance")
@requires(Role.AGENCY_ADMIN)
def compliance():
    return render_template(
        "casework/compliance.html",
        flagged=queries.flagged_contacts(current_user),
        flagged_rules=services.flagged_rules,
    )


# --- the contact log ---------------------------------------------------------------------------


def _contact_form(case: Case, user: User, **kwargs) -> ContactForm:
    form = ContactForm(**kwargs)
    form.set_corrections(services.effective(services.agency_log(case)), user)
    return form


@bp.route("/cases/<int:case_id>/contacts", methods=["POST"])
@requires(*AGENCY)
def log_contact(case_id: int):
    case = get_or_404(Case, case_id)
    form = _contact_form(case, current_user)
    valid = form.validate_on_submit()
    data = read_contact(form, case, current_user)
    if valid and data is not None:
        with saved(form) as done:
            entry, new = services.log_contact_once(case, current_user, data, services.now())
        if done:
            if new:
                flash(_logged_message(entry, case), "success")
            else:
                flash("This contact was already logged: it was not logged twice.", "info")
            return redirect(url_for("cases.show", case_id=case.id, _anchor="contacts"))
    return render_case(case, 422, panel_forms={"contact_form": form})


def _logged_message(entry, case: Case) -> str:
    text = "Contact logged."
    if entry.rule_breach:
        text = "Contact logged and flagged: it broke the rules of contact."
    if case.status == CaseStatus.ON_HOLD and entry.outcome_code.value == "dispute_raised":
        text += f" The case is on hold for the dispute; {case.business.name} has been told."
    return text


@bp.route("/cases/<int:case_id>/debtor-kind", methods=["POST"])
@requires(*AGENCY)
def set_profile(case_id: int):
    case = get_or_404(Case, case_id)
    form = ProfileForm()
    if form.validate_on_submit():
        with saved(form) as done:
            services.set_profile(case, current_user, read_profile(form))
        if done:
            flash("The debtor's kind is recorded.", "success")
            return redirect(url_for("cases.show", case_id=case.id, _anchor="contact-rules"))
    return render_case(case, 422, panel_forms={"profile_form": form})


# --- disputes ------------------------------------------------------------------------------------


@bp.route("/cases/<int:case_id>/dispute", methods=["POST"])
@requires(*AGENCY)
def raise_dispute(case_id: int):
    case = get_or_404(Case, case_id)
    form = DisputeForm()
    if form.validate_on_submit():
        with saved(form) as done:
            services.raise_dispute(case, current_user, form.reason.data, services.now())
        if done:
            flash(
                f"Dispute recorded: {case.reference} is on hold and contact has stopped. "
                f"{case.business.name} has been asked to resolve it.",
                "success",
            )
            return redirect(url_for("cases.show", case_id=case.id, _anchor="dispute"))
    return render_case(case, 422, panel_forms={"dispute_form": form})


@bp.route("/cases/<int:case_id>/dispute/resolve", methods=["POST"])
@requires(*BUSINESS)
def resolve_dispute(case_id: int):
    case = get_or_404(Case, case_id)
    form = ResolveDisputeForm()
    if form.validate_on_submit():
        with saved(form) as done:
            services.resolve_dispute(
                case, current_user, form.resolution.data, form.note.data, services.now()
            )
        if done:
            flash(_resolved_message(case), "success")
            return redirect(url_for("cases.show", case_id=case.id, _anchor="dispute"))
    return render_case(case, 422, panel_forms={"resolve_form": form})


def _resolved_message(case: Case) -> str:
    if case.status == CaseStatus.CLOSED:
        return f"Dispute upheld: {case.reference} is returned to you and closed."
    return f"Dispute rejected: {case.agency.name} works {case.reference} again."


# --- messages ------------------------------------------------------------------------------------


@bp.route("/cases/<int:case_id>/messages", methods=["POST"])
@signed_in
def post_message(case_id: int):
    case = get_or_404(Case, case_id)
    form = MessageForm()
    if form.validate_on_submit():
        with saved(form) as done:
            services.post_message(case, current_user, form.body.data, bool(form.internal.data))
        if done:
            flash(
                "Internal note saved."
                if form.internal.data
                else "Message sent; the other side has been told.",
                "success",
            )
            return redirect(url_for("cases.show", case_id=case.id, _anchor="messages"))
    return render_case(case, 422, panel_forms={"message_form": form})


# --- the case page panels ------------------------------------------------------------------------


@panels.panel(
    "casework/_rules.html", order=10, slot="top", contents=("contact-rules", "May we call?")
)
def rules_panel(case: Case, user: User, forms: dict) -> dict | None:
    """May we contact the debtor now? For the agency, on a case it works."""
    if not user.is_agency or case.status not in services.WORKING:
        return None
    at = services.now()
    entries = services.agency_log(case)
    on_hold = case.status == CaseStatus.ON_HOLD or services.open_dispute(case) is not None
    decisions = {
        channel: services.decide(case, at, channel, entries=entries, on_hold=on_hold)
        for channel in OUTBOUND_CHANNELS
    }
    profile_form = forms.get("profile_form") or ProfileForm(
        formdata=None, profile=case.debtor_profile.value if case.debtor_profile else ""
    )
    return {
        "decision": decisions[CALL_CHANNEL],
        "decisions": decisions,
        "debtor_now": at.astimezone(ZoneInfo(case.debtor.timezone)),
        "debtor_zone": ZoneInfo(case.debtor.timezone),
        "policy": services.policy_of(case.agreement),
        "agreement": case.agreement,
        "profile_form": profile_form,
        "profile_labels": services.PROFILE_LABELS,
    }


@panels.panel("casework/_dispute.html", order=30, slot="main", contents=("dispute", "Dispute"))
def dispute_panel(case: Case, user: User, forms: dict) -> dict | None:
    """The open dispute (the business resolves it), past ones, and raising one (the agency)."""
    disputes = services.disputes_of(case)
    can_raise = user.is_agency and case.status in services.WORKING and not disputes_open(disputes)
    if not disputes and not can_raise:
        return None
    open_one = next((d for d in disputes if d.resolution is None), None)
    return {
        # An open dispute needs a decision: it goes first, before the money.
        **({"slot": "top", "order": 12} if open_one is not None else {}),
        "open": open_one,
        "past": [d for d in disputes if d.resolution is not None],
        "can_raise": can_raise and case.status != CaseStatus.ON_HOLD,
        "dispute_form": forms.get("dispute_form") or DisputeForm(formdata=None),
        "resolve_form": forms.get("resolve_form") or ResolveDisputeForm(formdata=None),
        "people": {u.id: u for u in _people(disputes)},
    }


def disputes_open(disputes) -> bool:
    return any(d.resolution is None for d in disputes)


def _people(disputes) -> list[User]:
    ids = {i for d in disputes for i in (d.raised_by_id, d.resolved_by_id) if i}
    return [db.session.get(User, i) for i in sorted(ids)]


@panels.panel(
    "casework/_contacts.html", order=20, slot="main", contents=("contacts", "Contact log")
)
def contacts_panel(case: Case, user: User, forms: dict) -> dict | None:
    """The agency's contact log: the agency adds to it; the business reads it."""
    log = queries.contact_log(case, user)
    can_log = user.is_agency and case.status in services.WORKING
    if not log and not can_log:
        return None
    form = forms.get("contact_form")
    if form is None and can_log:
        form = _contact_form(
            case, user, formdata=None, occurred_at=local_input(services.now(), user)
        )
    return {
        "log": log,
        "can_log": can_log,
        "form": form,
        "ask_override": can_log and _override_asked(case, form),
        "corrected_by": {e.corrects_id: e for e in log if e.corrects_id},
        "by_id": {e.id: e for e in log},
        "party_labels": services.PARTY_LABELS,
        "flagged_rules": services.flagged_rules,
    }


def _override_asked(case: Case, form: ContactForm) -> bool:
    """The override reason is asked for only when the rules of contact would refuse: a
    submission was refused for it (or a reason was typed, which is kept), or the rules refuse
    contact with the debtor at this moment."""
    if form.override_reason.errors or (form.override_reason.data or "").strip():
        return True
    at, entries = services.now(), services.agency_log(case)
    return any(
        not services.decide(case, at, channel, entries=entries).allowed
        for channel in OUTBOUND_CHANNELS
    )


@panels.panel("casework/_message_form.html", order=90, slot="messages")
def message_panel(case: Case, user: User, forms: dict) -> dict | None:
    """Write to the other side, under the thread (the case page's #messages section)."""
    if case.is_draft:
        return None
    return {"form": forms.get("message_form") or MessageForm(formdata=None)}
