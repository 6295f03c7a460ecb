"""Issuing remittance statements: numbering, periods, lines, totals, immutability."""

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
    Event,
    Notification,
    PaidTo,
    Recovery,
    RemittanceMode,
    Statement,
    StatementLine,
    User,
)
from portal.statements import services
from tests import factories
from tests.statements.helpers import NOW, TODAY, issue, placed_case, recovery, reversal

OCT = (date(2026, 10, 1), date(2026, 10, 31))
NOV = (date(2026, 11, 1), date(2026, 11, 19))


def test_statements_are_numbered_in_sequence_per_agency(world):
    case = placed_case(world.agreement)
    recovery(case, 5_000_00, date(2026, 10, 3))
    other = factories.agreement(world.other_business, world.other_agency)
    other_case = placed_case(other)
    recovery(other_case, 7_000_00, date(2026, 10, 4))
    first = issue(world.agreement, *OCT, world.agency_admin)
    second = issue(world.agreement, *NOV, world.agency_admin)
    elsewhere = issue(other, *OCT, world.other_agency_admin)
    assert [first.number, second.number] == ["NR-ST-0001", "NR-ST-0002"]
    assert elsewhere.number == "MC-ST-0001"


def test_the_numbers_of_an_agency_have_no_gaps_across_its_clients(world):
    second_client = factories.agreement(world.other_business, world.agency)
    issue(world.agreement, *OCT, world.agency_admin)
    issue(second_client, *OCT, world.agency_admin)
    issue(world.agreement, *NOV, world.agency_admin)
    numbers = db.session.scalars(
        select(Statement.number)
        .where(Statement.agency_id == world.agency.id)
        .order_by(Statement.id)
    ).all()
    assert numbers == ["NR-ST-0001", "NR-ST-0002", "NR-ST-0003"]


def test_the_preview_shows_the_number_issuing_will_take(world):
    issue(world.agreement, *OCT, world.agency_admin)
    preview = services.preview(world.agreement, *NOV, TODAY)
    assert preview.number == "NR-ST-0002"
    assert db.session.scalar(select(func.count(Statement.id))) == 1  # nothing saved


def test_no_recovery_appears_on_two_statements(world):
    case = placed_case(world.agreement)
    paid = recovery(case, 5_000_00, date(2026, 10, 3))
    october = issue(world.agreement, *OCT, world.agency_admin)
    november = issue(world.agreement, *NOV, world.agency_admin)
    assert [ln.recovery_id for ln in october.lines] == [paid.id]
    assert november.lines == []


def test_the_database_refuses_a_recovery_on_a_second_statement(world):
    from sqlalchemy.exc import IntegrityError

    case = placed_case(world.agreement)
    paid = recovery(case, 5_000_00, date(2026, 10, 3))
    october = issue(world.agreement, *OCT, world.agency_admin)
    duplicate = StatementLine(**{**_line_fields(october.lines[0]), "recovery_id": paid.id})
    second = Statement(**{**_statement_fields(october), "number": "NR-ST-0099"})
    second.lines = [duplicate]
    second._issuing = True
    db.session.add(second)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_nothing_received_in_an_issued_period_is_left_out(world):
    """A payment recorded after October's statement, dated in October, is on the next one."""
    case = placed_case(world.agreement)
    recovery(case, 5_000_00, date(2026, 10, 3))
    october = issue(world.agreement, *OCT, world.agency_admin)
    late = recovery(case, 2_000_00, date(2026, 10, 30))  # recorded late, dated in October
    db.session.commit()
    november = issue(world.agreement, *NOV, world.agency_admin)
    assert late.id not in {ln.recovery_id for ln in october.lines}
    assert [ln.recovery_id for ln in november.lines] == [late.id]
    assert services.brought_forward(november, november.lines[0])
    every_recovery = set(db.session.scalars(select(Recovery.id)))
    on_statements = set(db.session.scalars(select(StatementLine.recovery_id)))
    assert every_recovery == on_statements


def test_a_first_statement_takes_in_earlier_unstated_payments(world):
    case = placed_case(world.agreement)
    early = recovery(case, 1_000_00, date(2026, 9, 12))
    statement = issue(world.agreement, *OCT, world.agency_admin)
    assert [ln.recovery_id for ln in statement.lines] == [early.id]


def test_payments_after_the_period_wait_for_their_own_statement(world):
    case = placed_case(world.agreement)
    recovery(case, 1_000_00, date(2026, 10, 31))
    after = recovery(case, 2_000_00, date(2026, 11, 1))
    statement = issue(world.agreement, *OCT, world.agency_admin)
    assert after.id not in {ln.recovery_id for ln in statement.lines}
    assert len(statement.lines) == 1


def test_only_the_clients_cases_with_this_agency_are_on_its_statement(world):
    mine = placed_case(world.agreement)
    ours = recovery(mine, 1_000_00, date(2026, 10, 2))
    with_other_agency = placed_case(factories.agreement(world.business, world.other_agency))
    recovery(with_other_agency, 3_000_00, date(2026, 10, 2))
    other_client = placed_case(
        db.session.scalars(
            select(type(world.agreement)).where(
                type(world.agreement).business_id == world.other_business.id,
                type(world.agreement).agency_id == world.agency.id,
            )
        ).one()
    )
    recovery(other_client, 4_000_00, date(2026, 10, 2))
    statement = issue(world.agreement, *OCT, world.agency_admin)
    assert [ln.recovery_id for ln in statement.lines] == [ours.id]


def test_statements_of_a_client_follow_one_another(world):
    issue(world.agreement, *OCT, world.agency_admin)
    with pytest.raises(DomainError) as gap:
        services.preview(world.agreement, date(2026, 11, 5), date(2026, 11, 10), TODAY)
    assert gap.value.field == "period_start"
    assert "starts on 1 Nov 2026, the day after" in gap.value.message
    with pytest.raises(DomainError) as overlap:
        services.preview(world.agreement, date(2026, 10, 15), date(2026, 11, 10), TODAY)
    assert overlap.value.field == "period_start"


def test_a_period_cannot_end_in_the_future_or_before_it_starts(world):
    with pytest.raises(DomainError) as future:
        services.preview(world.agreement, date(2026, 11, 1), date(2026, 11, 21), TODAY)
    assert future.value.field == "period_end"
    with pytest.raises(DomainError) as backwards:
        services.preview(world.agreement, date(2026, 10, 31), date(2026, 10, 1), TODAY)
    assert backwards.value.field == "period_end"


def test_totals_reconcile_with_the_lines_and_the_ledger(world):
    world.agreement.fee_tax_bps = 1600
    a = placed_case(world.agreement, fee_rate_bps=2500)
    b = placed_case(world.agreement, fee_rate_bps=1500)
    rows = [
        recovery(a, 1_234_57, date(2026, 10, 2)),
        recovery(a, 99_99, date(2026, 10, 9)),
        recovery(b, 5_000_01, date(2026, 10, 11), paid_to=PaidTo.CLIENT),
        recovery(b, 333_33, date(2026, 10, 20)),
    ]
    rows.append(reversal(rows[1], date(2026, 10, 25)))
    statement = issue(world.agreement, *OCT, world.agency_admin)
    lines = statement.lines
    assert statement.gross_minor == sum(ln.gross_minor for ln in lines)
    assert statement.fee_minor == sum(ln.fee_minor for ln in lines)
    assert statement.tax_minor == sum(ln.tax_minor for ln in lines)
    assert statement.net_minor == sum(ln.net_minor for ln in lines)
    ledger = db.session.execute(
        select(
            func.sum(Recovery.amount_minor),
            func.sum(Recovery.fee_minor),
            func.sum(Recovery.tax_minor),
            func.sum(Recovery.net_minor),
        ).where(Recovery.id.in_([ln.recovery_id for ln in lines]))
    ).one()
    stored = (statement.gross_minor, statement.fee_minor, statement.tax_minor, statement.net_minor)
    assert tuple(int(v) for v in ledger) == stored
    assert sorted(ln.recovery_id for ln in lines) == sorted(r.id for r in rows)
    assert statement.tax_minor != 0  # the agreement's tax on the fee is carried through


def test_each_line_copies_its_recovery(world):
    case = placed_case(world.agreement)
    paid = recovery(case, 12_345_67, date(2026, 10, 6))
    line = issue(world.agreement, *OCT, world.agency_admin).lines[0]
    assert (line.case_reference, line.debtor_name) == (case.reference, case.debtor.name)
    assert (line.gross_minor, line.fee_minor, line.net_minor) == (
        paid.amount_minor,
        paid.fee_minor,
        paid.net_minor,
    )
    assert (line.received_on, line.paid_to, line.fee_rate_bps) == (
        paid.received_on,
        paid.paid_to,
        2000,
    )


def test_a_reversal_is_a_line_of_its_own_on_the_statement_of_its_date(world):
    case = placed_case(world.agreement)
    paid = recovery(case, 8_000_00, date(2026, 10, 20))
    october = issue(world.agreement, *OCT, world.agency_admin)
    bounced = reversal(paid, date(2026, 11, 3))
    db.session.commit()
    november = issue(world.agreement, *NOV, world.agency_admin)
    assert [ln.recovery_id for ln in october.lines] == [paid.id]
    assert [ln.recovery_id for ln in november.lines] == [bounced.id]
    line = november.lines[0]
    assert services.is_reversal(line) and line.received_on == date(2026, 11, 3)
    assert (line.gross_minor, line.fee_minor) == (-8_000_00, -1_600_00)
    assert november.due_to_client_minor == -6_400_00  # the remitted net comes back


def test_a_payment_and_its_reversal_in_one_period_are_two_lines(world):
    case = placed_case(world.agreement)
    paid = recovery(case, 8_000_00, date(2026, 10, 2))
    bounced = reversal(paid, date(2026, 10, 9))
    statement = issue(world.agreement, *OCT, world.agency_admin)
    assert [ln.recovery_id for ln in statement.lines] == [paid.id, bounced.id]
    assert statement.gross_minor == 0 and statement.due_to_client_minor == 0


def test_direct_payments_leave_their_fee_owed_by_the_business(world):
    world.agreement.fee_tax_bps = 1600
    case = placed_case(world.agreement, fee_rate_bps=2000)
    recovery(case, 10_000_00, date(2026, 10, 2))  # fee 2,000 + tax 320: agency keeps 2,320
    recovery(case, 5_000_00, date(2026, 10, 5), paid_to=PaidTo.CLIENT)  # fee 1,000 + tax 160
    statement = issue(world.agreement, *OCT, world.agency_admin)
    t = services.totals(statement)
    assert t.direct_gross == 5_000_00
    assert t.direct_fee_owed == 1_160_00
    assert t.remitted == 7_680_00
    assert statement.due_to_client_minor == 7_680_00 - 1_160_00


def test_when_direct_fees_exceed_the_remittance_the_business_owes_the_agency(world):
    case = placed_case(world.agreement, fee_rate_bps=2000)
    recovery(case, 1_000_00, date(2026, 10, 2))  # net 800 to remit
    recovery(case, 20_000_00, date(2026, 10, 5), paid_to=PaidTo.CLIENT)  # fee 4,000 owed
    statement = issue(world.agreement, *OCT, world.agency_admin)
    assert statement.due_to_client_minor == 800_00 - 4_000_00
    assert ("Amount due from the business to the agency", 3_200_00) in services.summary_rows(
        services.totals(statement)
    )


def test_gross_remittance_passes_on_everything_and_invoices_the_fee(world):
    world.agreement.remittance_mode = RemittanceMode.GROSS
    case = placed_case(world.agreement, fee_rate_bps=2000)
    recovery(case, 10_000_00, date(2026, 10, 2))
    recovery(case, 1_000_00, date(2026, 10, 3), paid_to=PaidTo.CLIENT)
    statement = issue(world.agreement, *OCT, world.agency_admin)
    t = services.totals(statement)
    assert statement.remittance_mode == RemittanceMode.GROSS
    assert t.remitted == 10_000_00 and t.invoiced == 2_000_00
    assert statement.due_to_client_minor == 10_000_00 - 200_00


def test_an_issued_statement_never_changes(world):
    case = placed_case(world.agreement)
    recovery(case, 5_000_00, date(2026, 10, 3))
    statement = issue(world.agreement, *OCT, world.agency_admin)
    statement.gross_minor += 1
    with pytest.raises(services.ImmutableStatement):
        db.session.flush()
    db.session.rollback()
    statement.lines[0].net_minor = 0
    with pytest.raises(services.ImmutableStatement):
        db.session.flush()
    db.session.rollback()
    db.session.delete(statement.lines[0])
    with pytest.raises(services.ImmutableStatement):
        db.session.flush()
    db.session.rollback()


def test_no_line_is_added_to_an_issued_statement(world):
    case = placed_case(world.agreement)
    recovery(case, 5_000_00, date(2026, 10, 3))
    statement = issue(world.agreement, *OCT, world.agency_admin)
    later = recovery(case, 1_000_00, date(2026, 10, 4))
    extra = StatementLine(**{**_line_fields(statement.lines[0]), "recovery_id": later.id})
    statement.lines.append(extra)
    with pytest.raises(services.ImmutableStatement):
        db.session.flush()
    db.session.rollback()


def test_an_issued_statement_is_never_deleted(world):
    statement = issue(world.agreement, *OCT, world.agency_admin)
    db.session.delete(statement)
    with pytest.raises(services.ImmutableStatement):
        db.session.flush()
    db.session.rollback()


def test_the_app_has_no_route_that_edits_or_deletes_a_statement(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("statements.")]
    posts = {r.endpoint for r in rules if "POST" in r.methods}
    assert posts == {"statements.preview", "statements.issue", "statements.mark_received"}
    assert not any({"PUT", "PATCH", "DELETE"} & r.methods for r in rules)


def test_issuing_tells_the_business_admins_and_is_audited(world):
    case = placed_case(world.agreement)
    recovery(case, 5_000_00, date(2026, 10, 3))
    statement = issue(world.agreement, *OCT, world.agency_admin)
    notes = db.session.scalars(
        select(Notification).where(Notification.kind == "statement_issued")
    ).all()
    told = {db.session.get(User, n.user_id) for n in notes}
    assert told == {world.business_admin}
    assert notes[0].link == f"/statements/{statement.id}"
    assert "NR-ST-0001" in notes[0].text and "owes you KES" in notes[0].text
    assert "for 1 Oct 2026 to 31 Oct 2026:" in notes[0].text  # dates as people write them
    event = db.session.scalars(select(Event).where(Event.kind == "statement_issued")).one()
    assert event.actor_id == world.agency_admin.id
    assert event.after["statement_id"] == statement.id


def test_issuing_refuses_when_the_recoveries_changed_since_the_preview(world):
    case = placed_case(world.agreement)
    recovery(case, 5_000_00, date(2026, 10, 3))
    shown = services.preview(world.agreement, *OCT, TODAY)
    recovery(case, 1_000_00, date(2026, 10, 4))
    with pytest.raises(DomainError) as changed:
        services.issue(
            world.agreement, *OCT, world.agency_admin, NOW, TODAY, checked=shown.fingerprint
        )
    assert changed.value.field == "confirm"
    assert db.session.scalar(select(func.count(Statement.id))) == 0


def test_a_proposed_agreement_has_no_statements(world):
    from portal.models import AgreementStatus

    proposed = factories.agreement(
        world.other_business, world.other_agency, status=AgreementStatus.PROPOSED
    )
    with pytest.raises(DomainError):
        services.preview(proposed, *OCT, TODAY)


def test_the_statement_prefix_is_the_agencys_initials(world):
    world.agency.name = "Nairobi Recovery Associates"
    assert services.statement_prefix(world.agency) == "NRA"
    world.agency.name = "ßüro 42"
    assert services.statement_prefix(world.agency) == "AG"


def _line_fields(line: StatementLine) -> dict:
    keys = services.Line.__dataclass_fields__
    return {k: getattr(line, k) for k in keys}


def _statement_fields(s: Statement) -> dict:
    keys = [
        "agency_id",
        "business_id",
        "agreement_id",
        "currency",
        "period_start",
        "period_end",
        "remittance_mode",
        "gross_minor",
        "fee_minor",
        "tax_minor",
        "net_minor",
        "due_to_client_minor",
        "issued_at",
        "issued_by_id",
    ]
    return {k: getattr(s, k) for k in keys}
