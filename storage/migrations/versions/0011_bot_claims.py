"""A bot message claimed by a process that died is taken over, and its action still happens once

The claim of a message (bot_inbound) now says which process works on it since when, and keeps the
message, so that WeChat's retry or the sweeper can take over a claim whose owner died (kill -9 between
the claim and 确认提交). Each engine write made for a message leaves a receipt in the action's own
transaction (action_receipts), so a run taken over never acts twice.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bot_inbound") as batch:
        batch.add_column(sa.Column("owner", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("claimed_at", sa.DateTime()))
        batch.add_column(sa.Column("message", sa.JSON()))
    op.create_index("ix_bot_inbound_open", "bot_inbound", ["answered_at", "claimed_at"])
    op.create_table(
        "action_receipts",
        sa.Column("key", sa.String(220), primary_key=True),
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("proposals.id"), nullable=False),
        sa.Column("event_id", sa.Integer()),
        sa.Column("from_state", sa.String(16), nullable=False, server_default=""),
        sa.Column("to_state", sa.String(16), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_action_receipts_created", "action_receipts", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_action_receipts_created", table_name="action_receipts")
    op.drop_table("action_receipts")
    op.drop_index("ix_bot_inbound_open", table_name="bot_inbound")
    with op.batch_alter_table("bot_inbound") as batch:
        batch.drop_column("message")
        batch.drop_column("claimed_at")
        batch.drop_column("owner")
