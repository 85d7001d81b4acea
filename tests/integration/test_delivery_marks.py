"""Delivery marks of the sends that finish together go to Redis in one round trip, and each sender goes
on only once its own mark is written (notify/marks.py)."""
from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from notify.marks import Marks


async def test_marks_set_in_one_turn_are_written_before_any_waiter_goes_on(redis_url):
    redis = aioredis.from_url(redis_url)
    marks, seen = Marks(redis), []
    original = redis.eval

    def counted(*args, **kwargs):
        seen.append(1)
        return original(*args, **kwargs)

    redis.eval = counted

    async def mark(i: int) -> bytes:
        await marks.set(f"test:mark:{i}", b"fp", 60)
        return await redis.get(f"test:mark:{i}")  # written by the time the waiter goes on

    assert await asyncio.gather(*(mark(i) for i in range(50))) == [b"fp"] * 50
    assert len(seen) == 1  # one command for all fifty
    assert 0 < await redis.ttl("test:mark:0") <= 60
    await redis.aclose()


async def test_every_waiter_hears_when_redis_cannot_take_the_marks():
    redis = aioredis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2)  # nothing listens there
    marks = Marks(redis)
    results = await asyncio.gather(*(marks.set(f"k{i}", b"v", 60) for i in range(3)), return_exceptions=True)
    assert all(isinstance(r, (RedisConnectionError, OSError)) for r in results)
    with pytest.raises((RedisConnectionError, OSError)):
        await marks.set("again", b"v", 60)  # the next turn tries again and fails again, on its own
    await redis.aclose()
