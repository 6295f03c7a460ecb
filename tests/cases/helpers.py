"""Form data for the case form, and small builders for the cases tests."""

from __future__ import annotations

import io
from datetime import date, timedelta

from portal.extensions import db
from portal.models import CHECKLIST_ITEMS, Case, CaseStatus, Channel, Direction, utcnow
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(n: int = 0) -> bytes:
    """A small PDF; a different `n` gives different content."""
    return PDF + f"% copy {n}\n".encode()


def upload(content: bytes, name: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(content), name


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


def invoice(n: int, number: str = "", issued: int = 90, due: int = 60, amount="", paid="") -> dict:
    """One invoice row's fields, named as WTForms names row `n`."""
    return {
        f"invoices-{n}-number": number or f"INV-{n + 1}",
        f"invoices-{n}-issue_date": days_ago(issued) if isinstance(issued, int) else issued,
        f"invoices-{n}-due_date": days_ago(due) if isinstance(due, int) else due,
        f"invoices-{n}-amount": amount or "1,000.00",
        f"invoices-{n}-paid": paid,
    }


def history(n: int, summary: str = "Called the accounts department", **fields) -> dict:
    moment = fields.pop("when", None) or (date.today() - timedelta(days=10)).isoformat() + "T10:30"
    return {
        f"history-{n}-occurred_at": moment,
        f"history-{n}-channel": fields.pop("channel", "phone"),
        f"history-{n}-direction": fields.pop("direction", "outbound"),
        f"history-{n}-contact_person": fields.pop("contact_person", "Jane Wanjiru"),
        f"history-{n}-summary": summary,
        f"history-{n}-outcome": fields.pop("outcome", "Promised to pay"),
    }


def checklist() -> dict:
    return {f"checklist-{key}": "y" for key in CHECKLIST_ITEMS}


def case_form(
    name: str = "Kilimani Hardware Ltd", *, rows: int = 1, with_history: bool = True, **extra
) -> dict:
    """A complete, valid case form: a new debtor, `rows` invoices, one history entry."""
    data = {
        "action": "save",
        "debtor_id": "0",
        "debtor-kind": "company",
        "debtor-name": name,
        "debtor-emails": "accounts@kilimani.example",
        "debtor-phones": "+254 712 345 678",
        "debtor-country": "KE",
        "debtor-timezone": "",
        "currency": "KES",
        "contract_reference": "Supply agreement 2025/14",
        "charge_terms-0-kind": "",
        "charge_terms-0-basis": "contract",
        "notes": "",
        **checklist(),
    }
    for n in range(rows):
        data |= invoice(n)
    if with_history:
        data |= history(0)
    return data | extra


def ready_draft(world, **fields) -> Case:
    """A draft with a complete checklist and one history entry: ready to submit."""
    from portal.cases import services

    case = factories.case(world.business, checklist=dict.fromkeys(CHECKLIST_ITEMS, True), **fields)
    services.add_history(
        case,
        world.business_admin,
        services.HistoryData(
            occurred_at=utcnow() - timedelta(days=3),
            channel=Channel.PHONE,
            direction=Direction.OUTBOUND,
            summary="Called about the invoice",
        ),
    )
    db.session.commit()
    return case


def placed(world, status: CaseStatus = CaseStatus.SUBMITTED, **fields) -> Case:
    case = factories.case(
        world.business, world.agency, status=status, agreement_id=world.agreement.id, **fields
    )
    db.session.commit()
    return case


def only_case(business) -> Case:
    from sqlalchemy import select

    return db.session.scalars(select(Case).where(Case.business_id == business.id)).one()
