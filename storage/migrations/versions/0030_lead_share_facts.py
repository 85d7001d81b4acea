"""The dashboard's facts kept per lead share and per proposal (storage/models/share_facts.py), with the
proposal's `facts_stamp` they were written at: the first view of the dashboard after a change reads one row
per proposal (or per share, for a unit) instead of deriving every share's facts from all replies, ratings
and contacts and grouping them by proposal again. Created empty: until a proposal's rows are written (by
its next action that changes a fact, `jianyi facts rebuild`, or the server's start) the readers derive its
facts as before.

Revision ID: 0030
Revises: 0029
"""
import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

STORED_FACTS = (
    "replied_leads", "on_time_leads", "solved_leads", "contacted", "face_to_face",
    "reply_satisfied_leads", "reply_basically_satisfied_leads", "reply_unsatisfied_leads", "reply_no_feedback_leads",
    "first_reply_satisfied_leads", "first_reply_basically_satisfied_leads", "first_reply_unsatisfied_leads",
    "implementation_satisfied_leads", "implementation_basically_satisfied_leads",
    "implementation_unsatisfied_leads", "implementation_no_feedback_leads",
)


def upgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("facts_stamp", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "lead_share_facts",
        sa.Column("assignment_id", sa.Integer, sa.ForeignKey("assignments.id"), primary_key=True),
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposals.id"), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False),
        sa.Column("stamp", sa.Integer, nullable=False),
        sa.Column("awaiting", sa.Boolean, nullable=False),
        sa.Column("reply_due", sa.Date),
        *[sa.Column(name, sa.SmallInteger, nullable=False, server_default="0") for name in STORED_FACTS],
    )
    op.create_index("ix_lead_share_facts_proposal", "lead_share_facts", ["proposal_id", "stamp"])
    op.create_table(
        "proposal_facts",
        sa.Column("proposal_id", sa.Integer, sa.ForeignKey("proposals.id"), primary_key=True),
        sa.Column("stamp", sa.Integer, nullable=False),
        sa.Column("leads", sa.SmallInteger, nullable=False),
        sa.Column("dated_awaiting", sa.SmallInteger, nullable=False),
        sa.Column("first_due", sa.Date),
        sa.Column("last_due", sa.Date),
        *[sa.Column(name, sa.SmallInteger, nullable=False, server_default="0") for name in STORED_FACTS],
    )


def downgrade() -> None:
    op.drop_table("proposal_facts")
    op.drop_index("ix_lead_share_facts_proposal", table_name="lead_share_facts")
    op.drop_table("lead_share_facts")
    with op.batch_alter_table("proposals") as batch:
        batch.drop_column("facts_stamp")
