"""Reminders for livelihood projects being implemented (民生实事项目实施中): a yellow card to the responsible
unit before the next progress report is due (`Project.progress_due`), a red card to the unit and staff once
it has passed — each once, like the proposals' and the referrals' cards (the ledger row `reminders_sent.key`
is unique and commits with its outbox rows). Every progress report moves the due date on
(settings.projects.progress_every), so the next period gets its own cards.

Only projects without the card in the ledger are read, so a pass with nothing new writes nothing.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.db import Database
from storage.models import OutboxMessage, Project, ReminderSent
from storage.uow import Conflict, UnitOfWork
from workflow.domain.cards import last_yellow_due
from workflow.settings import Settings
from workflow.usecases.reminders import unsent_cards

KEY = "project:{id}:{due}:{card}"
DEADLINE = "实施进展报告期限"  # the card's words (reminder_yellow / reminder_red in notify/texts.py)


async def issue_project_reminders(db: Database, settings: Settings, today: dt.date) -> int:
    """The progress-report cards due today not issued before; how many were issued."""
    window = settings.deadlines.reminder.amount
    horizon = last_yellow_due(today, window) or today
    async with db.read() as session:
        rows = (await session.execute(
            select(Project.id, Project.progress_due, Project.number, Project.title)
            .where(Project.state == "implementing", Project.unit_id.is_not(None), Project.progress_due.is_not(None),
                   Project.progress_due <= horizon))).all()
        wanted = await unsent_cards(session, rows, lambda r: r.progress_due, KEY, today, window)
    issued = 0
    for key, (row, card) in wanted.items():
        if await _issue(db, key, row, card):
            issued += 1
    return issued


async def _issue(db: Database, key: str, row, card: str) -> bool:
    try:
        async with UnitOfWork(db) as session:
            project = await session.get(Project, row.id)
            if project is None or project.unit is None:
                return False
            session.add(ReminderSent(key=key, assignment_id=None, proposal_id=0, deadline="project_progress",
                                     card=card, due=row.progress_due))
            recipients = [("unit", project.unit.code)] + ([("staff", "*")] if card == "red" else [])
            kind = "reminder_yellow" if card == "yellow" else "reminder_red"
            facts = {"deadline": DEADLINE, "due": row.progress_due.isoformat(), "unit": project.unit.name, "card": card}
            for recipient_kind, recipient_id in recipients:
                session.add(OutboxMessage(
                    kind=kind, recipient_kind=recipient_kind, recipient_id=recipient_id,
                    idempotency_key=f"reminder:{key}:{kind}:{recipient_kind}:{recipient_id}"[:128],
                    payload={"subject": "project", "project_id": row.id, "number": row.number,
                             "title": row.title[:20], "facts": facts}))
        return True
    except Conflict:  # issued by another worker at the same moment
        return False
