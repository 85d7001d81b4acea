"""Index the submitted proposals the similarity index does not hold yet (those submitted before migration
0023, or restored from an older backup): in batches, each batch one transaction, so a large database is
indexed while the server already serves. Run at the web server's start."""
from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import IndexedText, Proposal
from storage.uow import UnitOfWork
from workflow.engine.text_index import reindex

BATCH = 200


async def index_missing(db: Database, batch: int = BATCH) -> int:
    """How many proposals were indexed now."""
    done = 0
    while True:
        async with UnitOfWork(db) as session:
            missing = (await session.execute(
                select(Proposal).outerjoin(IndexedText, IndexedText.proposal_id == Proposal.id)
                .where(Proposal.number.is_not(None), IndexedText.proposal_id.is_(None))
                .order_by(Proposal.id).limit(batch))).unique().scalars().all()
            for proposal in missing:
                await reindex(session, proposal)
        done += len(missing)
        if len(missing) < batch:
            return done
