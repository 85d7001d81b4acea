"""The deployment's own identity: a random id the database carries from the day it is created.

Redis keys are namespaced by it (notify/keys.py), so a Redis that outlives a database, or serves several
counties' databases at once, never mixes one database's queue and delivery marks with another's. A new
database gets its id from migration 0009; a database emptied since (tests) gets a new one on first read.
"""
from __future__ import annotations

import secrets

from storage.db import Database
from storage.models import Meta
from storage.uow import Conflict, UnitOfWork

DEPLOYMENT_KEY = "deployment_id"


def new_deployment_id() -> str:
    """16 hex digits: short enough for every Redis key, random enough never to repeat."""
    return secrets.token_hex(8)


async def deployment_id(db: Database) -> str:
    """This database's deployment id (written now if it has none)."""
    async with db.read() as session:
        row = await session.get(Meta, DEPLOYMENT_KEY)
        if row is not None and row.value:
            return row.value
    try:
        async with UnitOfWork(db) as session:
            row = await session.get(Meta, DEPLOYMENT_KEY)
            if row is None:
                session.add(Meta(key=DEPLOYMENT_KEY, value=new_deployment_id()))
            elif not row.value:
                row.value = new_deployment_id()
    except Conflict:
        pass  # another process wrote it at the same moment: theirs is the one
    async with db.read() as session:
        return (await session.get(Meta, DEPLOYMENT_KEY)).value
