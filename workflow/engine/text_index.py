"""The similarity index, written in the transaction that submits a proposal (and kept when nothing changed):
its bigrams replace the ones it had, and each bigram's document frequency moves by the difference. Bigram
counters are updated in sorted order, so two submissions never wait on each other crosswise."""
from __future__ import annotations

import hashlib

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import GramStat, IndexedText, Proposal, ProposalGram
from storage.models.text_index import IndexedReplies, ReplyGram
from workflow.domain.similarity import grams


def text_digest(proposal: Proposal) -> str:
    return hashlib.sha256(f"{proposal.title}\n{proposal.content}".encode("utf-8")).hexdigest()


async def reindex(session: AsyncSession, proposal: Proposal) -> None:
    digest = text_digest(proposal)
    row = await session.get(IndexedText, proposal.id)
    if row is not None and row.digest == digest:
        return
    new = grams(proposal.title, proposal.content)
    old = set((await session.execute(select(ProposalGram.gram).where(ProposalGram.proposal_id == proposal.id)))
              .scalars()) if row is not None else set()
    added, removed = sorted(new - old), sorted(old - new)
    if removed:
        await session.execute(delete(ProposalGram).where(ProposalGram.proposal_id == proposal.id,
                                                         ProposalGram.gram.in_(removed)))
    session.add_all(ProposalGram(gram=g, proposal_id=proposal.id) for g in added)
    await _count(session, added, +1)
    await _count(session, removed, -1)
    if row is None:
        session.add(IndexedText(proposal_id=proposal.id, digest=digest, grams=len(new)))
    else:
        row.digest, row.grams = digest, len(new)


async def _count(session: AsyncSession, changed: list[str], step: int) -> None:
    if not changed:
        return
    known = set((await session.execute(select(GramStat.gram).where(GramStat.gram.in_(changed))
                                       .with_for_update())).scalars())
    present = [g for g in changed if g in known]
    if present:
        await session.execute(update(GramStat).where(GramStat.gram.in_(present)).values(df=GramStat.df + step))
    if step > 0:
        session.add_all(GramStat(gram=g, df=1) for g in changed if g not in known)


async def reindex_replies(session: AsyncSession, proposal_id: int, texts: list[str], last_reply_id: int = 0) -> None:
    """The bigrams of a proposal's replies (all of them, every round) replace the ones the index had;
    `last_reply_id` records up to which reply they go (the start-up backfill skips those)."""
    new = grams(*texts)
    old = set((await session.execute(select(ReplyGram.gram).where(ReplyGram.proposal_id == proposal_id)))
              .scalars())
    removed = sorted(old - new)
    if removed:
        await session.execute(delete(ReplyGram).where(ReplyGram.proposal_id == proposal_id,
                                                      ReplyGram.gram.in_(removed)))
    session.add_all(ReplyGram(gram=g, proposal_id=proposal_id) for g in sorted(new - old))
    row = await session.get(IndexedReplies, proposal_id)
    if row is None:
        session.add(IndexedReplies(proposal_id=proposal_id, last_reply_id=last_reply_id, grams=len(new)))
    else:
        row.last_reply_id, row.grams = last_reply_id, len(new)
