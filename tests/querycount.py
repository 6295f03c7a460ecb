"""Counting the statements a block of code sends to the database (the query-count tests)."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from portal.extensions import db


@contextmanager
def counting() -> Iterator[list[str]]:
    """Every statement sent to the database inside the block, whatever code sent it."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
