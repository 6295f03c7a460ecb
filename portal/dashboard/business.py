"""The business's dashboard: where its money stands, per currency and per agency."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select

from portal.dashboard import services as s
from portal.extensions import db
from portal.models import (
    Agreement,
    AgreementStatus,
    Case,
    CaseStatus,
    CollectionMonth,
    Organisation,
    User,
)
from portal.tenancy import scope


@dataclass
class MoneyLine:
    """Placed, recovered, fees and net for one currency (one agency, or all of them)."""

    currency: str
    cases: int = 0
    open_cases: int = 0
    placed: int = 0
    recovered: int = 0
    fees: int = 0  # the agency's fee and the tax on it
    net: int = 0
    paid_cases: int = 0  # cases with a first payment
    days_total: float = 0.0

    @property
    def rate_bps(self) -> int | None:
        return s.rate_bps(self.recovered, self.placed)

    @property
    def average_days(self) -> float | None:
        return round(self.days_total / self.paid_cases, 1) if self.paid_cases else None

    def add(self, other: "MoneyLine") -> None:
        for name in (
            "cases",
            "open_cases",
            "placed",
            "recovered",
            "fees",
            "net",
            "paid_cases",
            "days_total",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class AgencyLine:
    agency_id: int
    name: str
    lines: list[MoneyLine] = field(default_factory=list)


@dataclass
class AgeLine:
    bucket: s.Bucket
    amounts: dict[str, tuple[int, int]]  # currency -> (cases, balance)


@dataclass
class MonthBar:
    start: date
    amount: int


@dataclass
class BusinessDashboard:
    today: date
    status_counts: dict[CaseStatus, int]
    totals: list[MoneyLine]  # one per currency
    agencies: list[AgencyLine]
    ages: list[AgeLine]
    age_currencies: list[str]
    months: dict[str, list[MonthBar]]  # currency -> 12 bars, oldest first
    active_agreements: int
    proposed_agreements: int

    @property
    def case_count(self) -> int:
        return sum(self.status_counts.values())

    @property
    def days_overall(self) -> float | None:
        paid = sum(t.paid_cases for t in self.totals)
        return round(sum(t.days_total for t in self.totals) / paid, 1) if paid else None


def dashboard(user: User, today: date) -> BusinessDashboard:
    """Every figure of the business dashboard as seen by `user` on `today` (their local date)."""
    totals, agencies = money_by_agency(user)
    ages, age_currencies = open_balances_by_age(user, today)
    active, proposed = agreement_counts(user)
    return BusinessDashboard(
        today=today,
        status_counts=status_counts(user),
        totals=totals,
        agencies=agencies,
        ages=ages,
        age_currencies=age_currencies,
        months=recoveries_by_month(user, today),
        active_agreements=active,
        proposed_agreements=proposed,
    )


def status_counts(user: User) -> dict[CaseStatus, int]:
    """How many cases in each status, every status present (zeros included)."""
    rows = db.session.execute(
        select(Case.status, func.count(Case.id)).where(scope(Case, user)).group_by(Case.status)
    ).all()
    counts = dict.fromkeys(CaseStatus, 0)
    counts.update(dict(rows))
    return counts


def money_by_agency(user: User) -> tuple[list[MoneyLine], list[AgencyLine]]:
    """Placed, recovered, fees, net and days to first payment, by agency and currency.

    One grouped query; the per-currency totals add up the (few) agency rows of each currency.
    """
    rec = s.recovery_sums(user)
    is_open = func.sum(case((Case.status.in_(s.OPEN), 1), else_=0))
    days = s.days_to_first_payment(rec.c.first_paid)
    rows = db.session.execute(
        select(
            Case.agency_id,
            Organisation.name,
            Case.currency,
            func.count(Case.id),
            is_open,
            func.sum(Case.placement_balance_minor),
            func.sum(rec.c.recovered),
            func.sum(rec.c.fee + rec.c.tax),
            func.sum(rec.c.net),
            func.count(rec.c.first_paid),
            func.sum(days),
        )
        .join(Organisation, Organisation.id == Case.agency_id)
        .outerjoin(rec, rec.c.case_id == Case.id)
        .where(scope(Case, user), s.placed())
        .group_by(Case.agency_id, Organisation.name, Case.currency)
        .order_by(Organisation.name, Case.agency_id, Case.currency)
    ).all()
    agencies: dict[int, AgencyLine] = {}
    totals: dict[str, MoneyLine] = {}
    for agency_id, name, currency, n, n_open, placed, rec_, fees, net, paid, days_ in rows:
        line = MoneyLine(
            currency,
            n,
            s.as_int(n_open),
            s.as_int(placed),
            s.as_int(rec_),
            s.as_int(fees),
            s.as_int(net),
            paid,
            float(days_ or 0),
        )
        agencies.setdefault(agency_id, AgencyLine(agency_id, name)).lines.append(line)
        totals.setdefault(currency, MoneyLine(currency)).add(line)
    return sorted(totals.values(), key=lambda t: t.currency), list(agencies.values())


def open_balances_by_age(user: User, today: date) -> tuple[list[AgeLine], list[str]]:
    """Open cases' balances by days past due of their oldest unpaid invoice, per currency."""
    due = s.oldest_unpaid(user)
    bucket = s.age_bucket(due.c.oldest_due, today)
    rows = db.session.execute(
        select(bucket, Case.currency, func.count(Case.id), func.sum(Case.balance_minor))
        .outerjoin(due, due.c.case_id == Case.id)
        .where(scope(Case, user), Case.status.in_(s.OPEN))
        .group_by(bucket, Case.currency)
    ).all()
    found = {(index, currency): (n, s.as_int(total)) for index, currency, n, total in rows}
    currencies = sorted({currency for _, currency in found})
    ages = [
        AgeLine(b, {c: found.get((i, c), (0, 0)) for c in currencies})
        for i, b in enumerate(s.BUCKETS)
    ]
    return ages, currencies


def recoveries_by_month(user: User, today: date) -> dict[str, list[MonthBar]]:
    """Money recovered in each of the last 12 months (this one included), per currency, from
    the monthly sums the ledger keeps (portal/ledger/collections.py; a payment is never dated
    after the day it is recorded)."""
    starts = s.last_months(today)
    index = s.month_index(CollectionMonth.month, starts)
    rows = db.session.execute(
        select(index, CollectionMonth.currency, func.sum(CollectionMonth.amount_minor))
        .where(
            scope(CollectionMonth, user),
            CollectionMonth.month >= starts[0],
            CollectionMonth.month <= today,
        )
        .group_by(index, CollectionMonth.currency)
    ).all()
    found = {(i, currency): s.as_int(total) for i, currency, total in rows}
    return {
        currency: [MonthBar(start, found.get((i, currency), 0)) for i, start in enumerate(starts)]
        for currency in sorted({c for _, c in found})
    }


def agreement_counts(user: User) -> tuple[int, int]:
    """(active, proposed) agreements of the user's organisation."""
    rows = dict(
        db.session.execute(
            select(Agreement.status, func.count(Agreement.id))
            .where(scope(Agreement, user))
            .group_by(Agreement.status)
        ).all()
    )
    return rows.get(AgreementStatus.ACTIVE, 0), rows.get(AgreementStatus.PROPOSED, 0)
