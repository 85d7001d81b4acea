"""Deputies' work units, extension requests from units, and the adjustment decision deadline

A unit must contact the deputy before replying, so the roster keeps the deputy's work unit (工作单位)
beside the delegation and phone. A lead unit may apply from its link for a later reply due date
(申请延期答复, with its reason and whether it explained the delay to the deputy); staff approve or
refuse it: one row per application in `extension_requests`, and the pending one's date on the
assignment (what the rules read). When a unit asks for an adjustment (申请调整), the day it asked and
the day staff's decision is due (deadlines.adjustment_decision later) are kept on its assignment.
The reminders' ledger names deadline kinds longer than 16 characters now ("adjustment_decision"):
its column is widened to 32.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deputies") as batch:
        batch.add_column(sa.Column("work_unit", sa.String(128), nullable=False, server_default=""))
    with op.batch_alter_table("assignments") as batch:
        batch.add_column(sa.Column("adjustment_requested_on", sa.Date()))
        batch.add_column(sa.Column("adjustment_decision_due", sa.Date()))
        batch.add_column(sa.Column("extension_requested_due", sa.Date()))
    op.create_table(
        "extension_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("assignment_id", sa.Integer(), sa.ForeignKey("assignments.id"), nullable=False),
        sa.Column("requested_due", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("explained_to_deputy", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("granted_due", sa.Date()),
        sa.Column("decision_reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("decided_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("decided_at", sa.DateTime()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_extension_requests_assignment", "extension_requests", ["assignment_id"])
    with op.batch_alter_table("reminders_sent") as batch:
        batch.alter_column("deadline", type_=sa.String(32), existing_type=sa.String(16), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("reminders_sent") as batch:
        batch.alter_column("deadline", type_=sa.String(16), existing_type=sa.String(32), existing_nullable=False)
    op.drop_index("ix_extension_requests_assignment", table_name="extension_requests")
    op.drop_table("extension_requests")
    with op.batch_alter_table("assignments") as batch:
        for column in ("extension_requested_due", "adjustment_decision_due", "adjustment_requested_on"):
            batch.drop_column(column)
    with op.batch_alter_table("deputies") as batch:
        batch.drop_column("work_unit")
