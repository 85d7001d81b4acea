"""Each database carries a random deployment id from its creation (migration 0009): the default Redis
prefix is made from it, so it must be there, stay the same, and differ between databases."""
from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

import storage.db
from storage.db import Database, upgrade
from storage.identity import DEPLOYMENT_KEY, deployment_id
from storage.models import Meta


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(storage.db.__file__).resolve().parent / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    return config


async def test_a_new_database_has_its_own_lasting_deployment_id(tmp_path):
    ids = []
    for name in ("a.db", "b.db"):
        url = f"sqlite+aiosqlite:///{tmp_path / name}"
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        try:
            async with db.read() as session:
                written = (await session.get(Meta, DEPLOYMENT_KEY)).value  # written by the migration itself
            assert len(written) == 16 and await deployment_id(db) == written == await deployment_id(db)
            ids.append(written)
        finally:
            await db.dispose()
    assert ids[0] != ids[1]


async def test_an_existing_database_gets_an_id_on_upgrade_and_its_queue_is_relayed_again(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await asyncio.to_thread(command.upgrade, _config(url), "0008")
    relayed = dt.datetime(2025, 3, 1, 8, 0)
    db = Database(url)
    try:
        async with db.write() as session:
            async with session.begin():
                for n, status in enumerate(("pending", "delivered")):
                    await session.execute(sa.text(
                        "INSERT INTO outbox (kind, recipient_kind, recipient_id, payload, idempotency_key, created_at,"
                        " relayed_at, status, attempts, last_error, channel) VALUES ('chat_reply', 'openid', 'o1', '{}',"
                        " :key, :at, :at, :status, 0, '', '')"), {"key": f"old:{n}", "at": relayed, "status": status})
        await asyncio.to_thread(upgrade, url)
        async with db.read() as session:
            rows = dict((await session.execute(sa.text("SELECT status, relayed_at FROM outbox"))).all())
        assert rows["pending"] is None  # the old queue's name is gone: relayed again at once
        assert rows["delivered"] is not None
        assert len(await deployment_id(db)) == 16
    finally:
        await db.dispose()


async def test_an_emptied_database_gets_a_new_id_on_first_read(db):
    first = await deployment_id(db)
    await db.truncate_all()
    second = await deployment_id(db)
    assert second != first and await deployment_id(db) == second
