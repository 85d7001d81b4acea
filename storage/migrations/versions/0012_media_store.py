"""Evidence photos kept in our own storage

WeChat keeps a chat photo (temporary media) three days, and intranet staff cannot reach its URL anyway;
the worker now fetches each one through the media API as soon as it arrives and keeps it under
data_dir/media by its SHA-256 (recorded here and in the proposal's event log). A fetch that fails is
retried with a growing pause and, once given up, shown to staff.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("proposal_attachments") as batch:
        batch.add_column(sa.Column("sha256", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("size", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("content_type", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("stored_at", sa.DateTime()))
        batch.add_column(sa.Column("fetch_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_fetch_at", sa.DateTime()))
        batch.add_column(sa.Column("fetch_error", sa.String(200), nullable=False, server_default=""))
    # Photos kept before this change: try them too (those older than WeChat's three days fail and are shown).
    op.execute("UPDATE proposal_attachments SET next_fetch_at = created_at WHERE media_id <> ''")
    op.create_index("ix_proposal_attachments_pending", "proposal_attachments", ["stored_at", "next_fetch_at"])


def downgrade() -> None:
    op.drop_index("ix_proposal_attachments_pending", table_name="proposal_attachments")
    with op.batch_alter_table("proposal_attachments") as batch:
        for column in ("fetch_error", "next_fetch_at", "fetch_attempts", "stored_at", "content_type", "size",
                       "sha256"):
            batch.drop_column(column)
