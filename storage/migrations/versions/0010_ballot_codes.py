"""One-time ballot codes for public meeting votes, the meeting's public mode, each score's mode

A meeting says how the public scores (`public_mode`: codes | codes_open) and how many open-mode scores
per item one network address may give (`open_limit`). `meeting_ballots` keeps the keyed hash of each
printed code (never the code). Each score says how it came (`mode`: openid | code | open), which code
gave it, and for the open mode the keyed hash of the address with a slot number, so the database
itself refuses a second score of a code and more than the limit from one address.

Meetings created before this change were open to anyone who scanned: they keep that (codes_open);
new meetings default to codes only. Their scores were all open-mode or a deputy's WeChat.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(sa.Column("public_mode", sa.String(16), nullable=False, server_default="codes"))
        batch.add_column(sa.Column("open_limit", sa.Integer(), nullable=False, server_default="5"))
    op.execute("UPDATE meetings SET public_mode = 'codes_open'")
    op.create_table(
        "meeting_ballots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_by_name", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("voided_at", sa.DateTime(), nullable=True),
        sa.Column("voided_by_name", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
        sa.UniqueConstraint("meeting_id", "serial"),
    )
    with op.batch_alter_table("meeting_votes") as batch:
        batch.add_column(sa.Column("mode", sa.String(8), nullable=False, server_default="open"))
        batch.add_column(sa.Column("ballot_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("address_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("address_slot", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_meeting_votes_ballot", "meeting_ballots", ["ballot_id"], ["id"])
        batch.create_unique_constraint("uq_meeting_votes_ballot", ["item_id", "ballot_id"])
        batch.create_unique_constraint("uq_meeting_votes_address_slot", ["item_id", "address_hash", "address_slot"])
    op.execute("UPDATE meeting_votes SET mode = 'openid' WHERE kind = 'deputy'")


def downgrade() -> None:
    with op.batch_alter_table("meeting_votes") as batch:
        batch.drop_constraint("uq_meeting_votes_address_slot", type_="unique")
        batch.drop_constraint("uq_meeting_votes_ballot", type_="unique")
        batch.drop_constraint("fk_meeting_votes_ballot", type_="foreignkey")
        batch.drop_column("address_slot")
        batch.drop_column("address_hash")
        batch.drop_column("ballot_id")
        batch.drop_column("mode")
    op.drop_table("meeting_ballots")
    with op.batch_alter_table("meetings") as batch:
        batch.drop_column("open_limit")
        batch.drop_column("public_mode")
