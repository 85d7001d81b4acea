"""A signed /wechat URL replayed with another body is refused by every web process sharing the database,
not only by the one that saw it (plain mode: the signature covers the URL, not the body). Two apps on one
database stand for two `serve --role web` processes behind a balancer; WeChat's own retries (the same URL
and body again, or the same message under a new URL) are still answered once, with the first answer."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.models import BotInbound, Event
from tests.support.bot import add_deputy, bind, bot_client, counts
from workflow.engine.engine import Engine
from workflow.engine.keys import chain_key_for

FORM = "提建议\n标题：{title}\n内容：村口道路坑洼，雨天难行，建议尽快修缮。\n类别：城建"
REFUSED = "signature replayed with another body"
ROUNDS = 3  # races are won at random


@pytest.fixture
async def two_apps(aiohttp_client, settings, engine, clock, auth):
    """(WeChat's side of A, of B): two apps, each with its own database connections, on one database;
    张三 (D001) is bound as o_zhang."""
    other = Database(settings.database_url(), chain_key=chain_key_for(settings))
    client, on_a, _ = await bot_client(aiohttp_client, settings, engine)
    b, on_b, _ = await bot_client(aiohttp_client, settings, Engine(other, settings, clock=clock))
    await add_deputy(client, auth, "D001", "张三")
    await bind(client, auth, on_a, "o_zhang", "D001")
    yield on_a, on_b
    await b.close()  # B's app stops while its database is still open, then the database goes
    await other.dispose()


async def _creates(db) -> int:
    async with db.read() as session:
        return (await session.execute(select(func.count()).select_from(Event).where(Event.action == "create"))
                ).scalar_one()


async def test_a_url_replayed_with_another_body_on_the_other_app_is_refused_and_writes_nothing(two_apps, db):
    on_a, on_b = two_apps
    query, body = on_a.envelope(on_a.text_xml("o_zhang", "帮助"), "o_zhang")
    first = await on_a.post(query, body)
    assert first.status == 200 and "提建议" in first.body
    before = await counts(db)
    _, forged = on_a.envelope(on_a.text_xml("o_zhang", FORM.format(title="伪造的建议")), "o_zhang")
    for at in (on_b, on_b, on_a):
        replayed = await at.post(query, forged)
        assert (replayed.status, replayed.body) == (403, REFUSED)
    retried = await _post(on_b, query, body)  # B refused the forged body: it did not take it for the URL's own
    assert (retried.status, retried.text) == (200, (await _post(on_a, query, body)).text)
    assert "提建议" in (retried.text or "")
    same_msg_id = body.replace("<![CDATA[帮助]]>".encode(), "<![CDATA[确认提交]]>".encode())
    assert same_msg_id != body
    assert (await on_b.post(query, same_msg_id)).status == 403, "the first message's MsgId with another text"
    assert await counts(db) == before, "no draft, no event, no dialogue, no inbound row"
    assert await _creates(db) == 0


async def test_wechats_retry_of_the_same_url_and_body_on_the_other_app_gets_the_first_answer_once(two_apps, db):
    on_a, on_b = two_apps
    xml = on_a.text_xml("o_zhang", FORM.format(title="关于修缮村口道路的建议"))
    query, body = on_a.envelope(xml, "o_zhang")
    first = await _post(on_a, query, body)
    assert first.status == 200 and "草稿已保存" in (first.text or ""), first
    after_first = await counts(db)
    retries = [await _post(on_b, query, body), await _post(on_a, query, body)]
    retries.append(await on_b.deliver(xml, "o_zhang"))  # the same message under a new signed URL
    assert [(r.status, r.text) for r in retries] == [(200, first.text)] * 3, "the first answer, as it was"
    assert await counts(db) == after_first, "one draft, one event, one inbound row"
    assert await _creates(db) == 1


async def test_the_first_body_and_a_forged_one_under_one_url_on_both_apps_at_once_one_is_answered(two_apps, db):
    on_a, on_b = two_apps
    forged_won = 0
    for n in range(ROUNDS):
        query, body = on_a.envelope(on_a.text_xml("o_zhang", "帮助"), "o_zhang")
        _, forged = on_a.envelope(on_a.text_xml("o_zhang", FORM.format(title=f"伪造的第{n + 1}条建议")), "o_zhang")
        answers = await asyncio.gather(on_a.post(query, body), on_b.post(query, forged))
        assert sorted(a.status for a in answers) == [200, 403], answers
        forged_won += answers[1].status == 200  # it came first: the database cannot tell which one WeChat sent
        async with db.read() as session:
            rows = (await session.execute(select(BotInbound.key).where(
                BotInbound.signed == f"{query['timestamp']}:{query['nonce']}"))).scalars().all()
        assert len(rows) == 1, "one message per signed URL"
        assert await _creates(db) == forged_won, "the refused one made no draft"


async def _post(at, query: dict, body: bytes):
    """POST as WeChat would, and read the text answered (plain mode)."""
    reply = await at.post(query, body)
    if reply.status == 200 and reply.body != "success":
        at._open(reply, "o_zhang")
    return reply
