"""What the bot cannot say in its answer arrives as a WeChat message: a slow answer (chat_reply), the
invitation to co-sign and the staff's advice, through the notification pipeline (Redis, the fake WeChat
API). The co-signer answers the invitation with the very words it proposes."""
from __future__ import annotations

from notify.runner import Notifier
from tests.support.bot import add_deputy, bind, bot_client, code_for
from tests.support.notify import all_settled, wait_until, with_wechat


async def _deliver(db, settings, clock) -> None:
    notifier = Notifier(db, settings, clock=clock, scheduler=False)
    await notifier.start()
    try:
        counts = await wait_until(lambda: all_settled(db))
    finally:
        await notifier.stop()
    assert counts.get("dead", 0) == 0, counts


async def test_an_answer_too_slow_for_the_webhook_arrives_as_a_message(aiohttp_client, settings, engine, auth, db,
                                                                       clock, redis_url, fake_wechat):
    settings = with_wechat(settings, fake_wechat, redis_url)
    client, wechat, hook = await bot_client(aiohttp_client, settings, engine, budget=0.0)
    await add_deputy(client, auth, "D001", "张三")
    code = await code_for(client, auth, "deputies", "D001")
    assert (await wechat.text("o_zhang", f"绑定 {code}")).body == "success"
    await hook.drain()
    await _deliver(db, settings, clock)
    assert [(o, t.split("！")[0]) for o, t in fake_wechat.sent_texts()] == [("o_zhang", "绑定成功")]


async def test_cosign_invitation_and_advice_arrive_as_messages(aiohttp_client, settings, engine, auth, db, clock,
                                                               redis_url, fake_wechat):
    settings = with_wechat(settings, fake_wechat, redis_url)
    client, wechat, _ = await bot_client(aiohttp_client, settings, engine)
    await add_deputy(client, auth, "D001", "张三")
    await add_deputy(client, auth, "D002", "李四")
    await bind(client, auth, wechat, "o_zhang", "D001")
    await bind(client, auth, wechat, "o_li", "D002")
    created = await wechat.text("o_zhang", "提建议\n标题：修缮校舍\n内容：屋顶漏雨，建议维修。\n联名：李四")
    ref = created.text.split("草稿 ", 1)[1].split("（", 1)[0]
    await _deliver(db, settings, clock)
    [(to, invitation)] = fake_wechat.sent_texts()
    assert to == "o_li" and f"确认联名 {ref}" in invitation
    words = invitation.split("回复“", 1)[1].split("”", 1)[0]
    assert f"已确认联名建议 {ref}" in (await wechat.text("o_li", words)).text

    await wechat.text("o_zhang", "申请沟通")
    await wechat.text("o_zhang", "无")
    r = await client.post(f"/api/v1/proposals/{ref}/actions", json={"action": "give_advice", "advice": "请补充学生人数。"},
                          headers=auth)
    assert r.status == 200, await r.text()
    await _deliver(db, settings, clock)
    advice = [t for o, t in fake_wechat.sent_texts() if o == "o_zhang" and "请补充学生人数" in t]
    assert advice and "确认提交" in advice[0]
    assert "已提交，编号" in (await wechat.text("o_zhang", "确认提交")).text
