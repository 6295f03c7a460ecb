"""The navigation each role sees. A feature adds its pages here."""

from flask import Flask, current_app
from flask_login import current_user

from portal.models import Role

NAV: dict[Role, list[tuple[str, str]]] = {
    Role.BUSINESS_ADMIN: [
        ("dashboard.home", "Dashboard"),
        ("cases.index", "Cases"),
        ("cases.new", "New case"),
        ("imports.upload", "Import"),
        ("agreements.index", "Agreements"),
        ("statements.index", "Statements"),
        ("orgs.users", "Users"),
        ("privacy.debtors", "Debtors' data"),
        ("privacy.audit_trail", "Audit trail"),
    ],
    Role.BUSINESS_MEMBER: [
        ("dashboard.home", "Dashboard"),
        ("cases.index", "Cases"),
        ("cases.new", "New case"),
        ("imports.upload", "Import"),
        ("agreements.index", "Agreements"),
        ("statements.index", "Statements"),
    ],
    Role.AGENCY_ADMIN: [
        ("dashboard.home", "Dashboard"),
        ("placements.index", "Placements"),
        ("casework.worklist", "Cases"),
        ("casework.compliance", "Compliance"),
        ("orgs.clients", "Clients"),
        ("agreements.index", "Agreements"),
        ("statements.index", "Statements"),
        ("orgs.users", "Users"),
        ("privacy.audit_trail", "Audit trail"),
    ],
    Role.CASEWORKER: [
        ("dashboard.home", "Dashboard"),
        ("casework.worklist", "My work"),
    ],
}


def nav_items() -> list[tuple[str, str]]:
    if not getattr(current_user, "is_authenticated", False):
        return []
    items = [*NAV[current_user.role], ("auth.change_password", "Password")]
    return [
        (endpoint, label) for endpoint, label in items if endpoint in current_app.view_functions
    ]


def init_app(app: Flask) -> None:
    app.add_template_global(nav_items, "nav_items")
