"""Submitted proposals similar to a text (workflow/domain/similarity.py), best first; reads only.

Four lookups, each by index: the document frequencies of the text's bigrams, the posting lists of its
rarest weighted bigrams (a few dozen, short lists), the bigrams of the best candidates, and their
numbers, titles and states. A withdrawn or referred proposal is still found (it says so)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import GramStat, IndexedText, Proposal, ProposalGram
from workflow.domain.definition import STATES
from workflow.domain.similarity import grams, probes, score, weight

CANDIDATES = 40


@dataclass(frozen=True)
class Similar:
    id: int
    number: str
    title: str
    year: int
    state: str
    score: float

    def as_dict(self) -> dict:
        return {"number": self.number, "title": self.title, "year": self.year, "state": self.state,
                "state_label": STATES.get(self.state, self.state), "score": self.score}


async def similar(session: AsyncSession, text: str, *, years: Optional[tuple[int, ...]] = None,
                  exclude: str = "", limit: int = 10, title: str = "") -> list[Similar]:
    query_grams = grams(title, text)
    if not query_grams:
        return []
    documents = (await session.execute(select(func.count()).select_from(IndexedText))).scalar_one()
    dfs = await _dfs(session, query_grams)
    looked = probes(query_grams, dfs, documents)
    if not looked:
        return []
    partial: dict[int, float] = {}
    for proposal_id, gram in (await session.execute(
            select(ProposalGram.proposal_id, ProposalGram.gram).where(ProposalGram.gram.in_(looked)))).all():
        partial[proposal_id] = partial.get(proposal_id, 0.0) + weight(dfs.get(gram, 0), documents)
    best = sorted(partial, key=lambda i: -partial[i])[:CANDIDATES]
    if not best:
        return []
    info_query = select(Proposal.id, Proposal.number, Proposal.title, Proposal.year, Proposal.state).where(
        Proposal.id.in_(best), Proposal.number.is_not(None))
    if years:
        info_query = info_query.where(Proposal.year.in_(years))
    if exclude:
        info_query = info_query.where(Proposal.number != exclude)
    info = {r.id: r for r in (await session.execute(info_query)).all()}
    theirs: dict[int, set[str]] = {}
    for proposal_id, gram in (await session.execute(
            select(ProposalGram.proposal_id, ProposalGram.gram).where(ProposalGram.proposal_id.in_(list(info))))).all():
        theirs[proposal_id] = theirs.get(proposal_id, set()) | {gram}
    dfs.update(await _dfs(session, set().union(*theirs.values()) - set(dfs)) if theirs else {})
    found = [Similar(i, info[i].number, info[i].title, info[i].year, info[i].state,
                     score(query_grams, theirs.get(i, set()), dfs, documents)) for i in info]
    return sorted(found, key=lambda s: (-s.score, s.number))[:limit]


async def _dfs(session: AsyncSession, wanted: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    items = sorted(wanted)
    for start in range(0, len(items), 500):
        chunk = items[start:start + 500]
        found.update(dict((await session.execute(select(GramStat.gram, GramStat.df).where(
            GramStat.gram.in_(chunk)))).all()))
    return found
