"""The similarity and search indexes, written in the transaction of the action that changes what they hold.

A submitted proposal's bigrams replace the ones it had and each bigram's document frequency moves by the
difference (gram "" counts the indexed proposals); a reply's bigrams join its proposal's reply bigrams
(replies are never edited, so nothing leaves). What each index holds of a proposal is marked on the
proposal's own row (indexed_digest, replies_indexed) before the action's event, so that it rides in the
UPDATE the action makes anyway (`mark_*`); the rows follow (`write`): a first submission costs two
statements more, a reply one.
Counters are updated in sorted order, so two submissions never wait on each other crosswise. The rows go
in as one array per statement (unnest on PostgreSQL, json_each on SQLite): no ORM object per bigram.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialects import insert_for
from storage.models import GramStat, Proposal, ProposalGram
from storage.models.text_index import ReplyGram
from workflow.domain.similarity import DOCUMENTS, grams


def text_digest(proposal: Proposal) -> str:
    return hashlib.sha256(f"{proposal.title}\n{proposal.content}".encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Pending:
    """What an action gives the indexes: marked on the proposal before its event (`mark`), written after (`write`)."""

    kind: str  # "text" (a submission) | "reply"
    before: Optional[str] = None  # the digest indexed until now (a text)
    text: str = ""  # the reply's text


def mark_text(proposal: Proposal) -> Optional[Pending]:
    """A submission: the new digest on the proposal now (None when the indexed text is the same)."""
    digest, before = text_digest(proposal), proposal.indexed_digest
    if before == digest:
        return None
    proposal.indexed_digest = digest
    return Pending("text", before=before)


def mark_reply(proposal: Proposal, text: str) -> Pending:
    """A reply (appended to the proposal's replies): counted among the indexed ones now."""
    proposal.replies_indexed = len(proposal.replies)
    return Pending("reply", text=text)


async def write(session: AsyncSession, proposal: Proposal, pending: Optional[Pending]) -> None:
    if pending is None:
        return
    if pending.kind == "text":
        await _text(session, proposal, pending.before)
    else:
        await _reply(session, proposal, pending.text)


async def reindex(session: AsyncSession, proposal: Proposal) -> None:
    """The proposal's title and content into the similarity index at once (the backfill's way)."""
    await write(session, proposal, mark_text(proposal))


async def _text(session: AsyncSession, proposal: Proposal, before: Optional[str]) -> None:
    new = grams(proposal.title, proposal.content)
    old = set((await session.execute(select(ProposalGram.gram).where(ProposalGram.proposal_id == proposal.id)))
              .scalars()) if before is not None else set()
    added, removed = sorted(new - old), sorted(old - new)
    if removed:
        await session.execute(delete(ProposalGram).where(ProposalGram.proposal_id == proposal.id,
                                                         ProposalGram.gram.in_(removed)))
        await session.execute(update(GramStat).where(GramStat.gram.in_(removed)).values(df=GramStat.df - 1))
    counted = ([DOCUMENTS] if before is None else []) + added
    values = {"grams": added, "counted": sorted(counted), "proposal_id": proposal.id}
    if session.bind.dialect.name == "postgresql":  # both in one round trip: the bigrams as one array
        await session.execute(_PG_ADD, values)
        return
    values = {**values, "grams": json.dumps(added), "counted": json.dumps(values["counted"])}
    await session.execute(_SQLITE_POST, values)  # each a single statement over a JSON array
    await session.execute(_SQLITE_COUNT, values)


# The postings and the document frequencies (in sorted order): one statement on PostgreSQL, two on SQLite.
_PG_ADD = text(
    "WITH posted AS (INSERT INTO proposal_grams (gram, proposal_id) "
    "SELECT unnest(CAST(:grams AS varchar[])), :proposal_id) "
    "INSERT INTO gram_stats (gram, df) SELECT unnest(CAST(:counted AS varchar[])), 1 "
    "ON CONFLICT (gram) DO UPDATE SET df = gram_stats.df + 1")
_SQLITE_POST = text("INSERT INTO proposal_grams (gram, proposal_id) SELECT value, :proposal_id FROM json_each(:grams)")
_SQLITE_COUNT = text("INSERT INTO gram_stats (gram, df) SELECT value, 1 FROM json_each(:counted) WHERE true "
                     "ON CONFLICT (gram) DO UPDATE SET df = df + 1")


async def _reply(session: AsyncSession, proposal: Proposal, text: str) -> None:
    """One new reply's bigrams join the proposal's reply bigrams (those already there stay as they are)."""
    found = sorted(grams(text))
    if found:
        statement = insert_for(session)(ReplyGram).on_conflict_do_nothing(
            index_elements=[ReplyGram.gram, ReplyGram.proposal_id])
        await session.execute(statement, [{"gram": g, "proposal_id": proposal.id} for g in found])


async def reindex_replies(session: AsyncSession, proposal: Proposal, texts: list[str]) -> None:
    """All of a proposal's replies (every round) replace the bigrams the index had: the start-up backfill's
    way, for replies given before the index existed."""
    new = grams(*texts)
    old = set((await session.execute(select(ReplyGram.gram).where(ReplyGram.proposal_id == proposal.id)))
              .scalars())
    removed = sorted(old - new)
    if removed:
        await session.execute(delete(ReplyGram).where(ReplyGram.proposal_id == proposal.id,
                                                      ReplyGram.gram.in_(removed)))
    if new - old:
        await session.execute(insert(ReplyGram), [{"gram": g, "proposal_id": proposal.id} for g in sorted(new - old)])
    proposal.replies_indexed = len(texts)
