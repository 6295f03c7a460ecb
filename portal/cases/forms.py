"""The case form and the small forms of a case page.

The case form is one page: the debtor (typed or picked), invoice rows, contract terms, history
entries with their files, documents and the checklist. Without JavaScript it renders a few empty
rows and "add another" buttons; empty rows are ignored. `read_case` turns it into the services'
data, putting every problem beside its field; the rules themselves live in `services`.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    Field,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from portal import places
from portal.cases.services import (
    CaseData,
    ChargeTermData,
    DebtorData,
    HistoryData,
    InvoiceData,
    invoice_problems,
    local_today,
)
from portal.documents.services import StagedFile
from portal.errors import DomainError
from portal.forms import ConfirmForm, choices, confirm_box
from portal.models import (
    CHECKLIST_ITEMS,
    Channel,
    ChargeBasis,
    ChargeKind,
    DebtorKind,
    Direction,
    User,
)
from portal.money import MoneyError, is_currency, parse_amount, parse_rate

MAX_MINOR = 10**15  # far above any real invoice, far below the database's limit
MAX_FILES_PER_FIELD = 20
MAX_ADDRESSES = 10
OLDEST_YEAR = 1900

INVOICE_ROWS, MAX_INVOICES = 3, 100
HISTORY_ROWS, MAX_HISTORY = 2, 50
CHARGE_ROWS, MAX_CHARGES = 1, 20
ROW_LISTS = {"add_invoice": "invoices", "add_history": "history", "add_charge": "charge_terms"}


def _clean(value):
    """Text without NUL characters (PostgreSQL refuses them) or surrounding spaces."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


class CleanText:
    """Mixed into a form: every text field is cleaned by `_clean`."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, StringField):
                filters = (*unbound_field.kwargs.get("filters", ()), _clean)
                options = {**options, "filters": filters}
            return unbound_field.bind(form=form, **options)


class TokenListField(Field):
    """Signed tokens of files kept from an earlier, refused submit. The template renders them."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, default=list, **kwargs)
        self.files: list[tuple[str, StagedFile, str]] = []

    def process_formdata(self, valuelist):
        self.data = [v for v in valuelist if isinstance(v, str) and 0 < len(v) <= 4096]
        self.data = self.data[:MAX_FILES_PER_FIELD]


class UploadField(MultipleFileField):
    """Files chosen in this submit. Files refused while staging keep their reason here, so it
    survives the form's validation."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.refused: list[str] = []

    def post_validate(self, form, validation_stopped):
        self.errors = [*self.errors, *self.refused]


class AttachmentFields:
    files = UploadField(
        "Attach files",
        description="PDF, PNG, JPEG, text, e-mail (.eml), Word (.docx) or Excel (.xlsx).",
    )
    staged = TokenListField()
    remove = TokenListField()


def _choice(pairs):
    return choices([("", "Choose…"), *pairs])


CHANNELS = [(c.value, c.label) for c in Channel]
DIRECTIONS = [
    (Direction.OUTBOUND.value, "To the debtor"),
    (Direction.INBOUND.value, "From the debtor"),
]
CHARGE_KINDS = [
    (ChargeKind.LATE_FEE.value, "Late fee"),
    (ChargeKind.INTEREST.value, "Interest"),
    (ChargeKind.COMPENSATION.value, "Fixed compensation"),
]
CHARGE_BASES = [
    (ChargeBasis.CONTRACT.value, "A clause of the contract"),
    (ChargeBasis.STATUTE.value, "The law (e.g. a late payment act)"),
]


def _zones():
    return choices(
        [("", "The country's usual time zone"), *((z, z) for z in places.zone_choices())]
    )


def _countries():
    return choices(places.countries())


class DebtorFields(CleanText, Form):
    kind = SelectField(
        "Person or company",
        default=DebtorKind.COMPANY.value,
        choices=choices(
            [(DebtorKind.COMPANY.value, "A company"), (DebtorKind.PERSON.value, "A person")]
        ),
    )
    name = StringField("Name", validators=[Length(max=200)])
    registration_number = StringField("Company registration number", validators=[Length(max=64)])
    account_number = StringField("Their account number with you", validators=[Length(max=64)])
    contact_person = StringField("Contact person", validators=[Length(max=200)])
    emails = TextAreaField(
        "E-mail addresses", validators=[Length(max=3000)], description="One per line."
    )
    phones = TextAreaField(
        "Phone numbers",
        validators=[Length(max=1000)],
        description="One per line, with the country code: +254 712 345 678.",
    )
    address = TextAreaField("Postal address", validators=[Length(max=1000)])
    country = SelectField("Country", choices=_countries)
    timezone = SelectField(
        "Time zone",
        choices=_zones,
        default="",
        description="The rules of contact run on the debtor's clock.",
    )


class InvoiceRow(CleanText, Form):
    number = StringField("Invoice number", validators=[Length(max=64)])
    issue_date = DateField("Issue date", validators=[Optional()])
    due_date = DateField("Due date", validators=[Optional()])
    amount = StringField("Amount", validators=[Length(max=30)])
    paid = StringField("Already paid", validators=[Length(max=30)])


class ChargeRow(CleanText, Form):
    kind = SelectField("Charge", choices=_choice(CHARGE_KINDS), default="")
    basis = SelectField(
        "Allowed by", choices=choices(CHARGE_BASES), default=ChargeBasis.CONTRACT.value
    )
    clause = StringField(
        "Clause or law",
        validators=[Length(max=300)],
        description="E.g. “clause 7.2” or “Late Payment Act 1998”.",
    )
    fixed = StringField("Fixed amount", validators=[Length(max=30)])
    rate = StringField("Interest per year (%)", validators=[Length(max=12)])


class HistoryFields:
    occurred_at = DateTimeLocalField(
        "Date and time", validators=[Optional()], format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
    )
    channel = SelectField("How", choices=_choice(CHANNELS), default="")
    direction = SelectField(
        "Direction", choices=choices(DIRECTIONS), default=Direction.OUTBOUND.value
    )
    contact_person = StringField("Who (their side)", validators=[Length(max=200)])
    summary = TextAreaField("What was said or sent", validators=[Length(max=5000)])
    outcome = TextAreaField(
        "Outcome",
        validators=[Length(max=2000)],
        description="E.g. promised to pay by the 30th; no answer.",
    )


class HistoryRow(HistoryFields, AttachmentFields, CleanText, Form):
    pass


class DocumentFields(AttachmentFields, CleanText, Form):
    pass


def _checklist_form() -> type[Form]:
    fields = {key: BooleanField(text) for key, text in CHECKLIST_ITEMS.items()}
    return type("ChecklistFields", (Form,), fields)


ChecklistFields = _checklist_form()


class CaseForm(CleanText, FlaskForm):
    debtor_id = SelectField("Debtor", coerce=int, default=0)
    debtor = FormField(DebtorFields)
    currency = StringField(
        "Currency",
        validators=[Length(max=10)],
        description="One currency per case: the ISO code, e.g. KES.",
    )
    invoices = FieldList(FormField(InvoiceRow), min_entries=1, max_entries=MAX_INVOICES)
    contract_reference = StringField(
        "Contract reference",
        validators=[Length(max=200)],
        description="The signed contract or credit terms, e.g. “Supply agreement 2025/14”.",
    )
    charge_terms = FieldList(FormField(ChargeRow), min_entries=1, max_entries=MAX_CHARGES)
    history = FieldList(FormField(HistoryRow), min_entries=1, max_entries=MAX_HISTORY)
    documents = FormField(DocumentFields)
    notes = TextAreaField("Notes for the agency", validators=[Length(max=5000)])
    checklist = FormField(ChecklistFields)

    def validate(self, extra_validators=None) -> bool:
        """As usual, but a picked debtor makes the typed debtor's fields irrelevant."""
        super().validate(extra_validators)
        if self.debtor_id.data:
            for f in self.debtor.form:
                f.errors = []
        return not field_errors(self)


def leaf_fields(form: Form):
    """Every input field of a form, inside sub-forms and row lists too."""
    for f in form:
        if isinstance(f, FormField):
            yield from leaf_fields(f.form)
        elif isinstance(f, FieldList):
            for entry in f.entries:
                yield from leaf_fields(entry.form) if isinstance(entry, FormField) else [entry]
        else:
            yield f


def field_errors(form: Form) -> list[tuple[Field, str]]:
    """(field, message) for every problem on the form, in the order the fields appear."""
    return [
        (f, message) for f in leaf_fields(form) for message in f.errors if isinstance(message, str)
    ]


ROW_TITLES = {
    "invoices": "Invoice",
    "charge_terms": "Charge",
    "history": "New history entry",
    "debtor": "Debtor",
    "documents": "Documents",
    "checklist": "Checklist",
}


def problem_list(form: Form) -> list[tuple[str, str, str]]:
    """(field id, a label that says which row, message) for the summary at the top."""
    problems = []
    for f, message in field_errors(form):
        head, _, rest = f.name.partition("-")
        index, _, _ = rest.partition("-")
        title = ROW_TITLES.get(head) if f.name != head else None
        if title and index.isdigit():
            title = f"{title} {int(index) + 1}"
        label = f"{title}: {f.label.text}" if title and head != "documents" else f.label.text
        problems.append((f.id, label, message))
    return problems


def blank_rows() -> dict[str, Form]:
    """One empty row of each list, named with __index__, for the JavaScript <template>s."""
    return {
        "invoices": InvoiceRow(prefix="invoices-__index__-"),
        "charge_terms": ChargeRow(prefix="charge_terms-__index__-"),
        "history": HistoryRow(prefix="history-__index__-"),
    }


def add_row(form: CaseForm, action: str) -> None:
    """The no-JavaScript "add another" buttons: one more empty row, up to the list's limit."""
    rows: FieldList = getattr(form, ROW_LISTS[action])
    if len(rows.entries) < rows.max_entries:
        rows.append_entry()


def attachment_holders(form: CaseForm) -> list[Form]:
    return [form.documents.form, *(row.form for row in form.history)]


# --- reading the form ----------------------------------------------------------------------


@dataclass
class NewHistory:
    row: Form
    data: HistoryData
    files: list[StagedFile]


@dataclass
class CaseInput:
    case: CaseData
    history: list[NewHistory] = field(default_factory=list)
    documents: list[StagedFile] = field(default_factory=list)


class Reader:
    """Reads fields, noting each problem beside its field; `ok` is False after any."""

    def __init__(self, user: User):
        self.user = user
        self.ok = True

    def fail(self, f: Field, message: str) -> None:
        f.errors = [*f.errors, message]
        self.ok = False

    def text(self, f: Field) -> str:
        return f.data if isinstance(f.data, str) else ""

    def money(self, f: Field, currency: str | None, required: bool = True) -> int | None:
        typed = self.text(f)
        if not typed:
            if required:
                self.fail(f, "Enter an amount.")
            return None
        if currency is None or f.errors:
            return None  # the currency's own error says why
        try:
            minor = parse_amount(typed, currency)
        except MoneyError as error:
            self.fail(f, str(error))
            return None
        if abs(minor) >= MAX_MINOR:
            self.fail(f, "That amount is too large.")
            return None
        return minor

    def day(self, f: Field, what: str) -> date | None:
        if f.errors:
            return None
        if f.data is None:
            self.fail(f, f"Enter the {what}.")
            return None
        if f.data.year < OLDEST_YEAR:
            self.fail(f, "Check the year.")
            return None
        return f.data

    def choice(self, f: Field, enum_cls, message: str):
        """The enum member chosen, or None (with `message` when nothing valid was chosen)."""
        values = {m.value: m for m in enum_cls}
        if f.data in values:
            return values[f.data]
        if not f.errors:
            self.fail(f, message)
        return None


def read_case(form: CaseForm, user: User) -> CaseInput | None:
    """The form's data for `services.save_draft`, or None with every problem beside its field."""
    reader = Reader(user)
    currency = _currency(reader, form.currency)
    debtor = None if form.debtor_id.data else _debtor(reader, form.debtor.form)
    invoices = _invoices(reader, form.invoices, currency)
    terms = _charge_terms(reader, form.charge_terms, currency)
    history = _history(reader, form.history)
    if not reader.ok or currency is None:
        return None
    data = CaseData(
        currency=currency,
        invoices=invoices,
        debtor=debtor,
        debtor_id=form.debtor_id.data or None,
        contract_reference=reader.text(form.contract_reference),
        notes=reader.text(form.notes),
        charge_terms=terms,
        checklist={key: bool(form.checklist.form[key].data) for key in CHECKLIST_ITEMS},
    )
    documents = [staged for _, staged, _ in form.documents.form.staged.files]
    return CaseInput(case=data, history=history, documents=documents)


def _currency(reader: Reader, f: Field) -> str | None:
    code = reader.text(f).upper()
    if not code:
        reader.fail(f, "Enter the currency, e.g. KES.")
    elif not is_currency(code):
        reader.fail(f, f"“{reader.text(f)}” is not a currency code we know (ISO 4217, e.g. KES).")
    else:
        return code
    return None


def _debtor(reader: Reader, d: DebtorFields) -> DebtorData | None:
    if not reader.text(d.name):
        reader.fail(d.name, "Enter the debtor's name, or pick a debtor you already have.")
    emails = _emails(reader, d.emails)
    phones = _phones(reader, d.phones)
    country = d.country.data if places.is_country(d.country.data or "") else None
    if country is None and not d.country.errors:
        reader.fail(d.country, "Choose the debtor's country.")
    kind = reader.choice(d.kind, DebtorKind, "Choose a person or a company.")
    if not reader.ok or country is None or kind is None:
        return None
    return DebtorData(
        kind=kind,
        name=reader.text(d.name),
        country=country,
        timezone=d.timezone.data or places.default_zone(country),
        registration_number=reader.text(d.registration_number),
        account_number=reader.text(d.account_number),
        contact_person=reader.text(d.contact_person),
        emails=emails,
        phones=phones,
        address=reader.text(d.address),
    )


def _lines(text: str) -> list[str]:
    parts = text.replace(";", "\n").replace(",", "\n").splitlines()
    return [p.strip() for p in parts if p.strip()]


def _emails(reader: Reader, f: Field) -> list[str]:
    found = []
    for typed in _lines(reader.text(f)):
        try:
            found.append(validate_email(typed, check_deliverability=False).normalized)
        except EmailNotValidError:
            reader.fail(f, f"“{typed[:80]}” is not an e-mail address.")
    if len(found) > MAX_ADDRESSES:
        reader.fail(f, f"Give at most {MAX_ADDRESSES} e-mail addresses.")
    return found


_PHONE_CHARS = frozenset("0123456789+()-./ ")


def _phones(reader: Reader, f: Field) -> list[str]:
    found = []
    for typed in reader.text(f).splitlines():
        typed = " ".join(typed.split())
        digit_count = sum(ch.isdigit() for ch in typed)
        if not typed:
            continue
        if set(typed) <= _PHONE_CHARS and 5 <= digit_count <= 20 and "+" not in typed[1:]:
            found.append(typed)
        else:
            reader.fail(
                f,
                f"“{typed[:40]}” is not a phone number: use digits, spaces and "
                "+ ( ) -, one number per line.",
            )
    if len(found) > MAX_ADDRESSES:
        reader.fail(f, f"Give at most {MAX_ADDRESSES} phone numbers.")
    return found


def _blank(*fields: Field) -> bool:
    for f in fields:
        raw = f.raw_data if f.raw_data is not None else [f.data]
        if any(isinstance(v, str) and v.strip() for v in raw):
            return False
    return True


def _invoices(reader: Reader, rows: FieldList, currency: str | None) -> list[InvoiceData]:
    filled = [
        row.form
        for row in rows
        if not _blank(row.number, row.issue_date, row.due_date, row.amount, row.paid)
    ]
    if not filled:
        reader.fail(rows.entries[0].form.number, "Enter at least one invoice.")
        return []
    parsed = [_invoice(reader, row, currency) for row in filled]
    if None in parsed:
        return []
    for index, name, message in invoice_problems(parsed, local_today(reader.user)):
        reader.fail(filled[index][name], message)
    return parsed


def _invoice(reader: Reader, row: InvoiceRow, currency: str | None) -> InvoiceData | None:
    ok = reader.ok
    reader.ok = True
    number = reader.text(row.number)
    if not number:
        reader.fail(row.number, "Enter the invoice number.")
    issued = reader.day(row.issue_date, "issue date")
    due = reader.day(row.due_date, "due date")
    amount = reader.money(row.amount, currency)
    paid = reader.money(row.paid, currency, required=False)
    row_ok, reader.ok = reader.ok, ok and reader.ok
    if not row_ok or None in (issued, due, amount):
        return None
    return InvoiceData(
        number=number, issue_date=issued, due_date=due, amount_minor=amount, paid_minor=paid or 0
    )


def _charge_terms(reader: Reader, rows: FieldList, currency: str | None) -> list[ChargeTermData]:
    terms = []
    for row in (r.form for r in rows):
        if _blank(row.kind, row.clause, row.fixed, row.rate):
            continue
        term = _charge_term(reader, row, currency)
        if term is not None:
            terms.append(term)
    return terms


def _charge_term(reader: Reader, row: ChargeRow, currency: str | None) -> ChargeTermData | None:
    kind = reader.choice(row.kind, ChargeKind, "Choose the kind of charge.")
    basis = reader.choice(row.basis, ChargeBasis, "Choose what allows the charge.")
    fixed = reader.money(row.fixed, currency, required=False)
    if fixed is not None and fixed <= 0:
        reader.fail(row.fixed, "The amount must be more than zero.")
    rate = None
    if reader.text(row.rate):
        try:
            rate = parse_rate(reader.text(row.rate))
        except MoneyError as error:
            reader.fail(row.rate, str(error))
    if kind == ChargeKind.INTEREST and rate is None and not row.rate.errors:
        reader.fail(row.rate, "Interest needs a yearly rate.")
    elif fixed is None and rate is None and not (row.fixed.errors or row.rate.errors):
        reader.fail(row.fixed, "Give a fixed amount or a yearly rate.")
    if row.errors or kind is None or basis is None:
        return None
    return ChargeTermData(
        kind=kind,
        basis=basis,
        clause=reader.text(row.clause),
        fixed_minor=fixed,
        annual_rate_bps=rate,
    )


def _history(reader: Reader, rows: FieldList) -> list[NewHistory]:
    entries = []
    for row in (r.form for r in rows):
        files = [staged for _, staged, _ in row.staged.files]
        if (
            not files
            and not row.files.refused
            and _blank(row.occurred_at, row.channel, row.contact_person, row.summary, row.outcome)
        ):
            continue
        data = read_history(reader, row)
        if data is not None:
            entries.append(NewHistory(row=row, data=data, files=files))
    return entries


def read_history(reader: Reader, row: HistoryFields) -> HistoryData | None:
    """One history entry: its time typed in the user's zone becomes UTC."""
    occurred = _moment(reader, row.occurred_at)
    channel = reader.choice(row.channel, Channel, "Choose how the contact was made.")
    direction = reader.choice(row.direction, Direction, "Choose the direction.")
    if not reader.text(row.summary) and not row.summary.errors:
        reader.fail(row.summary, "Say what was said or sent.")
    if (
        None in (occurred, channel, direction)
        or not reader.text(row.summary)
        or any(f.errors for f in (row.summary, row.contact_person, row.outcome))
    ):
        return None
    return HistoryData(
        occurred_at=occurred,
        channel=channel,
        direction=direction,
        summary=reader.text(row.summary),
        contact_person=reader.text(row.contact_person),
        outcome=reader.text(row.outcome),
    )


def _moment(reader: Reader, f: Field) -> datetime | None:
    if f.errors:
        return None
    if f.data is None:
        reader.fail(f, "Enter the date and time of the contact.")
        return None
    zone = ZoneInfo(reader.user.zone)
    now_local = datetime.now(zone).replace(tzinfo=None)
    if f.data.year < OLDEST_YEAR:
        reader.fail(f, "Check the year.")
    elif f.data > now_local + timedelta(minutes=5):
        reader.fail(f, "This is in the future: record contacts that have happened.")
    else:
        return f.data.replace(tzinfo=zone).astimezone(UTC)
    return None


def typed_outstanding(form: CaseForm) -> int | None:
    """What the typed invoice rows add up to (rows that cannot be read count as nothing)."""
    code = (form.currency.data or "").strip().upper()
    if not is_currency(code):
        return None
    total = 0
    for row in (r.form for r in form.invoices):
        amount, paid = _lenient(row.amount.data, code), _lenient(row.paid.data, code)
        if amount is not None:
            total += amount - (paid or 0)
    return total


def _lenient(text, currency: str) -> int | None:
    try:
        minor = parse_amount(text, currency) if isinstance(text, str) and text.strip() else None
    except MoneyError:
        return None
    return minor if minor is not None and abs(minor) < MAX_MINOR else None


# --- placing an error a service raised ------------------------------------------------------


def find_field(form: Form, name: str) -> Field | None:
    """The field (at any depth) whose HTML name is `name`."""
    return next((f for f in leaf_fields(form) if f.name == name), None)


def place_error(form: Form, error: DomainError, prefix: str = "") -> bool:
    """Put a service's message beside the field it names; False when there is none."""
    target = find_field(form, prefix + error.field) if error.field else None
    if target is None:
        return False
    target.errors = [*target.errors, error.message]
    return True


# --- prefilling ---------------------------------------------------------------------------


def data_from_case(case, debtor_shared: bool) -> dict:
    """A draft's values as the form shows them for editing."""
    from portal.money import plain_amount

    d = case.debtor
    data = {
        "currency": case.currency,
        "contract_reference": case.contract_reference,
        "notes": case.notes,
        "checklist": dict(case.checklist or {}),
        "invoices": [
            {
                "number": i.number,
                "issue_date": i.issue_date,
                "due_date": i.due_date,
                "amount": plain_amount(i.amount_minor, case.currency),
                "paid": plain_amount(i.paid_minor, case.currency) if i.paid_minor else "",
            }
            for i in case.invoices
        ],
        "charge_terms": [
            {
                "kind": t.kind.value,
                "basis": t.basis.value,
                "clause": t.clause,
                "fixed": plain_amount(t.fixed_minor, case.currency)
                if t.fixed_minor is not None
                else "",
                "rate": _percent(t.annual_rate_bps),
            }
            for t in case.charge_terms
        ],
    }
    if debtor_shared:
        data["debtor_id"] = d.id
        data["debtor"] = {"country": d.country}
    else:
        data["debtor"] = {
            "kind": d.kind.value,
            "name": d.name,
            "registration_number": d.registration_number,
            "account_number": d.account_number,
            "contact_person": d.contact_person,
            "emails": "\n".join(d.emails or []),
            "phones": "\n".join(d.phones or []),
            "address": d.address,
            "country": d.country,
            "timezone": d.timezone,
        }
    return data


def _percent(bps: int | None) -> str:
    if bps is None:
        return ""
    whole, rest = divmod(bps, 100)
    return f"{whole}" if not rest else f"{whole}.{rest:02d}".rstrip("0")


# --- the small forms of a case page --------------------------------------------------------


def delete_draft_form(**kwargs) -> ConfirmForm:
    return ConfirmForm("delete", "Yes, delete this draft with its history and documents", **kwargs)


class SubmitCaseForm(FlaskForm):
    agreement_id = SelectField(
        "Agency",
        coerce=int,
        default=0,
        validators=[DataRequired("Choose the agency to place it with.")],
    )


class WithdrawForm(CleanText, FlaskForm):
    reason = TextAreaField(
        "Why are you withdrawing it?",
        validators=[DataRequired("Say why the case is withdrawn."), Length(max=2000)],
        description="The agency sees this, e.g. “the debtor paid us”.",
    )
    confirm = confirm_box("Yes, withdraw this case: it closes as withdrawn")


class AnswerForm(CleanText, FlaskForm):
    answer = TextAreaField(
        "Your answer", validators=[DataRequired("Write your answer."), Length(max=10000)]
    )


def own_ids(form: FlaskForm, prefix: str) -> None:
    """Give the form's fields ids of their own (`prefix-name`), names unchanged, so several
    forms share the case page without two elements having one id."""
    for item in form:
        if item.type != "CSRFTokenField":
            item.id = f"{prefix}-{item.id}"
            item.label.field_id = item.id


class AddHistoryForm(HistoryFields, AttachmentFields, CleanText, FlaskForm):
    """One more history entry on a case already handed over."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        own_ids(self, "history")
