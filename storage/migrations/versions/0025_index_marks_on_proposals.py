"""What the similarity and search indexes hold of a proposal moves onto its own row: the digest of the
indexed title and content (was indexed_texts) and how many of its replies are indexed (was indexed_replies:
the newest reply id indexed; replies are never removed, so a count tells as much), so the
action that writes the proposal records them in the UPDATE it makes anyway; the number of indexed
proposals is kept beside the bigrams' document frequencies (gram_stats, the row of the empty gram), so
a similarity lookup reads it with them instead of counting

Revision ID: 0025
Revises: 0024
"""
import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("proposals", sa.Column("indexed_digest", sa.String(64), nullable=True))
    op.add_column("proposals", sa.Column("replies_indexed", sa.Integer(), nullable=True))
    op.execute("UPDATE proposals SET indexed_digest = (SELECT digest FROM indexed_texts "
               "WHERE indexed_texts.proposal_id = proposals.id)")
    op.execute("UPDATE proposals SET replies_indexed = (SELECT count(*) FROM replies JOIN indexed_replies "
               "ON indexed_replies.proposal_id = replies.proposal_id WHERE replies.proposal_id = proposals.id "
               "AND replies.id <= indexed_replies.last_reply_id) "
               "WHERE id IN (SELECT proposal_id FROM indexed_replies)")
    op.execute("DELETE FROM gram_stats WHERE gram = ''")
    op.execute("INSERT INTO gram_stats (gram, df) SELECT '', count(*) FROM indexed_texts")
    op.drop_table("indexed_texts")
    op.drop_table("indexed_replies")


def downgrade() -> None:
    op.create_table(
        "indexed_texts",
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("proposals.id"), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("grams", sa.Integer(), nullable=False),
    )
    op.create_table(
        "indexed_replies",
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("proposals.id"), primary_key=True),
        sa.Column("last_reply_id", sa.Integer(), nullable=False),
        sa.Column("grams", sa.Integer(), nullable=False),
    )
    op.execute("INSERT INTO indexed_texts (proposal_id, digest, grams) SELECT id, indexed_digest, "
               "(SELECT count(*) FROM proposal_grams WHERE proposal_grams.proposal_id = proposals.id) "
               "FROM proposals WHERE indexed_digest IS NOT NULL")
    op.execute("INSERT INTO indexed_replies (proposal_id, last_reply_id, grams) SELECT id, CASE WHEN "
               "replies_indexed >= (SELECT count(*) FROM replies WHERE replies.proposal_id = proposals.id) "
               "THEN (SELECT coalesce(max(id), 0) FROM replies WHERE replies.proposal_id = proposals.id) ELSE 0 END, "
               "(SELECT count(*) FROM reply_grams WHERE reply_grams.proposal_id = proposals.id) "
               "FROM proposals WHERE replies_indexed IS NOT NULL")
    op.execute("DELETE FROM gram_stats WHERE gram = ''")
    with op.batch_alter_table("proposals") as batch:
        batch.drop_column("replies_indexed")
        batch.drop_column("indexed_digest")
