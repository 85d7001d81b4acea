"""INSERT … ON CONFLICT for the database a session (or connection) talks to: SQLite and PostgreSQL both
have it, through their own SQLAlchemy dialect's `insert`."""
from __future__ import annotations

from typing import Union

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

Executor = Union[AsyncSession, AsyncConnection]


def insert_for(session: Executor):
    """The dialect's `insert` (with on_conflict_do_nothing / on_conflict_do_update) for this session."""
    dialect = session.dialect if hasattr(session, "dialect") else session.bind.dialect
    return postgresql.insert if dialect.name == "postgresql" else sqlite.insert
