"""Referral cards (转办群众意见): yellow to the unit before its due date, red to the unit, the deputy and staff
after it; each once, and a pass with nothing new writes nothing."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from storage.models import OutboxMessage, ReminderSent
from workflow.usecases.opinion_reminders import issue_referral_reminders


async def _referred(api, clock, due: dt.date) -> str:
    made = await api.post("/api/v1/opinions", {"text": "村道塌方需要修复。", "deputy": "D001", "citizen_name": "赵六"})
    assert made.status == 201, made.body
    receipt = made.body["receipt"]
    referred = await api.post(f"/api/v1/opinions/{receipt}/actions",
                              {"action": "refer", "unit": "JTJ", "due_date": due.isoformat()})
    assert referred.status == 200, referred.body
    return receipt


async def _cards(db) -> list[tuple[str, str, str]]:
    async with db.read() as session:
        return sorted((await session.execute(select(OutboxMessage.kind, OutboxMessage.recipient_kind,
                                                    OutboxMessage.recipient_id)
                                             .where(OutboxMessage.kind.like("reminder_%")))).all())


async def test_a_referral_gets_a_yellow_card_then_a_red_one_each_once(api, db, settings, clock):
    due = clock.today + dt.timedelta(days=1)
    await _referred(api, clock, due)
    assert await issue_referral_reminders(db, settings, clock.today) == 1
    assert await issue_referral_reminders(db, settings, clock.today) == 0
    assert await _cards(db) == [("reminder_yellow", "unit", "JTJ")]
    later = due + dt.timedelta(days=1)
    assert await issue_referral_reminders(db, settings, later) == 1
    assert await issue_referral_reminders(db, settings, later) == 0
    assert ("reminder_red", "deputy", "D001") in await _cards(db)
    assert ("reminder_red", "unit", "JTJ") in await _cards(db)
    async with db.read() as session:
        assert (await session.execute(select(func.count()).select_from(ReminderSent))).scalar_one() == 2


async def test_an_answered_referral_gets_no_card(api, db, settings, clock, client):
    receipt = await _referred(api, clock, clock.today + dt.timedelta(days=1))
    link = (await api.get(f"/api/v1/opinions/{receipt}")).body["referrals"][0]["link"]
    answered = await client.post(link, json={"action": "unit_answer", "text": "已修复。"})
    assert answered.status == 200
    assert await issue_referral_reminders(db, settings, clock.today + dt.timedelta(days=5)) == 0
