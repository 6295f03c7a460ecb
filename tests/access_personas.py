"""The app-wide access matrix: eight personas, every endpoint and method, one expected answer each.

The roles come from the per-feature tables (tests/<feature>/access.py: ACCESS and FOREIGN, merged
here). What a persona may reach comes from TARGETS: for every endpoint with URL arguments, the
objects its URL is built with and the personas who may see them. `expected()` is the persona
rule that joins the two:

- anonymous                         -> "login" (the sign-in page), unless the endpoint is public;
- signed in, role not allowed       -> "403";
- role allowed, object out of reach -> "404" (another business or agency, a caseworker the case
                                       is not assigned to, a colleague's own notification...);
- role allowed, object in reach     -> "200" for GET, "ok" for POST (any answer but
                                       401/403/404/405/5xx or the sign-in page: a redirect, the
                                       page again, a form error).

Public endpoints (sign-in, invitation and password links, static files) declare their answers
per persona in PUBLIC_ANSWERS.
"""

import importlib
import importlib.util
import io
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import tests
from portal.models import Role
from tests.access_rules import PUBLIC

ACCESS: dict = {}
FOREIGN: dict = {}
for _module in pkgutil.iter_modules(tests.__path__):
    if _module.ispkg and importlib.util.find_spec(f"tests.{_module.name}.access"):
        _table = importlib.import_module(f"tests.{_module.name}.access")
        ACCESS.update(_table.ACCESS)
        FOREIGN.update(getattr(_table, "FOREIGN", {}))


# --- the personas ------------------------------------------------------------------------------

ANONYMOUS = "anonymous"
# persona -> the World attribute holding that user.
USERS = {
    "biz_a_admin": "business_admin",
    "biz_a_member": "business_member",
    "biz_b_admin": "other_business_admin",
    "agency_admin": "agency_admin",
    "caseworker": "caseworker",
    "other_caseworker": "other_caseworker",
    "other_agency_admin": "other_agency_admin",
}
PERSONAS = (ANONYMOUS, *USERS)
ROLES = {
    "biz_a_admin": Role.BUSINESS_ADMIN,
    "biz_a_member": Role.BUSINESS_MEMBER,
    "biz_b_admin": Role.BUSINESS_ADMIN,
    "agency_admin": Role.AGENCY_ADMIN,
    "caseworker": Role.CASEWORKER,
    "other_caseworker": Role.CASEWORKER,
    "other_agency_admin": Role.AGENCY_ADMIN,
}


def persona_of(world, user) -> str:
    """The persona a World user plays."""
    return next(p for p, attr in USERS.items() if getattr(world, attr).id == user.id)


# --- who may reach what ------------------------------------------------------------------------

# Business A (Acacia) works with the agency (Nairobi Recovery); the caseworker is assigned to
# business A's worked cases, the other caseworker of the same agency is not. Business B and the
# other agency have nothing to do with business A's objects.
BUSINESS_A = frozenset({"biz_a_admin", "biz_a_member"})
AGENCY_STAFF = frozenset({"agency_admin", "caseworker", "other_caseworker"})
DRAFT_CASE = BUSINESS_A  # an agency never sees a draft
PLACED_CASE = BUSINESS_A | {"agency_admin"}  # placed with the agency, assigned to nobody
WORKED_CASE = BUSINESS_A | {"agency_admin", "caseworker"}  # assigned to the caseworker
BETWEEN_A_AND_AGENCY = BUSINESS_A | AGENCY_STAFF  # the agreement, a statement
OWNER_ONLY = frozenset({"biz_a_admin"})  # the business admin's notification or upload
BUSINESS_SIDE = frozenset({"biz_a_admin", "biz_a_member", "biz_b_admin"})
AGENCY_SIDE = AGENCY_STAFF | {"other_agency_admin"}


@dataclass(frozen=True)
class Target:
    """The objects one URL of an endpoint is built with, and the personas who may reach them.

    `build(world)` makes the objects (committed) and returns the URL's arguments.
    """

    label: str
    build: Callable[..., dict]
    reach: frozenset[str] | None = None  # None: nothing to reach (a list page, a public link)


NO_OBJECT = Target("", lambda w: {})


def _commit():
    from portal.extensions import db

    db.session.commit()


def _foreign(endpoint: str) -> Callable[..., dict]:
    """FOREIGN's object of world's organisations, in every argument of the endpoint's URL."""
    argument, own, _ = FOREIGN[endpoint]
    return lambda w: {argument: own(w)}


def _draft(w) -> dict:
    from tests import factories

    case = factories.case(w.business)
    _commit()
    return {"case_id": case.id}


def _placed(w) -> dict:
    from portal.models import CaseStatus
    from tests import factories

    case = factories.case(
        w.business, w.agency, status=CaseStatus.SUBMITTED, agreement_id=w.agreement.id
    )
    _commit()
    return {"case_id": case.id}


def _worked(w) -> dict:
    from tests.ledger.helpers import accepted

    return {"case_id": accepted(w).id}


def document(w, case=None):
    """A document on `case` (default: a new worked case of business A); returns it."""
    from portal.documents import services
    from portal.extensions import db
    from portal.models import Document, utcnow
    from tests.ledger.helpers import accepted

    case = case or accepted(w)
    stored = services.storage().put(io.BytesIO(b"%PDF-1.4 access matrix"), max_bytes=1024)
    doc = Document(
        case_id=case.id,
        storage_key=stored.key,
        filename="invoice.pdf",
        kind="pdf",
        content_type="application/pdf",
        size_bytes=stored.size,
        sha256=stored.sha256,
        side="business",
        uploaded_at=utcnow(),
    )
    db.session.add(doc)
    _commit()
    return doc


def _document(w) -> dict:
    doc = document(w)
    return {"case_id": doc.case_id, "doc_id": doc.id}


TODAY = date(2026, 9, 15)


def payment(w, case=None):
    """A payment on `case` (default: a new worked case), recorded by the caseworker."""
    from portal.ledger import services
    from tests.ledger.helpers import accepted

    case = case or accepted(w)
    token = f"matrix-{case.id}"
    data = services.PaymentData(100_00, TODAY, "cash", "", services.PaidTo.AGENCY, token)
    recovery, _ = services.record_payment(case, w.caseworker, data, TODAY)
    _commit()
    return recovery


def settlement(w, case=None):
    """A settlement below the floor on `case`, waiting for the business admin's decision."""
    from portal.ledger import services
    from tests.ledger.helpers import accepted

    case = case or accepted(w)
    offer = services.offer_settlement(case, w.caseworker, 1_00, "")
    _commit()
    return offer


def _payment(w) -> dict:
    recovery = payment(w)
    return {"case_id": recovery.case_id, "recovery_id": recovery.id}


def _settlement(w) -> dict:
    offer = settlement(w)
    return {"case_id": offer.case_id, "arrangement_id": offer.id}


def _invitation(w) -> dict:
    from portal.auth import services

    invitation, _ = services.invite(
        w.business, "new@acacia.example", "New Person", Role.BUSINESS_MEMBER, w.business_admin
    )
    _commit()
    return {"invitation_id": invitation.id}


def _invitation_link(w) -> dict:
    from portal.auth import services

    _, token = services.invite(
        w.business, "link@acacia.example", "Linked Person", Role.BUSINESS_MEMBER, w.business_admin
    )
    _commit()
    return {"token": token}


def _reset_link(w) -> dict:
    from portal.auth import services
    from portal.models import utcnow

    return {"token": services.reset_token(w.business_member, utcnow())}


def _mapped_upload(w) -> dict:
    """A pending upload of the business admin whose columns are chosen: its preview shows."""
    from portal.imports import services
    from tests.imports.access import pending_upload

    pending = services.pending_from_token(pending_upload(w), w.business_admin)
    fields = ("debtor_name", "invoice_number", "issue_date", "due_date", "amount")
    columns = {name: name for name in fields}
    return {"upload": services.pending_token(services.with_mapping(pending, columns, "DMY"))}


def _placed_case_target(endpoint):
    return Target("placed case", _foreign(endpoint), PLACED_CASE)


# endpoint -> the URLs it is checked with (the first one is FOREIGN's object, where it has one).
TARGETS: dict[str, tuple[Target, ...]] = {
    "static": (Target("portal.css", lambda w: {"filename": "portal.css"}),),
    "auth.accept_invitation": (Target("a live invitation link", _invitation_link),),
    "auth.reset_password": (Target("a live reset link", _reset_link),),
    "dashboard.figure_list": (
        Target("business figure", lambda w: {"figure": "placed"}, BUSINESS_SIDE),
        Target("agency figure", lambda w: {"figure": "working"}, AGENCY_SIDE),
    ),
    # Organisations and agreements.
    "orgs.deactivate": (
        Target("business A member", lambda w: {"user_id": w.business_member.id}, BUSINESS_A),
    ),
    "orgs.activate": (
        Target("agency caseworker", lambda w: {"user_id": w.caseworker.id}, AGENCY_STAFF),
    ),
    "orgs.revoke_invitation": (Target("business A invitation", _invitation, BUSINESS_A),),
    **{
        endpoint: (
            Target(
                "agreement A-agency",
                lambda w: {"agreement_id": w.agreement.id},
                BETWEEN_A_AND_AGENCY,
            ),
        )
        for endpoint in ("agreements.show", "agreements.accept", "agreements.end")
    },
    # Cases.
    "cases.show": (
        _placed_case_target("cases.show"),
        Target("worked case", _worked, WORKED_CASE),
        Target("draft case", _draft, DRAFT_CASE),
    ),
    **{
        endpoint: (Target("draft case", _foreign(endpoint), DRAFT_CASE),)
        for endpoint in ("cases.edit", "cases.submit", "cases.delete")
    },
    **{
        endpoint: (_placed_case_target(endpoint),)
        for endpoint in ("cases.withdraw", "cases.answer", "cases.add_history")
    },
    "casefile.download": (Target("worked case", _foreign("casefile.download"), WORKED_CASE),),
    **{
        endpoint: (Target("worked case", _foreign(endpoint), WORKED_CASE),)
        for endpoint in (
            "casework.log_contact",
            "casework.set_profile",
            "casework.raise_dispute",
            "casework.resolve_dispute",
            "casework.post_message",
            "documents.upload",
        )
    },
    "documents.download": (Target("document of a worked case", _document, WORKED_CASE),),
    # Money on a case: the nested ones with a real payment or settlement of that case.
    **{
        endpoint: (Target("worked case", _foreign(endpoint), WORKED_CASE),)
        for endpoint in (
            "ledger.record_payment",
            "ledger.create_plan",
            "ledger.offer_settlement",
            "ledger.close_case",
            "ledger.change_stage",
            "ledger.reopen",
            "ledger.withdraw",
        )
    },
    "ledger.reverse_payment": (Target("payment of a worked case", _payment, WORKED_CASE),),
    **{
        endpoint: (Target("settlement of a worked case", _settlement, WORKED_CASE),)
        for endpoint in (
            "ledger.approve_settlement",
            "ledger.decline_settlement",
            "ledger.end_arrangement",
        )
    },
    **{
        endpoint: (_placed_case_target(endpoint),)
        for endpoint in (
            "placements.review",
            "placements.accept",
            "placements.reject",
            "placements.ask",
        )
    },
    # Business A's own things.
    **{
        endpoint: (Target("business A debtor", _foreign(endpoint), BUSINESS_A),)
        for endpoint in (
            "privacy.debtor",
            "privacy.export_json",
            "privacy.export_zip",
            "privacy.erase",
        )
    },
    "imports.delete_mapping": (
        Target("business A mapping", _foreign("imports.delete_mapping"), BUSINESS_A),
    ),
    **{
        endpoint: (Target("the admin's upload", _foreign(endpoint), OWNER_ONLY),)
        for endpoint in ("imports.columns", "imports.confirm", "imports.cancel")
    },
    "imports.preview": (Target("the admin's mapped upload", _mapped_upload, OWNER_ONLY),),
    "notices.open_notification": (
        Target("the admin's notification", _foreign("notices.open_notification"), OWNER_ONLY),
    ),
    **{
        endpoint: (Target("statement agency->A", _foreign(endpoint), BETWEEN_A_AND_AGENCY),)
        for endpoint in (
            "statements.show",
            "statements.download_pdf",
            "statements.download_csv",
            "statements.mark_received",
        )
    },
}

# Public endpoints whose answer is not plain "200"/"ok" for everyone: (endpoint, method) ->
# persona -> answer, "*" standing for every signed-in persona.
SIGNED_IN = "*"
PUBLIC_ANSWERS: dict[tuple[str, str], dict[str, str]] = {
    # The sign-in page: a signed-in person is sent on to their dashboard.
    ("auth.login", "GET"): {ANONYMOUS: "200", SIGNED_IN: "redirect"},
    # The code page only follows a right password: without one, back to sign in.
    ("auth.login_code", "GET"): {ANONYMOUS: "login", SIGNED_IN: "login"},
    ("auth.login_code", "POST"): {ANONYMOUS: "login", SIGNED_IN: "login"},
    ("auth.logout", "POST"): {ANONYMOUS: "login", SIGNED_IN: "login"},
    # The root: to sign in, or to the signed-in person's dashboard.
    ("dashboard.index", "GET"): {ANONYMOUS: "login", SIGNED_IN: "redirect"},
}


# --- the rule ----------------------------------------------------------------------------------


def expected(endpoint: str, method: str, persona: str, target: Target) -> str:
    """The answer `persona` must get for `method` on `endpoint`, with `target`'s objects."""
    allowed = ACCESS[endpoint]
    if allowed == PUBLIC:
        answers = PUBLIC_ANSWERS.get((endpoint, method))
        if answers is None:
            return "200" if method == "GET" else "ok"
        return answers.get(persona) or answers[SIGNED_IN]
    if persona == ANONYMOUS:
        return "login"
    if ROLES[persona] not in allowed:
        return "403"
    if target.reach is not None and persona not in target.reach:
        return "404"
    return "200" if method == "GET" else "ok"


def methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def row(endpoint: str, method: str, target: Target) -> dict[str, str]:
    """One line of the matrix: persona -> expected answer."""
    return {p: expected(endpoint, method, p, target) for p in PERSONAS}


def line(endpoint: str, method: str, target: Target, answers: dict[str, str]) -> str:
    """`cases.show GET [worked case]: anonymous=login, biz_a_admin=200, ...`"""
    label = f" [{target.label}]" if target.label else ""
    return f"{endpoint} {method}{label}: " + ", ".join(f"{p}={a}" for p, a in answers.items())


def answer_of(response) -> str:
    """What a response amounts to: "login", "redirect", or its status code."""
    if 300 <= response.status_code < 400:
        return "login" if "/login" in response.headers.get("Location", "") else "redirect"
    return str(response.status_code)


# For a POST: anything that shows the request was let through and handled.
OK = frozenset({"200", "201", "204", "redirect", "400", "409", "422"})


def agrees(expected_answer: str, actual: str) -> bool:
    if expected_answer == "ok":
        return actual in OK
    return expected_answer == actual


def table(app) -> list[str]:
    """The whole matrix, one line per endpoint, method and target, from the app's url_map."""
    lines = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        if rule.endpoint not in ACCESS:
            lines.append(f"{rule.endpoint}: NOT IN ANY ACCESS TABLE")
            continue
        for target in TARGETS.get(rule.endpoint, (NO_OBJECT,)):
            for method in methods(rule):
                lines.append(
                    line(rule.endpoint, method, target, row(rule.endpoint, method, target))
                )
    return lines


if __name__ == "__main__":
    from config import TestingConfig
    from portal import create_app

    print("\n".join(table(create_app(TestingConfig))))
