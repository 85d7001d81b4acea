"""Outbox relay -> Redis stream -> consumer group of senders -> WeChat.

- Relay: one at a time (a Redis lease), moves pending outbox rows to the stream in id order and marks
  them relayed; a crash between XADD and the mark relays them again (senders are idempotent).
- Senders: XREADGROUP in a group; ack after the outcome is recorded in the database; failures are
  retried with exponential backoff through a delayed set; after `max_attempts` the row is dead and a
  copy goes to the dead-letter stream; messages a dead worker held are claimed with XAUTOCLAIM.
- Every key is this deployment's own (notify/keys.py), and a delivery mark only spares a recipient
  a second copy of the very row that wrote it: the database decides what still has to go out.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
import time
import uuid

import redis.asyncio as aioredis
from prometheus_client import Counter
from redis.exceptions import RedisError, ResponseError
from sqlalchemy.exc import SQLAlchemyError

from storage import outbox
from storage.db import Database
from storage.models import Project
from storage.uow import Conflict
from workflow.domain.links import make_feedback_token, make_project_token, make_referral_token, make_token
from workflow.settings import Settings

from .keys import GROUP, RedisKeys
from .marks import Marks
from .texts import render
from .wechat_api import Outgoing, WechatError, WechatSender

log = logging.getLogger("jianyi.notify")

CONCURRENCY = 32  # messages being sent at once by one sender
SENT_DAYS = 7  # how long a delivery mark is kept

_MOVE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'm', member)
  redis.call('ZREM', KEYS[1], member)
end
return #due
"""
_RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end"
_RELAY = """
for i = 2, #ARGV do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'm', ARGV[i])
end
return #ARGV - 1
"""
_LOCK_ALL = """
local got = {}
for i, key in ipairs(KEYS) do
  got[i] = redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
end
return got
"""
_COMPARE_AND_DELETE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less if the process is stopping."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class _Count:
    """One of Counters' numbers: reads as an int; `+= n` also adds n to its Prometheus counter."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, counters, owner=None):
        return self if counters is None else counters._values[self.name]

    def __set__(self, counters, value: int) -> None:
        added = value - counters._values[self.name]
        if added < 0:
            raise ValueError(f"{self.name} only goes up")
        counters._values[self.name] = value
        if added:
            counters._metrics[self.name].inc(added)


class _Errors(dict):
    """Failed sends by WeChat errcode (`errors[code] = errors.get(code, 0) + 1`), fed to a labelled counter."""

    def __init__(self, metric: Counter):
        super().__init__()
        self._metric = metric

    def __setitem__(self, errcode, value: int) -> None:
        added = value - self.get(errcode, 0)
        super().__setitem__(errcode, value)
        if added > 0:
            self._metric.labels(errcode="none" if errcode is None else str(errcode)).inc(added)  # none: no answer


class Counters:
    """What this process's notifier did, as plain numbers (`counters.delivered += 1`) and, for /metrics, as
    Prometheus counters jianyi_notifications_<name>_total: a collector an app's registry registers
    (web/system.py), so each notifier's numbers are its own."""

    HELP = {"relayed": "Outbox rows handed to the Redis stream.",
            "delivered": "Notifications delivered to every bound recipient.",
            "skipped": "Notifications with no bound recipient (nothing to send).",
            "retried": "Failed sends scheduled for another attempt.",
            "dead": "Notifications given up after the last attempt (dead letters).",
            "duplicates_avoided": "Copies not sent because the row was already settled or being sent."}
    relayed = _Count()
    delivered = _Count()
    skipped = _Count()
    retried = _Count()
    dead = _Count()
    duplicates_avoided = _Count()

    def __init__(self):
        self._values = dict.fromkeys(self.HELP, 0)
        self._metrics = {name: Counter(f"jianyi_notifications_{name}", text, registry=None)
                         for name, text in self.HELP.items()}
        self._errors = Counter("jianyi_notifications_errors", "Failed sends by WeChat errcode.", ["errcode"],
                               registry=None)
        self.errors = _Errors(self._errors)

    def __repr__(self) -> str:
        return f"Counters({', '.join(f'{k}={v}' for k, v in self._values.items())}, errors={dict(self.errors)})"

    def describe(self):
        return [family for metric in (*self._metrics.values(), self._errors) for family in metric.describe()]

    def collect(self):
        return [family for metric in (*self._metrics.values(), self._errors) for family in metric.collect()]


class Relay:
    def __init__(self, db: Database, redis: aioredis.Redis, settings: Settings, counters: Counters, keys: RedisKeys):
        self.db, self.redis, self.settings, self.counters, self.keys = db, redis, settings, counters, keys
        self.me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    async def _lead(self) -> bool:
        ttl = 15000
        if await self.redis.set(self.keys.relay_lease, self.me, nx=True, px=ttl):
            return True
        return bool(await self.redis.eval(_RENEW, 1, self.keys.relay_lease, self.me, ttl))

    async def run_once(self) -> int:
        if not await self._lead():
            return 0
        cfg = self.settings.notify
        rows = await outbox.pending_for_relay(self.db, cfg.batch, dt.timedelta(seconds=cfg.redeliver_after_seconds))
        if not rows:
            return 0
        await self.redis.eval(_RELAY, 1, self.keys.stream, cfg.stream_maxlen, *(f"{row_id}:0" for row_id, _ in rows))
        await outbox.mark_relayed(self.db, [row_id for row_id, _ in rows])
        self.counters.relayed += len(rows)
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        delay = 0.05
        while not stop.is_set():
            try:
                moved = await self.run_once()
                delay = 0.0 if moved else min(0.5, delay * 2 or 0.05)
            except (RedisError, OSError) as exc:
                log.warning("Redis 不可用，通知暂存在 outbox 中：%s / Redis down, outbox keeps them", exc)
                delay = min(5.0, max(delay * 2, 0.5))
            except (SQLAlchemyError, Conflict) as exc:
                log.warning("relay: database error %s", exc)
                delay = min(5.0, max(delay * 2, 0.5))
            if delay:
                await pause(stop, delay)
        await self._hand_back()

    async def _hand_back(self) -> None:
        """Stopping: the lease goes back (if still ours), so a worker started next relays at once."""
        with contextlib.suppress(RedisError, OSError):  # Redis gone: the lease expires by itself
            await self.redis.eval(_COMPARE_AND_DELETE, 1, self.keys.relay_lease, self.me)


class Sender:
    def __init__(self, db: Database, redis: aioredis.Redis, settings: Settings, wechat: WechatSender,
                 counters: Counters, keys: RedisKeys, name: str | None = None, concurrency: int = CONCURRENCY):
        self.db, self.redis, self.settings, self.wechat, self.counters = db, redis, settings, wechat, counters
        self.keys = keys
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.limit = asyncio.Semaphore(concurrency)
        self.marks = Marks(redis)
        self._last_claim = 0.0

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.keys.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _claim(self) -> list:
        """Messages a dead worker held too long (XAUTOCLAIM answers 2 elements on Redis 6.2, 3 on 7+)."""
        idle = self.settings.notify.claim_idle_seconds * 1000
        reply = await self.redis.execute_command("XAUTOCLAIM", self.keys.stream, GROUP, self.name, idle, "0-0", "COUNT", 100)
        return list(reply[1]) if reply and len(reply) >= 2 else []

    async def poll(self, block_ms: int = 1000) -> int:
        cfg = self.settings.notify
        await self.redis.eval(_MOVE_DUE, 2, self.keys.delayed, self.keys.stream, int(time.time() * 1000), cfg.batch, cfg.stream_maxlen)
        messages = []
        if time.monotonic() - self._last_claim > max(1.0, cfg.claim_idle_seconds / 4):
            self._last_claim = time.monotonic()
            messages += await self._claim()
        if not messages:
            reply = await self.redis.xreadgroup(GROUP, self.name, {self.keys.stream: ">"}, count=cfg.batch, block=block_ms)
            for _stream, entries in reply or []:
                messages += entries
        if messages:
            await self.handle(messages)
        return len(messages)

    async def handle(self, messages: list) -> None:
        parsed = []
        for _entry_id, fields in messages:
            if not fields:  # trimmed by MAXLEN while pending
                continue
            row_id, _, attempt = fields.get(b"m", b"0:0").decode().partition(":")
            parsed.append((int(row_id), int(attempt or 0)))
        unique = dict(parsed)  # a row relayed twice is sent once
        self.counters.duplicates_avoided += len(parsed) - len(unique)
        rows = await outbox.load(self.db, list(unique))
        pending = [rows[i] for i in unique if i in rows and rows[i].status == "pending"]
        self.counters.duplicates_avoided += len(unique) - len(pending)
        targets = await outbox.targets(self.db, pending)
        mine, already = await self._claim_rows(pending, targets)
        try:
            # Every row's outcome is kept even when another row's sending fails (Redis gone, say):
            # a message that went out must be recorded, or it would go out again.
            results = await asyncio.gather(*(self._deliver(row, targets.get(row.id, []), already.get(row.id, set()),
                                                           unique[row.id]) for row in mine), return_exceptions=True)
            for row, result in zip(mine, results):
                if isinstance(result, BaseException):
                    log.warning("notification #%s not settled this time: %r", row.id, result)
        finally:
            if mine:
                with contextlib.suppress(RedisError, OSError):  # the locks expire by themselves
                    await self.redis.delete(*(self.keys.lock(row.id) for row in mine))
        await outbox.finish(self.db, {row.id: result for row, result in zip(mine, results)
                                      if isinstance(result, tuple)})
        ids = [entry_id for entry_id, _ in messages]
        if ids:
            await self.redis.xack(self.keys.stream, GROUP, *ids)

    async def _claim_rows(self, rows, targets) -> tuple[list, dict[int, set[str]]]:
        """Lock each row for this worker and learn whom each already reached, in one round trip of two
        commands (a script setting every lock, an MGET of every mark), whatever the batch's size.

        A mark counts only when this very row wrote it (its fingerprint): a mark left by a row of the same
        id in a recreated or restored database is no reason to skip anyone."""
        if not rows:
            return [], {}
        marks = [(row, target) for row in rows for target in targets.get(row.id, [])]
        pipe = self.redis.pipeline(transaction=False)
        pipe.eval(_LOCK_ALL, len(rows), *(self.keys.lock(row.id) for row in rows), self.name, 30000)
        if marks:
            pipe.mget([self.keys.sent(row.id, target.openid) for row, target in marks])
        answers = await pipe.execute()
        locked, found = answers[0], iter(answers[1] if marks else [])
        reached: dict[int, set[str]] = {}
        for (row, target), mark in zip(marks, found):
            if mark == outbox.fingerprint(row).encode():
                reached.setdefault(row.id, set()).add(target.openid)
        mine, already = [], {}
        for row, got in zip(rows, locked):
            if got:
                mine.append(row)
                already[row.id] = reached.get(row.id, set())
            else:
                self.counters.duplicates_avoided += 1  # another worker is sending this very row now
        return mine, already

    async def _deliver(self, row, targets, already: set[str], attempt: int):
        """The outcome (status, channel, error) to record, or None when a retry was scheduled."""
        if not targets:
            self.counters.skipped += 1
            return ("skipped", "", "收件人未绑定微信")
        channel, failure = "", None
        for target in targets:
            if target.openid in already:
                continue
            try:
                async with self.limit:
                    channel = await self.wechat.send(await self._outgoing(row, target))
                    # Remembered at once: after a crash before the outcome reaches the database, the
                    # row is taken up again and this recipient is skipped, not messaged twice.
                    await self._remember_sent(row, target.openid)
            except WechatError as exc:
                if exc.permanent:
                    continue  # this user cannot be reached (unsubscribed...): the others still get it
                failure = exc
                self.counters.errors[exc.errcode] = self.counters.errors.get(exc.errcode, 0) + 1
                break
        if failure is None:
            self.counters.delivered += 1
            return ("delivered", channel, "")
        return await self._retry_later(row, attempt, str(failure))

    async def _remember_sent(self, row, openid: str) -> None:
        try:
            await self.marks.set(self.keys.sent(row.id, openid), outbox.fingerprint(row).encode(), SENT_DAYS * 86400)
        except (RedisError, OSError) as exc:  # the message went out: its outcome must still be recorded
            log.warning("could not remember delivery of #%s in Redis: %s", row.id, exc)

    async def _retry_later(self, row, attempt: int, error: str):
        cfg = self.settings.notify
        attempts = await outbox.record_failure(self.db, row.id, error, cfg.max_attempts)
        if attempts >= cfg.max_attempts:
            self.counters.dead += 1
            await self.redis.xadd(self.keys.dead, {"id": str(row.id), "kind": row.kind, "error": error[:300]},
                                  maxlen=10000, approximate=True)
            log.error("通知 #%s 多次发送失败，已转入死信队列：%s", row.id, error)
            return None
        self.counters.retried += 1
        delay_ms = cfg.backoff_seconds * 1000 * (2 ** (attempts - 1))
        await self.redis.zadd(self.keys.delayed, {f"{row.id}:{attempts}": int(time.time() * 1000) + delay_ms})
        return None

    async def _outgoing(self, row, target) -> Outgoing:
        server, payload = self.settings.server, row.payload or {}
        url = ""
        if target.kind == "unit" and payload.get("referral_id"):  # an opinion referred to the unit (转办)
            referral = await outbox.referral(self.db, payload["referral_id"])
            if referral is not None:
                url = f"{server.public_url.rstrip('/')}/u/{make_referral_token(server.secret_key, referral, server.link_ttl_days)}"
        elif payload.get("subject") == "opinion":
            url = f"{server.public_url.rstrip('/')}{payload['path']}" if payload.get("path") else ""
        elif payload.get("subject") == "project":  # a livelihood project: the responsible unit's own link
            project = None
            if target.kind == "unit" and isinstance(payload.get("project_id"), int):
                async with self.db.read() as session:
                    project = await session.get(Project, payload["project_id"])
            if project is not None:
                url = f"{server.public_url.rstrip('/')}/u/{make_project_token(server.secret_key, project, server.link_ttl_days)}"
        elif target.kind == "unit":
            assignment = await outbox.unit_assignment(self.db, payload.get("proposal_id"), target.key,
                                                      payload.get("assignment_id"))
            if assignment is not None:
                url = f"{server.public_url.rstrip('/')}/u/{make_token(server.secret_key, assignment, server.link_ttl_days)}"
        elif target.kind == "deputy" and payload.get("proposal_id"):
            token = make_feedback_token(server.secret_key, payload["proposal_id"], target.key, server.link_ttl_days)
            url = f"{server.public_url.rstrip('/')}/f/{token}"
        rendered = render(row.kind, payload, url)
        template = None
        if self.settings.wechat.template_id:
            template = {"first": {"value": rendered.first}, "keyword1": {"value": rendered.keywords[0] if rendered.keywords else ""},
                        "keyword2": {"value": rendered.keywords[1] if len(rendered.keywords) > 1 else ""},
                        "remark": {"value": rendered.keywords[2] if len(rendered.keywords) > 2 else ""}}
        return Outgoing(target.openid, rendered.text, self.settings.wechat.template_id, template, url)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.ensure_group()
                while not stop.is_set():
                    await self.poll()
            except (RedisError, OSError) as exc:
                log.warning("sender: Redis unavailable (%s); retrying", exc)
            except (SQLAlchemyError, Conflict) as exc:
                log.warning("sender: database error (%s); retrying", exc)
            await pause(stop, 1.0)
