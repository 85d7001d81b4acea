"""民生实事项目票决: solicitation windows, projects, the vote's counted totals, progress reports and photos,
集中视察; 集中评议 meetings generalised into 测评 rounds (an item is a proposal or a project; printed codes
for the public or for 常委会组成人员)

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_windows",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "project_votes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("congress_sessions.id"), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("rule", sa.String(24), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("total_deputies", sa.Integer(), nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("ballots_cast", sa.Integer(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("tallies", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("entered_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(16), nullable=False, unique=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("congress_sessions.id"), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("investment", sa.String(32), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=True),
        sa.Column("leader", sa.String(64), nullable=False),
        sa.Column("planned_completion", sa.Date(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("source_ref", sa.String(64), nullable=False),
        sa.Column("suggested_by", sa.String(64), nullable=False),
        sa.Column("suggested_phone", sa.String(32), nullable=False),
        sa.Column("screening_note", sa.Text(), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), sa.ForeignKey("project_votes.id"), nullable=True),
        sa.Column("progress_percent", sa.Integer(), nullable=False),
        sa.Column("progress_due", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("evaluations", sa.JSON(), nullable=False),
        sa.Column("link_version", sa.Integer(), nullable=False),
        sa.Column("link_issued_at", sa.DateTime(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("last_event_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("year", "seq"),
    )
    op.create_index("ix_projects_year_state", "projects", ["year", "state"])
    op.create_table(
        "project_progress",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "project_photos",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("progress_id", sa.Integer(), sa.ForeignKey("project_progress.id"), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "project_inspections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("participants", sa.Text(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(sa.Column("round_kind", sa.String(16), nullable=False, server_default=""))
    with op.batch_alter_table("meeting_items") as batch:
        batch.alter_column("proposal_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_meeting_items_project", "projects", ["project_id"], ["id"])
        batch.create_unique_constraint("uq_meeting_items_project", ["meeting_id", "project_id"])
    with op.batch_alter_table("meeting_ballots") as batch:
        batch.add_column(sa.Column("kind", sa.String(8), nullable=False, server_default="public"))


def downgrade() -> None:
    with op.batch_alter_table("meeting_ballots") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("meeting_items") as batch:
        batch.drop_constraint("uq_meeting_items_project", type_="unique")
        batch.drop_constraint("fk_meeting_items_project", type_="foreignkey")
        batch.drop_column("project_id")
        batch.alter_column("proposal_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("meetings") as batch:
        batch.drop_column("round_kind")
    for name in ("project_inspections", "project_photos", "project_progress", "projects", "project_votes",
                 "project_windows"):
        op.drop_table(name)
