"""Build the benchmark's data set with bulk inserts (SQLAlchemy Core `insert()` executemany).

At scale 1: 3 agencies, 200 businesses, 100,000 cases across every state, 300,000 invoices,
1,000,000 correspondence (history) entries, 200,000 recoveries, 2,000 remittance statements, with
the arrangements, disputes and events that go with them. Every row keeps the models' CHECK
constraints (a closed case has a close code, a placed one a reference, net = gross - fee - tax).

Two rows are planted for the figures: one case with 2,000 history entries and 200 invoices (the
case file), and one statement of 5,000 recoveries. Those keep their size at scale 0.1 and above
and shrink with the scale below it, so `BENCH_SCALE=0.01` stays a quick run.

    python -m bench.generate --scale 0.1 --database-url sqlite:////tmp/portal-bench/b.sqlite

The schema comes from the migrations (`flask db upgrade`), never from `create_all`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, insert, text

from portal.auth.passwords import hash_password
from portal.casework import promises
from portal.ledger import collections, totals
from portal.models import (
    CHECKLIST_ITEMS,
    AgeUplift,
    Agreement,
    Arrangement,
    Case,
    CaseSequence,
    CorrespondenceEntry,
    Debtor,
    Dispute,
    Event,
    FeeBand,
    Instalment,
    Invoice,
    Organisation,
    Recovery,
    Statement,
    StatementLine,
    User,
)

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-1"
CHUNK = 20_000
ID_TABLES = (
    "organisations",
    "users",
    "agreements",
    "debtors",
    "cases",
    "arrangements",
    "recoveries",
    "statements",
)
FULL = {
    "businesses": 200,
    "cases": 100_000,
    "invoices": 300_000,
    "history": 1_000_000,
    "recoveries": 200_000,
    "statements": 2_000,
}
LONG_HISTORY, LONG_INVOICES, BIG_STATEMENT = 2_000, 200, 5_000
AGENCIES = ("Harbour Recovery Partners", "Summit Credit Control", "Lakeside Collections")
CASEWORKERS = (20, 6, 4)
# Share of cases in each state (draft .. closed): every state is present.
STATES = {
    "draft": 5,
    "submitted": 4,
    "info_requested": 1,
    "accepted": 5,
    "in_collection": 35,
    "payment_plan": 8,
    "on_hold": 2,
    "in_legal": 3,
    "closed": 37,
}
CLOSE_CODES = {
    "paid_in_full": 30,
    "settled": 15,
    "insolvent": 8,
    "untraceable": 8,
    "deceased": 2,
    "statute_barred": 2,
    "returned": 10,
    "withdrawn": 10,
    "rejected": 15,
}
NEVER_ACCEPTED = {"draft", "submitted", "info_requested"}
NEVER_WORKED = {"withdrawn", "rejected"}
CHANNELS = ("phone", "email", "letter", "sms", "visit", "other")
OUTCOMES = (
    "no_answer",
    "message_left",
    "conversation",
    "promise_to_pay",
    "refusal",
    "wrong_number",
)
WORDS = (
    "Acacia",
    "Baobab",
    "Cedar",
    "Delta",
    "Ember",
    "Falcon",
    "Granite",
    "Harbor",
    "Indigo",
    "Jasper",
    "Kestrel",
    "Lantern",
    "Meadow",
    "Nimbus",
    "Onyx",
    "Pioneer",
    "Quarry",
    "Rift",
    "Savanna",
    "Tana",
    "Umoja",
    "Valley",
    "Willow",
    "Zephyr",
)
KINDS = ("Ltd", "Traders", "Supplies", "Hardware", "Logistics", "Foods", "Motors", "Clinic")


@dataclass
class Sizes:
    scale: float
    businesses: int
    cases: int
    invoices: int
    history: int
    recoveries: int
    statements: int
    long_history: int
    long_invoices: int
    big_statement: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        if scale <= 0:
            raise ValueError("the scale must be positive")
        planted = min(1.0, scale * 10)
        full = {k: max(1, round(v * scale)) for k, v in FULL.items()}
        full["businesses"] = max(10, full["businesses"]) if scale < 1 else full["businesses"]
        return cls(
            scale=scale,
            **full,
            long_history=max(20, round(LONG_HISTORY * planted)),
            long_invoices=max(5, round(LONG_INVOICES * planted)),
            big_statement=max(50, round(BIG_STATEMENT * planted)),
        )


@dataclass
class World:
    """What later tables need to know of earlier ones (ids, dates, who works where)."""

    now: datetime
    rng: random.Random
    agencies: list[int] = field(default_factory=list)
    agency_admins: dict[int, int] = field(default_factory=dict)
    caseworkers: dict[int, list[int]] = field(default_factory=dict)
    businesses: list[int] = field(default_factory=list)
    business_admins: dict[int, int] = field(default_factory=dict)
    prefixes: dict[int, str] = field(default_factory=dict)
    main_agency: dict[int, int] = field(default_factory=dict)
    agreement_of: dict[tuple[int, int], int] = field(default_factory=dict)
    agreement_tax: dict[int, int] = field(default_factory=dict)
    agreement_mode: dict[int, str] = field(default_factory=dict)
    cases: list[tuple] = field(default_factory=list)  # see CaseInfo fields
    long_case_id: int = 0
    big_business: int = 0
    recoveries_by_agreement: dict[int, list[tuple]] = field(
        default_factory=lambda: defaultdict(list)
    )
    next_recovery_id: int = 1
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))


# A case as later tables see it: id, business, agency, agreement, status, close code, created,
# submitted, accepted, closed, fee rate, caseworker, reference, debtor name.
C_ID, C_BUS, C_AG, C_AGR, C_STATUS, C_CODE, C_CREATED, C_SUB, C_ACC, C_CLOSED = range(10)
C_RATE, C_WORKER, C_REF, C_DEBTOR = range(10, 14)


def _weighted(rng: random.Random, table: dict[str, int]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def _insert(conn: Connection, world: World, model, rows: Iterable[dict]) -> int:
    """executemany in chunks: memory stays flat whatever the table's size."""
    stmt = insert(model.__table__)
    batch: list[dict] = []
    total = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            conn.execute(stmt, batch)
            total += len(batch)
            batch = []
    if batch:
        conn.execute(stmt, batch)
        total += len(batch)
    world.counts[model.__tablename__] += total
    return total


# --- organisations, people, agreements ----------------------------------------------------------


def organisations(conn: Connection, world: World, sizes: Sizes) -> None:
    rows = []
    for i, name in enumerate(AGENCIES, start=1):
        world.agencies.append(i)
        rows.append(_org(i, "agency", name, None))
    for n in range(sizes.businesses):
        ident = len(AGENCIES) + 1 + n
        world.businesses.append(ident)
        world.prefixes[ident] = f"B{n:03d}"
        name = f"{WORDS[n % len(WORDS)]} {KINDS[n % len(KINDS)]} {n:03d}"
        rows.append(_org(ident, "business", name, f"B{n:03d}"))
        # Most clients work with the first agency: it holds most of the cases.
        share = n / sizes.businesses
        world.main_agency[ident] = 1 if share < 0.6 else (2 if share < 0.8 else 3)
    world.big_business = world.businesses[0]
    _insert(conn, world, Organisation, rows)


def _org(ident: int, kind: str, name: str, prefix: str | None) -> dict:
    return {
        "id": ident,
        "kind": kind,
        "name": name,
        "country": "KE",
        "timezone": "Africa/Nairobi",
        "currency": "KES",
        "address": f"{ident} Moi Avenue, Nairobi",
        "registration_number": f"PVT-{ident:06d}",
        "case_prefix": prefix,
        "invited_by_id": None,
        "created_at": datetime(2024, 1, 1, tzinfo=UTC),
    }


def users(conn: Connection, world: World) -> None:
    password_hash = hash_password(PASSWORD)
    rows = []

    def add(org: int, email: str, name: str, role: str) -> int:
        ident = len(rows) + 1
        rows.append(
            {
                "id": ident,
                "organisation_id": org,
                "email": email,
                "name": name,
                "role": role,
                "password_hash": password_hash,
                "active": True,
                "failed_logins": 0,
                "timezone": None,
            }
        )
        return ident

    for agency, workers in zip(world.agencies, CASEWORKERS, strict=True):
        world.agency_admins[agency] = add(
            agency, f"admin@agency{agency}.example", f"Admin {agency}", "agency_admin"
        )
        world.caseworkers[agency] = [
            add(agency, f"worker{k}@agency{agency}.example", f"Worker {agency}.{k}", "caseworker")
            for k in range(workers)
        ]
    for business in world.businesses:
        world.business_admins[business] = add(
            business, f"admin@business{business}.example", f"Owner {business}", "business_admin"
        )
        add(business, f"clerk@business{business}.example", f"Clerk {business}", "business_member")
    _insert(conn, world, User, rows)


def agreements(conn: Connection, world: World) -> None:
    rows, bands, uplifts = [], [], []
    signed = datetime(2024, 1, 15, 9, 0, tzinfo=UTC)
    for n, business in enumerate(world.businesses):
        parties = [world.main_agency[business]]
        if n % 10 == 5:  # some clients use a second agency
            parties.append(1 if parties[0] != 1 else 2)
        for agency in parties:
            ident = len(rows) + 1
            world.agreement_of[(business, agency)] = ident
            tax = 1600 if n % 3 == 0 else None
            mode = "gross" if n % 4 == 0 else "net"
            world.agreement_tax[ident] = tax or 0
            world.agreement_mode[ident] = mode
            rows.append(
                {
                    "id": ident,
                    "business_id": business,
                    "agency_id": agency,
                    "status": "active",
                    "currency": "KES",
                    "fee_tax_bps": tax,
                    "remittance_mode": mode,
                    "agency_accepted_by_id": world.agency_admins[agency],
                    "agency_accepted_at": signed,
                    "agency_signature": f"Admin {agency}",
                    "business_accepted_by_id": world.business_admins[business],
                    "business_accepted_at": signed,
                    "business_signature": f"Owner {business}",
                    "created_at": signed,
                }
            )
            for low, rate in ((0, 3000), (100_000, 2000), (800_000, 1500)):
                bands.append({"agreement_id": ident, "min_balance_minor": low, "rate_bps": rate})
            uplifts.append({"agreement_id": ident, "min_age_days": 365, "uplift_bps": 1000})
    _insert(conn, world, Agreement, rows)
    _insert(conn, world, FeeBand, bands)
    _insert(conn, world, AgeUplift, uplifts)


# --- cases, debtors, invoices -------------------------------------------------------------------


def _pick_business(world: World, rng: random.Random) -> int:
    if rng.random() < 0.05:
        return world.big_business
    agency = rng.choices((1, 2, 3), weights=(85, 10, 5))[0]
    choices = [b for b in world.businesses[1:] if world.main_agency[b] == agency]
    return rng.choice(choices or world.businesses)


def _timeline(world: World, status: str, code: str | None):
    """created, submitted, accepted, closed: in order, never after now."""
    rng, now = world.rng, world.now
    created = now - timedelta(days=rng.uniform(2, 900), seconds=rng.randrange(86_400))
    if status == "draft":
        return created, None, None, None
    submitted = min(now, created + timedelta(days=rng.uniform(0.1, 5)))
    accepted = closed = None
    if status not in NEVER_ACCEPTED and code not in NEVER_WORKED:
        accepted = min(now, submitted + timedelta(days=rng.uniform(0.1, 4)))
    if status == "closed":
        closed = min(now, (accepted or submitted) + timedelta(days=rng.uniform(1, 300)))
    return created, submitted, accepted, closed


def cases(conn: Connection, world: World, sizes: Sizes) -> None:
    """Debtors, cases and invoices together: the placement balance is the invoices' sum."""
    rng = world.rng
    counters: dict[int, int] = defaultdict(int)
    sequences: dict[tuple[int, int], int] = {}
    per_case = max(1.0, (sizes.invoices - sizes.long_invoices) / max(1, sizes.cases - 1))
    debtors, case_rows, invoice_rows = [], [], []
    long_at = sizes.cases // 2 or 1
    for ident in range(1, sizes.cases + 1):
        long = ident == long_at
        business = world.big_business if long else _pick_business(world, rng)
        status = "in_collection" if long else _weighted(rng, STATES)
        code = _weighted(rng, CLOSE_CODES) if status == "closed" else None
        created, submitted, accepted, closed = _timeline(world, status, code)
        agency = world.main_agency[business]
        count = sizes.long_invoices if long else _around(rng, per_case)
        invoices = list(_invoices(rng, ident, count, created))
        outstanding = sum(i["amount_minor"] - i["paid_minor"] for i in invoices)
        oldest = min(i["due_date"] for i in invoices)
        name = f"{rng.choice(WORDS)} {rng.choice(KINDS)} {ident}"
        debtors.append(_debtor(ident, business, name, created))
        reference = None
        if status != "draft":
            counters[business] += 1
            year = submitted.year
            reference = f"{world.prefixes[business]}-{year}-{counters[business]:05d}"
            sequences[(business, year)] = counters[business]
        rate = (3000 if outstanding < 100_000 else 2000) if accepted else None
        worker = rng.choice(world.caseworkers[agency]) if accepted else None
        row = _case_row(
            ident, business, agency, status, code, reference, created, submitted, accepted, closed
        )
        row.update(
            currency="KES",
            placement_balance_minor=outstanding if submitted else None,
            debt_age_days_at_placement=(submitted.date() - oldest).days if submitted else None,
            fee_rate_bps=rate,
            fee_rate_explanation=f"Band {rate / 100:.0f} %" if rate else None,
            assigned_to_id=worker,
            next_action_on=_next_action(world, status),
            created_by_id=world.business_admins[business],
        )
        case_rows.append(row)
        invoice_rows.extend(invoices)
        agreement = world.agreement_of[(business, agency)] if submitted else None
        world.cases.append(
            (
                ident,
                business,
                agency,
                agreement,
                status,
                code,
                created,
                submitted,
                accepted,
                closed,
                rate,
                worker,
                reference,
                name,
            )
        )
        if long:
            world.long_case_id = ident
        if len(case_rows) >= CHUNK:
            _flush_cases(conn, world, debtors, case_rows, invoice_rows)
    _flush_cases(conn, world, debtors, case_rows, invoice_rows)
    _insert(
        conn,
        world,
        CaseSequence,
        ({"business_id": b, "year": y, "last_value": v} for (b, y), v in sequences.items()),
    )


def _flush_cases(conn, world, debtors: list, case_rows: list, invoice_rows: list) -> None:
    _insert(conn, world, Debtor, debtors)
    _insert(conn, world, Case, case_rows)
    _insert(conn, world, Invoice, invoice_rows)
    debtors.clear()
    case_rows.clear()
    invoice_rows.clear()


def _around(rng: random.Random, mean: float) -> int:
    """A whole number from 1 up whose average is `mean`."""
    low = max(1, int(mean) - 2)
    high = max(low, round(2 * mean - low))
    return rng.randint(low, high)


def _invoices(rng: random.Random, case_id: int, count: int, created: datetime) -> Iterator[dict]:
    for j in range(count):
        issued = created.date() - timedelta(days=rng.randint(40, 500))
        amount = rng.randint(5_000, 2_000_000)
        paid = 0 if rng.random() < 0.7 else rng.randint(0, amount // 2)
        yield {
            "case_id": case_id,
            "number": f"INV-{case_id}-{j + 1:03d}",
            "issue_date": issued,
            "due_date": issued + timedelta(days=30),
            "amount_minor": amount,
            "paid_minor": paid,
        }


def _debtor(ident: int, business: int, name: str, created: datetime) -> dict:
    company = ident % 3 != 0
    return {
        "id": ident,
        "business_id": business,
        "kind": "company" if company else "person",
        "name": name,
        "registration_number": f"PVT-{ident:07d}" if company else "",
        "account_number": f"ACC-{ident:07d}",
        "contact_person": f"Contact {ident}",
        "emails": [f"accounts{ident}@debtor.example"],
        "phones": [f"+2547{ident % 100_000_000:08d}"],
        "address": f"P.O. Box {ident}, Nairobi",
        "country": "KE",
        "timezone": "Africa/Nairobi",
        "created_at": created,
    }


def _case_row(
    ident, business, agency, status, code, reference, created, submitted, accepted, closed
):
    changed = closed or accepted or submitted or created
    return {
        "id": ident,
        "business_id": business,
        "debtor_id": ident,
        "agency_id": agency if submitted else None,
        "agreement_id": None,  # set below in _link_agreements (needs the agreement map)
        "reference": reference,
        "status": status,
        "close_code": code,
        "contract_reference": f"CTR-{ident}",
        "notes": "",
        "checklist": dict.fromkeys(CHECKLIST_ITEMS, True),
        "checklist_confirmed_at": submitted,
        "submitted_at": submitted,
        "answer_due_at": submitted + timedelta(days=5) if submitted else None,
        "accepted_at": accepted,
        "exclusivity_until": (accepted + timedelta(days=182)).date() if accepted else None,
        "closed_at": closed,
        "rejection_reason": "outside_scope" if code == "rejected" else None,
        "created_at": created,
        "updated_at": changed,
        "debtor_profile": None,
    }


def _next_action(world: World, status: str) -> date | None:
    if status in ("accepted", "in_collection", "payment_plan", "in_legal", "on_hold"):
        return world.now.date() + timedelta(days=world.rng.randint(-20, 30))
    return None


def link_agreements(conn: Connection) -> None:
    """Each placed case points at its business's agreement with its agency."""
    conn.execute(
        text(
            "UPDATE cases SET agreement_id = (SELECT a.id FROM agreements a "
            "WHERE a.business_id = cases.business_id AND a.agency_id = cases.agency_id) "
            "WHERE agency_id IS NOT NULL"
        )
    )


# --- history, events, disputes, arrangements ---------------------------------------------------


# Contacts made against the rules of contact, with an override reason: a few in a thousand.
BREACH_SHARE = 0.004


def history(conn: Connection, world: World, sizes: Sizes) -> None:
    per_case = (sizes.history - sizes.long_history) / max(1, len(world.cases) - 1)
    rng = world.rng

    def rows() -> Iterator[dict]:
        for case in world.cases:
            long = case[C_ID] == world.long_case_id
            count = sizes.long_history if long else rng.randint(0, max(0, round(2 * per_case)))
            for k in range(count):
                yield _entry(world, case, k, count)

    _insert(conn, world, CorrespondenceEntry, rows())


def _entry(world: World, case: tuple, k: int, count: int) -> dict:
    rng = world.rng
    agency_side = case[C_ACC] is not None and k >= count // 4
    start = case[C_ACC] if agency_side else case[C_CREATED] - timedelta(days=60)
    end = case[C_CLOSED] or world.now
    span = max(60.0, (end - start).total_seconds())
    at = start + timedelta(seconds=span * (k + 1) / (count + 1))
    row = {
        "case_id": case[C_ID],
        "side": "agency" if agency_side else "business",
        "occurred_at": at,
        "channel": rng.choice(CHANNELS),
        "direction": "outbound" if rng.random() < 0.8 else "inbound",
        "contact_person": "",
        "summary": f"Contact {k + 1} about the overdue invoices of case {case[C_ID]}.",
        "outcome": "" if agency_side else "No reply yet.",
        "party_reached": None,
        "outcome_code": None,
        "promise_amount_minor": None,
        "promise_date": None,
        "rule_breach": False,
        "breached_rules": None,
        "override_reason": None,
        "internal": False,
        "recorded_by_id": case[C_WORKER] if agency_side else world.business_admins[case[C_BUS]],
        "recorded_at": at,
    }
    if agency_side:
        outcome = rng.choice(OUTCOMES)
        row.update(
            outcome_code=outcome,
            party_reached="nobody" if outcome in ("no_answer", "wrong_number") else "debtor",
            internal=rng.random() < 0.05,
        )
        if row["direction"] == "outbound" and rng.random() < BREACH_SHARE:
            row.update(
                rule_breach=True,
                breached_rules="calls_per_day",
                override_reason="The debtor asked to be called back the same day.",
            )
        if outcome == "promise_to_pay":
            row.update(
                promise_amount_minor=rng.randint(1_000, 100_000),
                promise_date=(at + timedelta(days=rng.randint(1, 14))).date(),
            )
    return row


def events(conn: Connection, world: World) -> None:
    def rows() -> Iterator[dict]:
        for case in world.cases:
            actor = world.business_admins[case[C_BUS]]
            yield _event(case, case[C_CREATED], actor, case[C_BUS], "case_created", "Draft created")
            if case[C_SUB]:
                yield _event(
                    case, case[C_SUB], actor, case[C_BUS], "status_changed", "Case submitted"
                )
            if case[C_ACC]:
                admin = world.agency_admins[case[C_AG]]
                yield _event(
                    case, case[C_ACC], admin, case[C_AG], "status_changed", "Placement accepted"
                )
            if case[C_CLOSED]:
                admin = world.agency_admins[case[C_AG]]
                yield _event(
                    case, case[C_CLOSED], admin, case[C_AG], "status_changed", "Case closed"
                )

    _insert(conn, world, Event, rows())


def _event(case: tuple, at: datetime, actor: int, org: int, kind: str, summary: str) -> dict:
    return {
        "occurred_at": at,
        "actor_id": actor,
        "organisation_id": org,
        "case_id": case[C_ID],
        "kind": kind,
        "summary": summary,
        "before": None,
        "after": {"status": case[C_STATUS]} if kind == "status_changed" else None,
        "internal": False,
    }


def disputes(conn: Connection, world: World) -> None:
    rows = (
        {
            "case_id": c[C_ID],
            "reason": "The debtor says the goods were never delivered.",
            "raised_by_id": c[C_WORKER],
            "status_before": "in_collection",
            "created_at": c[C_ACC],
        }
        for c in world.cases
        if c[C_STATUS] == "on_hold"
    )
    _insert(conn, world, Dispute, rows)


def arrangements(conn: Connection, world: World) -> None:
    """An active plan on every payment-plan case; a broken one on a tenth of the others."""
    rng = world.rng
    plans, instalments = [], []
    for c in world.cases:
        broken = c[C_STATUS] == "in_collection" and rng.random() < 0.1
        if c[C_STATUS] != "payment_plan" and not broken:
            continue
        ident = len(plans) + 1
        first = (c[C_ACC] + timedelta(days=14)).date()
        amount = rng.randint(5_000, 50_000)
        plans.append(
            {
                "id": ident,
                "case_id": c[C_ID],
                "kind": "plan",
                "status": "broken" if broken else "active",
                "total_minor": amount * 6,
                "instalment_count": 6,
                "frequency": "monthly",
                "first_due_on": first,
                "created_by_id": c[C_WORKER],
                "broken_at": world.now - timedelta(days=rng.randint(1, 60)) if broken else None,
                "created_at": c[C_ACC],
            }
        )
        for seq in range(6):
            due = first + timedelta(days=30 * seq)
            paid = due < world.now.date() and (not broken or seq < 2)
            state = "paid" if paid else ("missed" if due < world.now.date() else "due")
            instalments.append(
                {
                    "arrangement_id": ident,
                    "seq": seq + 1,
                    "due_on": due,
                    "amount_minor": amount,
                    "paid_minor": amount if paid else 0,
                    "status": state,
                }
            )
    _insert(conn, world, Arrangement, plans)
    _insert(conn, world, Instalment, instalments)


# --- money: recoveries and statements -----------------------------------------------------------


def _half_up(amount: int, bps: int) -> int:
    return (amount * bps + 5_000) // 10_000


def _recovery(world: World, case: tuple, received: date, amount: int) -> dict:
    rate = case[C_RATE]
    fee = _half_up(amount, rate)
    tax = _half_up(fee, world.agreement_tax[case[C_AGR]])
    ident = world.next_recovery_id
    world.next_recovery_id += 1
    paid_to = "client" if ident % 10 == 0 else "agency"
    row = {
        "id": ident,
        "case_id": case[C_ID],
        "received_on": received,
        "amount_minor": amount,
        "currency": "KES",
        "method": "bank_transfer" if ident % 3 else "mobile_money",
        "paid_to": paid_to,
        "reference": f"PAY-{ident}",
        "fee_rate_bps": rate,
        "fee_minor": fee,
        "tax_minor": tax,
        "net_minor": amount - fee - tax,
        "recorded_by_id": case[C_WORKER],
        "created_at": datetime.combine(received, datetime.min.time(), UTC) + timedelta(hours=10),
    }
    world.recoveries_by_agreement[case[C_AGR]].append(
        (
            ident,
            case[C_ID],
            case[C_REF],
            case[C_DEBTOR],
            received,
            paid_to,
            amount,
            rate,
            fee,
            tax,
            amount - fee - tax,
        )
    )
    return row


def recoveries(conn: Connection, world: World, sizes: Sizes) -> None:
    rng = world.rng
    worked = [c for c in world.cases if c[C_ACC] is not None]
    regular = sizes.recoveries - sizes.big_statement
    per_case = regular / max(1, len(worked))

    def rows() -> Iterator[dict]:
        for case in worked:
            end = (case[C_CLOSED] or world.now).date()
            start = case[C_ACC].date()
            for _ in range(rng.randint(0, max(0, round(2 * per_case)))):
                received = start + timedelta(days=rng.randint(0, max(0, (end - start).days)))
                yield _recovery(world, case, received, rng.randint(1_000, 300_000))

    _insert(conn, world, Recovery, rows())


def _month_start(day: date, back: int) -> date:
    month = day.year * 12 + day.month - 1 - back
    return date(month // 12, month % 12 + 1, 1)


def statements(conn: Connection, world: World, sizes: Sizes) -> int:
    """Monthly statements per agreement, newest months first; one planted with 5,000 lines.

    Returns the planted statement's id.
    """
    agreements = sorted(world.recoveries_by_agreement)
    per_agreement: dict[int, int] = defaultdict(int)
    for k in range(sizes.statements - 1):
        per_agreement[agreements[k % len(agreements)]] += 1
    big_agreement = world.agreement_of[(world.big_business, world.main_agency[world.big_business])]
    today = world.now.date()
    numbers: dict[int, int] = defaultdict(int)
    statement_rows, line_rows = [], []
    taken: set[int] = set()
    for agreement, months in per_agreement.items():
        by_month = defaultdict(list)
        for rec in world.recoveries_by_agreement[agreement]:
            by_month[(rec[4].year, rec[4].month)].append(rec)
        for back in range(1, months + 1):
            start = _month_start(today, back)
            lines = by_month.get((start.year, start.month), [])
            _statement(world, agreement, start, lines, numbers, statement_rows, line_rows)
            taken.update(rec[0] for rec in lines)
    # The planted statement: 5,000 recoveries on the big client's cases, in an older month.
    back = per_agreement.get(big_agreement, 0) + 1
    start = _month_start(today, back)
    end = _month_start(today, back - 1) - timedelta(days=1)
    old_cases = [
        c
        for c in world.cases
        if c[C_AGR] == big_agreement and c[C_ACC] is not None and c[C_ACC].date() < start
    ] or [c for c in world.cases if c[C_AGR] == big_agreement and c[C_ACC] is not None]
    planted = [
        _recovery(
            world,
            old_cases[k % len(old_cases)],
            start + timedelta(days=k % (end - start).days),
            world.rng.randint(1_000, 300_000),
        )
        for k in range(sizes.big_statement)
    ]
    _insert(conn, world, Recovery, planted)
    planted_ids = {row["id"] for row in planted}
    lines = [r for r in world.recoveries_by_agreement[big_agreement] if r[0] in planted_ids]
    big_id = _statement(world, big_agreement, start, lines, numbers, statement_rows, line_rows)
    _insert(conn, world, Statement, statement_rows)
    _insert(conn, world, StatementLine, line_rows)
    return big_id


def _initials(name: str) -> str:
    return "".join(word[0] for word in name.split())


def _statement(world, agreement, start, lines, numbers, statement_rows, line_rows) -> int:
    end = _month_start(start, -1) - timedelta(days=1)
    agency = next(a for (b, a), ident in world.agreement_of.items() if ident == agreement)
    business = next(b for (b, a), ident in world.agreement_of.items() if ident == agreement)
    numbers[agency] += 1
    ident = len(statement_rows) + 1
    gross = sum(r[6] for r in lines)
    fee = sum(r[8] for r in lines)
    tax = sum(r[9] for r in lines)
    net = sum(r[10] for r in lines)
    collected = [r for r in lines if r[5] == "agency"]
    direct_fee = sum(r[8] + r[9] for r in lines if r[5] == "client")
    mode = world.agreement_mode[agreement]
    remitted = sum(r[10 if mode == "net" else 6] for r in collected)
    issued = datetime.combine(end, datetime.min.time(), UTC) + timedelta(days=3, hours=9)
    statement_rows.append(
        {
            "id": ident,
            "agency_id": agency,
            "business_id": business,
            "agreement_id": agreement,
            "number": f"{_initials(AGENCIES[agency - 1])}-ST-{numbers[agency]:04d}",
            "currency": "KES",
            "period_start": start,
            "period_end": end,
            "remittance_mode": mode,
            "gross_minor": gross,
            "fee_minor": fee,
            "tax_minor": tax,
            "net_minor": net,
            "due_to_client_minor": remitted - direct_fee,
            "issued_at": min(issued, world.now),
            "issued_by_id": world.agency_admins[agency],
        }
    )
    for r in lines:
        line_rows.append(
            {
                "statement_id": ident,
                "recovery_id": r[0],
                "case_id": r[1],
                "case_reference": r[2],
                "debtor_name": r[3],
                "received_on": r[4],
                "paid_to": r[5],
                "gross_minor": r[6],
                "fee_rate_bps": r[7],
                "fee_minor": r[8],
                "tax_minor": r[9],
                "net_minor": r[10],
            }
        )
    return ident


# --- the whole data set --------------------------------------------------------------------------


def migrate(url: str) -> None:
    """Build the schema the way production does: `flask db upgrade`."""
    env = dict(os.environ, DATABASE_URL=url, PORTAL_ENV="development")
    flask = str(Path(sys.executable).with_name("flask"))
    subprocess.run([flask, "--app", "portal", "db", "upgrade"], check=True, cwd=ROOT, env=env)


def _fast_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: explicit ids leave the sequences behind; move them past the data."""
    if conn.dialect.name != "postgresql":
        return
    for table in ID_TABLES:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


def generate(url: str, scale: float, seed: int = 8, now: datetime | None = None) -> dict:
    """Fill an empty, migrated database; return what was made (the manifest)."""
    sizes = Sizes.at(scale)
    world = World(now=now or datetime.now(UTC).replace(microsecond=0), rng=random.Random(seed))
    engine = create_engine(url)
    _fast_sqlite(engine)
    started = time.perf_counter()
    with engine.begin() as conn:
        organisations(conn, world, sizes)
        users(conn, world)
        agreements(conn, world)
        cases(conn, world, sizes)
        link_agreements(conn)
        history(conn, world, sizes)
        events(conn, world)
        disputes(conn, world)
        arrangements(conn, world)
        recoveries(conn, world, sizes)
        totals.refresh_all(conn)  # what the ledger and the contact log keep on each case
        promises.refresh_all(conn)
        collections.refresh_all(conn)
        big_statement = statements(conn, world, sizes)
        _reset_sequences(conn)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE" if conn.dialect.name == "sqlite" else "VACUUM ANALYZE"))
    engine.dispose()
    return {
        "scale": scale,
        "seed": seed,
        "seconds": round(time.perf_counter() - started, 1),
        "counts": dict(world.counts),
        "password": PASSWORD,
        "agency_admin": "admin@agency1.example",
        "business_admin": f"admin@business{world.big_business}.example",
        "long_case_id": world.long_case_id,
        "big_statement_id": big_statement,
        "generated_at": world.now.isoformat(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", 1)))
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    migrate(args.database_url)
    manifest = generate(args.database_url, args.scale, args.seed)
    print(json.dumps(manifest, indent=2))


if __name__ == "__main__":
    main()
