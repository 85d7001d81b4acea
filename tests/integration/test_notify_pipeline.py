"""The notification pipeline end to end: outbox -> Redis stream -> senders -> the fake WeChat API."""
from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select

from notify.runner import Notifier
from storage.models import OutboxMessage
from tests.support.notify import (
    STAFF,
    all_settled,
    bind_everyone,
    outbox_counts,
    seed,
    unit_actor,
    wait_until,
    with_wechat,
)
from workflow.engine.engine import Engine


async def full_life(engine: Engine) -> str:
    """A joint proposal from submission to 办结 with a B reply."""
    r = await engine.create_proposal(STAFF, "D001", "关于修缮村小学校舍的建议", "校舍漏雨。", co_signers=["D002"], submit=True)
    number = r.proposal.number
    await engine.perform(number, "accept", STAFF, {"category": "教育"})
    r = await engine.perform(number, "assign", STAFF, {"lead_units": ["JYJ"], "co_units": ["CZJ"]})
    lead, co = unit_actor(r, "JYJ"), unit_actor(r, "CZJ")
    await engine.perform(number, "sign", lead)
    await engine.perform(number, "sign", co)
    await engine.perform(number, "log_contact", lead, {"method": "面谈", "summary": "到校查看"})
    await engine.perform(number, "submit_opinion", co, {"text": "已安排资金"})
    promise = (engine.clock() + dt.timedelta(days=90)).isoformat()
    await engine.perform(number, "reply", lead, {"category": "B", "text": "列入计划", "signer": "李局长",
                                                 "promise_date": promise})
    await engine.perform(number, "evaluate_reply", STAFF, {"rating": "满意"})
    await engine.perform(number, "report_progress", lead, {"text": "完工", "percent": 100})
    await engine.perform(number, "evaluate_implementation", STAFF, {"rating": "satisfied"})
    return number


async def run_notifier(db, settings, clock, **kwargs):
    notifier = Notifier(db, settings, clock=clock, scheduler=False, **kwargs)
    await notifier.start()
    return notifier


async def test_a_full_proposal_life_notifies_each_party(db, settings, clock, redis_url, fake_wechat):
    settings = with_wechat(settings, fake_wechat, redis_url)
    await seed(db)
    await bind_everyone(db)
    engine = Engine(db, settings, clock=clock)
    number = await full_life(engine)
    notifier = await run_notifier(db, settings, clock)
    try:
        counts = await wait_until(lambda: all_settled(db))
    finally:
        await notifier.stop()
    assert counts.get("dead", 0) == 0 and counts.get("skipped", 0) == 0, counts
    texts = fake_wechat.sent_texts()
    by_user = {}
    for openid, text in texts:
        by_user.setdefault(openid, []).append(text)
    lead_deputy = "\n".join(by_user["o-deputy-D001"])
    for phrase in ("已提交，编号", "已立案", "已交办", "记录了与您的沟通", "收到答复", "落实进展", "已办结"):
        assert phrase in lead_deputy, phrase
    assert number in lead_deputy and "/f/" in lead_deputy  # the number and the one-tap feedback link
    assert "已交办：单位JYJ、单位CZJ（协办）" in lead_deputy  # which units, by name
    co_signer = "\n".join(by_user["o-deputy-D002"])
    assert "邀请您联名" not in co_signer  # staff entered the paper form: co-signers already confirmed
    assert "收到答复" in co_signer and "已办结" in co_signer  # 逐人答复 and the final result
    lead_unit = "\n".join(by_user["o-unit-JYJ"])
    assert "收到一件交办建议" in lead_unit and "/u/" in lead_unit and "协办意见" in lead_unit
    assert "请在 20" in lead_unit and "前签收" in lead_unit  # with the sign-for due date
    assert "作出评价" in lead_unit
    assert "收到一件交办建议" in "\n".join(by_user["o-unit-CZJ"])
    assert "收到一件新建议" in "\n".join(by_user["o-user-zhang"])
    assert "o-user-boss" not in by_user  # supervisors hear only red cards


async def test_unbound_recipients_are_skipped_and_do_not_stop_the_queue(db, settings, clock, redis_url, fake_wechat):
    settings = with_wechat(settings, fake_wechat, redis_url)
    await seed(db)
    engine = Engine(db, settings, clock=clock)
    await full_life(engine)  # nobody is bound
    notifier = await run_notifier(db, settings, clock)
    try:
        counts = await wait_until(lambda: all_settled(db))
    finally:
        await notifier.stop()
    assert counts.get("skipped", 0) > 0 and counts.get("pending", 0) == 0
    assert fake_wechat.sent_texts() == []


async def rows_of_kind(db, kind: str) -> list[OutboxMessage]:
    async with db.read() as session:
        return list((await session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind))).scalars())


async def _queue(db, n: int, openid_prefix="o-x") -> None:
    async with db.write() as session:
        async with session.begin():
            for i in range(n):
                session.add(OutboxMessage(kind="chat_reply", recipient_kind="openid", recipient_id=f"{openid_prefix}{i}",
                                          idempotency_key=f"test:{openid_prefix}:{i}", payload={"text": f"消息{i}"}))


async def test_injected_failures_end_in_delivery_after_retries(db, settings, clock, redis_url, fake_wechat):
    settings = with_wechat(settings, fake_wechat, redis_url, max_attempts=6)
    await _queue(db, 20)
    fake_wechat.fail("message/custom/send", errcode=45009, times=3)  # rate limited
    fake_wechat.fail("message/custom/send", status=500, times=2)  # WeChat's servers failing
    fake_wechat.fail("message/custom/send", errcode=-1, times=2)  # system busy
    notifier = await run_notifier(db, settings, clock)
    try:
        await wait_until(lambda: all_settled(db))
        fake_wechat.revoke_tokens()  # someone else refreshed the token: 40001, refresh, send
        await _queue(db, 5, "o-y")
        counts = await wait_until(lambda: all_settled(db))
    finally:
        await notifier.stop()
    assert counts == {"delivered": 25}
    delivered = Counter(openid for openid, _ in fake_wechat.sent_texts())
    assert len(delivered) == 25 and set(delivered.values()) == {1}
    assert notifier.counters.retried >= 7


async def test_out_of_window_users_get_a_template_message(db, settings, clock, redis_url, fake_wechat):
    settings = with_wechat(settings, fake_wechat, redis_url)
    await _queue(db, 2)
    fake_wechat.out_of_window.add("o-x1")
    notifier = await run_notifier(db, settings, clock)
    try:
        await wait_until(lambda: all_settled(db))
    finally:
        await notifier.stop()
    assert [c.body["touser"] for c in fake_wechat.sent("message/template/send")] == ["o-x1"]
    assert [c.body["touser"] for c in fake_wechat.sent("message/custom/send")] == ["o-x0"]
    assert fake_wechat.sent("message/custom/send")[0].body["text"]["content"] == "消息0"
    template = fake_wechat.sent("message/template/send")[0].body
    assert all("\n" not in v["value"] and len(v["value"]) <= 20 for v in template["data"].values())


async def test_failures_past_the_limit_are_parked_as_dead_letters_and_can_be_resent(
        db, settings, clock, redis_url, fake_wechat, client, auth):
    settings = with_wechat(settings, fake_wechat, redis_url, max_attempts=3)
    await _queue(db, 3)
    fake_wechat.fail("message/custom/send", errcode=-1, times=9)  # each of the 3 fails 3 times
    notifier = await run_notifier(db, settings, clock)
    try:
        counts = await wait_until(lambda: all_settled(db))
        assert counts == {"dead": 3, "skipped": 3}  # and staff were told (none bound here: skipped)
        alarms = await rows_of_kind(db, "dead_letter")
        assert len(alarms) == 3 and {a.recipient_kind for a in alarms} == {"staff"}
        r = await client.get("/api/v1/notifications?status=dead", headers=auth)
        body = await r.json()
        assert r.status == 200 and len(body["items"]) == 3 and body["items"][0]["last_error"]
        for item in body["items"]:
            r = await client.post(f"/api/v1/notifications/{item['id']}/resend", headers=auth)
            assert r.status == 200
        counts = await wait_until(lambda: all_settled(db))
    finally:
        await notifier.stop()
    assert counts == {"delivered": 3, "skipped": 3}
    assert {r.status for r in await rows_of_kind(db, "chat_reply")} == {"delivered"}
    import redis.asyncio as aioredis
    redis = aioredis.from_url(redis_url)
    assert await redis.xlen(notifier.keys.dead) == 3
    await redis.aclose()


async def test_two_workers_send_each_notification_once(db, settings, clock, redis_url, fake_wechat):
    settings = with_wechat(settings, fake_wechat, redis_url)
    await _queue(db, 300)
    first = await run_notifier(db, settings, clock)
    second = await run_notifier(db, settings, clock)
    try:
        counts = await wait_until(lambda: all_settled(db))
    finally:
        await first.stop()
        await second.stop()
    assert counts == {"delivered": 300}
    delivered = Counter(openid for openid, _ in fake_wechat.sent_texts())
    assert len(delivered) == 300 and max(delivered.values()) == 1
    assert first.counters.delivered > 0 and second.counters.delivered > 0  # both did share the work


async def test_redis_down_keeps_notifications_in_the_outbox(db, settings, clock, fake_wechat, tmp_path):
    from tests.support.notify import RedisProcess
    redis = RedisProcess(tmp_path / "r").start()
    settings = with_wechat(settings, fake_wechat, redis.url)
    notifier = await run_notifier(db, settings, clock)
    try:
        await _queue(db, 50)
        await wait_until(lambda: all_settled(db))
        redis.kill()
        await _queue(db, 50, "o-z")  # written while Redis is down
        counts = await outbox_counts(db)
        assert counts["pending"] == 50  # waiting in the outbox
        redis.start()  # an empty Redis on the same port (it kept nothing on disk)
        counts = await wait_until(lambda: all_settled(db), timeout=60)
    finally:
        await notifier.stop()
        redis.kill()
    assert counts == {"delivered": 100}
    assert len({openid for openid, _ in fake_wechat.sent_texts()}) == 100


async def test_embedded_redis_starts_when_no_url_is_set(db, settings, clock, fake_wechat):
    settings = with_wechat(settings, fake_wechat, "")
    await _queue(db, 5)
    notifier = await run_notifier(db, settings, clock)
    try:
        counts = await wait_until(lambda: all_settled(db))
        assert notifier.redis.url.startswith("unix://")
        assert (settings.data_path("redis") / "jianyi.rdb").parent.exists()
    finally:
        await notifier.stop()
    assert counts == {"delivered": 5}


async def test_a_co_signer_invitation_names_the_lead_deputy_and_how_to_confirm(db, settings, clock):
    from notify.texts import render
    from workflow.domain.rules import Actor as _Actor

    await seed(db)
    engine = Engine(db, settings, clock=clock)
    r = await engine.create_proposal(_Actor("deputy", "D001", "代表0"), "D001", "关于路灯的建议", "路灯不亮。",
                                     co_signers=["D002"])
    invitations = await rows_of_kind(db, "cosign_requested")
    assert [(i.recipient_kind, i.recipient_id) for i in invitations] == [("deputy", "D002")]
    text = render("cosign_requested", invitations[0].payload).text
    assert "代表0代表邀请您联名" in text and f"确认联名 {r.proposal.ref}" in text
