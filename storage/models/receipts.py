"""Receipts of actions done once per request key (migration 0011_bot_claims.py).

A front end that may run the same request twice (the bot, when a message's first owner died before it
recorded the answer) gives each of its engine writes a key; the engine writes the receipt in the
action's own transaction, so a second run finds it and returns the first run's result instead of
acting again.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class ActionReceipt(Base):
    __tablename__ = "action_receipts"
    __table_args__ = (Index("ix_action_receipts_created", "created_at"),)
    key: Mapped[str] = mapped_column(String(220), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    event_id: Mapped[Optional[int]] = mapped_column(Integer)
    from_state: Mapped[str] = mapped_column(String(16), default="")
    to_state: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
