"""What each live lead share of a proposal comes to for the tallies (migration 0030): one row per lead
assignment still on its proposal, with the 0/1 facts of workflow/domain/tallies.py `Facts` that do not
depend on the day (overdue does: it is derived when read, from `awaiting` and `reply_due`). Written in
the transaction of each action that changes them (workflow/engine/share_facts.py), stamped with the
proposal's `facts_stamp`, which the same action moves on in the proposal's own UPDATE: rows of another
stamp are stale and the readers derive that proposal's facts from its replies, ratings and contacts
instead (workflow/readmodels/lead_facts.py)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

# The Facts fields kept per share (all but `leads`, always 1, and `overdue`, which depends on the day).
STORED_FACTS = (
    "replied_leads", "on_time_leads", "solved_leads", "contacted", "face_to_face",
    "reply_satisfied_leads", "reply_basically_satisfied_leads", "reply_unsatisfied_leads", "reply_no_feedback_leads",
    "first_reply_satisfied_leads", "first_reply_basically_satisfied_leads", "first_reply_unsatisfied_leads",
    "implementation_satisfied_leads", "implementation_basically_satisfied_leads",
    "implementation_unsatisfied_leads", "implementation_no_feedback_leads",
)


class LeadShareFacts(Base):
    __tablename__ = "lead_share_facts"
    __table_args__ = (Index("ix_lead_share_facts_proposal", "proposal_id", "stamp"),)

    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    stamp: Mapped[int] = mapped_column(Integer)  # the proposal's facts_stamp these facts were derived at
    awaiting: Mapped[bool] = mapped_column(Boolean)  # its reply is still owed (AWAITING_REPLY_STATES)
    reply_due: Mapped[Optional[dt.date]] = mapped_column(Date)


class ProposalFacts(Base):
    """The same facts summed over a proposal's live lead shares (how many of them have each), one row per
    proposal with a live lead share: the dashboard counts proposals without grouping their shares. Overdue
    is kept as its parts: how many shares await a reply with a due date, and the earliest and latest of
    those dates (the shares are counted one by one only when today falls between them)."""

    __tablename__ = "proposal_facts"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    stamp: Mapped[int] = mapped_column(Integer)
    leads: Mapped[int] = mapped_column(SmallInteger)
    dated_awaiting: Mapped[int] = mapped_column(SmallInteger)  # shares awaiting a reply that have a due date
    first_due: Mapped[Optional[dt.date]] = mapped_column(Date)  # the earliest of their due dates
    last_due: Mapped[Optional[dt.date]] = mapped_column(Date)  # the latest


for _table in (LeadShareFacts, ProposalFacts):  # one column per fact, named as in Facts
    for _name in STORED_FACTS:
        setattr(_table, _name, mapped_column(_name, SmallInteger, default=0, nullable=False))
