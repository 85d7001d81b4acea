"""Indexes for the dashboard, the ledger and the engine's loads at 100k proposals a year

A proposal's assignments, replies and evaluations are found by proposal id (the engine's loads, the
ledger's chunks, the dashboard's lists) and a share's replies and ratings by assignment id (the
tallies); without these each lookup scanned the table. The public reply page counts published replies.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_assignments_proposal", "assignments", ["proposal_id"]),
    ("ix_replies_proposal", "replies", ["proposal_id"]),
    ("ix_replies_assignment", "replies", ["assignment_id"]),
    ("ix_replies_published", "replies", ["published", "id"]),
    ("ix_evaluations_proposal", "evaluations", ["proposal_id"]),
    ("ix_evaluations_assignment", "evaluations", ["assignment_id", "kind"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
