"""The schema comes from the migrations, and the models agree with it."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from portal.extensions import db


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def test_there_is_exactly_one_migration_head(app):
    assert len(_scripts().get_heads()) == 1


def test_the_database_is_at_the_head_revision(app):
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    assert set(current) == set(_scripts().get_heads())


# Alembic cannot read an index on an expression back from the database; it skips it with these
# warnings, and the test below checks that it is there.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_the_indexes_on_expressions_are_built_by_the_migrations(app):
    expected = {
        ix.name
        for table in db.metadata.tables.values()
        for ix in table.indexes
        if any(not hasattr(expr, "name") for expr in ix.expressions)
    }
    assert expected  # the business's case list orders by last change: an expression
    if db.engine.dialect.name == "postgresql":
        found_sql = "SELECT indexname FROM pg_indexes"
    else:
        found_sql = "SELECT name FROM sqlite_master WHERE type = 'index'"
    with db.engine.connect() as conn:
        found = set(conn.execute(text(found_sql)).scalars())
    assert expected <= found


def test_every_migration_can_be_undone_and_redone(app):
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
