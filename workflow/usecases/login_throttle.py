"""Sign-in failures counted per user name and address: brute force is slowed, nobody is locked out by a stranger.

Five wrong passwords for one name from one address pause sign-in for that name from that address:
15 minutes, then twice as long each time after (at most a day). Another address is not affected, so a
stranger cannot lock `admin` for the committee; and a name that does not exist is counted and answered
exactly like one that does, so the answers do not tell which accounts exist.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import delete

from storage.db import Database
from storage.models import LoginThrottle
from storage.uow import Conflict, UnitOfWork

MAX_FAILURES = 5
FIRST_PAUSE = dt.timedelta(minutes=15)
LONGEST_PAUSE = dt.timedelta(days=1)


def throttle_key(username: str, address: str) -> str:
    return f"{username.strip().lower()[:64]}|{(address or '-')[:100]}"


async def paused_until(db: Database, username: str, address: str, now: dt.datetime) -> Optional[dt.datetime]:
    """Until when sign-in for this name from this address is paused (None: it is not)."""
    async with db.read() as session:
        row = await session.get(LoginThrottle, throttle_key(username, address))
    if row is not None and row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    return None


async def record_failure(db: Database, username: str, address: str, now: dt.datetime) -> Optional[dt.datetime]:
    """Count one failure; returns the end of the pause it starts (the fifth failure), else None."""
    try:
        async with UnitOfWork(db) as session:
            key = throttle_key(username, address)
            row = await session.get(LoginThrottle, key)
            if row is None:
                row = LoginThrottle(key=key, username=username.strip().lower()[:64], failures=0, lockouts=0)
                session.add(row)
            row.failures, row.updated_at = (row.failures or 0) + 1, now
            if row.failures < MAX_FAILURES:
                return None
            row.lockouts = (row.lockouts or 0) + 1
            row.failures, row.locked_until = 0, now + min(FIRST_PAUSE * 2 ** (row.lockouts - 1), LONGEST_PAUSE)
            return row.locked_until
    except Conflict:  # two failures at the same instant: one of them is counted
        return None


async def clear(db: Database, username: str, address: Optional[str] = None) -> None:
    """Forget the failures of a name (from one address after a success, from all when staff reset it)."""
    async with UnitOfWork(db) as session:
        if address is None:
            await session.execute(delete(LoginThrottle).where(LoginThrottle.username == username.strip().lower()))
        else:
            await session.execute(delete(LoginThrottle).where(LoginThrottle.key == throttle_key(username, address)))
