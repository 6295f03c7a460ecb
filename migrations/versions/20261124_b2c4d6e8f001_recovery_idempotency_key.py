"""Recoveries: the payment form's one-time token, so a double submit records once.

Revision ID: b2c4d6e8f001
Revises: a49b7c2562bc
Create Date: 2026-11-24 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b2c4d6e8f001"
down_revision = "a49b7c2562bc"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("recoveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_recoveries_idempotency_key"), ["idempotency_key"]
        )


def downgrade():
    with op.batch_alter_table("recoveries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_recoveries_idempotency_key"), type_="unique")
        batch_op.drop_column("idempotency_key")
