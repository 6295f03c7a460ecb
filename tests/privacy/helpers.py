"""Events, cases and debtors for the privacy tests."""

from sqlalchemy import select, text

from portal import audit
from portal.extensions import db
from portal.models import Event


def events(n: int, actor, case=None, kind: str = "test_event") -> list[Event]:
    """`n` events by `actor`, committed (and so sealed)."""
    made = [
        audit.record(kind, case=case, summary=f"Event {i}", after={"i": i}, actor=actor)
        for i in range(n)
    ]
    db.session.commit()
    return made


def chain() -> list[Event]:
    db.session.expire_all()
    return list(db.session.scalars(select(Event).order_by(Event.seq)))


def tamper(sql: str, **params) -> None:
    """Change the events table behind the portal's back, as someone with database access could."""
    db.session.execute(text(sql), params)
    db.session.commit()


def verify_audit(app):
    return app.test_cli_runner().invoke(args=["privacy", "verify-audit"])
