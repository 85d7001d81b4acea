"""Sign-in failures counted per user name and address, not per account

Five wrong passwords for a name from one address pause sign-in for that name from that address, for
longer each time; a stranger can no longer lock an account for everyone, and a name that does not exist
is answered exactly like one that does.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lockouts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime()),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_login_throttle_username", "login_throttle", ["username"])


def downgrade() -> None:
    op.drop_index("ix_login_throttle_username", table_name="login_throttle")
    op.drop_table("login_throttle")
