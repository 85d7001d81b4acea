"""The similarity index of submitted proposals: character bigrams, their document frequencies, the indexed
text's digest (the proposals submitted before it are indexed by the server at start:
workflow/usecases/text_index.py index_missing)

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proposal_grams",
        sa.Column("gram", sa.String(32), primary_key=True),
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("proposals.id"), primary_key=True),
    )
    op.create_index("ix_proposal_grams_proposal_id", "proposal_grams", ["proposal_id"])
    op.create_table(
        "gram_stats",
        sa.Column("gram", sa.String(32), primary_key=True),
        sa.Column("df", sa.Integer(), nullable=False),
    )
    op.create_table(
        "indexed_texts",
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("proposals.id"), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("grams", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("indexed_texts")
    op.drop_table("gram_stats")
    op.drop_index("ix_proposal_grams_proposal_id", "proposal_grams")
    op.drop_table("proposal_grams")
