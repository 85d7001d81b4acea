"""A provincial preset's deadlines reach the engine: an assignment made under `[rules] preset` gets the
province's due dates (山东: 5 days to ask for an adjustment, against the national 10)."""
from __future__ import annotations

from dataclasses import replace

from workflow.domain.deadlines import due_date
from workflow.domain.rules import Actor
from workflow.engine.engine import Engine
from workflow.settings import Period, load_settings
from workflow.usecases.rosters import add_deputy, add_unit

STAFF = Actor("staff", "wang", "王干事", role="staff")


def _under_preset(settings, preset: str):
    """The test settings (database, data folder) with the rules read as a county naming `preset` would."""
    ruled = load_settings(environ={"JIANYI_RULES_PRESET": preset})
    return replace(ruled, database=settings.database, server=settings.server, redis=settings.redis)


async def _assigned(engine: Engine) -> dict:
    await add_deputy(engine.db, {"number": "D1", "name": "张三"})
    for code, name in (("JYJ", "县教育局"), ("JTJ", "县交通运输局")):
        await add_unit(engine.db, {"code": code, "name": name})
    number = (await engine.create_proposal(STAFF, "D1", "修缮县道", "县道破损，请安排维修。", submit=True)).proposal.number
    await engine.perform(number, "accept", STAFF, {"category": "城建"})
    result = await engine.perform(number, "assign", STAFF, {"lead_units": ["JYJ"], "co_units": ["JTJ"]})
    return {a.role: a for a in result.proposal.assignments}


async def test_a_new_assignment_under_the_shandong_preset_gets_its_5_day_adjustment_window(db, settings, clock):
    shandong = _under_preset(settings, "山东")
    assert shandong.deadlines.adjustment == Period(5, "days")
    shares = await _assigned(Engine(db, shandong, clock=clock))
    today = clock()
    for share in shares.values():
        assert share.assigned_on == today
        assert share.adjustment_due == due_date(today, Period(5, "days")).due
        assert share.adjustment_due != due_date(today, Period(10, "days")).due  # not the national default
    assert shares["lead"].reply_due == due_date(today, Period(3, "months")).due  # 第八条: 3 个月
    assert shares["co"].opinion_due == due_date(today, settings.deadlines.opinion).due  # unsourced: national


async def test_without_a_preset_the_same_assignment_keeps_the_national_window(db, settings, clock):
    shares = await _assigned(Engine(db, settings, clock=clock))
    assert shares["lead"].adjustment_due == due_date(clock(), Period(10, "days")).due
