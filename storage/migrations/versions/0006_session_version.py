"""A session version per account: signing out ends every console session of the account on the server

The console's session cookie carries a fingerprint of the account's password hash and this version;
raising the version (at sign-out) makes every copy of every earlier cookie useless.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
