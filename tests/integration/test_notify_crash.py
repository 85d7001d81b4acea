"""Kill -9 of the serving process with 1,000 notifications in flight, and Redis stopped for a while:
every notification is delivered; duplicates only for messages being sent at the kill (reported)."""
from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections import Counter

from sqlalchemy import select

from notify.pipeline import CONCURRENCY
from storage.models import OutboxMessage
from tests.conftest import ROOT
from tests.support.fake_wechat import FakeWechat
from tests.support.notify import RedisProcess, all_settled, env_for_subprocess, wait_until, with_wechat

N = 1000


async def queue(db, n: int) -> None:
    async with db.write() as session:
        async with session.begin():
            session.add_all(OutboxMessage(kind="chat_reply", recipient_kind="openid", recipient_id=f"o{i}",
                                          idempotency_key=f"crash:{i}", payload={"text": f"第{i}条"})
                            for i in range(n))


def start_worker(settings) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve", "--role", "worker"], cwd=ROOT,
                            env=env_for_subprocess(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def delivered_at_least(fake: FakeWechat, n: int):
    count = len(fake.sent())
    return count if count >= n else None


def report(name: str, fake: FakeWechat) -> int:
    per_user = Counter(openid for openid, _ in fake.sent_texts())
    duplicates = sum(c - 1 for c in per_user.values())
    print(f"\n{name}: {len(per_user)} of {N} recipients reached, {duplicates} duplicate deliveries")
    return duplicates


async def test_kill_9_while_sending_loses_no_notification(db, settings, redis_url):
    fake = FakeWechat().start_in_thread()
    settings = with_wechat(settings, fake, redis_url, claim_idle_seconds=2, redeliver_after_seconds=5)
    await queue(db, N)
    worker = start_worker(settings)
    try:
        await wait_until(lambda: delivered_at_least(fake, 150), timeout=120)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        sent_at_kill = len(fake.sent())
        assert sent_at_kill < N, "the kill came too late to test anything"
        worker = start_worker(settings)
        counts = await wait_until(lambda: all_settled(db), timeout=180)
    finally:
        stop(worker)
        fake.stop_thread()
    assert counts == {"delivered": N}
    per_user = Counter(openid for openid, _ in fake.sent_texts())
    assert set(per_user) == {f"o{i}" for i in range(N)}  # every notification arrived
    duplicates = report("kill -9", fake)
    assert duplicates <= CONCURRENCY  # only messages whose sending was under way at the kill


async def test_redis_stopped_and_restarted_loses_no_notification(db, settings, tmp_path):
    fake = FakeWechat().start_in_thread()
    redis = RedisProcess(tmp_path / "redis").start()
    settings = with_wechat(settings, fake, redis.url, redeliver_after_seconds=3)
    await queue(db, N)
    worker = start_worker(settings)
    try:
        await wait_until(lambda: delivered_at_least(fake, 150), timeout=120)
        redis.kill()  # the stream, the group and everything in flight are gone with it
        await asyncio.sleep(0)  # let the worker notice on its next call
        sent_while_down = len(fake.sent())
        redis.start()
        counts = await wait_until(lambda: all_settled(db), timeout=180)
        assert worker.poll() is None, "the worker must ride out a Redis outage"
    finally:
        stop(worker)
        redis.kill()
        fake.stop_thread()
    assert sent_while_down < N
    assert counts == {"delivered": N}
    assert set(openid for openid, _ in fake.sent_texts()) == {f"o{i}" for i in range(N)}
    report("redis restart", fake)
    async with db.read() as session:
        assert (await session.execute(select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None)))).first() is None
