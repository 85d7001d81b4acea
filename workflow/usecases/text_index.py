"""Index the submitted texts the similarity index does not hold yet (submitted since the indexer last ran
(a submission leaves its text pending: workflow/engine/text_index.py), before migration 0023, or restored
from an older backup), and the replies the search index does not hold yet (given before migration 0024,
or while the engine did not index them): in batches, each batch one transaction, so a large database is
indexed while the server already serves. The web server runs `index_missing` at start, then
`keep_indexing` until it stops."""
from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from storage.db import Database
from storage.models import Proposal, Reply
from storage.repositories import pending_texts
from storage.uow import Conflict, UnitOfWork
from workflow.engine.reply_index import index_replies_of
from workflow.engine.text_index import index_text

BATCH = 200
INTERVAL = 0.5  # seconds between two looks for texts submitted meanwhile (readers read them directly)
log = logging.getLogger("jianyi.index")


def _unindexed_texts():
    """The partial index ix_proposals_index_pending (migration 0028) finds them."""
    return pending_texts(Proposal.id, Proposal.title, Proposal.content)


def _stale_replies():
    """Proposals with more replies than their reply bigrams hold."""
    counted = select(Reply.proposal_id, func.count().label("replies")).group_by(Reply.proposal_id).subquery()
    return (select(Proposal).join(counted, counted.c.proposal_id == Proposal.id)
            .where(or_(Proposal.replies_indexed.is_(None), Proposal.replies_indexed < counted.c.replies)))


def _stopped(stop: asyncio.Event | None) -> bool:
    return stop is not None and stop.is_set()


async def index_missing(db: Database, batch: int = BATCH, stop: asyncio.Event | None = None) -> int:
    """How many proposals were indexed now (their text, or their replies). Nothing to do: no write at all.
    `stop` set: the batch under way is finished (committed), no other is begun."""
    async with db.read() as session:
        texts = (await session.execute(_unindexed_texts().with_only_columns(Proposal.id).limit(1))).first()
        replies = (await session.execute(_stale_replies().with_only_columns(Proposal.id).limit(1))).first()
    done = 0
    if texts is not None:
        done += await index_texts(db, batch, stop)
    if replies is not None and not _stopped(stop):
        done += await _in_batches(db, _stale_replies(), index_replies_of, batch, stop)
    return done


async def index_texts(db: Database, batch: int = BATCH, stop: asyncio.Event | None = None) -> int:
    """The pending texts, `batch` a transaction, oldest first; a row an action holds is left for the next
    look (SKIP LOCKED on PostgreSQL; SQLite runs one writer at a time)."""
    done = 0
    while True:
        async with UnitOfWork(db) as session:
            found = (await session.execute(_unindexed_texts().order_by(Proposal.id).limit(batch)
                                           .with_for_update(skip_locked=True))).all()
            for row in found:
                await index_text(session, row.id, row.title, row.content)
        done += len(found)
        if len(found) < batch or _stopped(stop):
            return done


async def keep_indexing(db: Database, stop: asyncio.Event, interval: float = INTERVAL) -> None:
    """Index what is submitted, moments after, until `stop`; a database down or busy is tried again."""
    while not stop.is_set():
        try:
            await index_texts(db, stop=stop)
        except (SQLAlchemyError, OSError, Conflict) as exc:
            log.warning("相似建议索引暂未更新（数据库不可用或繁忙）：%s", type(exc).__name__)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def _in_batches(db: Database, query, index, batch: int, stop: asyncio.Event | None) -> int:
    """`index(session, proposal)` for each proposal `query` finds, `batch` at a time in id order."""
    done, after = 0, 0
    while True:
        async with UnitOfWork(db) as session:
            found = (await session.execute(query.where(Proposal.id > after).order_by(Proposal.id).limit(batch)))\
                .unique().scalars().all()
            for proposal in found:
                await index(session, proposal)
        done += len(found)
        if len(found) < batch or _stopped(stop):
            return done
        after = found[-1].id
