"""Deadline reminders: a yellow card before each due date, a red card once it has passed.

Each (deadline, card) is sent once, whatever the number of workers or restarts: the ledger row
(`reminders_sent.key` is unique) and the outbox rows commit together; a pass writes only the cards the
ledger does not hold, and two workers racing on one card meet on the unique constraint (a Conflict):
one sends it.
"""
from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select, update

from storage.db import Database
from storage.models import Assignment, Event, Meta, OutboxMessage, Proposal, ReminderSent
from storage.uow import Conflict, UnitOfWork
from workflow.domain.cards import AWAITING_ASSIGNMENT, DEADLINE_LABELS, card_for, card_recipients, last_yellow_due
from workflow.domain.clock import local_date
from workflow.domain.deadlines import due_date
from workflow.domain.definition import AWAITING_REPLY_STATES
from workflow.readmodels.deadlines import CALENDAR_KEY, open_deadlines
from workflow.settings import Settings
from workflow.usecases import share_facts


async def issue_reminders(db: Database, settings: Settings, today: dt.date) -> int:
    """Write the reminders due today that were not written before; returns how many cards were issued.

    The ledger is read first (keys in chunks): a pass with nothing new writes nothing and fails nothing.
    The new cards go in batches, one transaction each, with a pause between, so a month's first burst
    leaves the webhook and the senders room; a batch that meets a card another worker wrote at the same
    moment is written again card by card, and that card is skipped."""
    window = settings.deadlines.reminder.amount
    due = []
    for item in await open_deadlines(db, settings, due_by=last_yellow_due(today, window) or today):
        card = card_for(item.due, today, window)
        if card is not None:
            due.append((_ledger_key(item, card), item, card))
    async with db.read() as session:
        sent = await _in_ledger(session, [key for key, _item, _card in due])
    fresh = [entry for entry in due if entry[0] not in sent]
    issued = 0
    for start in range(0, len(fresh), WRITE_BATCH):
        if start:
            await asyncio.sleep(BATCH_PAUSE)
        batch = fresh[start:start + WRITE_BATCH]
        try:
            async with UnitOfWork(db) as session:
                for key, item, card in batch:
                    await _write_card(session, key, item, card)
            issued += len(batch)
        except Conflict:
            issued += await _one_by_one(db, batch)
    return issued


WRITE_BATCH = 100  # cards per transaction
BATCH_PAUSE = 0.01  # seconds between batches: the event loop serves others meanwhile
LEDGER_CHUNK = 500  # keys per ledger read


def _ledger_key(item, card: str) -> str:
    return f"{item.deadline}:{item.assignment_id or 'p' + str(item.proposal_id)}:{item.due.isoformat()}:{card}"


async def _in_ledger(session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), LEDGER_CHUNK):
        chunk = keys[start:start + LEDGER_CHUNK]
        found.update((await session.execute(select(ReminderSent.key).where(ReminderSent.key.in_(chunk)))).scalars())
    return found


async def _one_by_one(db: Database, batch: list) -> int:
    issued = 0
    for key, item, card in batch:
        try:
            async with UnitOfWork(db) as session:
                await _write_card(session, key, item, card)
            issued += 1
        except Conflict:
            continue  # already issued (by another worker, or before a restart)
    return issued


async def _write_card(session, key: str, item, card: str) -> None:
    """The ledger row and the card's notifications (flushed: a key already in the ledger fails here)."""
    session.add(ReminderSent(key=key, assignment_id=item.assignment_id, proposal_id=item.proposal_id,
                             deadline=item.deadline, card=card, due=item.due))
    await session.flush()
    facts = {"deadline": DEADLINE_LABELS[item.deadline], "due": item.due.isoformat(), "unit": item.unit_name,
             "card": card}
    for kind, recipient_kind, recipient_id in card_recipients(item, card):
        session.add(OutboxMessage(
            kind=kind, recipient_kind=recipient_kind, recipient_id=recipient_id,
            idempotency_key=f"reminder:{key}:{kind}:{recipient_kind}:{recipient_id}",
            payload={"proposal_id": item.proposal_id, "number": item.number, "title": item.title,
                     "assignment_id": item.assignment_id, "facts": facts}))


async def unsent_cards(session, rows, due_of, key: str, today: dt.date, window: int) -> dict[str, tuple]:
    """The cards `rows` carry today that the ledger does not hold yet: {ledger key: (row, card)}. `due_of` gives
    a row's due date; `key` is the ledger key's format with {id}, {due} and {card}. One read of the ledger."""
    wanted = {}
    for row in rows:
        card = card_for(due_of(row), today, window)
        if card is not None:
            wanted[key.format(id=row.id, due=due_of(row).isoformat(), card=card)] = (row, card)
    if not wanted:
        return {}
    sent = set((await session.execute(select(ReminderSent.key).where(ReminderSent.key.in_(list(wanted))))).scalars())
    return {k: v for k, v in wanted.items() if k not in sent}


async def recompute_if_calendar_changed(db: Database, settings: Settings, version: str) -> int:
    """After the holiday calendar changed (a package release, a shipped notice file, a year entered on the
    console, the rest-day shift switched): recompute the open deadlines the engine computed.
    `version` is the installed calendar's fingerprint (workflow/domain/deadlines.py `Rules.fingerprint`)."""
    try:
        return await _recompute(db, settings, version)
    except Conflict:  # another worker recorded this calendar version at the same moment
        return 0


async def _recompute(db: Database, settings: Settings, version: str) -> int:
    # Every kind of period depends on the calendar: working days count it, and a period in days or months
    # ending on a rest day moves to the next working day (deadlines.rest_day_shift).
    d = settings.deadlines
    changed = 0
    async with UnitOfWork(db) as session:
        meta = await session.get(Meta, CALENDAR_KEY)
        if meta is not None and meta.value == version:
            return 0
        if meta is None:
            session.add(Meta(key=CALENDAR_KEY, value=version))
        else:
            meta.value = version
            rows = (await session.execute(select(Assignment).where(
                Assignment.state.in_(sorted(AWAITING_REPLY_STATES))))).scalars()
            moved: set[int] = set()  # proposals whose reply due dates moved: their dashboard facts follow
            for a in rows:
                before = (a.sign_due, a.adjustment_due, a.opinion_due, a.reply_due, a.adjustment_decision_due)
                if a.sign_due:
                    a.sign_due = due_date(a.assigned_on, d.sign).due
                if a.adjustment_due:
                    a.adjustment_due = due_date(a.assigned_on, d.adjustment).due
                if a.opinion_due:
                    a.opinion_due = due_date(a.assigned_on, d.opinion).due
                if a.reply_due and not a.reply_due_manual and a.state != "rehandling":
                    a.reply_due = due_date(a.assigned_on, d.reply).due
                    if a.reply_due != before[3]:
                        moved.add(a.proposal_id)
                if a.adjustment_decision_due and a.adjustment_requested_on:  # staff's decision on an adjustment request
                    a.adjustment_decision_due = due_date(a.adjustment_requested_on, d.adjustment_decision).due
                changed += before != (a.sign_due, a.adjustment_due, a.opinion_due, a.reply_due,
                                      a.adjustment_decision_due)
            await share_facts.rewrite(session, sorted(moved))
            changed += await _recompute_interim_assign(session, settings)
    return changed


async def _recompute_interim_assign(session, settings: Settings) -> int:
    """Staff's 受理并交办 deadline of the interim proposals still waiting: deadlines.interim_assign from the
    day of the first submission (the day the engine numbered them and computed it)."""
    waiting = select(Proposal.id).where(Proposal.kind == "interim", Proposal.state.in_(AWAITING_ASSIGNMENT),
                                        Proposal.assign_due.is_not(None))
    rows = (await session.execute(
        select(Event.proposal_id, Proposal.assign_due, func.min(Event.created_at))
        .join(Proposal, Proposal.id == Event.proposal_id)
        .where(Event.action == "submit", Event.proposal_id.in_(waiting))
        .group_by(Event.proposal_id, Proposal.assign_due))).all()
    changed = 0
    for proposal_id, stored, submitted_at in rows:
        due = due_date(local_date(submitted_at), settings.deadlines.interim_assign).due
        if due != stored:
            await session.execute(update(Proposal).where(Proposal.id == proposal_id).values(assign_due=due))
            changed += 1
    return changed
