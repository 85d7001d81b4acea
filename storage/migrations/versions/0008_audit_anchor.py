"""A keyed event log with a system chain beside it; the old, unkeyed chains are sealed once

Until now each event's hash was a plain SHA-256 of its content and the previous hash: anyone who could
write to the database could edit an event and recompute the chain after it. From this revision the
chain is keyed (HMAC-SHA256 under a key kept outside the database: `[audit] key` / `key_file`), and
`python run.py audit verify` also compares the chains with anchors kept outside the database
(data_dir/audit/anchors.log) and the tables with the events.

- `system_events`: administrative actions that belong to no one proposal (binding a WeChat user,
  issuing a binding code, importing a roster, sealing the old chains), chained and keyed the same way;
  their head is the `meta` row `system_events_head` ("<count>:<newest hash>").
- Legacy events. A migration cannot know the key (it runs from the database URL alone), so it only
  records that there are events written under the old, unkeyed scheme: `meta.audit_legacy` =
  "pending:<highest event id>". The first `run.py` command that opens the database with the key
  (serve, worker, db upgrade, audit ...; workflow/engine/sealing.py) then seals them once, in one
  transaction: it checks every chain under the old rule, rehashes every event under the key, and
  writes a system event `seal_legacy` recording how many proposals and events it sealed, the SHA-256
  of the old heads, the highest legacy event id and every problem the old check found. We chose this
  over verifying old events as unkeyed forever: a "legacy up to here" mark in the database could be
  moved by the same intruder, while after sealing every event is keyed and the seal itself is an
  event in the keyed system chain. What the seal cannot do is vouch for the time before it: an edit
  made before the upgrade that kept the unkeyed chain consistent stays undetectable, and the seal
  event says so by dating the boundary. Events up to that id also lack the payload fields the newer
  engine records for the table checks (assignment states), so verify checks assignments only for
  proposals whose whole chain is newer.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

META = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
EVENTS = sa.table("events", sa.column("id", sa.Integer))


def upgrade() -> None:
    op.create_table(
        "system_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False, unique=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("actor_name", sa.String(128), nullable=False, server_default=""),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False, server_default=""),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_system_events_subject", "system_events", ["subject_kind", "subject_id", "seq"])
    bind = op.get_bind()
    newest = bind.execute(sa.select(sa.func.max(EVENTS.c.id))).scalar()
    rows = [{"key": "system_events_head", "value": "0:"}]
    if newest is not None:
        rows.append({"key": "audit_legacy", "value": f"pending:{newest}"})
    existing = set(bind.execute(sa.select(META.c.key).where(
        META.c.key.in_([r["key"] for r in rows]))).scalars())
    op.bulk_insert(META, [r for r in rows if r["key"] not in existing])


def downgrade() -> None:
    op.execute(META.delete().where(META.c.key.in_(["system_events_head", "audit_legacy", "audit_key_id"])))
    op.drop_index("ix_system_events_subject", table_name="system_events")
    op.drop_table("system_events")
