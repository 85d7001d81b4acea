"""The open deadlines of every live assignment and every reply awaiting its rating, read for the cards.

Read only: workflow/usecases/reminders.py issues the cards, the dashboard counts and lists them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, or_, select

from storage.db import Database
from storage.models import Assignment, Deputy, Proposal, Reply, Unit
from workflow.domain.cards import AWAITING_ASSIGNMENT, Due, interim_assign_due
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
        found += await _rating_and_promise_dues(session, settings, due_by)
        found += await _adjustment_decision_dues(session, due_by)
        found += await interim_assign_dues(session, due_by)
    return found


async def replied_windows(session, due_by: Optional[dt.date] = None) -> list:
    """Proposals whose replies await their ratings, each with the day the window opened (the Beijing date of
    the round's last reply): rows (id, number, title, deputy, opened). With `due_by`, only windows opened by then."""
    replied = (select(Proposal.id, Proposal.number, Proposal.title, Deputy.number.label("deputy"),
                      func.max(Reply.replied_on).label("opened"))
               .join(Reply, (Reply.proposal_id == Proposal.id) & (Reply.round == Proposal.round))
               .join(Deputy, Deputy.id == Proposal.lead_deputy_id)
               .where(Proposal.state == "replied")
               .group_by(Proposal.id, Proposal.number, Proposal.title, Deputy.number))
    if due_by is not None:  # a window falls due after it opens: later ones cannot be due yet
        replied = replied.having(func.max(Reply.replied_on) <= due_by)
    return [r for r in (await session.execute(replied)).all() if r.opened is not None]


@dataclass(frozen=True)
class Following:
    """A lead unit's share while 落实中 (跟踪办理), with the promise date of its newest reply."""

    id: int
    proposal_id: int
    number: str
    title: str
    unit: str
    unit_name: str
    deputy: str
    rating_opened_on: Optional[dt.date]
    followup_due: Optional[dt.date]
    promise: Optional[dt.date]


async def following_shares(session) -> list[Following]:
    share = Assignment
    query = (select(share.id, share.proposal_id, share.rating_opened_on, share.followup_due, Proposal.number,
                    Proposal.title, Unit.code, Unit.name, Deputy.number.label("deputy"))
             .join(Proposal, share.proposal_id == Proposal.id).join(Unit, share.unit_id == Unit.id)
             .join(Deputy, Deputy.id == Proposal.lead_deputy_id)
             .where(Proposal.state == "implementing", share.state == "implementing", share.role == "lead"))
    rows = (await session.execute(query)).all()
    promises: dict[int, Optional[dt.date]] = {}
    waiting = [r.id for r in rows if r.followup_due is None]
    if waiting:
        newest = select(Reply.assignment_id, Reply.promise_date).where(Reply.assignment_id.in_(waiting))
        for assignment_id, promise in (await session.execute(newest.order_by(Reply.id))).all():
            promises[assignment_id] = promise  # the newest reply of each unit wins
    return [Following(r.id, r.proposal_id, r.number or "", r.title, r.code, r.name, r.deputy, r.rating_opened_on,
                      r.followup_due, promises.get(r.id)) for r in rows]


async def _rating_and_promise_dues(session, settings: Settings, due_by: Optional[dt.date]) -> list[Due]:
    """The deputy's rating windows (reply ratings from the round's last reply, implementation ratings from
    the day they were asked for) and the units' promise dates and follow-up answers while 落实中."""
    found: list[Due] = []
    period = settings.deadlines.evaluation
    dues: dict[dt.date, dt.date] = {}  # windows opened on one day share their due date

    def window_due(opened: dt.date) -> dt.date:
        if opened not in dues:
            dues[opened] = due_date(opened, period).due
        return dues[opened]

    for r in await replied_windows(session, due_by):
        if due_by is None or window_due(r.opened) <= due_by:
            found.append(Due("evaluation", window_due(r.opened), r.id, r.number or "", r.title, deputy=r.deputy))
    for r in await following_shares(session):
        base = dict(proposal_id=r.proposal_id, number=r.number, title=r.title, assignment_id=r.id,
                    unit=r.unit, unit_name=r.unit_name)
        if r.rating_opened_on is not None:
            due = window_due(r.rating_opened_on)
            if due_by is None or due <= due_by:
                found.append(Due("implementation_evaluation", due, deputy=r.deputy, **base))
        if r.followup_due is not None:
            if due_by is None or r.followup_due <= due_by:
                found.append(Due("followup", r.followup_due, **base))
        elif r.promise is not None and (due_by is None or r.promise <= due_by):
            # Until the unit reports it done (before the date), the promise carries its cards; once the
            # date has passed it stays listed (the red card) beside the deputy's implementation rating.
            if r.rating_opened_on is None or r.rating_opened_on > r.promise:
                found.append(Due("promise", r.promise, **base))
    return found


async def _adjustment_decision_dues(session, due_by: Optional[dt.date]) -> list[Due]:
    """Staff's decision on each adjustment request still waiting (改派 or 不同意调整), due
    deadlines.adjustment_decision after the unit asked (the date stored when it asked)."""
    share = Assignment
    query = (select(share.id, share.proposal_id, share.adjustment_decision_due, Proposal.number, Proposal.title,
                    Unit.code, Unit.name)
             .join(Proposal, share.proposal_id == Proposal.id).join(Unit, share.unit_id == Unit.id)
             .where(share.state == "adjustment_requested", share.adjustment_decision_due.is_not(None),
                    Proposal.state.in_(HANDLED_STATES)))
    if due_by is not None:
        query = query.where(share.adjustment_decision_due <= due_by)
    return [Due("adjustment_decision", r.adjustment_decision_due, r.proposal_id, r.number or "", r.title,
                assignment_id=r.id, unit=r.code, unit_name=r.name)
            for r in (await session.execute(query)).all()]


async def interim_assign_dues(session, due_by: Optional[dt.date] = None) -> list[Due]:
    """Staff's 受理并交办 of each interim proposal (闭会期间建议) still waiting in submitted or accepted, due
    deadlines.interim_assign after submission (assign_due, stored by the engine when it was numbered)."""
    query = (select(Proposal.id, Proposal.number, Proposal.title, Proposal.kind, Proposal.state, Proposal.assign_due)
             .where(Proposal.kind == "interim", Proposal.state.in_(AWAITING_ASSIGNMENT),
                    Proposal.assign_due.is_not(None)))
    if due_by is not None:
        query = query.where(Proposal.assign_due <= due_by)
    found = []
    for r in (await session.execute(query)).all():
        due = interim_assign_due(r.kind, r.state, r.assign_due)
        if due is not None:
            found.append(Due("interim_assign", due, r.id, r.number or "", r.title))
    return found
