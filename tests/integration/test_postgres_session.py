"""Our PostgreSQL connections run without JIT compilation (storage/db.py POSTGRES_SESSION): on this suite's
PostgreSQL run the server itself says so; on SQLite the setting is what the engine would pass."""
from __future__ import annotations

from sqlalchemy import text

from storage.db import POSTGRES_SESSION


async def test_every_postgresql_connection_has_jit_off(db):
    assert POSTGRES_SESSION["jit"] == "off"
    if db.is_sqlite:
        assert db.write_engine.dialect.name == "sqlite"
        return
    async with db.read() as session:
        assert (await session.execute(text("SHOW jit"))).scalar_one() == "off"
    async with db.write() as session:
        assert (await session.execute(text("SHOW jit"))).scalar_one() == "off"
