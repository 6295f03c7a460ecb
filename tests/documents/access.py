"""Who may use the documents routes. Merged into the app-wide matrix in tests/test_access.py.

Every role may reach both routes; which case is theirs is decided by tenancy (404 otherwise),
and whether they may add documents to it now by the service (a message, not a status code).
"""

import io

from portal.documents import services
from portal.extensions import db
from portal.models import CaseStatus, Document
from tests import factories
from tests.access_rules import EVERYONE

ACCESS = {
    "documents.upload": EVERYONE,
    "documents.download": EVERYONE,
}


def _case_with_document(w) -> int:
    """A case of business A, worked by A's agency's caseworker, holding a document whose id is
    the case's (the matrix puts one value in every URL argument)."""
    case = factories.case(
        w.business, w.agency, status=CaseStatus.IN_COLLECTION, assigned_to_id=w.caseworker.id
    )
    stored = services.storage().put(io.BytesIO(b"%PDF-1.4 access"), max_bytes=1024)
    db.session.add(
        Document(
            id=case.id,
            case_id=case.id,
            storage_key=stored.key,
            filename="invoice.pdf",
            kind="pdf",
            content_type="application/pdf",
            size_bytes=stored.size,
            sha256=stored.sha256,
            side="business",
            uploaded_at=factories.utcnow(),
        )
    )
    db.session.commit()
    return case.id


def _outsiders(w):
    return [w.other_business_admin, w.other_agency_admin, w.other_caseworker]


FOREIGN = {
    "documents.upload": ("case_id", _case_with_document, _outsiders),
    "documents.download": ("case_id", _case_with_document, _outsiders),
}
