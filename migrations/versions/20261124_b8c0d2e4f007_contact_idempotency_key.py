"""Contact log: the contact form's one-time token, so a double submit records once.

Revision ID: b8c0d2e4f007
Revises: a7b9c1d3e006
Create Date: 2026-11-24 11:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b8c0d2e4f007"
down_revision = "a7b9c1d3e006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("correspondence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_correspondence_idempotency_key"), ["idempotency_key"]
        )


def downgrade():
    with op.batch_alter_table("correspondence", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_correspondence_idempotency_key"), type_="unique")
        batch_op.drop_column("idempotency_key")
