"""The deployment's own identity, for its Redis key prefix; the demo's WeChat log

- `meta.deployment_id`: a random id written once, when the database is created (or upgraded to this
  revision). The default Redis prefix is made from it, so a Redis that outlives this database, or
  serves other counties' databases too, never mixes their queues and delivery marks.
- Pending notifications are handed to the relay again: the queue they were in has a new name now.
- `demo_wechat_messages`: in demo mode only, what the built-in WeChat stand-in was asked to send and
  what the simulator said and heard, so /simulator shows each demo user's chat.

Revision ID: 0009
Revises: 0008
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

META = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
OUTBOX = sa.table("outbox", sa.column("status", sa.String), sa.column("relayed_at", sa.DateTime))


def upgrade() -> None:
    found = op.get_bind().execute(sa.select(META.c.key).where(META.c.key == "deployment_id")).first()
    if found is None:
        op.bulk_insert(META, [{"key": "deployment_id", "value": secrets.token_hex(8)}])
    # Relayed under the old, shared stream name: relay them again at once rather than after
    # notify.redeliver_after_seconds (the database says they were not delivered).
    op.execute(OUTBOX.update().where(OUTBOX.c.status == "pending").values(relayed_at=None))
    op.create_table(
        "demo_wechat_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("openid", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("url", sa.String(1024), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_demo_wechat_messages_openid", "demo_wechat_messages", ["openid", "id"])


def downgrade() -> None:
    op.drop_index("ix_demo_wechat_messages_openid", table_name="demo_wechat_messages")
    op.drop_table("demo_wechat_messages")
    op.execute(META.delete().where(META.c.key == "deployment_id"))
