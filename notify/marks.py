"""Delivery marks written together: the sends that finish in one turn of the event loop share one
Redis round trip, and each of them still waits until its own mark is written.

A sender remembers each recipient reached before the row's outcome reaches the database (after a crash
in between, the row is sent again and that recipient is skipped). Writing each mark on its own cost a
round trip per message; here (one script for them all) a mark waits at most for the marks of the same turn, so the window in which
a crash would send a message twice stays the length of one round trip, as before.
"""
from __future__ import annotations

import asyncio
from typing import Optional

import redis.asyncio as aioredis

# One command for the whole batch: SET KEYS[i] ARGV[i] EX ARGV[n + i]
_SET_ALL = """
local n = #KEYS
for i, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[i], 'EX', ARGV[n + i])
end
return n
"""


class Marks:
    def __init__(self, redis: aioredis.Redis):
        self.redis = redis
        self._waiting: list[tuple[str, bytes, int, asyncio.Future]] = []
        self._flush: Optional[asyncio.Task] = None

    async def set(self, key: str, value: bytes, ex: int) -> None:
        """SET key value EX ex, with the marks of the same turn; raises what Redis raised."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((key, value, ex, done))
        if self._flush is None:
            self._flush = asyncio.create_task(self._write())
        await done

    async def _write(self) -> None:
        await asyncio.sleep(0)  # the other sends finishing in this turn add theirs first
        batch, self._waiting, self._flush = self._waiting, [], None
        keys = [key for key, *_ in batch]
        args = [value for _, value, _, _ in batch] + [ex for _, _, ex, _ in batch]
        try:
            await self.redis.eval(_SET_ALL, len(keys), *keys, *args)
        except BaseException as exc:  # noqa: BLE001 - every waiter hears why its mark is not written
            for *_, done in batch:
                if not done.done():
                    done.set_exception(exc if isinstance(exc, Exception) else RuntimeError("cancelled"))
            if not isinstance(exc, Exception):
                raise
            return
        for *_, done in batch:
            if not done.done():
                done.set_result(None)
