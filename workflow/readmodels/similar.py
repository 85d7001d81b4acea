"""Submitted proposals similar to a text (workflow/domain/similarity.py), best first; reads only.

Five lookups, each by index: the document frequencies of the text's bigrams, the weights of its rarest
weighted bigrams summed per proposal in the database (only the best few come back), the texts submitted
moments ago that the indexer has not indexed yet (workflow/usecases/text_index.py), the bigrams of the
candidates, and their numbers, titles and states. A withdrawn or referred proposal is still found (it says so)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import GramStat, Proposal, ProposalGram, Reply
from storage.repositories import pending_texts
from workflow.domain.definition import JOINABLE_STATES, STATES
from workflow.domain.similarity import DOCUMENTS, WARN_THRESHOLD, grams, probes, score, weight

CANDIDATES = 30
PENDING_READ = 500  # texts not yet indexed read directly at most (the indexer keeps them to a few)


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


@dataclass(frozen=True)
class Hint:
    """A similar proposal as the one drafting sees it: open to join (加入联名) until 交办, its published reply."""

    number: str
    title: str
    state_label: str
    score: float
    joinable: bool
    reply: str  # the first published reply, clipped ("" when none is published)


REPLY_CLIP = 80


async def drafting_hints(session: AsyncSession, title: str, content: str, year: int, *, limit: int = 3,
                         confidential: bool = False) -> list[Hint]:
    """Up to `limit` proposals of `year` and the year before scoring at least the warning threshold.
    A confidential proposal is shown only where `confidential` (staff), never to another deputy."""
    found = [s for s in await similar(session, content, title=title, years=(year, year - 1), limit=limit,
                                      confidential=confidential) if s.score >= WARN_THRESHOLD]
    replies: dict[int, str] = {}
    if found:
        for proposal_id, text in (await session.execute(
                select(Reply.proposal_id, Reply.text).where(Reply.proposal_id.in_([s.id for s in found]),
                                                            Reply.published.is_(True)).order_by(Reply.id))).all():
            replies.setdefault(proposal_id, " ".join((text or "").split()))
    return [Hint(s.number, s.title, STATES.get(s.state, s.state), s.score, s.state in JOINABLE_STATES,
                 _clip(replies.get(s.id, ""))) for s in found]


def _clip(text: str) -> str:
    return text if len(text) <= REPLY_CLIP else text[:REPLY_CLIP] + "…"


async def similar(session: AsyncSession, text: str, *, years: Optional[tuple[int, ...]] = None,
                  exclude: str = "", limit: int = 10, title: str = "", confidential: bool = True) -> list[Similar]:
    query_grams = grams(title, text)
    if not query_grams:
        return []
    pending = await _pending(session, years)  # submitted moments ago: their texts, as if already indexed
    extra = Counter(g for theirs in pending.values() for g in theirs)
    dfs = await _dfs(session, query_grams | {DOCUMENTS}, extra)
    documents = dfs.pop(DOCUMENTS, 0) + len(pending)
    if exclude:  # the proposal the text is from: counted as if it were not indexed (its own pairs are not rare)
        documents = await _without(session, exclude, dfs, documents)
    looked = probes(query_grams, dfs, documents)
    pending = {i: theirs for i, theirs in pending.items() if theirs & query_grams}
    best = await _best(session, looked, dfs, documents, years) if looked else []
    if not best and not pending:
        return []
    info_query = select(Proposal.id, Proposal.number, Proposal.title, Proposal.year, Proposal.state).where(
        Proposal.id.in_(best + list(pending)), Proposal.number.is_not(None))
    if years:
        info_query = info_query.where(Proposal.year.in_(years))
    if exclude:
        info_query = info_query.where(Proposal.number != exclude)
    if not confidential:
        info_query = info_query.where(Proposal.confidential.is_(False))
    info = {r.id: r for r in (await session.execute(info_query)).all()}
    theirs: dict[int, set[str]] = {}
    for proposal_id, gram in (await session.execute(
            select(ProposalGram.proposal_id, ProposalGram.gram).where(
                ProposalGram.proposal_id.in_([i for i in info if i not in pending])))).all():
        theirs[proposal_id] = theirs.get(proposal_id, set()) | {gram}
    theirs.update({i: found for i, found in pending.items() if i in info})
    dfs.update(await _dfs(session, set().union(*theirs.values()) - set(dfs), extra) if theirs else {})
    found = [Similar(i, info[i].number, info[i].title, info[i].year, info[i].state,
                     score(query_grams, theirs.get(i, set()), dfs, documents)) for i in info]
    return sorted(found, key=lambda s: (-s.score, s.number))[:limit]


async def _best(session: AsyncSession, looked: list[str], dfs: dict[str, int], documents: int,
                years: Optional[tuple[int, ...]]) -> list[int]:
    """The indexed proposals whose looked-up bigrams weigh the most, summed in the database."""
    weights = {g: weight(dfs.get(g, 0), documents) for g in looked}
    summed = func.sum(case(*((ProposalGram.gram == g, w) for g, w in weights.items()), else_=0.0))
    top = (select(ProposalGram.proposal_id, summed.label("partial")).where(ProposalGram.gram.in_(looked))
           .group_by(ProposalGram.proposal_id).order_by(summed.desc()).limit(CANDIDATES))
    if years:  # counted only among the years asked for
        top = top.join(Proposal, Proposal.id == ProposalGram.proposal_id).where(Proposal.year.in_(years))
    return [row.proposal_id for row in (await session.execute(top)).all()]


async def _pending(session: AsyncSession, years: Optional[tuple[int, ...]]) -> dict[int, set[str]]:
    """The bigrams of the submitted texts the indexer has not indexed yet (a few, found by a partial index;
    the years are picked here, not in SQL, or SQLite would walk the years' index instead)."""
    query = pending_texts(Proposal.id, Proposal.year, Proposal.title, Proposal.content).limit(PENDING_READ)
    return {row.id: grams(row.title, row.content) for row in (await session.execute(query)).all()
            if not years or row.year in years}


async def _without(session: AsyncSession, number: str, dfs: dict[str, int], documents: int) -> int:
    own = (await session.execute(select(ProposalGram.gram).join(Proposal, Proposal.id == ProposalGram.proposal_id)
                                 .where(Proposal.number == number))).scalars().all()
    for gram in own:
        if gram in dfs:
            dfs[gram] = max(0, dfs[gram] - 1)
    return documents - 1 if own else documents


async def _dfs(session: AsyncSession, wanted: set[str], extra: Counter) -> dict[str, int]:
    """Document frequencies from the index, plus the texts not indexed yet (`extra`)."""
    found: dict[str, int] = {}
    items = sorted(wanted)
    for start in range(0, len(items), 500):
        chunk = items[start:start + 500]
        found.update(dict((await session.execute(select(GramStat.gram, GramStat.df).where(
            GramStat.gram.in_(chunk)))).all()))
    for gram in wanted:
        if extra[gram]:
            found[gram] = found.get(gram, 0) + extra[gram]
    return found
