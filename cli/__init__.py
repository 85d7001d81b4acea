"""The command line's shared pieces: opening the database, who acts from it.

Each command lives in its own module (cli/serve.py, cli/accounts.py, ...); run.py parses and dispatches.
"""
from __future__ import annotations

import asyncio
import sys

from storage.db import Database, upgrade
from workflow.settings import Settings


async def open_database(settings: Settings) -> Database:
    """Create or upgrade the database, with the chain key; check the key is the log's own and seal the
    chains written before it (once, after upgrading; an anchor records the seal)."""
    from workflow.engine.keys import chain_key_for
    from workflow.engine.sealing import prepare_chain
    from workflow.usecases.anchoring import write_anchor

    await asyncio.to_thread(upgrade, settings.database_url())
    db = Database(settings.database_url(), chain_key=chain_key_for(settings))
    try:
        sealed = await prepare_chain(db)
        if sealed is not None:
            print(sealed.text(), file=sys.stderr)
            await write_anchor(db, settings.audit_anchor_dir(), force=True)
    except BaseException:
        await db.dispose()
        raise
    return db


async def _with_db(settings: Settings, job):
    db = await open_database(settings)
    try:
        return await job(db)
    finally:
        await db.dispose()


def cli_actor():
    """Who acts from the command line: the operating-system account running run.py."""
    import getpass

    from workflow.domain.rules import Actor

    login = getpass.getuser()
    return Actor("cli", login, f"命令行（{login}）")
