"""Rows the WeChat bot keeps between messages (migration 0003_bot.py)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

# ================================================================ WeChat bot (issue 3)
# Rows the bot keeps between messages. Migration 0003_bot.py creates them.


class BotDialogue(Base):
    """Where one WeChat user's conversation stands (state) and what it has gathered so far (data)."""

    __tablename__ = "bot_dialogues"
    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(32), default="idle")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class BotInbound(Base):
    """A message WeChat delivered, by its dedupe key, with the answer given: a retry gets the same answer."""

    __tablename__ = "bot_inbound"
    __table_args__ = (Index("ix_bot_inbound_created", "created_at"), Index("ix_bot_inbound_open", "answered_at", "claimed_at"),
                      Index("ix_bot_inbound_signed", "signed", unique=True))
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    openid: Mapped[str] = mapped_column(String(64))
    answer: Mapped[Optional[str]] = mapped_column(Text)
    followed_up: Mapped[bool] = mapped_column(Boolean, default=False)  # answered later by a chat_reply outbox row
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    answered_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    # While the answer is None: which process works on it since when, and the message itself, so that a
    # retry or the sweeper can take over a claim whose owner died (migration 0011).
    owner: Mapped[str] = mapped_column(String(64), default="")
    claimed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    message: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON(none_as_null=True), nullable=True)
    # The signed URL it came with, "timestamp:nonce" (at most 20 digits, ":", 64 characters), and the SHA-256
    # of its body (migration 0029): in plain mode the signature does not cover the body, so the same URL
    # with another body, on any process, is a replay (None on rows written before).
    signed: Mapped[Optional[str]] = mapped_column(String(96))
    body_digest: Mapped[Optional[str]] = mapped_column(String(64))


class BindingAttempt(Base):
    """One try of a binding code by a WeChat user: failed ones are counted to throttle guessing."""

    __tablename__ = "binding_attempts"
    __table_args__ = (Index("ix_binding_attempts_openid", "openid", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ProposalAttachment(Base):
    """佐证材料: a photo a deputy sent in the chat for a proposal (WeChat media id and picture URL)."""

    __tablename__ = "proposal_attachments"
    __table_args__ = (Index("ix_proposal_attachments_proposal", "proposal_id"),
                      Index("ix_proposal_attachments_pending", "stored_at", "next_fetch_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id"))
    kind: Mapped[str] = mapped_column(String(16), default="image")
    media_id: Mapped[str] = mapped_column(String(256), default="")
    url: Mapped[str] = mapped_column(String(1024), default="")
    msg_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Our own copy (migration 0012): data_dir/media/<sha256[:2]>/<sha256>, fetched by the worker.
    sha256: Mapped[str] = mapped_column(String(64), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    content_type: Mapped[str] = mapped_column(String(64), default="")
    stored_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    fetch_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_fetch_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)  # None once stored or given up
    fetch_error: Mapped[str] = mapped_column(String(200), default="")
