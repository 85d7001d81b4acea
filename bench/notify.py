"""Notifications per second end to end (outbox row -> fake WeChat API call), against raw Redis streams.

    python -m bench.notify [--n 3000] [--db sqlite|postgres]

Baseline, same run, same Redis: XADD + XREADGROUP + XACK of the same number of payloads.
A benchmark measures; it does not pass or fail.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis.asyncio as aioredis  # noqa: E402

from notify.runner import Notifier  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from storage.models import OutboxMessage  # noqa: E402
from tests.support.fake_wechat import FakeWechat  # noqa: E402
from tests.support.notify import RedisProcess, all_settled, wait_until, with_wechat  # noqa: E402
from workflow.settings import load_settings  # noqa: E402


async def baseline(url: str, n: int) -> float:
    client = aioredis.from_url(url)
    stream, group = "bench:raw", "g"
    await client.delete(stream)
    await client.xgroup_create(stream, group, id="0", mkstream=True)
    payload = json.dumps({"text": "消息"}).encode()
    start = time.perf_counter()
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        pipe.xadd(stream, {"m": f"{i}:0", "p": payload})
        if i % 200 == 199:
            await pipe.execute()
    await pipe.execute()
    done = 0
    while done < n:
        reply = await client.xreadgroup(group, "c", {stream: ">"}, count=200, block=1000)
        ids = [entry_id for _s, entries in reply for entry_id, _f in entries]
        await client.xack(stream, group, *ids)
        done += len(ids)
    elapsed = time.perf_counter() - start
    await client.delete(stream)
    await client.aclose()
    return n / elapsed


class FakeProcess:
    """The fake WeChat API in a process of its own, as WeChat's servers are not in ours."""

    def __init__(self):
        import subprocess
        self.process = subprocess.Popen([sys.executable, "-m", "tests.support.fake_wechat"], cwd=ROOT,
                                        stdout=subprocess.PIPE, text=True)
        self.base_url = self.process.stdout.readline().strip()
        defaults = FakeWechat()
        self.app_id, self.app_secret = defaults.app_id, defaults.app_secret

    def sent(self) -> int:
        import urllib.request
        with urllib.request.urlopen(self.base_url.replace("/cgi-bin/", "/_fake/sent")) as answer:
            return json.loads(answer.read())["sent"]

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


async def settled(db: Database, fake: "FakeProcess", n: int) -> None:
    """Every row delivered (asked of the fake, which costs the pipeline's database nothing), then every
    outcome recorded (asked of the database, once the end is near)."""
    async def reached():
        return await asyncio.to_thread(fake.sent) >= n

    await wait_until(reached, timeout=600, interval=0.05)
    await wait_until(lambda: all_settled(db), timeout=600, interval=0.01)


async def end_to_end(url: str, redis_url: str, n: int, workers: int, processes: int = 0) -> tuple[float, float]:
    """Rows settled per second, with senders in this process, or in `processes` worker processes
    (their start-up time counts too)."""
    fake = FakeProcess()
    settings = load_settings(environ={})
    settings = replace(settings, database=replace(settings.database, url=url),
                       server=replace(settings.server, secret_key="bench-secret-123456"))
    settings = with_wechat(settings, fake, redis_url, **({"batch": int(os.environ["BENCH_BATCH"])} if os.environ.get("BENCH_BATCH") else {}))
    db = Database(settings.database_url())
    async with db.write() as session:
        async with session.begin():
            session.add_all(OutboxMessage(kind="chat_reply", recipient_kind="openid", recipient_id=f"o{i}",
                                          idempotency_key=f"bench:{i}", payload={"text": f"消息{i}"})
                            for i in range(n))
    start = time.perf_counter()
    if processes:
        import subprocess

        from tests.support.notify import env_for_subprocess
        env = env_for_subprocess(settings)
        workers_ = [subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve", "--role", "worker"], cwd=ROOT,
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    for _ in range(processes)]
        await settled(db, fake, n)
        elapsed = time.perf_counter() - start
        for worker in workers_:
            worker.terminate()
            worker.wait()
    else:
        notifier = Notifier(db, settings, scheduler=False, senders=workers)
        await notifier.start()
        await settled(db, fake, n)
        elapsed = time.perf_counter() - start
        await notifier.stop()
    await db.dispose()
    delivered = fake.sent()
    fake.stop()
    return n / elapsed, delivered


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="sender coroutines in this process")
    parser.add_argument("--processes", type=int, default=0, help="run senders as N `serve --role worker` processes")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    redis = RedisProcess(folder / "redis").start()
    if args.db == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        drop = None
    else:
        from tests.conftest import _create_pg_database, _drop_pg_database
        server = os.environ.get("JIANYI_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
        url = await _create_pg_database(server)
        drop = (server, url)
    await asyncio.to_thread(upgrade, url)
    try:
        raw = await baseline(redis.url, args.n)
        e2e, delivered = await end_to_end(url, redis.url, args.n, args.workers, args.processes)
    finally:
        redis.kill()
        if drop:
            await _drop_pg_database(*drop)
    how = f"{args.processes} worker processes" if args.processes else "in-process sender"
    print(f"{args.db} ({how}): {args.n} notifications, end to end {e2e:,.0f}/s (delivered {delivered}); "
          f"raw XADD+XREADGROUP+XACK {raw:,.0f}/s; ratio {raw / e2e:.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
