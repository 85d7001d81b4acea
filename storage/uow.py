"""The unit of work: one write transaction, committed whole or not at all.

    async with UnitOfWork(db) as session:
        ...                       # reads and writes; leaving the block commits, an exception rolls back

The databases say "someone else got there first" in several ways: a stale version column, a row lock
that could not be taken, a serialisation failure, a unique key taken by a concurrent writer, SQLite's
busy database. All of them leave the block as one `Conflict`, read from the driver's error codes
(never from message texts), so no use case needs to know which database it runs on.
"""
from __future__ import annotations

import logging
from types import TracebackType
from typing import Optional

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from .db import Database

# Why a write lost, from the drivers' codes. PostgreSQL SQLSTATEs: serialization_failure, deadlock_detected,
# lock_not_available (busy); unique_violation (duplicate). SQLite: SQLITE_BUSY and SQLITE_LOCKED (primary
# codes, busy); SQLITE_CONSTRAINT_PRIMARYKEY and _UNIQUE (extended codes, duplicate).
PG_BUSY = frozenset({"40001", "40P01", "55P03"})
PG_DUPLICATE = frozenset({"23505"})
SQLITE_BUSY = frozenset({5, 6})
SQLITE_DUPLICATE = frozenset({1555, 2067})

CHANGED = "这件事刚刚被别人处理过，请刷新后再试。"
BUSY = "系统繁忙，正在处理别人的同一操作，请稍后再试。"
log = logging.getLogger("jianyi.storage")


class Conflict(Exception):
    """Someone else changed the same rows at the same moment: nothing was written; try again.

    Shaped like the workflow's errors (`message`, `code`, `status`, `details`) so that every front end
    answers it the same way."""

    code = "conflict"
    status = 409

    def __init__(self, message: str = CHANGED, reason: str = "stale", **details):
        super().__init__(message)
        self.message = message
        self.reason = reason  # stale (a newer version was written) | busy (a lock or a busy database) | duplicate
        self.details = details


def conflict_reason(exc: BaseException) -> Optional[str]:
    """Why a database error means a concurrent writer won: "stale", "busy" or "duplicate"; None when
    it does not (a bug or bad data, raised as it is)."""
    if isinstance(exc, StaleDataError):
        return "stale"
    if not isinstance(exc, (OperationalError, IntegrityError, DBAPIError)):
        return None
    for cause in (getattr(exc, "orig", None), getattr(getattr(exc, "orig", None), "__cause__", None)):
        if cause is None:
            continue
        state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        code = getattr(cause, "sqlite_errorcode", None)
        if state in PG_BUSY or (code is not None and code & 0xFF in SQLITE_BUSY):
            return "busy"
        if state in PG_DUPLICATE or code in SQLITE_DUPLICATE:
            return "duplicate"
    return None


def is_conflict(exc: BaseException) -> bool:
    return conflict_reason(exc) is not None


class UnitOfWork:
    """`async with UnitOfWork(db) as session`: a write session in one transaction (see the module doc)."""

    def __init__(self, db: Database, conflict_message: str = CHANGED, busy_message: str = BUSY):
        self.db = db
        self.messages = {"stale": conflict_message, "duplicate": conflict_message, "busy": busy_message}
        self._session: Optional[AsyncSession] = None

    async def __aenter__(self) -> AsyncSession:
        self._session = self.db.write()
        await self._session.begin()
        return self._session

    async def __aexit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                        tb: Optional[TracebackType]) -> None:
        session, self._session = self._session, None
        try:
            if exc is None:
                await session.commit()
            else:
                await session.rollback()
        except Exception as failure:  # noqa: BLE001 - only conflicts are translated; the rest re-raised
            if exc is None and conflict_reason(failure):
                raise self._conflict(failure) from failure
            raise
        finally:
            await session.close()
        if exc is not None and conflict_reason(exc):
            raise self._conflict(exc) from exc

    def _conflict(self, exc: BaseException) -> Conflict:
        reason = conflict_reason(exc) or "stale"
        log.warning("write lost to a concurrent writer (%s): %s", reason, str(exc).splitlines()[0][:300])
        return Conflict(self.messages[reason], reason=reason)
