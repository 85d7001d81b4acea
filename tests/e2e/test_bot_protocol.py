"""The /wechat protocol: WeChat's published vectors, the server check, and bad deliveries refused
quickly, without effect and logged; retries answered once."""
from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from bot.webhook import signature as server_signature
from tests.support.bot import SAFE, add_deputy, bind, bot_client, counts
from tests.support.wechat_protocol import AesCodec, WechatSide, message_xml, signature

OFFICIAL_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9"
    "FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+"
    "WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EI"
    "BYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=")
OFFICIAL_TIMESTAMP, OFFICIAL_NONCE = "1409735669", "1320562132"
OFFICIAL_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"


# ---------------------------------------------------------------- published vectors
def test_signature_matches_wechats_published_vector():
    expected = "899cf89e464efb63f54ddac96b0a0a235f53aa78"
    assert server_signature("AAAAA", "1714037059", "486452656") == expected
    assert signature("AAAAA", "1714037059", "486452656") == expected


def test_test_client_decrypts_wechats_published_safe_mode_sample():
    codec = AesCodec(SAFE["encoding_aes_key"], SAFE["app_id"])
    assert signature(SAFE["token"], OFFICIAL_TIMESTAMP, OFFICIAL_NONCE, OFFICIAL_ENCRYPT) == OFFICIAL_MSG_SIGNATURE
    assert "<Content><![CDATA[abcdteT]]></Content>" in codec.decrypt(OFFICIAL_ENCRYPT)


async def test_server_accepts_wechats_published_safe_mode_sample_and_answers_encrypted(aiohttp_client, settings,
                                                                                         engine):
    client, wechat, _ = await bot_client(aiohttp_client, settings, engine, "safe",
                                         clock=lambda: int(OFFICIAL_TIMESTAMP) + 1)
    query = {"signature": signature(SAFE["token"], OFFICIAL_TIMESTAMP, OFFICIAL_NONCE), "timestamp": OFFICIAL_TIMESTAMP,
             "nonce": OFFICIAL_NONCE, "openid": "oyORnuP8q7ou2gfYjqLzSIWZf0rs", "encrypt_type": "aes",
             "msg_signature": OFFICIAL_MSG_SIGNATURE}
    body = message_xml([("ToUserName", "gh_10f6c3c3ac5a"), ("Encrypt", OFFICIAL_ENCRYPT)]).encode()
    reply = await wechat.post(query, body)
    assert reply.status == 200
    wechat.account = "gh_10f6c3c3ac5a"
    wechat._open(reply, "oyORnuP8q7ou2gfYjqLzSIWZf0rs")  # checks the reply's signature and appid
    assert "绑定" in reply.text  # the sender is nobody yet


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_server_check_answers_the_plain_echostr_in_both_modes(aiohttp_client, settings, engine, mode):
    _, wechat, _ = await bot_client(aiohttp_client, settings, engine, mode)
    reply = await wechat.check_server("1234567890987654321")
    assert (reply.status, reply.body) == (200, "1234567890987654321")
    forged = WechatSide(wechat.http, "not-the-token")
    reply = await forged.check_server("1234567890987654321")
    assert reply.status == 403 and "1234567890987654321" not in reply.body


# ---------------------------------------------------------------- refusals
def _bad_deliveries(wechat: WechatSide) -> dict[str, tuple[dict, bytes, int]]:
    good_xml = wechat.text_xml("o_attacker", "提建议")
    query, body = wechat.envelope(good_xml, "o_attacker")
    stale_query, _ = wechat.envelope(good_xml, "o_attacker", timestamp=str(int(time.time()) - 360))
    future_query, _ = wechat.envelope(good_xml, "o_attacker", timestamp=str(int(time.time()) + 360))
    forged = dict(query, signature="0" * 40)
    chinese_signature = dict(query, signature="签名" * 20)  # not ASCII: refused, not a 500
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
            '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><xml><ToUserName>a</ToUserName><FromUserName>o_x</FromUserName>'
            '<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>').encode()
    nested = message_xml([("ToUserName", "gh"), ("FromUserName", "o_x"), ("CreateTime", 1), ("MsgType", "text"),
                          ("MsgId", 5)]).replace("<MsgId>", "<Content><b>提建议</b></Content><MsgId>").encode()
    plain_query = wechat.query("o_attacker")
    return {
        "forged signature": (forged, body, 403),
        "signature not in ASCII": (chinese_signature, body, 403),
        "stale timestamp": (stale_query, body, 403),
        "timestamp from the future": (future_query, body, 403),
        "no signature at all": ({}, body, 403),
        "entity bomb": (plain_query, bomb, 400),
        "1 MB of garbage": (plain_query, b"\x00garbage" * 131072, 413),
        "invalid UTF-8": (plain_query, b"<xml><Content>\xff\xfe\xfa</Content></xml>", 400),
        "empty body": (plain_query, b"", 400),
        "not XML": (plain_query, b"{\"MsgType\": \"text\"}", 400),
        "element where text belongs": (plain_query, nested, 400),
        "missing sender": (plain_query, message_xml([("ToUserName", "gh"), ("MsgType", "text")]).encode(), 400),
        "CreateTime not a number": (plain_query, message_xml([("ToUserName", "gh"), ("FromUserName", "o_x"),
                                                             ("CreateTime", "yesterday"), ("MsgType", "text")]).encode(),
                                    400),
    }


@pytest.mark.parametrize("case", list(_bad_deliveries(WechatSide(None, "jianyi"))))
async def test_bad_delivery_is_refused_quickly_without_effect_and_logged(aiohttp_client, settings, engine, auth, db,
                                                                         caplog, case):
    client, wechat, _ = await bot_client(aiohttp_client, settings, engine, "plain")
    await add_deputy(client, auth, "D001", "张三")
    before = await counts(db)
    query, body, status = _bad_deliveries(wechat)[case]
    caplog.set_level(logging.WARNING, logger="jianyi.bot.webhook")
    started = time.monotonic()
    reply = await wechat.post(query, body)
    assert time.monotonic() - started < 2.0
    assert reply.status == status, reply.body
    assert await counts(db) == before
    assert any("refused" in r.getMessage() for r in caplog.records if r.name == "jianyi.bot.webhook")


async def test_safe_mode_refuses_plain_messages_bad_msg_signature_and_garbage_ciphertext(aiohttp_client, settings,
                                                                                        engine, db, caplog):
    client, wechat, _ = await bot_client(aiohttp_client, settings, engine, "safe")
    before = await counts(db)
    caplog.set_level(logging.WARNING, logger="jianyi.bot.webhook")
    xml = wechat.text_xml("o_x", "提建议")
    query, body = wechat.envelope(xml, "o_x")
    assert (await wechat.post(dict(query, msg_signature="f" * 40), body)).status == 403
    plain = wechat.query("o_x")
    assert (await wechat.post(plain, xml.encode())).status == 400
    garbage = "bm90IGFuIGFlcyBibG9jaw=="
    garbage_query = wechat.query("o_x", encrypt=garbage)
    garbage_body = message_xml([("ToUserName", "gh"), ("Encrypt", garbage)]).encode()
    assert (await wechat.post(garbage_query, garbage_body)).status == 400
    other_app = AesCodec(SAFE["encoding_aes_key"], "wx0000000000000000").encrypt(xml)
    other_body = message_xml([("ToUserName", "gh"), ("Encrypt", other_app)]).encode()
    assert (await wechat.post(wechat.query("o_x", encrypt=other_app), other_body)).status == 400
    assert await counts(db) == before
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 4


async def test_reply_text_containing_cdata_end_is_escaped(aiohttp_client, settings, engine, auth):
    client, wechat, _ = await bot_client(aiohttp_client, settings, engine, "plain")
    await add_deputy(client, auth, "D001", "张三")
    await bind(client, auth, wechat, "o_zhang", "D001")
    await wechat.text("o_zhang", "提建议")
    await wechat.text("o_zhang", "标题]]><b>x</b>")
    await wechat.text("o_zhang", "内容")
    await wechat.text("o_zhang", "1")
    reply = await wechat.text("o_zhang", "无")
    assert "标题：标题]]><b>x</b>" in reply.text


# ---------------------------------------------------------------- retries: one effect, one answer
@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_a_message_delivered_three_times_makes_one_draft_and_one_proposal(aiohttp_client, settings, engine,
                                                                                auth, db, mode):
    client, wechat, _ = await bot_client(aiohttp_client, settings, engine, mode)
    await add_deputy(client, auth, "D001", "张三")
    await bind(client, auth, wechat, "o_zhang", "D001")
    form = "提建议\n标题：城关小学校舍修缮\n内容：教学楼屋顶漏雨，建议列入今年维修计划。\n类别：教育"
    xml = wechat.text_xml("o_zhang", form, msg_id=7001)
    first = await wechat.deliver(xml, "o_zhang")
    again = [await wechat.deliver(xml, "o_zhang") for _ in range(2)]
    assert "草稿已保存" in first.text and all(r.text == first.text for r in again)
    submit = wechat.text_xml("o_zhang", "确认提交", msg_id=7002)
    answers = await asyncio.gather(*(wechat.deliver(submit, "o_zhang") for _ in range(3)))
    assert len({a.text for a in answers}) == 1 and "已提交，编号" in answers[0].text
    found = await counts(db)
    assert found["proposals"] == 1
    r = await client.get("/api/v1/proposals", headers=auth)
    assert [p["state"] for p in (await r.json())["items"]] == ["submitted"]


async def test_a_menu_click_retried_by_wechat_has_one_effect(aiohttp_client, settings, engine, auth):
    client, wechat, _ = await bot_client(aiohttp_client, settings, engine, "plain")
    await add_deputy(client, auth, "D001", "张三")
    await bind(client, auth, wechat, "o_zhang", "D001")
    moment = int(time.time())
    replies = [await wechat.click("o_zhang", "PROPOSE", create_time=moment) for _ in range(3)]
    assert all("第 1 步" in r.text for r in replies)
    later = await wechat.click("o_zhang", "PROPOSE", create_time=moment + 1)
    assert "未完成的草稿" in later.text  # a new click is a new event


async def test_an_answer_not_ready_in_time_is_sent_later_as_a_chat_reply(aiohttp_client, settings, engine, auth, db):
    client, wechat, hook = await bot_client(aiohttp_client, settings, engine, "plain", budget=0.0)
    await add_deputy(client, auth, "D001", "张三")
    code = (await (await client.post("/api/v1/deputies/D001/binding-code", headers=auth)).json())["code"]
    xml = wechat.text_xml("o_zhang", f"绑定 {code}", msg_id=9001)
    reply = await wechat.deliver(xml, "o_zhang")
    assert (reply.status, reply.body) == (200, "success")
    early_retry = await wechat.deliver(xml, "o_zhang")  # WeChat retrying while the answer is being worked out
    assert early_retry.body == "success"
    await hook.drain()
    async with db.read() as session:
        from sqlalchemy import select

        from storage.models import OutboxMessage
        rows = (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "chat_reply"))).scalars().all()
    assert [(r.recipient_kind, r.recipient_id) for r in rows] == [("openid", "o_zhang")]
    assert "绑定成功" in rows[0].payload["text"]
    retry = await wechat.deliver(xml, "o_zhang")
    assert retry.body == "success"  # the answer went out as a message: not twice
    assert (await counts(db))["outbox"] == 1


async def test_deputies_writing_at_once_each_get_their_own_answer_and_step(aiohttp_client, settings, engine, auth, db):
    client, wechat, _ = await bot_client(aiohttp_client, settings, engine, "plain")
    openids = [f"o_{i:02d}" for i in range(12)]
    for i, openid in enumerate(openids):
        await add_deputy(client, auth, f"D{i:03d}", f"代表{i}")
        await bind(client, auth, wechat, openid, f"D{i:03d}")

    async def write(openid: str) -> list[str]:
        replies = []
        for said in ("提建议", f"{openid} 的标题", f"{openid} 的内容", "3", "无"):
            replies.append((await wechat.text(openid, said)).text)
        return replies

    everyone = await asyncio.gather(*(write(o) for o in openids))
    for openid, replies in zip(openids, everyone):
        assert "第 1 步" in replies[0] and "第 2 步" in replies[1] and "第 4 步" in replies[3]
        assert f"标题：{openid} 的标题" in replies[4] and f"内容：{openid} 的内容" in replies[4]
    assert (await counts(db))["proposals"] == len(openids)


# ---------------------------------------------------------------- real WeChat XML, verbatim
FIXTURES = Path(__file__).resolve().parents[1] / "support" / "fixtures" / "wechat"
EXPECTED = {
    "text.xml": "提建议：一步步起草建议", "image.xml": "先发送“提建议”", "voice.xml": "您还没有建议",
    "location.xml": "只能处理文字和图片", "event_subscribe.xml": "人大代表建议助手", "event_click.xml": "您还没有建议",
    "event_view.xml": None, "event_unsubscribe.xml": None,
}


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_wechats_own_message_xml_is_understood_in_both_modes(aiohttp_client, settings, engine, auth, mode):
    client, wechat, _ = await bot_client(aiohttp_client, settings, engine, mode)
    await add_deputy(client, auth, "D001", "张三")
    await bind(client, auth, wechat, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "D001")
    assert sorted(EXPECTED) == sorted(p.name for p in FIXTURES.glob("*.xml"))
    for name, expected in EXPECTED.items():
        reply = await wechat.deliver((FIXTURES / name).read_text(encoding="utf-8"), "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
        assert reply.status == 200, (name, reply.body)
        if expected is None:
            assert reply.body == "success", name
        else:
            assert expected in reply.text, (name, reply.text)


async def test_timestamps_within_five_minutes_are_accepted_and_beyond_refused(aiohttp_client, settings, engine):
    now = 1_800_000_000
    _, wechat, _ = await bot_client(aiohttp_client, settings, engine, "plain", clock=lambda: now)
    for offset, status in [(-299, 200), (299, 200), (-301, 403), (301, 403)]:
        reply = await wechat.deliver(wechat.text_xml("o_x", "帮助"), "o_x", timestamp=str(now + offset))
        assert reply.status == status, (offset, reply.body)
