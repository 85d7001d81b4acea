"""民生实事项目票决 (migration 0021): the solicitation windows, the projects from suggestion to 测评, the
vote's counted totals (never a ballot), the responsible unit's progress reports and photos, and the
集中视察 records. A project's history is its own chain of `RecordEvent`s (subject_kind "project");
evaluation rounds are 集中评议 meetings whose items are projects (models/meetings.py)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .core import Unit


class ProjectWindow(Base):
    """征集期: the days the public page and the bot take suggestions for a year's projects."""

    __tablename__ = "project_windows"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    opens_on: Mapped[dt.date] = mapped_column(Date)
    closes_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Project(Base):
    """民生实事项目: one suggestion, candidate or voted project of a year."""

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("year", "seq"), Index("ix_projects_year_state", "year", "state"))
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(16), unique=True)  # MS2026-03
    session_id: Mapped[Optional[int]] = mapped_column(ForeignKey("congress_sessions.id"))
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, default="")
    investment: Mapped[str] = mapped_column(String(32), default="")  # 万元, as typed (a decimal number)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"))  # 责任单位
    leader: Mapped[str] = mapped_column(String(64), default="")  # 牵头领导
    planned_completion: Mapped[Optional[dt.date]] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16), default="public")  # workflow.domain.projects.SOURCES
    source_ref: Mapped[str] = mapped_column(String(64), default="")  # a proposal number, an opinion receipt...
    # Who suggested it (public page, bot): kept here only, never in an event or on a public page.
    suggested_by: Mapped[str] = mapped_column(String(64), default="")
    suggested_phone: Mapped[str] = mapped_column(String(32), default="")
    screening_note: Mapped[str] = mapped_column(Text, default="")  # 政府初定意见
    merged_into_id: Mapped[Optional[int]] = mapped_column(ForeignKey("projects.id"))
    state: Mapped[str] = mapped_column(String(16), default="solicited")
    version: Mapped[int] = mapped_column(Integer, default=0)
    vote_id: Mapped[Optional[int]] = mapped_column(ForeignKey("project_votes.id"))
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)
    progress_due: Mapped[Optional[dt.date]] = mapped_column(Date)  # the next progress report is due
    completed_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    # 测评: {"<meeting id>": {"round": "year_end", "deputy": {"satisfied": n, ...}, "member": {...}, "public": {...}}}
    evaluations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    link_version: Mapped[int] = mapped_column(Integer, default=1)
    link_issued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    last_event_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    unit: Mapped[Optional[Unit]] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class ProjectVote(Base):
    """票决: what the tellers counted at the session, the rule applied and the result. No ballot is stored."""

    __tablename__ = "project_votes"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    session_id: Mapped[Optional[int]] = mapped_column(ForeignKey("congress_sessions.id"))
    held_on: Mapped[dt.date] = mapped_column(Date)
    rule: Mapped[str] = mapped_column(String(24))  # workflow.domain.projects.VOTE_RULES
    mode: Mapped[str] = mapped_column(String(16))  # approval | ranking
    total_deputies: Mapped[int] = mapped_column(Integer)
    present: Mapped[int] = mapped_column(Integer)
    ballots_cast: Mapped[int] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer, default=0)
    tallies: Mapped[list[Any]] = mapped_column(default=list)  # [{"project", "votes_for", "against", "abstain", "points"}]
    outcome: Mapped[dict[str, Any]] = mapped_column(default=dict)  # elected, rejected, tied, ranking, threshold
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    entered_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ProjectProgress(Base):
    """实施进展: a report of the responsible unit (percent and text; photos in ProjectPhoto)."""

    __tablename__ = "project_progress"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    percent: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    reported_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ProjectPhoto(Base):
    __tablename__ = "project_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    progress_id: Mapped[Optional[int]] = mapped_column(ForeignKey("project_progress.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ProjectInspection(Base):
    """集中视察: deputies inspect a project's implementation."""

    __tablename__ = "project_inspections"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    participants: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
