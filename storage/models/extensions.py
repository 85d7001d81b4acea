"""延期申请: a lead unit's application for a later reply due date, and staff's decision (migration 0015)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class ExtensionRequest(Base):
    """One application: the date asked for, why, whether the deputy was told; then approved or refused."""

    __tablename__ = "extension_requests"
    __table_args__ = (Index("ix_extension_requests_assignment", "assignment_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))
    requested_due: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    explained_to_deputy: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | refused
    granted_due: Mapped[Optional[dt.date]] = mapped_column(Date)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
