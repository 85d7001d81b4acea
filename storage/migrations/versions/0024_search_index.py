"""Full-text search over replies too: the character bigrams of each proposal's replies (reply_grams) and
which replies the index holds (indexed_replies: the newest reply id indexed), written after each reply by
workflow/engine/reply_index.py and, for replies given before it, by the server's start-up backfill
(workflow/usecases/text_index.py index_missing)

Revision ID: 0024
Revises: 0023
"""
import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reply_grams",
        sa.Column("gram", sa.String(32), primary_key=True),
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("proposals.id"), primary_key=True),
    )
    op.create_index("ix_reply_grams_proposal_id", "reply_grams", ["proposal_id"])
    op.create_table(
        "indexed_replies",
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("proposals.id"), primary_key=True),
        sa.Column("last_reply_id", sa.Integer(), nullable=False),
        sa.Column("grams", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("indexed_replies")
    op.drop_index("ix_reply_grams_proposal_id", "reply_grams")
    op.drop_table("reply_grams")
