"""Outbound WeChat calls: one shared access token in Redis, messages sent through wechatpy's client.

wechatpy 1.8.18 is synchronous (requests), has no timeout by default, retries invalid-token errors
without limit and fetches tokens from a hard-coded URL; so it runs in worker threads with a timeout
and `auto_retry=False`, and the token comes from our cache, refreshed by one worker at a time under
a Redis lock through `stable_token` at `wechat.api_base_url` (a refresh there does not invalidate the
tokens other workers hold). The token is cached under this deployment's prefix and the app id, so
counties sharing a Redis, each with its own WeChat app, never hand each other their tokens.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import aiohttp
import redis.asyncio as aioredis
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

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
    """Sends one message with wechatpy in a worker thread: customer-service first, template when out of window."""

    def __init__(self, settings: WechatSettings, tokens: TokenCache, timeout: float = 5.0):
        self.settings, self.tokens, self.timeout = settings, tokens, timeout
        self._local = threading.local()
        # wechatpy blocks: its calls run here, never on the event loop.
        self._threads = ThreadPoolExecutor(max_workers=32, thread_name_prefix="wechat")

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)

    def _client(self, token: str) -> WeChatClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = WeChatClient(self.settings.app_id, self.settings.app_secret, access_token=token,
                                  timeout=self.timeout, auto_retry=False)
            client.API_BASE_URL = self.settings.api_base_url.rstrip("/") + "/"
            self._local.client = client
        client.session.set(client.access_token_key, token)
        return client

    def _send_blocking(self, token: str, message: Outgoing, channel: str) -> None:
        client = self._client(token)
        try:
            if channel == "custom":
                client.message.send_text(message.openid, message.text)
            else:
                client.message.send_template(message.openid, message.template_id, message.template_data or {},
                                             url=message.url or None)
        except WeChatClientException as exc:
            raise WechatError(exc.errcode, str(exc.errmsg)) from None
        except requests.RequestException as exc:
            raise WechatError(None, f"网络错误：{type(exc).__name__}") from None

    async def send(self, message: Outgoing) -> str:
        """Deliver `message`; returns the channel used. Raises WechatError when it could not."""
        channel, stale = "custom", None
        for _ in range(3):
            token = await self.tokens.get(stale=stale)
            try:
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(self._threads, self._send_blocking, token, message, channel)
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
