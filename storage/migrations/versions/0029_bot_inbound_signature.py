"""A signed /wechat URL replayed with another body is refused by every web process, not only by the one
that saw it first: each claimed message keeps the signed URL it came with ("timestamp:nonce", unique) and
its body's SHA-256. In plain mode WeChat's signature covers the URL only; the unique index makes a second
body under the same URL a conflict of the claim's own INSERT.

Revision ID: 0029
Revises: 0028
"""
import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bot_inbound") as batch:
        batch.add_column(sa.Column("signed", sa.String(96)))
        batch.add_column(sa.Column("body_digest", sa.String(64)))
    op.create_index("ix_bot_inbound_signed", "bot_inbound", ["signed"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_bot_inbound_signed", table_name="bot_inbound")
    with op.batch_alter_table("bot_inbound") as batch:
        batch.drop_column("body_digest")
        batch.drop_column("signed")
