"""The similarity and search indexes: what an action changes in them, and how a text is indexed.

A submission only marks its text as not indexed yet (indexed_digest cleared, in the UPDATE the action
makes anyway: `mark_text`); the indexer (workflow/usecases/text_index.py) indexes the pending texts moments
later, several a transaction (`index_text`), and the readers read a pending text directly meanwhile
(readmodels/similar.py, search.py), as PostgreSQL's GIN index keeps a pending list: a submission's ~150
postings land on as many random pages of a large B-tree, which on SQLite cost a third of the action.
Indexing a text replaces the bigrams it had and moves each bigram's document frequency by the difference
(gram "" counts the proposals holding at least one bigram). A reply's bigrams join its proposal's reply
bigrams in the reply's own transaction (replies are never edited, so nothing leaves): `mark_reply` counts
it on the proposal's row before the action's event, `write` adds its rows after.
Counters are updated in sorted order, so two writers never wait on each other crosswise. The rows go in
as one array per statement (unnest on PostgreSQL, json_each on SQLite): no ORM object per bigram.
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
    return digest_of(proposal.title, proposal.content)


def digest_of(title: str, content: str) -> str:
    return hashlib.sha256(f"{title}\n{content}".encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Pending:
    """A reply's text for the search index: counted on the proposal before its event, written after."""

    text: str


def mark_text(proposal: Proposal) -> None:
    """A submission: a text other than the one indexed is pending (the indexer indexes it)."""
    if proposal.indexed_digest is not None and proposal.indexed_digest != text_digest(proposal):
        proposal.indexed_digest = None


def mark_reply(proposal: Proposal, text: str) -> Pending:
    """A reply (appended to the proposal's replies): counted among the indexed ones now."""
    proposal.replies_indexed = len(proposal.replies)
    return Pending(text)


async def write(session: AsyncSession, proposal: Proposal, pending: Optional[Pending]) -> None:
    if pending is not None:
        await _reply(session, proposal, pending.text)


async def index_text(session: AsyncSession, proposal_id: int, title: str, content: str) -> None:
    """The proposal's title and content into the similarity index, replacing what it held of it. The
    mark is written with a plain UPDATE: indexing is no change of the proposal (its version stays)."""
    new = grams(title, content)
    old = set((await session.execute(select(ProposalGram.gram).where(ProposalGram.proposal_id == proposal_id)))
              .scalars())
    added, removed = sorted(new - old), sorted(old - new)
    counted = sorted(added + ([DOCUMENTS] if new and not old else []))
    uncounted = sorted(removed + ([DOCUMENTS] if old and not new else []))
    if removed:
        await session.execute(delete(ProposalGram).where(ProposalGram.proposal_id == proposal_id,
                                                         ProposalGram.gram.in_(removed)))
    if uncounted:
        await session.execute(update(GramStat).where(GramStat.gram.in_(uncounted)).values(df=GramStat.df - 1))
    values = {"grams": added, "counted": counted, "proposal_id": proposal_id}
    if session.bind.dialect.name == "postgresql":  # both in one round trip: the bigrams as one array
        await session.execute(_PG_ADD, values)
    elif counted:
        values = {**values, "grams": json.dumps(added), "counted": json.dumps(counted)}
        await session.execute(_SQLITE_POST, values)  # each a single statement over a JSON array
        await session.execute(_SQLITE_COUNT, values)
    await session.execute(update(Proposal).where(Proposal.id == proposal_id).values(indexed_digest=digest_of(title, content))
                          .execution_options(synchronize_session=False))


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
