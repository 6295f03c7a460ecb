"""The audit chain: each event carries its place, the previous event's hash and its own.

Revision ID: a7b9c1d3e006
Revises: f6a8b0c2d005
Create Date: 2026-11-24 15:00:00.000000

Events written before this revision are sealed, in id order, by the first commit that records a
new event (portal.audit.seal takes every event whose hash is still empty).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7b9c1d3e006"
down_revision = "f6a8b0c2d005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chained_case_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_events_seq"), ["seq"])
        batch_op.create_index("ix_events_kind_occurred", ["kind", "occurred_at"], unique=False)
        batch_op.create_index(
            "ix_events_unsealed",
            ["id"],
            unique=False,
            postgresql_where=sa.text("hash IS NULL"),
            sqlite_where=sa.text("hash IS NULL"),
        )
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )


def downgrade():
    op.drop_table("audit_chain_head")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_unsealed")
        batch_op.drop_index("ix_events_kind_occurred")
        batch_op.drop_constraint(batch_op.f("uq_events_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
        batch_op.drop_column("chained_case_id")
