"""A signed /wechat URL cannot be replayed with another body (issue 9, item 12): in plain mode the
signature covers token, timestamp and nonce but not the body, so a captured URL could carry any message
for the 5-minute window. WeChat's own retries (the same body again) are still answered as before."""
from __future__ import annotations

import pytest

from tests.support.bot import add_deputy, bind, bot_client


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_a_captured_signature_with_another_body_is_refused_and_changes_nothing(aiohttp_client, settings,
                                                                                     engine, auth, mode):
    client, wechat, _ = await bot_client(aiohttp_client, settings, engine, mode)
    await add_deputy(client, auth, "D001", "张三")
    await bind(client, auth, wechat, "o_zhang", "D001")
    query, body = wechat.envelope(wechat.text_xml("o_zhang", "帮助"), "o_zhang")
    first = await wechat.post(query, body)
    assert first.status == 200
    _, forged = wechat.envelope(wechat.text_xml("o_zhang", "提建议"), "o_zhang")
    replayed = await wechat.post(query, forged)
    assert replayed.status == 403
    retried = await wechat.post(query, body)  # WeChat's retry of the first message
    assert retried.status == 200
    if mode == "plain":  # (safe mode encrypts each answer afresh)
        assert retried.body == first.body
    # The forged message did nothing: no dialogue was started for 张三.
    assert "第 1 步" not in ((await wechat.text("o_zhang", "帮助")).text or "")
