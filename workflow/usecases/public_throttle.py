"""How much one address (or one code) may post on the public pages: a counter per key and window.

Taken in its own short transaction before the post is written, so a burst from one address is refused
at the door while every post it let through is kept. Across processes the row's lock (PostgreSQL) or the
single writer (SQLite) makes the count exact; a new key raced by two processes is retried.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import delete, select

from storage.db import Database
from storage.models import PublicThrottle
from storage.uow import Conflict, UnitOfWork

KEPT = dt.timedelta(days=1)  # a counter's row outlives its window by this at least, then the sweep removes it


def address_key(secret: str, purpose: str, address: str) -> str:
    """The row's key: a keyed digest, so the table holds no one's address."""
    digest = hmac.new(secret.encode(), f"{purpose}|{address}".encode("utf-8", "surrogatepass"), hashlib.sha256)
    return f"{purpose}:{digest.hexdigest()[:40]}"


async def take(db: Database, key: str, limit: int, window_seconds: int, now: dt.datetime) -> bool:
    """Count one post under `key`; False (and nothing counted) when the window's `limit` is reached."""
    for _ in range(3):
        try:
            async with UnitOfWork(db) as session:
                row = await session.get(PublicThrottle, key, with_for_update=True)
                if row is None:
                    session.add(PublicThrottle(key=key, window_start=now, count=1))
                    return limit >= 1
                if row.window_start + dt.timedelta(seconds=window_seconds) <= now:
                    row.window_start, row.count = now, 1
                    return limit >= 1
                if row.count >= limit:
                    return False
                row.count += 1
                return True
        except Conflict:  # two first posts under one key at once: count again against the row that won
            continue
    return False


async def sweep(db: Database, now: dt.datetime, longest_window_seconds: int) -> int:
    """Remove the rows whose window (the longest in use, or a day if longer) ended before `now`: every
    address that ever posted leaves a row, and without this the table would only grow. Returns how many;
    with none to remove it only reads (a scheduler pass with nothing to do writes nothing)."""
    ended = now - max(KEPT, dt.timedelta(seconds=2 * longest_window_seconds))
    async with db.read() as session:
        if (await session.execute(select(PublicThrottle.key).where(PublicThrottle.window_start < ended)
                                  .limit(1))).first() is None:
            return 0
    async with UnitOfWork(db) as session:
        result = await session.execute(delete(PublicThrottle).where(PublicThrottle.window_start < ended))
    return result.rowcount or 0
