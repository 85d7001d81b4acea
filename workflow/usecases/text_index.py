"""Index the submitted proposals the similarity index does not hold yet (those submitted before migration
0023, or restored from an older backup), and the replies the search index does not hold yet (given before
migration 0024, or while the engine did not index them): in batches, each batch one transaction, so a large
database is indexed while the server already serves. Run at the web server's start."""
from __future__ import annotations

from sqlalchemy import func, or_, select

from storage.db import Database
from storage.models import Proposal, Reply
from storage.uow import UnitOfWork
from workflow.engine.reply_index import index_replies_of
from workflow.engine.text_index import reindex

BATCH = 200


def _unindexed_texts():
    return select(Proposal).where(Proposal.number.is_not(None), Proposal.indexed_digest.is_(None))


def _stale_replies():
    """Proposals with more replies than their reply bigrams hold."""
    counted = select(Reply.proposal_id, func.count().label("replies")).group_by(Reply.proposal_id).subquery()
    return (select(Proposal).join(counted, counted.c.proposal_id == Proposal.id)
            .where(or_(Proposal.replies_indexed.is_(None), Proposal.replies_indexed < counted.c.replies)))


async def index_missing(db: Database, batch: int = BATCH) -> int:
    """How many proposals were indexed now (their text, or their replies). Nothing to do: no write at all."""
    async with db.read() as session:
        texts = (await session.execute(_unindexed_texts().with_only_columns(Proposal.id).limit(1))).first()
        replies = (await session.execute(_stale_replies().with_only_columns(Proposal.id).limit(1))).first()
    done = 0
    if texts is not None:
        done += await _in_batches(db, _unindexed_texts(), reindex, batch)
    if replies is not None:
        done += await _in_batches(db, _stale_replies(), index_replies_of, batch)
    return done


async def _in_batches(db: Database, query, index, batch: int) -> int:
    """`index(session, proposal)` for each proposal `query` finds, `batch` at a time in id order."""
    done, after = 0, 0
    while True:
        async with UnitOfWork(db) as session:
            found = (await session.execute(query.where(Proposal.id > after).order_by(Proposal.id).limit(batch)))\
                .unique().scalars().all()
            for proposal in found:
                await index(session, proposal)
        done += len(found)
        if len(found) < batch:
            return done
        after = found[-1].id
