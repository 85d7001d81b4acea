"""集中评议: meetings, their items, the scores given in the room and the public's ballot codes
(migrations 0004_meetings.py, 0010_ballot_codes.py)."""
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
    # How the public scores (workflow/domain/ballots.py): codes | codes_open; and the open mode's
    # limit of scores per item from one network address.
    public_mode: Mapped[str] = mapped_column(String(16), default="codes", server_default="codes")
    open_limit: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_by_name: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Migration 0021: a 测评 round of livelihood projects (mid_year | year_end) instead of a 集中评议 ("").
    round_kind: Mapped[str] = mapped_column(String(16), default="", server_default="")


class MeetingItem(Base):
    """One key proposal on a meeting's agenda, with its leading official's report and its voting window."""

    __tablename__ = "meeting_items"
    __table_args__ = (UniqueConstraint("meeting_id", "proposal_id"), UniqueConstraint("meeting_id", "project_id"),
                      Index("ix_meeting_items_proposal", "proposal_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    # An item is a key proposal (集中评议) or a livelihood project (测评, migration 0021): one of the two.
    proposal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("proposals.id"))
    project_id: Mapped[Optional[int]] = mapped_column(ForeignKey("projects.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    leader: Mapped[str] = mapped_column(String(64), default="")
    report: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="waiting")  # waiting | open | closed
    opened_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class MeetingBallot(Base):
    """评分票: one printed one-time code of a meeting. Only its keyed hash is kept, never the code."""

    __tablename__ = "meeting_ballots"
    __table_args__ = (UniqueConstraint("meeting_id", "serial"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    batch: Mapped[int] = mapped_column(Integer)  # 第几批: the codes printed together
    serial: Mapped[int] = mapped_column(Integer)  # the slip's number, printed on it (1, 2, ... per meeting)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)  # HMAC-SHA256 of the code
    # Who scores with it (migration 0021): the public, or 常委会组成人员 (member) at a 测评 round.
    kind: Mapped[str] = mapped_column(String(8), default="public", server_default="public")
    created_by_name: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    voided_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    voided_by_name: Mapped[str] = mapped_column(String(128), default="")


class MeetingVote(Base):
    """One score for one item: from a deputy's WeChat, a ballot code, or a phone in the open mode.

    The database refuses a second score of the same phone, WeChat user or code for an item, and more
    than the meeting's open limit from one network address (`address_slot` counts 0, 1, ... per address)."""

    __tablename__ = "meeting_votes"
    __table_args__ = (UniqueConstraint("item_id", "voter"), UniqueConstraint("item_id", "openid_hash"),
                      UniqueConstraint("item_id", "ballot_id"),
                      UniqueConstraint("item_id", "address_hash", "address_slot"))
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("meeting_items.id"))
    voter: Mapped[str] = mapped_column(String(64))  # sha256 of the phone's voter cookie
    openid_hash: Mapped[Optional[str]] = mapped_column(String(64))  # sha256 of the WeChat openid, when known
    kind: Mapped[str] = mapped_column(String(8))  # deputy | public | member (常委会组成人员, 测评 rounds)
    mode: Mapped[str] = mapped_column(String(8), default="open", server_default="open")  # openid | code | open
    ballot_id: Mapped[Optional[int]] = mapped_column(ForeignKey("meeting_ballots.id"))
    address_hash: Mapped[Optional[str]] = mapped_column(String(64))  # open mode: HMAC of the client address
    address_slot: Mapped[Optional[int]] = mapped_column(Integer)
    deputy_id: Mapped[Optional[int]] = mapped_column(ForeignKey("deputies.id"))
    rating: Mapped[str] = mapped_column(String(24))  # satisfied | basically_satisfied | unsatisfied (| abstain: 测评)
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
