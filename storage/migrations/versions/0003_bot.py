"""WeChat bot: dialogues, inbound dedupe, binding attempts, chat attachments

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bot_dialogues",
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("openid"),
    )
    op.create_table(
        "bot_inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("followed_up", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_bot_inbound_created", "bot_inbound", ["created_at"])
    op.create_table(
        "binding_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_binding_attempts_openid", "binding_attempts", ["openid", "created_at"])
    op.create_table(
        "proposal_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("media_id", sa.String(length=256), nullable=False),
        sa.Column("url", sa.String(length=1024), nullable=False),
        sa.Column("msg_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"]),
        sa.ForeignKeyConstraint(["deputy_id"], ["deputies.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_proposal_attachments_proposal", "proposal_attachments", ["proposal_id"])


def downgrade() -> None:
    op.drop_index("ix_proposal_attachments_proposal", table_name="proposal_attachments")
    op.drop_table("proposal_attachments")
    op.drop_index("ix_binding_attempts_openid", table_name="binding_attempts")
    op.drop_table("binding_attempts")
    op.drop_index("ix_bot_inbound_created", table_name="bot_inbound")
    op.drop_table("bot_inbound")
    op.drop_table("bot_dialogues")
