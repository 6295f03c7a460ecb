"""Statements: who at the business marked a statement received, and when.

Revision ID: e5f7a9b1c004
Revises: b2c4d6e8f001
Create Date: 2026-11-24 12:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e5f7a9b1c004"
down_revision = "b2c4d6e8f001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("received_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_statements_received_by_id_users"), "users", ["received_by_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_statements_received_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("received_by_id")
        batch_op.drop_column("received_at")
