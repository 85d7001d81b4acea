"""并案办理: handling groups of proposals with the same content, and each proposal's group

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handling_groups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lead_proposal_id", sa.Integer(), nullable=False, unique=True),  # no FK: no circle with proposals
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_proposals_group", "handling_groups", ["group_id"], ["id"])
        batch.create_index("ix_proposals_group_id", ["group_id"])


def downgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.drop_index("ix_proposals_group_id")
        batch.drop_constraint("fk_proposals_group", type_="foreignkey")
        batch.drop_column("group_id")
    op.drop_table("handling_groups")
