"""The unit of work: one write transaction, committed whole or not at all.

    async with UnitOfWork(db) as session:
        ...                       # reads and writes; leaving the block commits, an exception rolls back

The databases say "someone else got there first" in several ways: a stale version column, a row lock
that could not be taken, a serialisation failure, a unique key taken by a concurrent writer, SQLite's
busy database. All of them leave the block as one `Conflict`, read from the driver's error codes
(never from message texts), so no use case needs to know which database it runs on.
"""
from __future__ import annotations

from types import TracebackType
from typing import Optional

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from .db import Database

# PostgreSQL SQLSTATEs: serialization_failure, deadlock_detected, lock_not_available, unique_violation.
PG_CONFLICTS = frozenset({"40001", "40P01", "55P03", "23505"})
# SQLite primary result codes: SQLITE_BUSY, SQLITE_LOCKED; extended: CONSTRAINT_PRIMARYKEY, CONSTRAINT_UNIQUE.
SQLITE_CONFLICTS = frozenset({5, 6, 1555, 2067})
SQLITE_PRIMARY = frozenset({5, 6})

BUSY = "这件事刚刚被别人处理过，或系统正忙，请刷新后再试。"


class Conflict(Exception):
    """Someone else changed the same rows at the same moment: nothing was written; try again.

    Shaped like the workflow's errors (`message`, `code`, `status`, `details`) so that every front end
    answers it the same way."""

    code = "conflict"
    status = 409

    def __init__(self, message: str = BUSY, **details):
        super().__init__(message)
        self.message = message
        self.details = details


def is_conflict(exc: BaseException) -> bool:
    """Whether a database error means a concurrent writer won (rather than a bug or bad data)."""
    if isinstance(exc, StaleDataError):
        return True
    if not isinstance(exc, (OperationalError, IntegrityError, DBAPIError)):
        return False
    for cause in (getattr(exc, "orig", None), getattr(getattr(exc, "orig", None), "__cause__", None)):
        if cause is None:
            continue
        state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if state in PG_CONFLICTS:
            return True
        code = getattr(cause, "sqlite_errorcode", None)
        if code is not None and (code in SQLITE_CONFLICTS or code & 0xFF in SQLITE_PRIMARY):
            return True
    return False


class UnitOfWork:
    """`async with UnitOfWork(db) as session`: a write session in one transaction (see the module doc)."""

    def __init__(self, db: Database, conflict_message: str = BUSY):
        self.db = db
        self.conflict_message = conflict_message
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
            if exc is None and is_conflict(failure):
                raise Conflict(self.conflict_message) from None
            raise
        finally:
            await session.close()
        if exc is not None and is_conflict(exc):
            raise Conflict(self.conflict_message) from None
