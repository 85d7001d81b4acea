"""Starts the notification relay, the senders, the deadline scheduler and the evidence-photo fetcher as
background tasks."""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Callable

import aiohttp
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from storage.db import Database
from storage.identity import deployment_id
from storage.models import utcnow
from storage.uow import Conflict
from workflow.domain import clock as beijing
from workflow.domain.deadlines import current as current_rules
from workflow.settings import Settings
from workflow.usecases import public_throttle
from workflow.usecases.calendar import refresh_and_recompute
from workflow.usecases.opinion_reminders import issue_referral_reminders
from workflow.usecases.project_reminders import issue_project_reminders
from workflow.usecases.rating_windows import act_on_passed_windows
from workflow.usecases.reminders import issue_reminders

from .keys import RedisKeys
from .media import MediaFetcher
from .pipeline import Counters, Relay, Sender, pause
from .redis_conn import RedisHandle, open_redis
from .wechat_api import TokenCache, WechatSender

log = logging.getLogger("jianyi.notify")
HTTP_CONNECTIONS = 64  # open connections to WeChat at once, all senders of this process together


class Scheduler:
    """Issues deadline reminders every `scheduler_interval_seconds` (and at start)."""

    def __init__(self, db: Database, settings: Settings, clock: Callable[[], dt.date] = beijing.today):
        self.db, self.settings, self.clock = db, settings, clock

    async def run_once(self) -> int:
        changed = await refresh_and_recompute(self.db, self.settings)  # the console's edits, a new release
        if changed:
            log.info("节假日日历已更新（%s），重新计算了 %s 项交办的期限。", current_rules().fingerprint(), changed)
        acted = await act_on_passed_windows(self.db, self.settings, self.clock)
        if acted:
            log.info("评价期限届满或承诺解决时间已到：处理了 %s 件建议。", acted)
        await public_throttle.sweep(self.db, utcnow(), self.settings.opinions.address_window_seconds)
        issued = await issue_reminders(self.db, self.settings, self.clock())
        issued += await issue_project_reminders(self.db, self.settings, self.clock())
        return issued + await issue_referral_reminders(self.db, self.settings, self.clock())

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                issued = await self.run_once()
                if issued:
                    log.info("发出期限提醒 %s 条", issued)
            except (SQLAlchemyError, Conflict) as exc:
                log.warning("scheduler: database error %s", exc)
            await pause(stop, self.settings.notify.scheduler_interval_seconds)


class Notifier:
    """Everything of notify/ that runs in one process; `start()` then `stop()`."""

    def __init__(self, db: Database, settings: Settings, clock: Callable[[], dt.date] = beijing.today,
                 senders: int = 1, relay: bool = True, scheduler: bool = True):
        self.db, self.settings, self.clock = db, settings, clock
        self.counters = Counters()
        self._want = (senders, relay, scheduler)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self.redis: RedisHandle | None = None
        self.http: aiohttp.ClientSession | None = None
        self.keys: RedisKeys | None = None

    async def start(self) -> None:
        senders, relay, scheduler = self._want
        # Read once: which database this is decides which Redis keys are ours.
        keys = self.keys = RedisKeys.for_deployment(self.settings.redis.prefix, await deployment_id(self.db))
        log.info("Redis 键前缀：%s / Redis key prefix %s", keys.prefix, keys.prefix)
        self.redis = await open_redis(self.settings)
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=HTTP_CONNECTIONS),
                                          timeout=aiohttp.ClientTimeout(total=30, connect=5))
        tokens = TokenCache(self.redis.client, self.settings.wechat, self.http, keys)
        wechat = self.wechat = WechatSender(self.settings.wechat, tokens, self.http)
        if relay:
            self._spawn(Relay(self.db, self.redis.client, self.settings, self.counters, keys).run(self._stop), "relay")
        for n in range(senders):
            sender = Sender(self.db, self.redis.client, self.settings, wechat, self.counters, keys)
            self._spawn(sender.run(self._stop), f"sender-{n}")
        if scheduler:
            self._spawn(Scheduler(self.db, self.settings, self.clock).run(self._stop), "scheduler")
            self.media = MediaFetcher(self.db, self.settings, tokens, self.http)
            self._spawn(self.media.run(self._stop), "media")

    def _spawn(self, coro, name: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=f"notify-{name}"))

    async def stop(self) -> None:
        self._stop.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
        for task in self._tasks:
            task.cancel()
        if self.http is not None:
            await self.http.close()
        if self.redis is not None:
            with contextlib.suppress(RedisError, OSError):  # closing: a Redis already gone is fine
                await self.redis.close()
