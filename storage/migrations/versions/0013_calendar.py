"""Holiday days staff enter on the console

chinese-calendar knows a year's holidays only once a release follows the State Council's notice; the
committee enters a published year's rest days and make-up working days itself (one row per day), and
open deadlines are recomputed with them.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "holiday_days",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("note", sa.String(40), nullable=False, server_default=""),
        sa.Column("entered_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("day", name="uq_holiday_days_day"),
        sa.CheckConstraint("kind IN ('rest', 'work')", name="ck_holiday_days_kind"),
    )
    op.create_index("ix_holiday_days_year", "holiday_days", ["year"])


def downgrade() -> None:
    op.drop_index("ix_holiday_days_year", table_name="holiday_days")
    op.drop_table("holiday_days")
