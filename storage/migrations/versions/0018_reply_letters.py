"""答复函: the units' registered heads (签发人), the letter's fields on a reply, and sealed letters

unit_heads: who may sign a unit's replies (局长、副局长...); a reply's signer is one of them once the
unit has any. replies gain the signer's title, 文号, 承办人 and phone (older replies keep ""). The PDF a
unit uploads after sealing is kept by SHA-256 under data_dir/letters; sealed_letters records it.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_heads",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("title", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("unit_id", "name", name="uq_unit_heads_unit_name"),
    )
    op.create_table(
        "sealed_letters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reply_id", sa.Integer(), sa.ForeignKey("replies.id"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_sealed_letters_reply", "sealed_letters", ["reply_id", "id"])
    with op.batch_alter_table("replies") as batch:
        batch.add_column(sa.Column("signer_title", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("doc_number", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("handler", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("handler_phone", sa.String(32), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("replies") as batch:
        for column in ("handler_phone", "handler", "doc_number", "signer_title"):
            batch.drop_column(column)
    op.drop_index("ix_sealed_letters_reply", table_name="sealed_letters")
    op.drop_table("sealed_letters")
    op.drop_table("unit_heads")
