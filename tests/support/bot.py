"""Shared set-up for the bot's tests: the app in plain or safe mode, a roster, bound deputies, row counts."""
from __future__ import annotations

import time
from dataclasses import replace

from sqlalchemy import text

from bot import routes as bot_routes
from tests.support.wechat_protocol import WechatSide
from web.app import init_app

# WeChat's published crypto demo (WXBizMsgCrypt sample).
SAFE = {"token": "spamtest", "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "app_id": "wx2c2769f8efd9abc2"}
TABLES = ("proposals", "co_signers", "events", "outbox", "bot_inbound", "bot_dialogues", "binding_attempts",
          "proposal_attachments", "unit_liaisons")


# How long these tests let an answer take before it goes as a message instead. WeChat's budget (REPLY_BUDGET,
# 4 s) is the product's; the tests of what happens past it pass their own (budget=0.0). Here a conversation's
# words are checked, and on a loaded two-core CI machine a full garbage collection inside one request has
# taken an answer past 4 s: a passive reply the test could not read, in a random test.
TEST_BUDGET = 30.0


def mode_settings(settings, mode: str):
    if mode == "safe":
        return replace(settings, wechat=replace(settings.wechat, **SAFE))
    return settings


async def bot_client(aiohttp_client, settings, engine, mode: str = "plain", budget: float = TEST_BUDGET,
                     clock=time.time):
    """(HTTP client, WeChat's side, webhook) over the same web app as `serve`, with the bot's knobs."""
    settings = mode_settings(settings, mode)
    app = init_app(settings, engine)
    hook = bot_routes.setup(app, settings, engine, budget=budget, clock=clock)
    client = await aiohttp_client(app)
    wechat = WechatSide(client, settings.wechat.token, settings.wechat.encoding_aes_key, settings.wechat.app_id)
    return client, wechat, hook


async def add_deputy(client, auth, number: str, name: str, delegation: str = "") -> None:
    r = await client.post("/api/v1/deputies", json={"number": number, "name": name, "delegation": delegation},
                          headers=auth)
    assert r.status == 201, await r.text()


async def add_unit(client, auth, code: str, name: str) -> None:
    r = await client.post("/api/v1/units", json={"code": code, "name": name}, headers=auth)
    assert r.status == 201, await r.text()


async def code_for(client, auth, kind: str, key: str) -> str:
    r = await client.post(f"/api/v1/{kind}/{key}/binding-code", headers=auth)
    assert r.status == 201, await r.text()
    return (await r.json())["code"]


async def bind(client, auth, wechat: WechatSide, openid: str, number: str) -> None:
    code = await code_for(client, auth, "deputies", number)
    reply = await wechat.text(openid, f"绑定 {code}")
    assert "绑定成功" in (reply.text or ""), reply


async def counts(db) -> dict[str, int]:
    async with db.read() as session:
        return {t: (await session.execute(text(f"SELECT COUNT(*) FROM {t}"))).scalar_one() for t in TABLES}


async def converse(wechat: WechatSide, openid: str, script: list[tuple[str, str]]) -> list[str]:
    """Say each line; each reply must contain its expected fragment. Returns the replies."""
    replies = []
    for said, expected in script:
        reply = await wechat.text(openid, said)
        assert reply.status == 200, (said, reply)
        assert expected in (reply.text or ""), f"said {said!r}, expected {expected!r} in {reply.text!r}"
        replies.append(reply.text)
    return replies
