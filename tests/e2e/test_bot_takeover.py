"""A message claimed by a process that died (kill -9 between the claim and 确认提交) is not lost: WeChat's
retry, or the sweeper when no retry comes, takes the claim over, and the action happens exactly once,
also when the dead process had already committed it."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict

import pytest
from sqlalchemy import func, select, update

from bot import routes as bot_routes
from bot.webhook import Inbound
from storage import bot_store
from storage.models import BotInbound, Event, OutboxMessage, Proposal
from storage.uow import UnitOfWork
from tests.support.bot import add_deputy, bind, bot_client
from tests.support.wechat_protocol import ACCOUNT
from workflow.domain.rules import Actor
from workflow.engine.once import once

FORM = "提建议\n标题：关于在城关镇增设公交站的建议\n内容：城关镇东区居民出行不便，建议增设两个公交站。\n类别：城建"
DEAD = "old-host:4242:deadbeef0000"


@pytest.fixture
async def drafted(aiohttp_client, settings, engine, auth):
    """张三 (D001, o_zhang) has a draft waiting for 确认提交; returns (app, wechat, draft ref)."""
    client, wechat, _hook = await bot_client(aiohttp_client, settings, engine)
    await add_deputy(client, auth, "D001", "张三", "城关镇")
    await bind(client, auth, wechat, "o_zhang", "D001")
    created = await wechat.text("o_zhang", FORM)
    assert "草稿已保存" in created.text, created.text
    async with engine.db.read() as session:
        ref = f"d{(await session.execute(select(Proposal.id))).scalar_one()}"
    return client.server.app, wechat, ref


def _confirm(msg_id: int) -> Inbound:
    return Inbound(to_user=ACCOUNT, from_user="o_zhang", create_time=int(dt.datetime.now().timestamp()),
                   msg_type="text", content="确认提交", msg_id=str(msg_id))


async def _claimed_by_a_dead_process(db, msg: Inbound, seconds_ago: float) -> None:
    """What a process leaves behind when it is killed right after claiming `msg`."""
    async with UnitOfWork(db) as session:
        await bot_store.claim_messages(session, [bot_store.Claim(msg.key, msg.from_user, None, asdict(msg))], DEAD)
        await session.execute(update(BotInbound).where(BotInbound.key == msg.key).values(
            claimed_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(seconds=seconds_ago)))


async def _state_and_submits(db) -> tuple[str, int]:
    async with db.read() as session:
        state = (await session.execute(select(Proposal.state))).scalar_one()
        submits = (await session.execute(select(func.count()).select_from(Event)
                                         .where(Event.action == "submit"))).scalar_one()
    return state, submits


async def test_wechats_retry_takes_over_a_claim_whose_process_died_and_submits_once(drafted, db):
    _app, wechat, _ref = drafted
    msg = _confirm(910000000000000001)
    await _claimed_by_a_dead_process(db, msg, seconds_ago=6)
    assert await _state_and_submits(db) == ("draft", 0)  # today: lost, and the retry only gets "success"

    retry = await wechat.text("o_zhang", "确认提交", msg_id=int(msg.msg_id))
    assert "已提交" in (retry.text or ""), retry
    again = await wechat.text("o_zhang", "确认提交", msg_id=int(msg.msg_id))  # WeChat's third delivery
    assert again.text == retry.text
    assert await _state_and_submits(db) == ("submitted", 1)


async def test_a_fresh_claim_of_another_process_is_left_to_it_within_the_answer_window(drafted, db):
    _app, wechat, _ref = drafted
    msg = _confirm(910000000000000002)
    await _claimed_by_a_dead_process(db, msg, seconds_ago=0)
    retry = await wechat.text("o_zhang", "确认提交", msg_id=int(msg.msg_id))
    assert retry.body == "success"  # still being answered elsewhere: no second run yet
    assert await _state_and_submits(db) == ("draft", 0)


async def test_the_sweeper_finishes_a_dead_claim_no_retry_came_for_and_sends_the_answer(drafted, db):
    app, _wechat, _ref = drafted
    msg = _confirm(910000000000000003)
    await _claimed_by_a_dead_process(db, msg, seconds_ago=45)
    assert await app[bot_routes.CONVERSATION].sweep() == 1
    assert await _state_and_submits(db) == ("submitted", 1)
    async with db.read() as session:
        sent = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "chat_reply"))).scalars().all()
        claim = (await session.execute(select(BotInbound).where(BotInbound.key == msg.key))).scalars().one()
    assert [m.recipient_id for m in sent] == ["o_zhang"] and "已提交" in sent[0].payload["text"]
    assert claim.answer and claim.message is None
    assert await app[bot_routes.CONVERSATION].sweep() == 0  # finished: not taken a second time


async def test_a_takeover_after_the_dead_process_had_committed_does_not_act_again(drafted, db, engine):
    _app, wechat, ref = drafted
    msg = _confirm(910000000000000004)
    await _claimed_by_a_dead_process(db, msg, seconds_ago=6)
    with once(msg.key):  # the dead process got as far as the engine's commit, not to the answer
        await engine.perform(ref, "submit", Actor("deputy", "D001", "张三"))
    retry = await wechat.text("o_zhang", "确认提交", msg_id=int(msg.msg_id))
    assert "已提交" in (retry.text or ""), retry
    assert await _state_and_submits(db) == ("submitted", 1)


async def test_an_engine_write_under_the_same_once_key_happens_once(drafted, db, engine):
    _app, _wechat, ref = drafted
    actor = Actor("deputy", "D001", "张三")
    with once("k:1"):
        first = await engine.perform(ref, "submit", actor)
    with once("k:1"):
        second = await engine.perform(ref, "submit", actor)
    assert second.event.id == first.event.id and second.to_state == "submitted"
    assert await _state_and_submits(db) == ("submitted", 1)
    with once("k:2"):  # another request is a new action, refused by the workflow as usual
        with pytest.raises(Exception, match="不能|已"):
            await engine.perform(ref, "submit", actor)
