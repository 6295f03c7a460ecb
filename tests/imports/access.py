"""Who may use the bulk handover: business admins and members; agency people get 403.

A pending upload is tied to the person who uploaded it: anyone else (another business, or a
colleague) gets 404. A saved mapping of another business is a 404 too.
"""

from tests.access_rules import BUSINESS

ACCESS = {
    "imports.upload": BUSINESS,
    "imports.columns": BUSINESS,
    "imports.preview": BUSINESS,
    "imports.confirm": BUSINESS,
    "imports.cancel": BUSINESS,
    "imports.done": BUSINESS,
    "imports.delete_mapping": BUSINESS,
}

PLAIN = (
    b"debtor_name,invoice_number,issue_date,due_date,amount\n"
    b"Kamau Hardware,1031,2026-08-20,2026-09-19,45000\n"
)


def pending_upload(world) -> str:
    """A plain file uploaded by the business admin of `world.business`: its token."""
    import io

    from werkzeug.datastructures import FileStorage

    from portal.imports import services

    upload = FileStorage(io.BytesIO(PLAIN), filename="accounts.csv")
    pending = services.receive(upload, world.business_admin, "KES")
    return services.pending_token(pending)


def saved_mapping(world) -> int:
    from portal.extensions import db
    from portal.imports import services

    columns = {
        "debtor_name": "debtor_name",
        "invoice_number": "invoice_number",
        "issue_date": "issue_date",
        "due_date": "due_date",
        "amount": "amount",
    }
    mapping = services.save_mapping(world.business_admin, "Our ledger", columns, "DMY")
    db.session.commit()
    return mapping.id


FOREIGN = {
    **{
        endpoint: (
            "upload",
            pending_upload,
            lambda w: [w.other_business_admin, w.business_member],
        )
        for endpoint in ("imports.columns", "imports.preview", "imports.confirm", "imports.cancel")
    },
    "imports.delete_mapping": ("mapping_id", saved_mapping, lambda w: [w.other_business_admin]),
}
