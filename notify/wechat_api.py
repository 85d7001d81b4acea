"""Outbound WeChat calls: one shared access token in Redis, messages sent on one shared aiohttp session.

wechatpy (kept for the webhook's crypto and parsing) is synchronous (requests), has no timeout by
default, retries invalid-token errors without limit and fetches tokens from a hard-coded URL; its
thread pool capped what one sender could send. So the three calls we make (the token, a
customer-service message, a template message) are plain JSON POSTs here, with timeouts, on the
process's one `aiohttp.ClientSession` (its connector limits the connections), and the token comes
from our cache, refreshed by one worker at a time under a Redis lock through `stable_token` at
`wechat.api_base_url` (a refresh there does not invalidate the tokens other workers hold). The token is cached under this deployment's prefix and the app id, so
counties sharing a Redis, each with its own WeChat app, never hand each other their tokens.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass

import aiohttp
import redis.asyncio as aioredis

from workflow.settings import WechatSettings

from .keys import RedisKeys

log = logging.getLogger("jianyi.wechat")

INVALID_TOKEN = {40001, 40014, 42001}
RETRYABLE = {-1, 45009, 45011, 45047}  # system busy, rate limits, message count
OUT_OF_WINDOW = {45015}  # customer-service window (48 h) closed: use a template message
PERMANENT = {40003, 43004, 43019, 40037, 47003, 40036}  # bad openid, unsubscribed, blocked, bad template


class WechatError(Exception):
    def __init__(self, errcode: int | None, errmsg: str):
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg

    @property
    def retryable(self) -> bool:
        return self.errcode is None or self.errcode in RETRYABLE or self.errcode in INVALID_TOKEN

    @property
    def permanent(self) -> bool:
        return self.errcode in PERMANENT


_COMPARE_AND_DELETE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end
"""


class TokenCache:
    """The access token shared by every worker, refreshed before expiry by one of them."""

    LOCAL_SECONDS = 30  # each worker re-reads the shared token this often (it changes rarely)

    def __init__(self, redis: aioredis.Redis, settings: WechatSettings, http: aiohttp.ClientSession,
                 keys: RedisKeys):
        self.redis, self.settings, self.http = redis, settings, http
        self.key, self.lock_key = keys.token(settings.app_id), keys.token_lock(settings.app_id)
        self._local: tuple[str, float] | None = None

    async def get(self, stale: str | None = None) -> str:
        """The current token; with `stale` (a token WeChat just refused), a different, fresh one."""
        if self._local and self._local[0] != stale and time.monotonic() < self._local[1]:
            return self._local[0]
        token = await self._shared(stale)
        self._local = (token, time.monotonic() + self.LOCAL_SECONDS)
        return token

    async def _shared(self, stale: str | None) -> str:
        cached = await self.redis.get(self.key)
        if cached and cached.decode() != stale:
            return cached.decode()
        for _ in range(200):
            if await self.redis.set(self.lock_key, b"1", nx=True, px=10000):
                try:
                    cached = await self.redis.get(self.key)
                    if cached and cached.decode() != stale:
                        return cached.decode()
                    return await self._fetch(force=stale is not None)
                finally:
                    await self.redis.delete(self.lock_key)
            await asyncio.sleep(0.05)  # another worker is refreshing: use its result
            cached = await self.redis.get(self.key)
            if cached and cached.decode() != stale:
                return cached.decode()
        raise WechatError(None, "获取 access_token 超时")

    async def invalidate(self, token: str) -> None:
        self._local = None
        await self.redis.eval(_COMPARE_AND_DELETE, 1, self.key, token)

    async def _fetch(self, force: bool) -> str:
        url = self.settings.api_base_url.rstrip("/") + "/stable_token"
        body = {"grant_type": "client_credential", "appid": self.settings.app_id,
                "secret": self.settings.app_secret, "force_refresh": force}
        try:
            async with self.http.post(url, json=body, timeout=aiohttp.ClientTimeout(total=10)) as response:
                result = json.loads(await response.text())
        except (aiohttp.ClientError, asyncio.TimeoutError, json.JSONDecodeError) as exc:
            raise WechatError(None, f"获取 access_token 失败：{exc}") from None
        if "access_token" not in result:
            raise WechatError(result.get("errcode"), result.get("errmsg", "获取 access_token 失败"))
        ttl = max(60, int(result.get("expires_in", 7200)) - 300)  # refresh 5 minutes before WeChat's expiry
        await self.redis.set(self.key, result["access_token"].encode(), ex=ttl)
        return result["access_token"]


@dataclass
class Outgoing:
    openid: str
    text: str
    template_id: str = ""
    template_data: dict | None = None
    url: str = ""


class WechatSender:
    """Sends one message on the shared aiohttp session: customer-service first, template when out of window.

    The calls are the two of WeChat's message API (POST JSON, the token as a query parameter); wechatpy
    sent the same bodies through requests in a thread pool, 2.8-8× slower against the same fake.
    """

    PATHS = {"custom": "message/custom/send", "template": "message/template/send"}

    def __init__(self, settings: WechatSettings, tokens: TokenCache, http: aiohttp.ClientSession,
                 timeout: float = 5.0):
        self.settings, self.tokens, self.http = settings, tokens, http
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.base = settings.api_base_url.rstrip("/") + "/"

    @staticmethod
    def body(message: Outgoing, channel: str) -> dict:
        if channel == "custom":
            return {"touser": message.openid, "msgtype": "text", "text": {"content": message.text}}
        body = {"touser": message.openid, "template_id": message.template_id, "data": message.template_data or {}}
        if message.url:
            body["url"] = message.url
        return body

    async def _post(self, token: str, message: Outgoing, channel: str) -> None:
        data = json.dumps(self.body(message, channel), ensure_ascii=False).encode("utf-8")
        try:
            async with self.http.post(self.base + self.PATHS[channel], params={"access_token": token}, data=data,
                                      headers={"Content-Type": "application/json; charset=utf-8"},
                                      timeout=self.timeout) as response:
                if response.status != 200:
                    raise WechatError(None, f"网络错误：HTTP {response.status}")
                result = json.loads(await response.read())
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise WechatError(None, f"网络错误：{type(exc).__name__}") from None
        except (ValueError, UnicodeDecodeError):
            raise WechatError(None, "微信返回的内容无法解析") from None
        errcode = result.get("errcode", 0) if isinstance(result, dict) else None
        if errcode is None:
            raise WechatError(None, "微信返回的内容无法解析")
        if errcode:
            raise WechatError(errcode, str(result.get("errmsg", "")))

    async def send(self, message: Outgoing) -> str:
        """Deliver `message`; returns the channel used. Raises WechatError when it could not."""
        channel, stale = "custom", None
        for _ in range(3):
            token = await self.tokens.get(stale=stale)
            try:
                await self._post(token, message, channel)
                return channel
            except WechatError as exc:
                if exc.errcode in INVALID_TOKEN and stale is None:
                    await self.tokens.invalidate(token)
                    stale = token
                    continue
                if exc.errcode in OUT_OF_WINDOW and channel == "custom" and message.template_id:
                    channel = "template"
                    continue
                raise
        raise WechatError(None, "多次重试后仍无法发送")
