"""A database's rows kept in memory and put back: a data set built once (over HTTP, as a user would)
serves every test of a module, each starting from exactly those rows.

Accounts are left as they are (each test signs in with its own API token); everything else is
replaced. PostgreSQL's id sequences are moved past the restored rows, so new rows get new ids.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Integer

from storage.db import Database
from storage.models import Base

KEPT = frozenset({"users"})  # each test's own accounts and tokens

Rows = dict[str, list[dict[str, Any]]]


def _tables():
    return [t for t in Base.metadata.sorted_tables if t.name not in KEPT]


async def snapshot(db: Database) -> Rows:
    """Every row of every table but the accounts."""
    rows: Rows = {}
    async with db.read() as session:
        for table in _tables():
            rows[table.name] = [dict(r._mapping) for r in await session.execute(table.select())]
    return rows


async def restore(db: Database, rows: Rows) -> None:
    """Replace the rows of every table but the accounts with `rows`."""
    tables = _tables()
    async with db.write_engine.begin() as conn:
        if db.is_sqlite:
            for table in reversed(tables):
                await conn.execute(table.delete())
        else:
            await conn.exec_driver_sql(f"TRUNCATE {', '.join(t.name for t in tables)} RESTART IDENTITY CASCADE")
        for table in tables:
            if rows.get(table.name):
                await conn.execute(table.insert(), rows[table.name])
        if not db.is_sqlite:
            for table in tables:
                for column in table.primary_key.columns:
                    if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
                        await conn.exec_driver_sql(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                            f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)")
