"""Deadline reminders: a yellow card before each due date, a red card once it has passed.

Each (deadline, card) is sent once, whatever the number of workers or restarts: the ledger row
(`reminders_sent.key` is unique) and the outbox rows commit together, and a second attempt at the
same key fails on the unique constraint and sends nothing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import Assignment, Deputy, Meta, OutboxMessage, Proposal, ReminderSent, Reply, Unit
from workflow.domain.deadlines import due_date, working_days_between
from workflow.settings import Settings

DEADLINE_LABELS = {"sign": "签收期限", "opinion": "协办意见期限", "reply": "答复期限", "evaluation": "代表评价期限"}
CALENDAR_KEY = "chinese_calendar_version"


@dataclass
class Due:
    deadline: str
    due: dt.date
    proposal_id: int
    number: str
    title: str
    assignment_id: int | None = None
    unit: str = ""
    unit_name: str = ""
    deputy: str = ""


def card_for(due: dt.date, today: dt.date, reminder_working_days: int) -> str | None:
    """'yellow' within the reminder window before `due`, 'red' after it, else None."""
    if today > due:
        return "red"
    if working_days_between(today, due) <= reminder_working_days:
        return "yellow"
    return None


def last_yellow_due(today: dt.date, window: int) -> Optional[dt.date]:
    """The latest due date that carries a yellow card today (card_for is yellow from today up to it)."""
    day, last = today, None
    while card_for(day, today, window) == "yellow":
        last, day = day, day + dt.timedelta(days=1)
    return last


async def open_deadlines(db: Database, settings: Settings, due_by: Optional[dt.date] = None) -> list[Due]:
    """Open deadlines (all, or only those due by `due_by`: the ones that can carry a card today)."""
    found: list[Due] = []
    share = Assignment
    query = (select(share.id, share.proposal_id, share.state, share.role, share.sign_due, share.opinion_given,
                    share.opinion_due, share.reply_due, Proposal.number, Proposal.title, Unit.code, Unit.name)  # columns, not entities: 100k-row years
             .join(Proposal, Assignment.proposal_id == Proposal.id).join(Unit, Assignment.unit_id == Unit.id)
             .where(Assignment.state.in_(["pending", "signed", "rehandling", "adjustment_requested"]),
                    Assignment.role.in_(["lead", "co"]),
                    Proposal.state.in_(["assigned", "handling", "rehandling", "replied", "implementing"])))
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


def _recipients(item: Due, card: str) -> list[tuple[str, str, str]]:
    """(message kind, recipient kind, recipient id)."""
    if item.deadline == "evaluation":
        if card == "yellow":
            return [("evaluation_reminder", "deputy", item.deputy)]
        return [("reminder_red", "staff", "*")]
    if card == "yellow":
        return [("reminder_yellow", "unit", item.unit)]
    return [("reminder_red", "supervisor", "*"), ("reminder_red", "staff", "*"), ("reminder_yellow", "unit", item.unit)]


async def issue_reminders(db: Database, settings: Settings, today: dt.date) -> int:
    """Write the reminders due today that were not written before; returns how many cards were issued."""
    issued = 0
    window = settings.deadlines.reminder.amount
    for item in await open_deadlines(db, settings, due_by=last_yellow_due(today, window) or today):
        card = card_for(item.due, today, window)
        if card is None:
            continue
        key = f"{item.deadline}:{item.assignment_id or 'p' + str(item.proposal_id)}:{item.due.isoformat()}:{card}"
        facts = {"deadline": DEADLINE_LABELS[item.deadline], "due": item.due.isoformat(), "unit": item.unit_name,
                 "card": card}
        try:
            async with db.write() as session:
                async with session.begin():
                    session.add(ReminderSent(key=key, assignment_id=item.assignment_id, proposal_id=item.proposal_id,
                                             deadline=item.deadline, card=card, due=item.due))
                    await session.flush()
                    for kind, recipient_kind, recipient_id in _recipients(item, card):
                        session.add(OutboxMessage(
                            kind=kind, recipient_kind=recipient_kind, recipient_id=recipient_id,
                            idempotency_key=f"reminder:{key}:{kind}:{recipient_kind}:{recipient_id}",
                            payload={"proposal_id": item.proposal_id, "number": item.number, "title": item.title,
                                     "assignment_id": item.assignment_id, "facts": facts}))
            issued += 1
        except IntegrityError:
            continue  # already issued (by another worker, or before a restart)
    return issued


async def recompute_if_calendar_changed(db: Database, settings: Settings, version: str) -> int:
    """After a new holiday calendar: recompute open working-day deadlines computed by the engine."""
    try:
        return await _recompute(db, settings, version)
    except IntegrityError:  # another worker recorded this calendar version at the same moment
        return 0


async def _recompute(db: Database, settings: Settings, version: str) -> int:
    d = settings.deadlines
    changed = 0
    async with db.write() as session:
        async with session.begin():
            meta = await session.get(Meta, CALENDAR_KEY)
            if meta is not None and meta.value == version:
                return 0
            if meta is None:
                session.add(Meta(key=CALENDAR_KEY, value=version))
            else:
                meta.value = version
                rows = (await session.execute(select(Assignment).where(
                    Assignment.state.in_(["pending", "signed", "adjustment_requested", "rehandling"])))).scalars()
                for a in rows:
                    before = (a.sign_due, a.adjustment_due, a.opinion_due, a.reply_due)
                    if d.sign.unit == "working_days" and a.sign_due:
                        a.sign_due = due_date(a.assigned_on, d.sign).due
                    if d.adjustment.unit == "working_days" and a.adjustment_due:
                        a.adjustment_due = due_date(a.assigned_on, d.adjustment).due
                    if d.opinion.unit == "working_days" and a.opinion_due:
                        a.opinion_due = due_date(a.assigned_on, d.opinion).due
                    if (d.reply.unit == "working_days" and a.reply_due and not a.reply_due_manual
                            and a.state != "rehandling"):
                        a.reply_due = due_date(a.assigned_on, d.reply).due
                    changed += before != (a.sign_due, a.adjustment_due, a.opinion_due, a.reply_due)
    return changed
