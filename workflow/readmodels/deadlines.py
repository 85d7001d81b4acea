"""The open deadlines of every live assignment and every reply awaiting its rating, read for the cards.

Read only: workflow/usecases/reminders.py issues the cards, the dashboard counts and lists them."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import or_, select

from storage.db import Database
from storage.models import Assignment, Deputy, Proposal, Reply, Unit
from workflow.domain.cards import Due
from workflow.domain.deadlines import due_date
from workflow.domain.definition import AWAITING_REPLY_STATES, HANDLED_STATES, HANDLING_ROLES
from workflow.settings import Settings

CALENDAR_KEY = "chinese_calendar_version"


async def open_deadlines(db: Database, settings: Settings, due_by: Optional[dt.date] = None) -> list[Due]:
    """Open deadlines (all, or only those due by `due_by`: the ones that can carry a card today)."""
    found: list[Due] = []
    share = Assignment
    query = (select(share.id, share.proposal_id, share.state, share.role, share.sign_due, share.opinion_given,
                    share.opinion_due, share.reply_due, Proposal.number, Proposal.title, Unit.code, Unit.name)  # columns, not entities: 100k-row years
             .join(Proposal, Assignment.proposal_id == Proposal.id).join(Unit, Assignment.unit_id == Unit.id)
             .where(Assignment.state.in_(sorted(AWAITING_REPLY_STATES)), Assignment.role.in_(HANDLING_ROLES),
                    Proposal.state.in_(HANDLED_STATES)))
    def due_soon(day: Optional[dt.date]) -> bool:
        return day is not None and (due_by is None or day <= due_by)

    if due_by is not None:  # the index-friendly narrowing; the kinds are told apart below
        query = query.where(or_(share.sign_due <= due_by, share.opinion_due <= due_by, share.reply_due <= due_by))
    async with db.read() as session:
        for row in (await session.execute(query)).all():
            a = row  # one assignment's columns
            base = dict(proposal_id=a.proposal_id, number=a.number or "", title=a.title, assignment_id=a.id,
                        unit=a.code, unit_name=a.name)
            if a.state == "pending" and due_soon(a.sign_due):
                found.append(Due("sign", a.sign_due, **base))
            if a.role == "co" and not a.opinion_given and due_soon(a.opinion_due) and a.state != "adjustment_requested":
                found.append(Due("opinion", a.opinion_due, **base))
            if a.role == "lead" and due_soon(a.reply_due):
                found.append(Due("reply", a.reply_due, **base))
        replied = (select(Proposal.id, Proposal.number, Proposal.title, Proposal.lead_deputy_id, Reply.created_at)
                   .join(Reply, Reply.proposal_id == Proposal.id).where(Proposal.state == "replied")
                   .order_by(Reply.id))
        if due_by is not None:  # a rating falls due after its reply: later replies cannot be due yet
            replied = replied.where(Reply.created_at < dt.datetime.combine(due_by + dt.timedelta(days=1), dt.time()))
        latest: dict[int, tuple] = {}
        for pid, number, title, deputy_id, at in (await session.execute(replied)).all():
            latest[pid] = (number, title, deputy_id, at)
        numbers = dict((await session.execute(select(Deputy.id, Deputy.number))).all()) if latest else {}
    dues: dict[dt.date, dt.date] = {}  # replies of a day share their due date
    for pid, (number, title, deputy_id, at) in latest.items():
        day = at.date()
        if day not in dues:
            dues[day] = due_date(day, settings.deadlines.evaluation).due
        due = dues[day]
        found.append(Due("evaluation", due, pid, number or "", title, deputy=numbers.get(deputy_id, "")))
    return found
