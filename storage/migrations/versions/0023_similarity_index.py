"""The similarity index of submitted proposals: character bigrams, their document frequencies, the indexed
text's digest; filled here for the proposals already submitted

Revision ID: 0023
Revises: 0022
"""
import hashlib
from collections import Counter

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
    _fill()


def _fill() -> None:
    """The proposals submitted before this migration, indexed as the engine indexes a new one."""
    from workflow.domain.similarity import grams

    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, title, content FROM proposals WHERE number IS NOT NULL")).all()
    df: Counter = Counter()
    for proposal_id, title, content in rows:
        found = sorted(grams(title or "", content or ""))
        df.update(found)
        digest = hashlib.sha256(f"{title}\n{content}".encode("utf-8")).hexdigest()
        if found:
            bind.execute(sa.text("INSERT INTO proposal_grams (gram, proposal_id) VALUES (:g, :p)"),
                         [{"g": g, "p": proposal_id} for g in found])
        bind.execute(sa.text("INSERT INTO indexed_texts (proposal_id, digest, grams) VALUES (:p, :d, :n)"),
                     {"p": proposal_id, "d": digest, "n": len(found)})
    if df:
        bind.execute(sa.text("INSERT INTO gram_stats (gram, df) VALUES (:g, :n)"),
                     [{"g": g, "n": n} for g, n in df.items()])


def downgrade() -> None:
    op.drop_table("indexed_texts")
    op.drop_table("gram_stats")
    op.drop_index("ix_proposal_grams_proposal_id", "proposal_grams")
    op.drop_table("proposal_grams")
