"""`jianyi facts`: write the dashboard's facts rows of the proposals whose rows are not current (from before
migration 0030, or restored from an older backup), check every row against the facts derived afresh, and
write again those that differ. The server also writes the missing rows at start, in the
background (web/app.py), so a database upgraded to 0030 gets its first views fast without a command."""
from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import delete, insert, select, update

from storage.db import Database
from storage.models import LeadShareFacts, Proposal, ProposalFacts
from storage.uow import UnitOfWork
from workflow.readmodels.lead_facts import (
    PROPOSAL_COLUMNS,
    ROW_COLUMNS,
    FactsCheck,
    check_facts,
    proposal_rows_of,
    rows_of,
    stale_query,
)

BATCH = 1000


async def write_stale(db: Database, batch: int = BATCH, stop: asyncio.Event | None = None) -> int:
    """How many proposals had their rows written, `batch` a transaction. `stop`: no new batch begun."""
    done, after = 0, 0
    while stop is None or not stop.is_set():
        async with db.read() as session:
            ids = list((await session.execute(stale_query(after).limit(batch))).scalars())
        if not ids:
            return done
        after = ids[-1]  # onwards in id order: a proposal that went stale again meanwhile waits for the next run
        async with UnitOfWork(db) as session:
            await _write_batch(session, ids)
        done += len(ids)
        if len(ids) < batch:
            return done
    return done


async def rewrite(session, ids: list[int]) -> None:
    """For a use case that changes an input of the facts outside the engine's actions (the holiday
    calendar moving reply due dates): the stamps of proposals `ids` move on and their rows are written
    again, in the caller's transaction (after its changes are flushed)."""
    if not ids:
        return
    await session.flush()
    await session.execute(update(Proposal).where(Proposal.id.in_(ids)).values(facts_stamp=Proposal.facts_stamp + 1)
                          .execution_options(synchronize_session=False))  # no version: nothing of the proposal changes
    await _write_batch(session, ids)


async def _write_batch(session, ids: list[int]) -> None:
    """The rows of proposals `ids` from their records, set-based (the facts are derived in SQL as the
    readers derive a stale proposal's: workflow/readmodels/lead_facts.py), the proposals locked first as an
    action locks them (PostgreSQL; SQLite's writers run one at a time)."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(select(Proposal.id).where(Proposal.id.in_(ids)).order_by(Proposal.id).with_for_update())
    await session.execute(delete(LeadShareFacts).where(LeadShareFacts.proposal_id.in_(ids)))
    await session.execute(delete(ProposalFacts).where(ProposalFacts.proposal_id.in_(ids)))
    await session.execute(insert(LeadShareFacts).from_select(list(ROW_COLUMNS), rows_of(ids)))
    await session.execute(insert(ProposalFacts).from_select(list(PROPOSAL_COLUMNS), proposal_rows_of(ids)))


async def rebuild_and_check(db: Database, today: dt.date) -> tuple[int, FactsCheck]:
    """`jianyi facts rebuild`: the stale rows written, the rows that differ from the records written again,
    then every row checked once more."""
    written = await write_stale(db)
    check = await check_facts(db, today)
    for start in range(0, len(check.wrong), BATCH):
        async with UnitOfWork(db) as session:
            await _write_batch(session, check.wrong[start:start + BATCH])
    if check.wrong:
        written += len(check.wrong)
        check = await check_facts(db, today)
    return written, check

