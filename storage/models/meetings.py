"""集中评议: meetings, their items and the scores given in the room (migration 0004_meetings.py)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

# ================================================================ evaluation meetings (issue 5)
# 集中评议: rows of a meeting, its items and the scores given in the room. Migration 0004_meetings.py.


class Meeting(Base):
    """集中评议会: a meeting where leading officials report on key proposals and the room scores them."""

    __tablename__ = "meetings"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[dt.date] = mapped_column(Date)
    vote_token: Mapped[str] = mapped_column(String(64), unique=True)  # the public scoring page's address
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_by_name: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class MeetingItem(Base):
    """One key proposal on a meeting's agenda, with its leading official's report and its voting window."""

    __tablename__ = "meeting_items"
    __table_args__ = (UniqueConstraint("meeting_id", "proposal_id"), Index("ix_meeting_items_proposal", "proposal_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    leader: Mapped[str] = mapped_column(String(64), default="")
    report: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="waiting")  # waiting | open | closed
    opened_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class MeetingVote(Base):
    """One score from one phone (or one WeChat user) for one item; the database refuses a second."""

    __tablename__ = "meeting_votes"
    __table_args__ = (UniqueConstraint("item_id", "voter"), UniqueConstraint("item_id", "openid_hash"))
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("meeting_items.id"))
    voter: Mapped[str] = mapped_column(String(64))  # sha256 of the phone's voter cookie
    openid_hash: Mapped[Optional[str]] = mapped_column(String(64))  # sha256 of the WeChat openid, when known
    kind: Mapped[str] = mapped_column(String(8))  # deputy | public
    deputy_id: Mapped[Optional[int]] = mapped_column(ForeignKey("deputies.id"))
    rating: Mapped[str] = mapped_column(String(24))  # satisfied | basically_satisfied | unsatisfied
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class MeetingLog(Base):
    """Who did what to a meeting (created it, added, moved or removed an item, opened or closed voting)."""

    __tablename__ = "meeting_log"
    __table_args__ = (Index("ix_meeting_log_meeting", "meeting_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    item_id: Mapped[Optional[int]] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(128), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
