"""Dashboards at 100,000 cases: the standing promise kept on the case, and the indexes the
figures count from (open cases by client and caseworker, promises due, corrections, breaches,
the month's collections, the worklist's order).

Revision ID: c9d1e3f5a008
Revises: b8c0d2e4f007
Create Date: 2026-11-25 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c9d1e3f5a008"
down_revision = "b8c0d2e4f007"
branch_labels = None
depends_on = None

# The latest promise on each case that no later entry corrects and that the case's payments
# since the day it was made have not covered (portal/casework/promises.py, as of this revision).
STANDING = """
SELECT p.id FROM correspondence AS p
WHERE p.case_id = cases.id
  AND p.promise_date IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM correspondence AS later
    WHERE later.case_id = p.case_id AND later.promise_date IS NOT NULL
      AND (later.occurred_at > p.occurred_at
           OR (later.occurred_at = p.occurred_at AND later.id > p.id)))
  AND NOT EXISTS (SELECT 1 FROM correspondence AS c WHERE c.corrects_id = p.id)
  AND (SELECT coalesce(sum(r.amount_minor), 0) FROM recoveries AS r
       WHERE r.case_id = p.case_id AND r.received_on >= date(p.occurred_at))
      < coalesce(p.promise_amount_minor, 1)
ORDER BY p.occurred_at DESC, p.id DESC
LIMIT 1
"""


def upgrade():
    with op.batch_alter_table("recoveries", schema=None) as batch_op:
        batch_op.drop_index("ix_recoveries_received")
        batch_op.create_index(
            "ix_recoveries_received",
            ["received_on", "case_id", "currency", "amount_minor"],
            unique=False,
        )
    with op.batch_alter_table("correspondence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_correspondence_corrects",
            ["corrects_id"],
            unique=False,
            sqlite_where=sa.text("corrects_id IS NOT NULL"),
            postgresql_where=sa.text("corrects_id IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_correspondence_breaches",
            ["occurred_at", "case_id"],
            unique=False,
            sqlite_where=sa.text("rule_breach = 1"),
            postgresql_where=sa.text("rule_breach"),
        )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promise_entry_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("promise_due_on", sa.Date(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_promise_entry_id_correspondence"),
            "correspondence",
            ["promise_entry_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            "ix_cases_agency_figures",
            ["agency_id", "status", "business_id", "assigned_to_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_cases_scope",
            ["id", "agency_id", "business_id", "assigned_to_id", "status"],
            unique=False,
        )
        batch_op.create_index(
            "ix_cases_agency_promise", ["agency_id", "promise_due_on", "status"], unique=False
        )
        batch_op.create_index(
            "ix_cases_agency_work",
            ["agency_id", "status", "next_action_on", "accepted_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_cases_assignee_work",
            ["assigned_to_id", "status", "next_action_on", "accepted_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_cases_assignee_promise",
            ["assigned_to_id", "promise_due_on", "status"],
            unique=False,
        )
    op.execute(f"UPDATE cases SET promise_entry_id = ({STANDING})")
    op.execute(
        "UPDATE cases SET promise_due_on = (SELECT promise_date FROM correspondence"
        " WHERE correspondence.id = cases.promise_entry_id)"
        " WHERE promise_entry_id IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_assignee_promise")
        batch_op.drop_index("ix_cases_assignee_work")
        batch_op.drop_index("ix_cases_agency_work")
        batch_op.drop_index("ix_cases_agency_promise")
        batch_op.drop_index("ix_cases_scope")
        batch_op.drop_index("ix_cases_agency_figures")
        batch_op.drop_constraint(
            batch_op.f("fk_cases_promise_entry_id_correspondence"), type_="foreignkey"
        )
        batch_op.drop_column("promise_due_on")
        batch_op.drop_column("promise_entry_id")
    with op.batch_alter_table("correspondence", schema=None) as batch_op:
        batch_op.drop_index("ix_correspondence_breaches")
        batch_op.drop_index("ix_correspondence_corrects")
    with op.batch_alter_table("recoveries", schema=None) as batch_op:
        batch_op.drop_index("ix_recoveries_received")
        batch_op.create_index("ix_recoveries_received", ["received_on"], unique=False)
