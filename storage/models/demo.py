"""The demo's WeChat log: what the built-in WeChat stand-in was asked to send (demo mode only)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class DemoWechatMessage(Base):
    """One message in a demo WeChat user's chat, in the order it happened.

    source: "said" (the user, through /simulator), "answer" (the bot's reply to it), "custom" or
    "template" (pushed through the WeChat API, i.e. the stand-in)."""

    __tablename__ = "demo_wechat_messages"
    __table_args__ = (Index("ix_demo_wechat_messages_openid", "openid", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(1024), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
