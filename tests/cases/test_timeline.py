"""The case timeline: every kind of event any feature records reads in plain words, and the
agency's internal events never reach the business."""

import ast
from datetime import UTC, datetime
from pathlib import Path

from portal.cases.queries import EVENT_LABELS, event_label
from portal.casework import services as casework
from portal.casework.services import RESOLUTIONS, ContactData
from portal.extensions import db
from portal.models import (
    ArrangementKind,
    CaseStatus,
    Channel,
    ContactOutcome,
    Direction,
    MessageKind,
    PartyReached,
)
from tests.casework.helpers import worked_case

PORTAL = Path(__file__).resolve().parents[2] / "portal"

# Kinds built at run time: the f-string as written, and every value it can take.
DYNAMIC_KINDS = {
    "message_{kind.value}": {f"message_{k.value}" for k in MessageKind},
    "dispute_{resolution}": {f"dispute_{r}" for r in RESOLUTIONS},
    "{arrangement.kind.value}_cancelled": {f"{k.value}_cancelled" for k in ArrangementKind},
}


def _is_audit_record(call: ast.Call, in_audit: bool) -> bool:
    """`audit.record(...)`, or `record(...)` inside portal/audit.py itself."""
    func = call.func
    if in_audit and isinstance(func, ast.Name):
        return func.id == "record"
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "record"
        and isinstance(func.value, ast.Name)
        and func.value.id == "audit"
    )


def _kinds_of(node: ast.expr, where: str) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _kinds_of(node.body, where) | _kinds_of(node.orelse, where)
    if isinstance(node, ast.JoinedStr):
        written = "".join(
            part.value if isinstance(part, ast.Constant) else "{" + ast.unparse(part.value) + "}"
            for part in node.values
        )
        assert written in DYNAMIC_KINDS, f"{where}: say which kinds {written!r} can be"
        return DYNAMIC_KINDS[written]
    raise AssertionError(f"{where}: the event kind should be a string literal")


def recorded_kinds() -> set[str]:
    """Every kind passed to audit.record(...) anywhere in portal/."""
    kinds: set[str] = set()
    for path in PORTAL.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            in_audit = path == PORTAL / "audit.py"
            if isinstance(node, ast.Call) and _is_audit_record(node, in_audit) and node.args:
                kinds |= _kinds_of(node.args[0], f"{path.name}:{node.lineno}")
    return kinds


def test_every_event_kind_recorded_in_the_portal_has_a_plain_words_label():
    kinds = recorded_kinds()
    assert {"payment_recorded", "contact_logged", "status_changed"} <= kinds  # the parse works
    assert any(kind.startswith("dispute_") for kind in kinds)
    missing = sorted(kinds - set(EVENT_LABELS))
    assert not missing, f"event kinds without a label: {missing}"


def test_labels_are_plain_words_not_codes():
    for kind, label in EVENT_LABELS.items():
        assert "_" not in label and label[0].isupper(), kind
    assert event_label("payment_recorded") == "Payment recorded"
    assert event_label("something_new") == "Something new"


def _contact(internal=False, **fields) -> ContactData:
    return ContactData(
        occurred_at=fields.pop("occurred_at", datetime(2026, 3, 3, 7, tzinfo=UTC)),
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        party_reached=PartyReached.NOBODY,
        outcome=ContactOutcome.NO_ANSWER,
        internal=internal,
        **fields,
    )


def test_internal_agency_events_stay_off_the_business_timeline(client, auth, world):
    case = worked_case(world)
    moment = datetime(2026, 3, 3, 8, tzinfo=UTC)
    casework.log_contact(case, world.caseworker, _contact(internal=True), moment)
    casework.post_message(case, world.caseworker, "Debtor sounds evasive", internal=True)
    casework.post_message(case, world.caseworker, "We called twice this week")
    db.session.commit()

    auth.login(world.business_admin)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') :]
    # The timeline says who wrote; the words are in the messages, never in the audit trail.
    assert "We called twice this week" in page and "from the agency" in timeline
    assert "Debtor sounds evasive" not in page
    assert "(internal note)" not in timeline
    assert "Contact with the debtor logged" not in timeline
    auth.logout()

    auth.login(world.caseworker)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') :]
    assert "Debtor sounds evasive" in page and "from the agency (internal note)" in timeline
    assert "Contact with the debtor logged" in timeline


def test_a_flagged_contacts_breach_is_an_internal_event_the_business_never_sees(
    client, auth, world
):
    case = worked_case(world)
    late_night = datetime(2026, 3, 3, 20, tzinfo=UTC)  # 23:00 in Nairobi: outside the window
    casework.log_contact(
        case,
        world.caseworker,
        _contact(occurred_at=late_night, override_reason="The debtor asked us to call late"),
        late_night,
    )
    db.session.commit()

    auth.login(world.business_admin)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Contact with the debtor logged" in page
    assert "The debtor asked us to call late" not in page
    assert "broke the rules" not in page.lower()
    auth.logout()

    auth.login(world.agency_admin)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') :]
    assert "Contact flagged" in timeline and "reason given is on the contact log" in timeline
    assert "The debtor asked us to call late" in page  # beside the entry in the contact log


def test_the_timeline_shows_the_label_of_each_event(client, auth, world):
    case = worked_case(world, status=CaseStatus.IN_COLLECTION)
    casework.raise_dispute(case, world.caseworker, "Goods never arrived", datetime.now(UTC))
    db.session.commit()
    auth.login(world.business_admin)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') :]
    assert "The debtor disputed the debt" in timeline
