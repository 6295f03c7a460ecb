"""SQLite, the embedded database: the settings every connection gets, and transactions that
are all-or-nothing. PostgreSQL, which production runs, needs neither."""

from flask import Flask
from sqlalchemy import Engine, event

from portal.extensions import db

# Every connection: write-ahead logging (readers never wait for a writer, and a writer syncs
# less), a 64 MB page cache and the file mapped into memory, so that pages of a large
# database are read from memory, not copied in 4 KB at a time, and sorts kept in memory.
PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA cache_size = -65536",
    "PRAGMA mmap_size = 268435456",
    "PRAGMA temp_store = MEMORY",
)


def init_app(app: Flask) -> None:
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                tune(engine)
                atomic(engine)


def tune(engine: Engine) -> None:
    """Apply PRAGMAS to each new connection."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        for pragma in PRAGMAS:
            cursor.execute(pragma)
        cursor.close()


def atomic(engine: Engine) -> None:
    """Make a SAVEPOINT on SQLite run inside a real transaction.

    Python's sqlite3 module (before 3.12's autocommit attribute) opens a transaction only at the
    first INSERT/UPDATE/DELETE. A `session.begin_nested()` before that point (the ledger and
    the contact log use one) issues SAVEPOINT outside any transaction, and its RELEASE then
    commits everything flushed so far: a request that fails afterwards and rolls back would
    leave those rows behind. So a SAVEPOINT first begins the transaction, when none is open.
    Reads still take no lock until the first write, as before. PostgreSQL needs nothing.
    """

    @event.listens_for(engine, "savepoint")
    def _begin_before_savepoint(connection, _name):
        driver = connection.connection.dbapi_connection
        if driver is not None and not driver.in_transaction:
            driver.execute("BEGIN")
