"""The engine's calls into the indexes (workflow/engine/text_index.py writes them), in the action's
transaction: `mark` before the action's event (what the indexes will hold, on the proposal's row), `write`
after it (a submitted text into the similarity index, a reply's words into search). Replies given before
the index existed are indexed by the start-up backfill (workflow/usecases/text_index.py)."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Proposal, Reply
from workflow.engine.text_index import Pending, mark_reply, mark_text, reindex_replies, write  # noqa: F401 (write: the engine calls it here)

REPLY_ACTIONS = frozenset({"reply", "answer_again"})


def mark(action: str, proposal: Proposal) -> Optional[Pending]:
    if action == "submit":
        return mark_text(proposal)
    if action in REPLY_ACTIONS:
        return mark_reply(proposal, proposal.replies[-1].text or "")  # the reply just appended
    return None


async def index_replies_of(session: AsyncSession, proposal: Proposal) -> None:
    """Every reply of the proposal into reply_grams (a proposal has a few replies: read them all)."""
    texts = (await session.execute(select(Reply.text).where(Reply.proposal_id == proposal.id)
                                   .order_by(Reply.id))).scalars().all()
    await reindex_replies(session, proposal, [t or "" for t in texts])
