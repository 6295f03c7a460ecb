"""The concurrency tests need row locks: PostgreSQL (TEST_DATABASE_URL); skipped on SQLite."""

import threading
from collections.abc import Callable

import pytest

from portal.errors import DomainError
from portal.extensions import db


@pytest.fixture
def postgres(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "money under concurrency needs PostgreSQL's row locks (SELECT ... FOR UPDATE); "
            "SQLite serialises whole writes. Set TEST_DATABASE_URL, e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/portal_test"
        )
    return app


def at_once(app, attempts: list[Callable[[], object]]) -> list[str]:
    """Run each attempt in its own thread and session, all released together; each one commits.

    Returns, in order, "ok" or the refusal's message (any other error is returned as
    "error: ..." so a test names it).
    """
    start = threading.Barrier(len(attempts))
    outcome: list[str] = [""] * len(attempts)

    def run(i: int, attempt: Callable[[], object]) -> None:
        with app.app_context():
            try:
                start.wait(timeout=30)
                attempt()
                db.session.commit()
                outcome[i] = "ok"
            except DomainError as error:
                db.session.rollback()
                outcome[i] = error.message
            except Exception as error:  # reported to the test, not swallowed
                db.session.rollback()
                outcome[i] = f"error: {type(error).__name__}: {error}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.session.expire_all()
    return outcome
