"""Forms of the bulk handover: the upload, and the column mapping for a plain file."""

from functools import cache

from babel.numbers import list_currencies
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from portal.forms import choices
from portal.imports.readers import FIELD_LABELS, MAPPABLE_FIELDS
from portal.imports.services import DATE_ORDERS, REQUIRED_MAPPING, check_mapping
from portal.models import ImportMapping
from portal.money import currency_name

# The order the mapping step asks in: what every invoice needs, its money, then the debtor.
FIELD_GROUPS = (
    ("The invoice", ("debtor_name", "invoice_number", "issue_date", "due_date", "amount")),
    ("Money", ("paid", "open_balance", "currency", "transaction_type")),
    (
        "The debtor",
        (
            "debtor_kind",
            "account_number",
            "contact_person",
            "email",
            "phone",
            "address",
            "city",
            "country",
            "notes",
        ),
    ),
)
FIELD_HINTS = {
    "paid": "Already paid on the invoice.",
    "open_balance": "What is still owed; paid is worked out from it when there is no paid column.",
    "currency": "Rows without one use the currency chosen on the upload page.",
    "transaction_type": "Invoice, credit memo, payment… Credits and payments reduce the debtor's "
    "invoices.",
    "debtor_kind": "person or company; company when not given.",
    "country": "A code such as KE, or the English name; your own country when not given.",
}
assert {name for _, names in FIELD_GROUPS for name in names} == set(MAPPABLE_FIELDS)


@cache
def currency_choices() -> list[tuple[str, str]]:
    return sorted((code, f"{code} · {currency_name(code)}") for code in list_currencies())


class UploadForm(FlaskForm):
    file = FileField(
        "Your file",
        validators=[FileRequired("Choose a CSV or .xlsx file to upload.")],
    )
    currency = SelectField(
        "Currency",
        description="Used for every row that does not name its own currency.",
    )
    mapping_id = SelectField(
        "Saved column mapping",
        coerce=int,
        validators=[Optional()],
        description="For a plain file laid out like an earlier one. Not needed for QuickBooks "
        "or Xero exports.",
    )

    def setup(self, default_currency: str, mappings: list[ImportMapping]) -> None:
        self.currency.choices = choices(currency_choices())
        if not self.currency.data:
            self.currency.data = default_currency
        self.mapping_id.choices = choices(
            [(0, "None: I will choose the columns"), *((m.id, m.name) for m in mappings)]
        )


class ColumnsForm(FlaskForm):
    """One select per field we can read; the options are the file's own column names."""

    date_order = SelectField(
        "Dates like 03/04/2026 are written",
        choices=choices(DATE_ORDERS.items()),
        default="DMY",
    )
    save_as = StringField(
        "Save this mapping as",
        validators=[Optional(), Length(max=100, message="Keep the name under 100 characters.")],
        description="Optional. Give it a name to reuse it for the next file laid out the same "
        "way; a saved mapping with the same name is replaced.",
    )

    def setup(self, headers: list[str]) -> None:
        self.headers = headers
        options = choices([("", "Not in the file"), *((header, header) for header in headers)])
        for name in MAPPABLE_FIELDS:
            self[name].choices = options

    def prefill(self, columns: dict[str, str], date_order: str | None = None) -> None:
        for name in MAPPABLE_FIELDS:
            self[name].data = columns.get(name, "")
        if date_order:
            self.date_order.data = date_order

    def columns(self) -> dict[str, str]:
        return {name: self[name].data for name in MAPPABLE_FIELDS if self[name].data}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for name, message in check_mapping(self.columns(), self.headers):
            self[name].errors = [*self[name].errors, message]
            valid = False
        return valid


for _name in MAPPABLE_FIELDS:
    setattr(
        ColumnsForm,
        _name,
        SelectField(
            FIELD_LABELS[_name] + (" (required)" if _name in REQUIRED_MAPPING else ""),
            validate_choice=True,
            description=FIELD_HINTS.get(_name, ""),
        ),
    )
