"""征询意见表: a reply's rating keeps the rest of the deputy's opinion form

办理态度 (rated apart from 办理结果 when evaluation.separate_attitude is on), whether and how the unit
contacted the deputy (the deputy's word beside the unit's contact log, the check behind 见面率), the
deputy's 意见和建议 and the form's date (填表日期). Older ratings keep NULL: not asked.

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("attitude", sa.String(24)))
        batch.add_column(sa.Column("contacted", sa.Boolean()))
        batch.add_column(sa.Column("contact_method", sa.String(32)))
        batch.add_column(sa.Column("opinion", sa.Text()))
        batch.add_column(sa.Column("form_date", sa.Date()))


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        for name in ("form_date", "opinion", "contact_method", "contacted", "attitude"):
            batch.drop_column(name)
