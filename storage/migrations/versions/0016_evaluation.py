"""Evaluation per unit and per round, second answers, the rating window and 未反馈

A reply keeps its Beijing date (the rating window starts there) and its kind (答复, or 再次答复 given while
落实中); an assignment counts the rounds its reply was rated 不满意 (分办 units apart), the date the deputy
was asked to rate what it did, and the due date of the new promise or second answer an implementation
不满意 asks for.

Revision ID: 0016
Revises: 0015
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BEIJING = dt.timedelta(hours=8)  # stored times are naive UTC; China has no daylight saving time


def upgrade() -> None:
    with op.batch_alter_table("replies") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="answer"))
        batch.add_column(sa.Column("replied_on", sa.Date()))
    with op.batch_alter_table("assignments") as batch:
        batch.add_column(sa.Column("unsatisfied_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("rating_opened_on", sa.Date()))
        batch.add_column(sa.Column("followup_due", sa.Date()))
    bind = op.get_bind()
    replies = sa.table("replies", sa.column("id", sa.Integer), sa.column("created_at", sa.DateTime),
                       sa.column("replied_on", sa.Date))
    for reply_id, created in bind.execute(sa.select(replies.c.id, replies.c.created_at)).all():
        if created is not None:
            if isinstance(created, str):
                created = dt.datetime.fromisoformat(created)
            bind.execute(replies.update().where(replies.c.id == reply_id)
                         .values(replied_on=(created + BEIJING).date()))
    # Rounds rated 不满意, per assignment: the reply evaluations that said so.
    bind.execute(sa.text(
        "UPDATE assignments SET unsatisfied_count = (SELECT COUNT(*) FROM evaluations e "
        "WHERE e.assignment_id = assignments.id AND e.kind = 'reply' AND e.rating = 'unsatisfied')"))


def downgrade() -> None:
    with op.batch_alter_table("assignments") as batch:
        batch.drop_column("followup_due")
        batch.drop_column("rating_opened_on")
        batch.drop_column("unsatisfied_count")
    with op.batch_alter_table("replies") as batch:
        batch.drop_column("replied_on")
        batch.drop_column("kind")
