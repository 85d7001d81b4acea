"""代表联络站 "1+N" and 群众意见: stations and points, their deputies, duty days, 接待日, the deputy's
public card, citizens' opinions (photos, referrals to units, the proposals that carry them), the
record chain of events that are not a proposal's, and the public entry's throttle

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _chain_columns():
    return [sa.Column("event_count", sa.Integer(), nullable=False), sa.Column("last_event_hash", sa.String(64), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "stations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("stations.id"), nullable=True),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("township", sa.String(64), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "station_deputies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("station_id", sa.Integer(), sa.ForeignKey("stations.id"), nullable=False),
        sa.Column("deputy_id", sa.Integer(), sa.ForeignKey("deputies.id"), nullable=False),
        sa.UniqueConstraint("station_id", "deputy_id"),
    )
    op.create_table(
        "duty_days",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("station_id", sa.Integer(), sa.ForeignKey("stations.id"), nullable=False),
        sa.Column("deputy_id", sa.Integer(), sa.ForeignKey("deputies.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.UniqueConstraint("station_id", "deputy_id", "day"),
    )
    op.create_index("ix_duty_days_day", "duty_days", ["day"])
    op.create_table(
        "reception_days",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("station_id", sa.Integer(), sa.ForeignKey("stations.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("deputies", sa.JSON(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "deputy_cards",
        sa.Column("deputy_id", sa.Integer(), sa.ForeignKey("deputies.id"), primary_key=True),
        sa.Column("code", sa.String(16), nullable=False, unique=True),
        sa.Column("photo", sa.String(200), nullable=False),
        sa.Column("relay_phone", sa.String(32), nullable=False),
        sa.Column("show_phone", sa.Boolean(), nullable=False),
        sa.Column("show_work_unit", sa.Boolean(), nullable=False),
        sa.Column("show_record", sa.Boolean(), nullable=False),
        sa.Column("show_duty", sa.Boolean(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "citizen_opinions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("receipt", sa.String(16), nullable=False, unique=True),
        sa.Column("station_id", sa.Integer(), sa.ForeignKey("stations.id"), nullable=True),
        sa.Column("deputy_id", sa.Integer(), sa.ForeignKey("deputies.id"), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("entered_by", sa.String(16), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("citizen_name", sa.String(64), nullable=False),
        sa.Column("citizen_phone", sa.String(32), nullable=False),
        sa.Column("citizen_openid", sa.String(64), nullable=True),
        sa.Column("hide_from_units", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.String(128), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("route", sa.String(16), nullable=False),
        sa.Column("rating", sa.String(24), nullable=False),
        sa.Column("rating_comment", sa.Text(), nullable=False),
        sa.Column("closed_reason", sa.String(64), nullable=False),
        sa.Column("where_to_go", sa.Text(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("proposals.id"), nullable=True),
        *_chain_columns(),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_citizen_opinions_deputy", "citizen_opinions", ["deputy_id", "state"])
    op.create_index("ix_citizen_opinions_station", "citizen_opinions", ["station_id", "state"])
    op.create_table(
        "opinion_photos",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("opinion_id", sa.Integer(), sa.ForeignKey("citizen_opinions.id"), nullable=False),
        sa.Column("path", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "opinion_referrals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("opinion_id", sa.Integer(), sa.ForeignKey("citizen_opinions.id"), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("handler", sa.String(64), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("link_version", sa.Integer(), nullable=False),
        sa.Column("link_issued_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_opinion_referrals_unit", "opinion_referrals", ["unit_id", "state"])
    op.create_table(
        "proposal_opinions",
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("proposals.id"), primary_key=True),
        sa.Column("opinion_id", sa.Integer(), sa.ForeignKey("citizen_opinions.id"), primary_key=True, unique=True),
    )
    op.create_table(
        "record_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("actor_name", sa.String(128), nullable=False),
        sa.Column("on_behalf_kind", sa.String(16), nullable=False),
        sa.Column("on_behalf_id", sa.String(64), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("subject_kind", "subject_id", "seq"),
    )
    op.create_table(
        "public_throttle",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for name in ("public_throttle", "record_events", "proposal_opinions", "opinion_referrals", "opinion_photos",
                 "citizen_opinions", "deputy_cards", "reception_days", "duty_days", "station_deputies", "stations"):
        op.drop_table(name)
