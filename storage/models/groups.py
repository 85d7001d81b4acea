"""并案办理: proposals with the same content handled together (migration 0022).

A group is led by one proposal (牵头建议); its members point to it with `Proposal.group_id` (the lead
too). Members are assigned with their lead at once, and each is still answered and rated on its own.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class HandlingGroup(Base):
    """One 并案: the lead proposal, who combined them and when."""

    __tablename__ = "handling_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    # The lead's proposals.id (no foreign key: proposals.group_id points here, and the tables must not
    # refer to each other in a circle, which would leave no order to create or empty them in).
    lead_proposal_id: Mapped[int] = mapped_column(Integer, unique=True)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
