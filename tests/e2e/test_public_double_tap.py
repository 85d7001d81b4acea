"""A citizen's double tap (or a phone retrying its POST) on the public pages, when the balancer sends the two
posts to two `serve --role web` instances: two apps here, each with its own connections to one database.
The same post again answers with the first one's receipt (or number) and writes nothing; another text, another
code or a post after the window is a new one (workflow/usecases/public_repeat.py)."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select, update

from storage.db import Database
from storage.models import CitizenOpinion, Deputy, Project, PublicThrottle, RecordEvent, utcnow
from storage.uow import UnitOfWork
from tests.support.notify import wait_until
from workflow.domain.rules import Actor
from workflow.engine.engine import Engine
from workflow.engine.keys import chain_key_for
from workflow.engine.opinions import OpinionEngine, card_code
from workflow.usecases import public_repeat
from workflow.usecases.project_windows import add_window
from workflow.usecases.public_repeat import PENDING, STILL_WRITING, SameSubmission, submission_key
from workflow.usecases.public_throttle import address_key

ADDRESS = "198.51.100.7"
TEXT = "西门菜市场门口积水，雨天进出不便。"
STAFF = Actor("staff", "wang", "王干事")
ROUNDS = 5  # two taps at once: which instance wins is a race


@pytest.fixture
async def instances(aiohttp_client, settings, db, clock, api):
    """Instance A (the test client) and B: another app on the same database through its own connections."""
    from run import build_app

    other = Database(settings.database_url(), chain_key=chain_key_for(settings))
    b = await aiohttp_client(build_app(settings, Engine(other, settings, clock=clock)))
    yield api.client, b
    await b.close()  # B's app stops while its database is still open, then the database goes
    await other.dispose()


async def _code(db, number: str = "D001") -> str:
    async with UnitOfWork(db) as session:  # the code on the deputy's printed card
        return await card_code(session, (await session.execute(select(Deputy).where(Deputy.number == number))).scalar_one())


async def _post(client, code: str, text: str = TEXT, phone: str = "", address: str = ADDRESS):
    return await client.post(f"/o/{code}", data={"text": text, "citizen_name": "", "citizen_phone": phone,
                                                  "hide_from_units": "1"},
                             headers={"X-Forwarded-For": address}, allow_redirects=False)


async def _receipt(client, code: str, text: str = TEXT, address: str = ADDRESS) -> str:
    response = await _post(client, code, text, address=address)
    assert response.status == 303, await response.text()
    return response.headers["Location"].split("/")[3].split("?")[0]


async def _written(db) -> tuple:
    """Everything a post may write: opinions, their events, projects, the quota and claim rows."""
    async with db.read() as session:
        counted = [(await session.execute(select(func.count()).select_from(m))).scalar_one()
                   for m in (CitizenOpinion, RecordEvent, Project)]
        rows = (await session.execute(select(PublicThrottle.key, PublicThrottle.window_start,
                                             PublicThrottle.count))).all()
    return (*counted, sorted(rows))


async def _opinions(db, text: str = TEXT) -> list[str]:
    async with db.read() as session:
        return list((await session.execute(select(CitizenOpinion.receipt).where(CitizenOpinion.text == text))).scalars())


# ---------------------------------------------------------------- opinions
async def test_the_same_opinion_posted_on_a_then_on_b_is_one_opinion_and_b_answers_with_its_receipt_page(
        instances, db):
    a, b = instances
    code = await _code(db)
    first = await _post(a, code)
    assert first.status == 303
    before = await _written(db)
    again = await _post(b, code)
    assert again.status == 303 and again.headers["Location"] == first.headers["Location"]
    assert await _written(db) == before, "the repeat wrote nothing, not even a posting quota"
    page = await b.get(again.headers["Location"])
    receipt = again.headers["Location"].split("/")[3].split("?")[0]
    assert page.status == 200 and f"已收到您的意见。请记下回执号 <strong>{receipt}</strong>" in await page.text()
    assert await _opinions(db) == [receipt]


async def test_two_taps_reaching_a_and_b_at_the_same_moment_make_one_opinion(instances, db):
    a, b = instances
    code = await _code(db)
    for i in range(ROUNDS):
        text = f"第 {i} 次：{TEXT}"
        first, second = await asyncio.gather(_receipt(a, code, text, address=f"198.51.100.{10 + i}"),
                                             _receipt(b, code, text, address=f"198.51.100.{10 + i}"))
        assert first == second, i
        assert await _opinions(db, text) == [first], i


async def test_another_text_from_the_same_person_or_the_same_text_to_another_code_is_a_new_opinion(instances, db):
    a, b = instances
    code, other_code = await _code(db), await _code(db, "D002")
    first = await _receipt(a, code)
    second = await _receipt(b, code, "北门路灯坏了三盏，晚上很黑。")
    third = await _receipt(a, other_code)
    assert len({first, second, third}) == 3
    assert (await b.get(f"/o/{other_code}/{third}")).status == 200, "the receipt belongs to the code posted to"
    assert sorted(await _opinions(db)) == sorted([first, third])


async def test_a_refused_post_leaves_no_claim_and_the_corrected_one_is_written(instances, db):
    a, b = instances
    code = await _code(db)
    refused = await _post(a, code, phone="not-a-phone")
    assert refused.status == 400 and "电话" in await refused.text()
    receipt = await _receipt(b, code)
    assert await _opinions(db) == [receipt]


async def test_the_same_text_after_the_window_is_a_new_opinion(instances, db, settings):
    a, b = instances
    code = await _code(db)
    first = await _receipt(a, code)
    key = submission_key(settings.server.secret_key, "opinion", ADDRESS, code, TEXT)
    window = dt.timedelta(seconds=settings.opinions.address_window_seconds + 1)
    async with UnitOfWork(db) as session:
        await session.execute(update(PublicThrottle).where(PublicThrottle.key == key)
                              .values(window_start=utcnow() - window))
    second = await _receipt(b, code)
    assert first != second and sorted(await _opinions(db)) == sorted([first, second])


async def test_a_repeat_arriving_while_the_first_post_is_writing_waits_and_answers_with_its_receipt(
        instances, db, engine, settings):
    _a, b = instances
    code = await _code(db)
    same = SameSubmission(db, "opinion", submission_key(settings.server.secret_key, "opinion", ADDRESS, code, TEXT),
                          settings.opinions.address_window_seconds)
    assert await same.claim() == "", "the first post holds the claim"
    quota = address_key(settings.server.secret_key, "opinion", ADDRESS)
    repeat = asyncio.create_task(_post(b, code))

    async def waiting() -> bool:  # past the quota, so in the claim
        async with db.read() as session:
            return await session.get(PublicThrottle, quota) is not None

    await wait_until(waiting, timeout=10)
    assert not repeat.done()
    result = await OpinionEngine(engine).receive(Actor("citizen", "", "群众"), {"text": TEXT, "code": code})
    await same.settle(result.opinion.id)
    answer = await repeat
    assert answer.status == 303 and f"/o/{code}/{result.opinion.receipt}?" in answer.headers["Location"]
    assert await _opinions(db) == [result.opinion.receipt]


async def test_a_first_post_still_writing_past_the_wait_is_answered_in_chinese_and_its_writer_if_gone_replaced(
        instances, db, settings, monkeypatch):
    _a, b = instances
    code = await _code(db)
    monkeypatch.setattr(public_repeat, "WAIT_SECONDS", 0.3)
    key = submission_key(settings.server.secret_key, "opinion", ADDRESS, code, TEXT)
    async with UnitOfWork(db) as session:
        session.add(PublicThrottle(key=key, window_start=utcnow(), count=PENDING))
    busy = await _post(b, code)
    page = await busy.text()
    assert busy.status == 409 and STILL_WRITING.split("。")[0] in page and TEXT in page
    assert await _opinions(db) == []
    gone = dt.timedelta(seconds=public_repeat.STALE_SECONDS + 1)  # the process that claimed it stopped
    async with UnitOfWork(db) as session:
        await session.execute(update(PublicThrottle).where(PublicThrottle.key == key)
                              .values(window_start=utcnow() - gone))
    receipt = await _receipt(b, code)
    assert await _opinions(db) == [receipt]


# ---------------------------------------------------------------- /ms project suggestions
@pytest.fixture
async def solicitation(instances, db, clock):
    clock.today = dt.date(2026, 9, 10)
    await add_window(db, 2027, "2026-09-01", "2026-09-30", "", STAFF)
    return instances


async def _suggest(client, title: str, content: str = "老城区公厕不足，建议新建三座。", address: str = ADDRESS):
    response = await client.post("/ms", data={"title": title, "content": content},
                                 headers={"X-Forwarded-For": address}, allow_redirects=False)
    assert response.status == 303, await response.text()
    return response.headers["Location"].rsplit("/", 1)[1]


async def _projects(db) -> list[str]:
    async with db.read() as session:
        return sorted((await session.execute(select(Project.number))).scalars())


async def test_the_same_suggestion_on_a_then_on_b_is_one_project_and_another_content_is_a_new_one(solicitation, db):
    a, b = solicitation
    first = await _suggest(a, "城区新建公厕")
    before = await _written(db)
    assert await _suggest(b, "城区新建公厕") == first
    assert await _written(db) == before, "the repeat wrote nothing"
    page = await b.get(f"/ms/thanks/{first}")
    assert page.status == 200 and f"建议编号 <strong>{first}</strong>" in await page.text()
    second = await _suggest(b, "城区新建公厕", "另外建议公厕配备无障碍设施。")
    assert second != first and await _projects(db) == sorted([first, second])


async def test_two_suggestion_taps_reaching_a_and_b_at_the_same_moment_make_one_project(solicitation, db):
    a, b = solicitation
    numbers = []
    for i in range(ROUNDS):
        address = f"198.51.100.{30 + i}"
        first, second = await asyncio.gather(_suggest(a, f"第 {i} 条：城区新建公厕", address=address),
                                             _suggest(b, f"第 {i} 条：城区新建公厕", address=address))
        assert first == second, i
        numbers.append(first)
    assert await _projects(db) == sorted(numbers)


# ---------------------------------------------------------------- the quota rows do not pile up
async def test_the_scheduler_sweeps_the_quota_rows_whose_window_ended_and_keeps_the_current_ones(
        instances, db, settings, clock):
    from sqlalchemy import event

    from notify.runner import Scheduler

    a, _b = instances
    code = await _code(db)
    await _receipt(a, code)
    async with UnitOfWork(db) as session:  # two days later: those windows ended long ago
        await session.execute(update(PublicThrottle).values(window_start=utcnow() - dt.timedelta(days=2)))
    await _receipt(a, code, "北街路灯坏了半个月，晚上看不清路。", address="198.51.100.8")
    rows = (await _written(db))[3]
    fresh = {key for key, start, _count in rows if start > utcnow() - dt.timedelta(hours=1)}
    assert fresh and len(fresh) < len(rows)
    scheduler = Scheduler(db, settings, clock)
    await scheduler.run_once()
    assert {key for key, _start, _count in (await _written(db))[3]} == fresh
    sweeps = []

    def watch(_conn, _cursor, statement, *_rest):
        if statement.lstrip().upper().startswith("DELETE") and "public_throttle" in statement:
            sweeps.append(statement)
    event.listen(db.write_engine.sync_engine, "before_cursor_execute", watch)
    try:
        await scheduler.run_once()
    finally:
        event.remove(db.write_engine.sync_engine, "before_cursor_execute", watch)
    assert sweeps == [], "a pass with nothing to sweep writes nothing"
    assert (await _post(a, code, "西门菜市场的排水沟需要清理。")).status == 303  # the swept address posts again
