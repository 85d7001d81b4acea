"""Reminders for opinions referred to units (转办): a yellow card to the unit before the referral's due
date, a red card to the unit, the deputy and staff once it has passed — each once, like the proposals'
cards (the ledger row `reminders_sent.key` is unique and commits with its outbox rows).

Only referrals without the card in the ledger are read, so a pass with nothing new writes nothing.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.db import Database
from storage.models import CitizenOpinion, OpinionReferral, OutboxMessage, ReminderSent
from storage.uow import Conflict, UnitOfWork
from workflow.domain.cards import last_yellow_due
from workflow.domain.opinions import REFERRAL_DEADLINE
from workflow.settings import Settings
from workflow.usecases.reminders import unsent_cards

KEY = "referral:{id}:{due}:{card}"


async def issue_referral_reminders(db: Database, settings: Settings, today: dt.date) -> int:
    """The referral cards due today not issued before; how many were issued."""
    window = settings.deadlines.reminder.amount
    horizon = last_yellow_due(today, window) or today
    async with db.read() as session:
        rows = (await session.execute(
            select(OpinionReferral.id, OpinionReferral.due, OpinionReferral.opinion_id, CitizenOpinion.receipt,
                   CitizenOpinion.text)
            .join(CitizenOpinion, CitizenOpinion.id == OpinionReferral.opinion_id)
            .where(OpinionReferral.state == "open", OpinionReferral.due <= horizon))).all()
        wanted = await unsent_cards(session, rows, lambda r: r.due, KEY, today, window)
    issued = 0
    for key, (row, card) in wanted.items():
        if await _issue(db, key, row, card):
            issued += 1
    return issued


async def _issue(db: Database, key: str, row, card: str) -> bool:
    try:
        async with UnitOfWork(db) as session:
            referral = await session.get(OpinionReferral, row.id)
            unit = referral.unit
            session.add(ReminderSent(key=key, assignment_id=None, proposal_id=0, deadline="opinion_referral",
                                     card=card, due=row.due))
            opinion = await session.get(CitizenOpinion, row.opinion_id)
            recipients = [("unit", unit.code)]
            if card == "red":
                recipients += [("deputy", opinion.deputy.number) if opinion.deputy else ("staff", "*"), ("staff", "*")]
            facts = {"deadline": REFERRAL_DEADLINE, "due": row.due.isoformat(), "unit": unit.name, "card": card}
            for recipient_kind, recipient_id in dict.fromkeys(recipients):
                kind = "reminder_yellow" if card == "yellow" else "reminder_red"
                session.add(OutboxMessage(
                    kind=kind, recipient_kind=recipient_kind, recipient_id=recipient_id,
                    idempotency_key=f"reminder:{key}:{kind}:{recipient_kind}:{recipient_id}"[:128],
                    payload={"subject": "opinion", "opinion_id": row.opinion_id, "receipt": row.receipt,
                             "title": row.text[:20], "path": "", "referral_id": row.id if recipient_kind == "unit" else None,
                             "facts": facts}))
        return True
    except Conflict:  # issued by another worker at the same moment
        return False
