"""Cases carry the sums of their recoveries and charges, so lists and dashboards read each
case's balance from its row instead of summing the ledger for every case they show.

Revision ID: d0e2f4a6b009
Revises: c9d1e3f5a008
Create Date: 2026-11-25 14:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d0e2f4a6b009"
down_revision = "c9d1e3f5a008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recovered_minor", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("charges_minor", sa.BigInteger(), server_default="0", nullable=False)
        )
    op.execute(
        "UPDATE cases SET"
        " recovered_minor = (SELECT coalesce(sum(amount_minor), 0) FROM recoveries"
        " WHERE recoveries.case_id = cases.id),"
        " charges_minor = (SELECT coalesce(sum(amount_minor), 0) FROM charges"
        " WHERE charges.case_id = cases.id)"
    )


def downgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("charges_minor")
        batch_op.drop_column("recovered_minor")
