"""The sender's own calls to WeChat (aiohttp, one shared session): the bodies WeChat expects, a refused
token refreshed once, the template when the customer-service window is closed, and every failure of the
network or of WeChat's servers a retryable error within the timeout, never a hang."""
from __future__ import annotations

import time
from dataclasses import replace

import aiohttp
import pytest
import redis.asyncio as aioredis

from notify.keys import RedisKeys
from notify.wechat_api import Outgoing, TokenCache, WechatError, WechatSender


@pytest.fixture
async def sender(settings, redis_url, fake_wechat):
    wechat = replace(settings.wechat, api_base_url=fake_wechat.base_url, app_id=fake_wechat.app_id,
                     app_secret=fake_wechat.app_secret)
    redis = aioredis.from_url(redis_url)
    async with aiohttp.ClientSession() as http:
        tokens = TokenCache(redis, wechat, http, RedisKeys.for_deployment("jianyi", "test"))
        yield WechatSender(wechat, tokens, http, timeout=0.5)
    await redis.aclose()


async def test_a_text_goes_as_a_customer_service_message_in_plain_chinese(sender, fake_wechat):
    assert await sender.send(Outgoing("o-1", "您的建议已交办")) == "custom"
    (call,) = fake_wechat.sent()
    assert call.body == {"touser": "o-1", "msgtype": "text", "text": {"content": "您的建议已交办"}}


async def test_a_token_wechat_refuses_is_refreshed_once_and_the_message_still_goes(sender, fake_wechat):
    await sender.send(Outgoing("o-1", "第一条"))
    fake_wechat.revoke_tokens()  # another party refreshed it: 40001
    assert await sender.send(Outgoing("o-1", "第二条")) == "custom"
    assert [c.body["text"]["content"] for c in fake_wechat.sent()] == ["第一条", "第二条"]


async def test_a_closed_window_falls_back_to_the_template_with_its_link(sender, fake_wechat):
    fake_wechat.out_of_window.add("o-2")
    message = Outgoing("o-2", "请评价", "TPL", {"first": {"value": "请评价"}}, "https://example.gov.cn/f/x")
    assert await sender.send(message) == "template"
    (call,) = fake_wechat.sent("message/template/send")
    assert call.body == {"touser": "o-2", "template_id": "TPL", "data": {"first": {"value": "请评价"}},
                         "url": "https://example.gov.cn/f/x"}


async def test_a_server_error_is_retryable(sender, fake_wechat):
    fake_wechat.fail("message/custom/send", status=502)
    with pytest.raises(WechatError) as failed:
        await sender.send(Outgoing("o-1", "消息"))
    assert failed.value.retryable and not failed.value.permanent


async def test_a_wechat_that_does_not_answer_is_given_up_within_the_timeout(sender, fake_wechat):
    fake_wechat.fail("message/custom/send", delay=3.0)
    start = time.monotonic()
    with pytest.raises(WechatError) as failed:
        await sender.send(Outgoing("o-1", "消息"))
    assert failed.value.retryable and time.monotonic() - start < 2.0


async def test_an_unsubscribed_user_is_a_permanent_failure(sender, fake_wechat):
    fake_wechat.unsubscribed.add("o-3")
    with pytest.raises(WechatError) as failed:
        await sender.send(Outgoing("o-3", "消息"))
    assert failed.value.errcode == 43004 and failed.value.permanent


async def test_wechat_unreachable_is_retryable(settings, redis_url):
    wechat = replace(settings.wechat, api_base_url="http://127.0.0.1:9/cgi-bin/")  # nothing listens there
    redis = aioredis.from_url(redis_url)
    async with aiohttp.ClientSession() as http:
        tokens = TokenCache(redis, wechat, http, RedisKeys.for_deployment("jianyi", "test"))
        await redis.set(tokens.key, b"TOKEN")
        with pytest.raises(WechatError) as failed:
            await WechatSender(wechat, tokens, http, timeout=0.5).send(Outgoing("o-1", "消息"))
    await redis.aclose()
    assert failed.value.errcode is None and failed.value.retryable
