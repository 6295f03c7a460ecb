"""Two caseworkers recording at once: the case row is locked, so no update is lost and the
balance is never overpaid. Runs on PostgreSQL (TEST_DATABASE_URL); SQLite has no row locks."""

import threading

import pytest
from sqlalchemy import create_engine, func, select, text

from portal.errors import DomainError
from portal.extensions import db
from portal.ledger import services
from portal.ledger.services import PaymentData, PlanData
from portal.models import Case, Frequency, PaidTo, Recovery, User
from tests.ledger.helpers import TODAY, accepted


@pytest.fixture
def postgres(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "row locking (SELECT ... FOR UPDATE) needs PostgreSQL: set TEST_DATABASE_URL, "
            "e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
    return app


def _record(app, case_id, user_id, amount, token, outcome, holding=None, release=None):
    """Record in a session of this thread's own; optionally hold the lock until released."""
    with app.app_context():
        try:
            case = db.session.get(Case, case_id)
            user = db.session.get(User, user_id)
            data = PaymentData(amount, TODAY, "mpesa", token, PaidTo.AGENCY, token)
            services.record_payment(case, user, data, TODAY)
            if holding is not None:
                holding.set()
                release.wait(timeout=30)
            db.session.commit()
            outcome[token] = "recorded"
        except DomainError as error:
            db.session.rollback()
            outcome[token] = error.message
        finally:
            db.session.remove()


def _waiting_on_a_lock(url) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(
                conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                    )
                )
            )
    finally:
        engine.dispose()


def _race(app, world, first_amount, second_amount, plan=False):
    """The first caseworker holds the case; the second tries while it is held."""
    case = accepted(world, amount_minor=1_000_00)
    if plan:
        services.create_plan(
            case, world.caseworker, PlanData(1_000_00, 4, Frequency.WEEKLY, TODAY), TODAY
        )
        db.session.commit()
    outcome: dict[str, str] = {}
    holding, release = threading.Event(), threading.Event()
    first = threading.Thread(
        target=_record,
        args=(app, case.id, world.caseworker.id, first_amount, "first", outcome, holding, release),
    )
    second = threading.Thread(
        target=_record, args=(app, case.id, world.agency_admin.id, second_amount, "second", outcome)
    )
    first.start()
    assert holding.wait(timeout=30)
    second.start()
    url = db.engine.url.render_as_string(hide_password=False)
    for _ in range(300):  # until the second is blocked on the lock (or, without it, done)
        if _waiting_on_a_lock(url) or not second.is_alive():
            break
        threading.Event().wait(0.02)
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    db.session.expire_all()
    return case, outcome


def test_two_caseworkers_recording_at_once_never_overpay(postgres, world):
    case, outcome = _race(postgres, world, 600_00, 600_00)
    assert outcome["first"] == "recorded"
    assert "more than the balance of" in outcome["second"]
    total = db.session.scalar(
        select(func.sum(Recovery.amount_minor)).where(Recovery.case_id == case.id)
    )
    assert total == 600_00


def test_two_caseworkers_recording_at_once_lose_no_update(postgres, world):
    case, outcome = _race(postgres, world, 400_00, 400_00, plan=True)
    assert outcome == {"first": "recorded", "second": "recorded"}
    assert services.balance_of(db.session.get(Case, case.id)) == 200_00
    plan = services.open_arrangement(db.session.get(Case, case.id))
    assert [i.paid_minor for i in plan.instalments] == [250_00, 250_00, 250_00, 50_00]


def test_two_payments_that_together_clear_the_balance_close_the_case_once(postgres, world):
    case, outcome = _race(postgres, world, 500_00, 500_00)
    assert outcome == {"first": "recorded", "second": "recorded"}
    closed = db.session.get(Case, case.id)
    assert closed.close_code is not None and closed.close_code.value == "paid_in_full"
