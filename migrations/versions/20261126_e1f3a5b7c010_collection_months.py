"""The month's collections kept per agency, client, caseworker and currency, so the agency
dashboard reads a few hundred sums instead of every payment of two months; the open cases by
client and caseworker counted in index order; the placements waiting read from an index;
the open cases' totals and pages read from indexes; a business's case list paged from an index
in its default order;
plans with a missed instalment found from a partial index.

Revision ID: e1f3a5b7c010
Revises: d0e2f4a6b009
Create Date: 2026-11-26 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e1f3a5b7c010"
down_revision = "d0e2f4a6b009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "collection_months",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("assigned_to_id", sa.Integer(), nullable=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["organisations.id"],
            name=op.f("fk_collection_months_agency_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["organisations.id"],
            name=op.f("fk_collection_months_business_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to_id"], ["users.id"], name=op.f("fk_collection_months_assigned_to_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_months")),
    )
    with op.batch_alter_table("collection_months", schema=None) as batch_op:
        batch_op.create_index(
            "ix_collection_months_agency",
            ["agency_id", "month", "business_id", "assigned_to_id", "currency", "amount_minor"],
            unique=False,
        )
        batch_op.create_index(
            "ix_collection_months_assignee", ["assigned_to_id", "month"], unique=False
        )
        batch_op.create_index(
            "ix_collection_months_business", ["business_id", "month"], unique=False
        )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_agency_figures")
        batch_op.create_index(
            "ix_cases_agency_groups",
            ["agency_id", "business_id", "assigned_to_id", "status"],
            unique=False,
        )
        batch_op.create_index(
            "ix_cases_agency_waiting",
            ["agency_id", "status", "answer_due_at", "submitted_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_cases_agency_balances",
            [
                "agency_id",
                "status",
                "currency",
                "placement_balance_minor",
                "charges_minor",
                "recovered_minor",
            ],
            unique=False,
        )
        batch_op.create_index(
            "ix_cases_agency_accepted", ["agency_id", "accepted_at", "id", "status"], unique=False
        )
    op.create_index(
        "ix_cases_business_changed",
        "cases",
        ["business_id", sa.text("coalesce(updated_at, created_at)"), "id"],
        unique=False,
    )
    with op.batch_alter_table("instalments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_instalments_missed",
            ["arrangement_id"],
            unique=False,
            sqlite_where=sa.text("status = 'missed'"),
            postgresql_where=sa.text("status = 'missed'"),
        )
    if op.get_bind().dialect.name == "postgresql":
        month = "CAST(date_trunc('month', recoveries.received_on) AS DATE)"
    else:
        month = "date(recoveries.received_on, 'start of month')"
    op.execute(
        "INSERT INTO collection_months"
        " (agency_id, business_id, assigned_to_id, month, currency, amount_minor)"
        f" SELECT cases.agency_id, cases.business_id, cases.assigned_to_id, {month},"
        " recoveries.currency, sum(recoveries.amount_minor)"
        " FROM recoveries JOIN cases ON cases.id = recoveries.case_id"
        " WHERE cases.agency_id IS NOT NULL"
        f" GROUP BY cases.agency_id, cases.business_id, cases.assigned_to_id, {month},"
        " recoveries.currency"
    )


def downgrade():
    with op.batch_alter_table("instalments", schema=None) as batch_op:
        batch_op.drop_index("ix_instalments_missed")
    op.drop_index("ix_cases_business_changed", table_name="cases")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_agency_accepted")
        batch_op.drop_index("ix_cases_agency_balances")
        batch_op.drop_index("ix_cases_agency_waiting")
        batch_op.drop_index("ix_cases_agency_groups")
        batch_op.create_index(
            "ix_cases_agency_figures",
            ["agency_id", "status", "business_id", "assigned_to_id"],
            unique=False,
        )
    with op.batch_alter_table("collection_months", schema=None) as batch_op:
        batch_op.drop_index("ix_collection_months_business")
        batch_op.drop_index("ix_collection_months_assignee")
        batch_op.drop_index("ix_collection_months_agency")
    op.drop_table("collection_months")
