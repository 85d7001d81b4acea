"""A submission no longer writes its bigrams in its own transaction: it clears the proposal's
indexed_digest (in the UPDATE it makes anyway) and the indexer (workflow/usecases/text_index.py) writes the
postings moments later, several proposals a transaction, as PostgreSQL's GIN index keeps its pending list.
Readers find the texts not yet indexed through this small partial index and read them directly.

Revision ID: 0028
Revises: 0027
"""
import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

# Drafts (no number yet) are in it too, a few: the readers test the number in a form no index serves
# (storage/repositories.py pending_texts), or SQLite's planner scans the index of numbers instead.
PENDING = sa.text("indexed_digest IS NULL")


def upgrade() -> None:
    op.create_index("ix_proposals_index_pending", "proposals", ["id"], sqlite_where=PENDING, postgresql_where=PENDING)


def downgrade() -> None:
    op.drop_index("ix_proposals_index_pending", "proposals")
