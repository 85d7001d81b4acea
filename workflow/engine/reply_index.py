"""Full-text search finds proposals by their replies' words: after a reply (or a second reply) the
proposal's reply bigrams are rewritten in the same transaction. The engine calls `after_reply` once the
reply's event is recorded; replies given before this existed are indexed by the start-up backfill
(workflow/usecases/text_index.py)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Proposal, Reply
from workflow.engine.text_index import reindex, reindex_replies

REPLY_ACTIONS = frozenset({"reply", "answer_again"})


async def after_action(session: AsyncSession, action: str, proposal: Proposal) -> None:
    """The engine's one call after an action: a submitted text into the similarity index, a reply's into search."""
    if action == "submit":
        await reindex(session, proposal)
    elif action in REPLY_ACTIONS:
        await after_reply(session, proposal)


async def after_reply(session: AsyncSession, proposal: Proposal) -> None:
    await index_replies_of(session, proposal.id)


async def index_replies_of(session: AsyncSession, proposal_id: int) -> None:
    """Every reply of the proposal into reply_grams (a proposal has a few replies: read them all)."""
    await session.flush()  # the reply just added is in the rows read below
    rows = (await session.execute(select(Reply.id, Reply.text).where(Reply.proposal_id == proposal_id)
                                  .order_by(Reply.id))).all()
    await reindex_replies(session, proposal_id, [r.text or "" for r in rows],
                          last_reply_id=max((r.id for r in rows), default=0))
