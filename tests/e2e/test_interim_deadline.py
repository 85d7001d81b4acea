"""闭会期间建议: staff accept and assign it within deadlines.interim_assign of its submission, with a yellow
card before the due date, a red one after, both once, and none once it is assigned or for 大会建议."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from notify.runner import Scheduler
from storage.models import OutboxMessage
from tests.support.notify import STAFF, seed
from workflow.domain.cards import interim_assign_due
from workflow.engine.engine import Engine
from workflow.usecases.sessions import add_session


def test_only_an_interim_proposal_waiting_for_assignment_has_the_staff_deadline():
    due = dt.date(2026, 3, 16)
    assert interim_assign_due("interim", "submitted", due) == due
    assert interim_assign_due("interim", "accepted", due) == due
    assert interim_assign_due("interim", "assigned", due) is None
    assert interim_assign_due("session", "submitted", due) is None  # assigned at the 交办会
    assert interim_assign_due("", "submitted", None) is None


async def _cards(db) -> list[tuple[str, str, str]]:
    async with db.read() as session:
        rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind.like("reminder%"))
                                      .order_by(OutboxMessage.id))).scalars().all()
    return [(r.kind, r.recipient_kind, r.payload["facts"].get("deadline_kind", "")) for r in rows]


async def test_an_interim_proposal_gets_one_yellow_then_one_red_card_until_it_is_assigned(db, settings, clock):
    await seed(db)
    await add_session(db, {"term": 18, "number": 5, "name": "第五次会议", "opens_on": "2026-01-10",
                           "closes_on": "2026-01-13"}, STAFF)
    clock.today = dt.date(2026, 3, 2)
    engine = Engine(db, settings, clock=clock)
    waiting = (await engine.create_proposal(STAFF, "D001", "关于修缮村小学校舍的建议", "校舍漏雨。", submit=True)).proposal
    assert waiting.kind == "interim" and waiting.assign_due == dt.date(2026, 3, 16)
    scheduler = Scheduler(db, settings, clock)
    assert await scheduler.run_once() == 0  # 10 working days away: no card yet
    clock.today = dt.date(2026, 3, 12)  # 3 working days before: yellow to staff
    assert await scheduler.run_once() == 1
    assert await scheduler.run_once() == 0
    clock.today = dt.date(2026, 3, 17)  # passed: red to staff and supervisors
    assert await scheduler.run_once() >= 1
    kinds = {(kind, who) for kind, who, _ in await _cards(db)}
    assert ("reminder_yellow", "staff") in kinds and ("reminder_red", "staff") in kinds
    before = len(await _cards(db))
    await engine.perform(waiting.number, "accept", STAFF, {"category": "教育"})
    await engine.perform(waiting.number, "assign", STAFF, {"lead_units": ["JYJ"]})
    clock.today = dt.date(2026, 3, 18)
    await scheduler.run_once()
    assert not [c for c in (await _cards(db))[before:] if c[1] == "supervisor"]  # no more interim red cards
