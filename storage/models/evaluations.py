"""评价与征询意见表: the deputy's rating of a reply or of what was done (migration 0016), and the rest of
the opinion form a reply's rating comes on (migration 0019): 办理态度, whether and how the unit contacted
the deputy, the deputy's opinion and the form's date."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class Evaluation(Base):
    """评价: one rating; a reply's rating (kind reply) also holds its 征询意见表's other answers."""

    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_proposal", "proposal_id"),
                      Index("ix_evaluations_assignment", "assignment_id", "kind"))
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    reply_id: Mapped[Optional[int]] = mapped_column(ForeignKey("replies.id"))
    assignment_id: Mapped[Optional[int]] = mapped_column(ForeignKey("assignments.id"))
    kind: Mapped[str] = mapped_column(String(16))  # reply | implementation
    # 办理结果: satisfied | basically_satisfied | unsatisfied (no_feedback: the window closed unrated)
    rating: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id"))
    entered_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # The 征询意见表 (kind reply only; None where not asked or not answered):
    attitude: Mapped[Optional[str]] = mapped_column(String(24))  # 办理态度, rated apart when separate_attitude
    contacted: Mapped[Optional[bool]] = mapped_column(Boolean)  # 承办单位是否与代表联系 (the deputy's word)
    contact_method: Mapped[Optional[str]] = mapped_column(String(32))  # one of CONTACT_METHODS
    opinion: Mapped[Optional[str]] = mapped_column(Text)  # 意见和建议
    form_date: Mapped[Optional[dt.date]] = mapped_column(Date)  # 填表日期 (Beijing), not after the day entered
