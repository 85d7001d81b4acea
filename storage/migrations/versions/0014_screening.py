"""Screening, joint proposals and withdrawal: a referral's disposition, a withdrawal awaiting co-signers' consent

proposals.disposition (what became of a text not handled as a deputy's suggestion: 退回代表,
作代表来信处理, 转有关部门参考), proposals.withdrawal_requested_at and withdrawal_reason (a lead
deputy's withdrawal waiting for the confirmed co-signers' consent), co_signers.withdrawal_consent_at.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("proposals") as batch:
        batch.add_column(sa.Column("disposition", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("withdrawal_requested_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("withdrawal_reason", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("co_signers") as batch:
        batch.add_column(sa.Column("withdrawal_consent_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("co_signers") as batch:
        batch.drop_column("withdrawal_consent_at")
    with op.batch_alter_table("proposals") as batch:
        batch.drop_column("withdrawal_reason")
        batch.drop_column("withdrawal_requested_at")
        batch.drop_column("disposition")
