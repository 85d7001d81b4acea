"""Several deployments on one Redis, and a database recreated or restored under a Redis that outlived it
(issue 9, item 7): each deployment delivers its own notifications, none crosses to another, none is lost.

A Redis delivery mark is only a shortcut within one deployment; the database says what was delivered."""
from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from dataclasses import replace

from notify.runner import Notifier
from storage.db import Database, upgrade
from storage.models import OutboxMessage
from tests.support.fake_wechat import FakeWechat
from tests.support.notify import all_settled, wait_until, with_wechat


async def _database(path) -> Database:
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    return Database(url)


def _for(settings, db: Database, fake: FakeWechat, redis_url: str, prefix: str = ""):
    settings = with_wechat(settings, fake, redis_url)
    settings = replace(settings, database=replace(settings.database, url=db.url))
    return replace(settings, redis=replace(settings.redis, prefix=prefix)) if prefix else settings


async def _queue(db: Database, label: str, openids: list[str]) -> None:
    async with db.write() as session:
        async with session.begin():
            session.add_all(OutboxMessage(kind="chat_reply", recipient_kind="openid", recipient_id=openid,
                                          idempotency_key=f"test:{label}:{openid}", payload={"text": f"{label}:{openid}"})
                            for openid in openids)


async def _deliver(db: Database, settings, clock) -> dict:
    notifier = Notifier(db, settings, clock=clock, scheduler=False)
    await notifier.start()
    try:
        return await wait_until(lambda: all_settled(db), timeout=20)
    finally:
        await notifier.stop()


def _received(fake: FakeWechat, label: str) -> Counter:
    return Counter(text for _openid, text in fake.sent_texts() if text.startswith(f"{label}:"))


OPENIDS = [f"o-{i}" for i in range(5)]


async def test_two_deployments_on_one_redis_each_deliver_their_own_messages(db, settings, clock, redis_url, tmp_path):
    """Two counties, two databases (row ids 1..5 in each, the same WeChat users), two WeChat apps, one Redis."""
    other = await _database(tmp_path / "county-b.db")
    first, second = await FakeWechat().start(), await FakeWechat(app_id="wxfakeBBBBBBBBBB").start()
    try:
        a, b = _for(settings, db, first, redis_url), _for(settings, other, second, redis_url)
        await _queue(db, "A", OPENIDS)
        await _queue(other, "B", OPENIDS)
        counts = await asyncio.gather(_deliver(db, a, clock), _deliver(other, b, clock))
        assert counts == [{"delivered": 5}, {"delivered": 5}]
        assert _received(first, "A") == Counter({f"A:{o}": 1 for o in OPENIDS})
        assert _received(second, "B") == Counter({f"B:{o}": 1 for o in OPENIDS})
        assert not _received(first, "B") and not _received(second, "A")  # nothing crossed
        # Each app's own token: a token cached for one app id is never offered to the other.
        for fake in (first, second):
            assert [c.path for c in fake.calls if c.answer.get("errcode") == 40001] == []
            assert len([c for c in fake.calls if c.path == "stable_token"]) == 1
    finally:
        await first.stop()
        await second.stop()
        await other.dispose()


async def test_a_recreated_database_delivers_its_first_notifications(settings, clock, redis_url, fake_wechat, tmp_path):
    path = tmp_path / "county.db"
    db = await _database(path)
    await _queue(db, "before", OPENIDS)
    assert await _deliver(db, _for(settings, db, fake_wechat, redis_url), clock) == {"delivered": 5}
    await db.dispose()
    path.unlink()  # dropped and created again: row ids start at 1, the same Redis still holds the marks
    db = await _database(path)
    try:
        await _queue(db, "after", OPENIDS)
        assert await _deliver(db, _for(settings, db, fake_wechat, redis_url), clock) == {"delivered": 5}
    finally:
        await db.dispose()
    assert _received(fake_wechat, "after") == Counter({f"after:{o}": 1 for o in OPENIDS})


async def test_a_restored_backup_delivers_what_it_never_delivered(settings, clock, redis_url, fake_wechat, tmp_path):
    """Same database identity (a backup of it), same Redis: rows written after the restore reuse the ids
    of rows delivered after the backup was taken, to the same users."""
    path, backup = tmp_path / "county.db", tmp_path / "backup.db"
    db = await _database(path)
    await _queue(db, "kept", OPENIDS[:2])
    assert await _deliver(db, _for(settings, db, fake_wechat, redis_url), clock) == {"delivered": 2}
    await db.dispose()
    shutil.copy(path, backup)
    db = Database(db.url)
    await _queue(db, "lost", OPENIDS[2:])
    assert await _deliver(db, _for(settings, db, fake_wechat, redis_url), clock) == {"delivered": 5}
    await db.dispose()
    shutil.copy(backup, path)  # restored: rows 3..5 and their outcomes are gone, Redis remembers them
    db = Database(db.url)
    try:
        await _queue(db, "new", OPENIDS[2:])
        counts = await _deliver(db, _for(settings, db, fake_wechat, redis_url), clock)
    finally:
        await db.dispose()
    assert counts == {"delivered": 5}
    assert _received(fake_wechat, "new") == Counter({f"new:{o}": 1 for o in OPENIDS[2:]})


async def test_a_configured_prefix_shared_across_databases_loses_nothing(settings, clock, redis_url, fake_wechat,
                                                                          tmp_path):
    """An operator who sets redis.prefix by hand and then recreates the database under it: the marks
    left by the old database's rows are not taken for the new rows' deliveries."""
    path = tmp_path / "county.db"
    db = await _database(path)
    await _queue(db, "old", OPENIDS)
    assert await _deliver(db, _for(settings, db, fake_wechat, redis_url, "jianyi:hengyang"), clock) == {"delivered": 5}
    await db.dispose()
    path.unlink()
    db = await _database(path)
    try:
        await _queue(db, "fresh", OPENIDS)
        counts = await _deliver(db, _for(settings, db, fake_wechat, redis_url, "jianyi:hengyang"), clock)
    finally:
        await db.dispose()
    assert counts == {"delivered": 5}
    assert _received(fake_wechat, "fresh") == Counter({f"fresh:{o}": 1 for o in OPENIDS})
