"""答复函 (migration 0018): a reply's letter fields (ReplyLetter, mixed into Reply), the heads a unit's replies
are signed by (单位负责人, 签发人), and the sealed letters units upload (盖章答复函), kept by SHA-256 under
data_dir/letters."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class ReplyLetter:
    """A reply's 答复函 fields (mixed into Reply, table replies): the signer's title when chosen from the unit's
    heads, 文号, 承办人 and phone ("" when not given, as for replies before migration 0018)."""

    signer_title: Mapped[str] = mapped_column(String(64), default="", server_default="")
    doc_number: Mapped[str] = mapped_column(String(64), default="", server_default="")
    handler: Mapped[str] = mapped_column(String(64), default="", server_default="")
    handler_phone: Mapped[str] = mapped_column(String(32), default="", server_default="")


class UnitHead(Base):
    """单位负责人: one person who may sign (签发) the unit's replies, e.g. 局长 贺新民."""

    __tablename__ = "unit_heads"
    __table_args__ = (UniqueConstraint("unit_id", "name", name="uq_unit_heads_unit_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(64), default="")  # 局长 / 副局长 / 镇长 ...
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SealedLetter(Base):
    """盖章答复函: the PDF a unit uploaded for one reply; the file is data_dir/letters/<sha[:2]>/<sha>.pdf."""

    __tablename__ = "sealed_letters"
    __table_args__ = (Index("ix_sealed_letters_reply", "reply_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("replies.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200), default="")
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
