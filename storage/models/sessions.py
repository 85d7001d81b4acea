"""届/次: the sessions of the people's congress, and each session's two number sequences (migration 0017).

A proposal submitted while a session sits is a 大会建议 of it (kind "session"); one submitted after it
closes and before the next opens is a 闭会期间建议 of it (kind "interim"). Each (session, kind) numbers
its proposals 1, 2, 3...; the official number printed on papers (第24号) is kept on the proposal.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class CongressSession(Base):
    """人民代表大会的一次会议: term 届 and number 次, e.g. 第十八届人民代表大会第五次会议."""

    __tablename__ = "congress_sessions"
    __table_args__ = (UniqueConstraint("term", "number", name="uq_congress_sessions_term_number"),
                      CheckConstraint("opens_on <= closes_on", name="ck_congress_sessions_dates"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    term: Mapped[int] = mapped_column(Integer)  # 届
    number: Mapped[int] = mapped_column(Integer)  # 次
    name: Mapped[str] = mapped_column(String(128))  # 衡阳县第十八届人民代表大会第五次会议
    opens_on: Mapped[dt.date] = mapped_column(Date)
    closes_on: Mapped[dt.date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SessionCounter(Base):
    """The last official number given in one sequence: a session's session proposals, or its interim ones."""

    __tablename__ = "session_counters"
    session_id: Mapped[int] = mapped_column(ForeignKey("congress_sessions.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # session | interim
    last: Mapped[int] = mapped_column(Integer, default=0)
