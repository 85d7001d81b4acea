"""Sessions (届/次), official numbers per session and kind, the proposal's origin and its staff deadline

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "congress_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("term", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("term", "number", name="uq_congress_sessions_term_number"),
        sa.CheckConstraint("opens_on <= closes_on", name="ck_congress_sessions_dates"),
    )
    op.create_table(
        "session_counters",
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("congress_sessions.id"), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("kind", sa.String(8), nullable=False, server_default=""))
        batch.add_column(sa.Column("official_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("official_number", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("origin", sa.String(16), nullable=False, server_default="proposal"))
        batch.add_column(sa.Column("assign_due", sa.Date(), nullable=True))
        batch.create_foreign_key("fk_proposals_session", "congress_sessions", ["session_id"], ["id"])
        batch.create_index("ix_proposals_session", ["session_id", "kind"])
        batch.create_unique_constraint("uq_proposals_official_seq", ["session_id", "kind", "official_seq"])


def downgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.drop_constraint("uq_proposals_official_seq", type_="unique")
        batch.drop_index("ix_proposals_session")
        batch.drop_constraint("fk_proposals_session", type_="foreignkey")
        for column in ("assign_due", "origin", "official_number", "official_seq", "kind", "session_id"):
            batch.drop_column(column)
    op.drop_table("session_counters")
    op.drop_table("congress_sessions")
