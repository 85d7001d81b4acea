"""The system log (migration 0008): administrative actions that belong to no one proposal.

Binding a WeChat user, issuing a binding code, importing a roster, sealing the old chains: each is a
row here, chained and keyed like a proposal's events (workflow/domain/chain.py). The chain's head
(count and newest hash) is the `meta` row SYSTEM_HEAD, so deleting the newest row is seen too.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

SYSTEM_HEAD = "system_events_head"  # meta key: "<count>:<newest hash>"


class SystemEvent(Base):
    """One administrative action: who, what, on whom (subject), when; append-only, in one chain."""

    __tablename__ = "system_events"
    __table_args__ = (Index("ix_system_events_subject", "subject_kind", "subject_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    action: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(128), default="")
    subject_kind: Mapped[str] = mapped_column(String(16))  # deputy | unit | roster | chain
    subject_id: Mapped[str] = mapped_column(String(64), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64))
