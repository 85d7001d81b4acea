"""Index the submitted proposals the similarity index does not hold yet (those submitted before migration
0023, or restored from an older backup), and the replies the search index does not hold yet (given before
migration 0024, or while the engine did not index them): in batches, each batch one transaction, so a large
database is indexed while the server already serves. Run at the web server's start."""
from __future__ import annotations

from sqlalchemy import func, select

from storage.db import Database
from storage.models import IndexedText, Proposal, Reply
from storage.models.text_index import IndexedReplies
from storage.uow import UnitOfWork
from workflow.engine.reply_index import index_replies_of
from workflow.engine.text_index import reindex

BATCH = 200


async def index_missing(db: Database, batch: int = BATCH) -> int:
    """How many proposals were indexed now (their text, or their replies). Nothing to do: no write at all."""
    if not await _anything_missing(db):
        return 0
    return await _texts(db, batch) + await _replies(db, batch)


async def _anything_missing(db: Database) -> bool:
    newest = select(Reply.proposal_id, func.max(Reply.id).label("last")).group_by(Reply.proposal_id).subquery()
    async with db.read() as session:
        text = (await session.execute(
            select(Proposal.id).outerjoin(IndexedText, IndexedText.proposal_id == Proposal.id)
            .where(Proposal.number.is_not(None), IndexedText.proposal_id.is_(None)).limit(1))).first()
        replies = (await session.execute(
            select(newest.c.proposal_id).outerjoin(IndexedReplies, IndexedReplies.proposal_id == newest.c.proposal_id)
            .where(func.coalesce(IndexedReplies.last_reply_id, 0) < newest.c.last).limit(1))).first()
    return text is not None or replies is not None


async def _texts(db: Database, batch: int) -> int:
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


async def _replies(db: Database, batch: int) -> int:
    """Proposals whose newest reply is newer than the one their reply bigrams go up to."""
    done, after = 0, 0
    newest = (select(Reply.proposal_id, func.max(Reply.id).label("last")).group_by(Reply.proposal_id).subquery())
    while True:
        async with UnitOfWork(db) as session:
            stale = list((await session.execute(
                select(newest.c.proposal_id).outerjoin(IndexedReplies, IndexedReplies.proposal_id == newest.c.proposal_id)
                .where(newest.c.proposal_id > after,
                       func.coalesce(IndexedReplies.last_reply_id, 0) < newest.c.last)
                .order_by(newest.c.proposal_id).limit(batch))).scalars())
            for proposal_id in stale:
                await index_replies_of(session, proposal_id)
        done += len(stale)
        if len(stale) < batch:
            return done
        after = stale[-1]
