"""The audit trail: one call records who did what, in the same transaction as the change.

Events are append-only (portal.models.events refuses updates and deletes through the ORM) and
chained: when a transaction that wrote events commits, `seal()` locks the one-row chain head
(SELECT ... FOR UPDATE on PostgreSQL), gives each new event the next place in the chain, the
previous event's hash and its own SHA-256 over its fields and that hash. The lock is taken last,
just before the commit, and held only for it, so sealing never waits while holding it.
`verify()` walks the chain and names the first event that does not match.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import Case, Event, User, utcnow
from portal.models.events import AuditChainHead

GENESIS = "0" * 64
# The fields a hash covers, in this order; `seq` and `prev_hash` place the event in the chain.
HASHED_FIELDS = (
    "id",
    "seq",
    "prev_hash",
    "occurred_at",
    "actor_id",
    "organisation_id",
    "chained_case_id",
    "kind",
    "summary",
    "before",
    "after",
    "internal",
    "ip_address",
)
_PENDING = "portal.audit.unsealed"


def record(
    kind: str,
    *,
    case: Case | None = None,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    internal: bool = False,
    actor: User | None = None,
) -> Event:
    """Add an Event for the current user (or `actor`) and flush it with the change it records."""
    actor = actor or _current_actor()
    event = Event(
        occurred_at=utcnow(),
        actor_id=actor.id if actor else None,
        organisation_id=actor.organisation_id if actor else None,
        case_id=case.id if case is not None else None,
        kind=kind,
        summary=summary,
        before=before,
        after=after,
        internal=internal,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    db.session.flush()
    return event


def downloaded(case: Case, what: str, *, document_id: int | None = None) -> Event:
    """Log that the current user downloaded a file of `case`, and commit it.

    A download changes nothing else, so its event is committed here, before the bytes are sent.
    Only the file's name is kept, never its contents. What the agency's people download is the
    agency's own business: hidden from the business (internal).
    """
    actor = _current_actor()
    after: dict[str, Any] = {"file": what}
    if document_id is not None:
        after["document_id"] = document_id
    event = record(
        "document_downloaded" if document_id is not None else "case_file_downloaded",
        case=case,
        summary=f"Downloaded {what}",
        after=after,
        internal=bool(actor and actor.is_agency),
        actor=actor,
    )
    db.session.commit()
    return event


def _current_actor() -> User | None:
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user._get_current_object()
    return None


# --- the chain ----------------------------------------------------------------------------


def canonical(fields: dict[str, Any]) -> str:
    """The one text a hash is taken over: sorted keys, no spaces, times in UTC ISO 8601."""

    def default(value: Any) -> str:
        if isinstance(value, datetime):
            return value.isoformat()
        return str(value)

    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=default
    )


def event_hash(fields: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of an event's hashed fields."""
    chosen = {name: fields[name] for name in HASHED_FIELDS}
    return hashlib.sha256(canonical(chosen).encode("utf-8")).hexdigest()


def _columns():
    """The stored fields a hash covers, with the case link as it is now (`case_id`)."""
    table = Event.__table__
    chained = [table.c[name] for name in HASHED_FIELDS if name not in ("seq", "prev_hash")]
    return [*chained, table.c.case_id]


def _lock_head(conn: Connection) -> tuple[int, str]:
    head = AuditChainHead.__table__
    locked = select(head.c.seq, head.c.hash).where(head.c.id == 1).with_for_update()
    row = conn.execute(locked).first()
    if row is None:
        stmt = _insert_ignore(conn, head).values(id=1, seq=0, hash=GENESIS)
        conn.execute(stmt)
        row = conn.execute(locked).one()
    return row.seq, row.hash


def _insert_ignore(conn: Connection, table):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=["id"])
    return insert(table).prefix_with("OR IGNORE")


def seal(conn: Connection) -> int:
    """Give every unsealed event its place and hash, in id order; return how many."""
    seq, previous = _lock_head(conn)
    table = Event.__table__
    rows = conn.execute(
        select(*_columns()).where(table.c.hash.is_(None)).order_by(table.c.id)
    ).mappings()
    sealed = 0
    for row in rows.all():
        seq += 1
        place = {"seq": seq, "prev_hash": previous, "chained_case_id": row["case_id"]}
        digest = event_hash(dict(row) | place)
        conn.execute(update(table).where(table.c.id == row["id"]).values(hash=digest, **place))
        previous, sealed = digest, sealed + 1
    head = AuditChainHead.__table__
    conn.execute(update(head).where(head.c.id == 1).values(seq=seq, hash=previous))
    return sealed


@sa_event.listens_for(Session, "before_flush")
def _note_new_events(session: Session, flush_context, instances) -> None:
    if any(isinstance(obj, Event) for obj in session.new):
        session.info[_PENDING] = True


@sa_event.listens_for(Session, "before_commit")
def _seal_before_commit(session: Session) -> None:
    session.flush()
    if session.in_nested_transaction():  # a savepoint: seal at the real commit, lock held less
        return
    if session.info.pop(_PENDING, False):
        seal(session.connection())


@sa_event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class ChainReport:
    """What `verify()` found: how many events it checked and the first broken one, if any."""

    checked: int
    broken_event_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def verify(conn: Connection, batch: int = 1000) -> ChainReport:
    """Walk the chain in order: places without gaps, each hash recomputed and linked."""
    table = Event.__table__
    stmt = (
        select(*_columns(), table.c.seq, table.c.prev_hash, table.c.hash)
        .where(table.c.seq.is_not(None))
        .order_by(table.c.seq)
        .execution_options(yield_per=batch)
    )
    expected_seq, previous, checked = 1, GENESIS, 0
    with conn.execute(stmt) as result:
        for row in result.mappings():
            problem = _check(row, expected_seq, previous)
            if problem:
                return ChainReport(checked, row["id"], problem)
            expected_seq, previous, checked = expected_seq + 1, row["hash"], checked + 1
    return _check_ends(conn, checked, previous)


def _check(row, expected_seq: int, previous: str) -> str:
    if row["seq"] != expected_seq:
        return f"its place is {row['seq']} where {expected_seq} was expected (an event is missing)"
    if row["prev_hash"] != previous:
        return "it does not carry the previous event's hash (an event before it was changed)"
    if event_hash(dict(row)) != row["hash"]:
        return "its fields do not match its hash (it was changed)"
    if row["case_id"] not in (None, row["chained_case_id"]):
        return "it was moved to another case"
    return ""


def _check_ends(conn: Connection, checked: int, previous: str) -> ChainReport:
    table, head = Event.__table__, AuditChainHead.__table__
    unsealed = conn.scalar(select(table.c.id).where(table.c.hash.is_(None)).order_by(table.c.id))
    if unsealed is not None:
        return ChainReport(checked, unsealed, "it is not sealed into the chain")
    row = conn.execute(select(head.c.seq, head.c.hash).where(head.c.id == 1)).first()
    if checked and (row is None or (row.seq, row.hash) != (checked, previous)):
        return ChainReport(
            checked, None, "the chain ends before its recorded head (the last events are missing)"
        )
    return ChainReport(checked)
