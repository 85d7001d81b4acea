"""Deadline reminders: yellow before, red after, each once per deadline whatever the workers and restarts."""
from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

from sqlalchemy import select, update

from notify.runner import Scheduler
from storage.models import Assignment, LeadShareFacts, Meta, OutboxMessage, ProposalFacts, ReminderSent
from tests.support.notify import STAFF, seed, unit_actor
from workflow.domain.cards import card_for
from workflow.domain.deadlines import due_date
from workflow.engine.engine import Engine
from workflow.readmodels.deadlines import CALENDAR_KEY
from workflow.usecases.reminders import recompute_if_calendar_changed


async def assigned_proposal(engine: Engine) -> str:
    r = await engine.create_proposal(STAFF, "D001", "关于修缮村小学校舍的建议", "校舍漏雨。", submit=True)
    number = r.proposal.number
    await engine.perform(number, "accept", STAFF, {"category": "教育"})
    await engine.perform(number, "assign", STAFF, {"lead_units": ["JYJ"], "co_units": ["CZJ"]})
    return number


async def reminder_rows(db) -> list[OutboxMessage]:
    async with db.read() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind.like("reminder%")).order_by(OutboxMessage.id)
        return list((await session.execute(query)).scalars())


def test_card_is_yellow_inside_the_window_and_red_after_the_due_date():
    due = dt.date(2025, 6, 13)  # a Friday
    assert card_for(due, dt.date(2025, 6, 5), 3) is None
    assert card_for(due, dt.date(2025, 6, 10), 3) == "yellow"  # 3 working days before
    assert card_for(due, due, 3) == "yellow"
    assert card_for(due, dt.date(2025, 6, 14), 3) == "red"


async def test_sign_deadline_gets_one_yellow_card_then_one_red_card(db, settings, clock):
    await seed(db)
    engine = Engine(db, settings, clock=clock)
    await assigned_proposal(engine)
    scheduler = Scheduler(db, settings, clock)
    assert await scheduler.run_once() >= 2  # sign due in 3 working days: yellow for both units now
    assert await scheduler.run_once() == 0  # and not again
    yellow = await reminder_rows(db)
    assert {(r.kind, r.recipient_id) for r in yellow} == {("reminder_yellow", "JYJ"), ("reminder_yellow", "CZJ")}
    clock.advance(10)  # past the sign deadline: red card to supervisors and staff
    assert await scheduler.run_once() >= 2
    assert await scheduler.run_once() == 0
    kinds = Counter((r.kind, r.recipient_kind) for r in await reminder_rows(db))
    assert kinds[("reminder_red", "supervisor")] == 2 and kinds[("reminder_red", "staff")] == 2


async def test_two_schedulers_at_once_issue_each_reminder_once(db, settings, clock):
    await seed(db)
    engine = Engine(db, settings, clock=clock)
    for _ in range(5):
        await assigned_proposal(engine)
    first, second = Scheduler(db, settings, clock), Scheduler(db, settings, clock)
    issued = await asyncio.gather(first.run_once(), second.run_once(), first.run_once())
    async with db.read() as session:
        ledger = list((await session.execute(select(ReminderSent))).scalars())
    assert sum(issued) == len(ledger) == 10  # 5 proposals x 2 units, yellow sign cards
    keys = Counter(r.idempotency_key for r in await reminder_rows(db))
    assert max(keys.values()) == 1


async def test_signed_units_get_no_sign_reminder(db, settings, clock):
    await seed(db)
    engine = Engine(db, settings, clock=clock)
    number = await assigned_proposal(engine)
    proposal = (await engine.perform(number, "sign", STAFF, {"unit": "JYJ"})).proposal
    await engine.perform(number, "sign", unit_actor(type("R", (), {"proposal": proposal}), "CZJ"))
    await Scheduler(db, settings, clock).run_once()
    assert [r for r in await reminder_rows(db) if "签收" in r.payload["facts"]["deadline"]] == []


async def test_open_deadlines_are_recomputed_when_the_holiday_calendar_changes(db, settings, clock):
    await seed(db)
    engine = Engine(db, settings, clock=clock)
    await assigned_proposal(engine)
    assert await recompute_if_calendar_changed(db, settings, "1.0") == 0  # first run records the version
    async with db.write() as session:
        async with session.begin():
            await session.execute(update(Assignment).values(sign_due=dt.date(2000, 1, 1)))  # as if computed long ago
    assert await recompute_if_calendar_changed(db, settings, "1.0") == 0  # same calendar: nothing to do
    assert await recompute_if_calendar_changed(db, settings, "2.0") == 2  # a new release: both recomputed
    async with db.read() as session:
        dues = {a.sign_due for a in (await session.execute(select(Assignment))).scalars()}
        version = (await session.get(Meta, CALENDAR_KEY)).value
    assert dues == {due_date(clock(), settings.deadlines.sign).due} and version == "2.0"


async def test_reply_due_dates_moved_by_a_new_calendar_move_the_dashboards_facts_with_them(db, settings, clock):
    from workflow.readmodels.lead_facts import check_facts

    await seed(db)
    engine = Engine(db, settings, clock=clock)
    await assigned_proposal(engine)
    await recompute_if_calendar_changed(db, settings, "1.0")
    async with db.write() as session:
        async with session.begin():
            await session.execute(update(Assignment).where(Assignment.role == "lead")
                                  .values(reply_due=dt.date(2000, 1, 1)))  # computed long ago: overdue by it
            await session.execute(update(LeadShareFacts).values(reply_due=dt.date(2000, 1, 1)))
            await session.execute(update(ProposalFacts).values(first_due=dt.date(2000, 1, 1),
                                                                last_due=dt.date(2000, 1, 1)))
    assert (await check_facts(db, clock())).ok
    assert await recompute_if_calendar_changed(db, settings, "2.0") >= 1
    facts = await check_facts(db, clock())
    assert facts.ok and facts.stale == []  # rewritten with the new due date, in the recomputing transaction
    async with db.read() as session:
        assert (await session.execute(select(LeadShareFacts.reply_due))).scalars().all() == \
            (await session.execute(select(Assignment.reply_due).where(Assignment.role == "lead"))).scalars().all()


async def test_deadlines_are_explained_in_the_api_and_on_the_unit_page(db, settings, clock, client, auth):
    await seed(db)
    engine = Engine(db, settings, clock=clock)
    number = await assigned_proposal(engine)
    body = await (await client.get(f"/api/v1/proposals/{number}", headers=auth)).json()
    lead = next(a for a in body["assignments"] if a["role"] == "lead")
    names = {d["name"]: d for d in lead["deadlines"]}
    assert set(names) == {"sign", "adjustment", "reply"}
    assert names["sign"]["period"] == "3 个工作日" and "起" in names["sign"]["explanation"]
    assert names["sign"]["due"] == lead["sign_due"]
    page = await (await client.get(lead["link"].replace("http://testserver", ""))).text()
    assert names["sign"]["explanation"] in page


async def test_only_deadlines_close_enough_for_a_card_are_read(db, settings, clock):
    await seed(db)
    engine = Engine(db, settings, clock=clock)
    await assigned_proposal(engine)
    from workflow.domain.cards import last_yellow_due
    from workflow.readmodels.deadlines import open_deadlines
    everything = await open_deadlines(db, settings)
    assert {d.deadline for d in everything} == {"sign", "opinion", "reply"}
    near = await open_deadlines(db, settings, due_by=last_yellow_due(clock(), 3))
    assert {d.deadline for d in near} == {"sign"}  # the opinion (a month) and reply (3 months) are not read


async def test_workers_starting_together_record_the_calendar_version_once(db, settings):
    results = await asyncio.gather(*(recompute_if_calendar_changed(db, settings, "9.9") for _ in range(4)))
    assert results == [0, 0, 0, 0]
    async with db.read() as session:
        assert (await session.get(Meta, CALENDAR_KEY)).value == "9.9"


async def test_a_pass_with_nothing_new_to_send_writes_nothing_and_fails_nothing(db, settings, clock):
    from sqlalchemy import event

    await seed(db)
    engine = Engine(db, settings, clock=clock)
    for _ in range(3):
        await assigned_proposal(engine)
    scheduler = Scheduler(db, settings, clock)
    assert await scheduler.run_once() == 6  # 3 proposals x 2 units: yellow sign cards
    seen: list[str] = []
    failed: list[BaseException] = []

    def statement(conn, cursor, sql, parameters, context, executemany):
        seen.append(sql.split(None, 1)[0].upper())

    def error(context):
        failed.append(context.original_exception)

    engines = {db.write_engine.sync_engine, db.read_engine.sync_engine}
    for engine_ in engines:
        event.listen(engine_, "before_cursor_execute", statement)
        event.listen(engine_, "handle_error", error)
    try:
        assert await scheduler.run_once() == 0
        assert await scheduler.run_once() == 0
    finally:
        for engine_ in engines:
            event.remove(engine_, "before_cursor_execute", statement)
            event.remove(engine_, "handle_error", error)
    assert seen and not failed
    assert not [s for s in seen if s in ("INSERT", "UPDATE", "DELETE")], Counter(seen)


async def test_a_burst_of_cards_is_written_in_batches_each_card_once(db, settings, clock, monkeypatch):
    from workflow.usecases import reminders

    monkeypatch.setattr(reminders, "WRITE_BATCH", 4)
    await seed(db)
    engine = Engine(db, settings, clock=clock)
    for _ in range(5):
        await assigned_proposal(engine)
    first, second = Scheduler(db, settings, clock), Scheduler(db, settings, clock)
    issued = await asyncio.gather(first.run_once(), second.run_once())
    async with db.read() as session:
        ledger = list((await session.execute(select(ReminderSent))).scalars())
    assert sum(issued) == len(ledger) == 10  # batches of 4 racing another worker: each card exactly once
    assert max(Counter(r.idempotency_key for r in await reminder_rows(db)).values()) == 1
