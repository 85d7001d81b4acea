"""Full-text search of submitted proposals (docs/search.md): title, content, replies, deputies' and units'
names, with the list's filters, newest first, paged; reads only.

Each term of the query (workflow/domain/search_query.py) becomes one `Proposal.id IN (...)` condition:
the proposals whose title and content hold all its bigrams (their posting lists joined rarest first by
GramStat.df, then the exact substring checked with LIKE on those few), or whose replies do (reply_grams,
the same way), or that are led or co-signed by a deputy whose name holds it, or assigned to a unit whose
name holds it. A one-character term has no bigram: a LIKE over the filtered proposals, stopped at
FALLBACK_CAP matches (the total then says "at least").

A text submitted moments ago is read directly until the indexer has indexed it (its own branch, found by
the partial index of pending texts). Without a filter every term is answered from the index alone: the terms' id sets intersected, the page
and the total counted from them, the proposals table never scanned (a two-character word held by a third
of 100k proposals: an index-only scan of its posting list). Only numbered proposals are ever found: the
index holds submitted ones, and the names' branches check the number themselves.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import and_, exists, func, intersect, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Assignment, CoSigner, Deputy, GramStat, Proposal, ProposalGram, Reply, Unit
from storage.models.text_index import ReplyGram
from storage.repositories import pending_texts
from workflow.domain.definition import HANDLING_ROLES, STATES, SUPERSEDED_ASSIGNMENT_STATES
from workflow.domain.search_query import Term, holds, snippet, terms
from workflow.readmodels.stats import Scope

PAGE_SIZE = 20
FALLBACK_CAP = 1000  # a query of single characters only counts this many matches at most


@dataclass(frozen=True)
class Filters:
    scope: Scope = Scope()  # year, 届/次 (session, kind, origin), category, key supervision
    state: Optional[str] = None
    unit: Optional[str] = None  # a unit's code: proposals assigned to it


@dataclass(frozen=True)
class Found:
    number: str
    title: str
    year: int
    state: str
    deputy: str
    units: list[str]
    snippet: str
    where: list[str]  # 标题 / 内容 / 答复 / 代表 / 承办单位

    def as_dict(self) -> dict:
        return {"number": self.number, "title": self.title, "year": self.year, "state": self.state,
                "state_label": STATES.get(self.state, self.state), "lead_deputy": self.deputy,
                "units": self.units, "snippet": self.snippet, "where": self.where}


@dataclass(frozen=True)
class Page:
    items: list[Found]
    total: int
    capped: bool  # single characters only: `total` is "at least"


async def search(session: AsyncSession, q: str, filters: Filters = Filters(), page: int = 1,
                 page_size: int = PAGE_SIZE) -> Page:
    """The proposals holding every term of `q`, newest first; refuses a bad query (InvalidInput)."""
    found = terms(q)
    clauses = _filter_clauses(filters)
    dfs = await _dfs(session, {g for t in found if t.indexed and t.han for g in t.grams})
    offset = (page - 1) * page_size
    if not clauses and all(t.indexed for t in found):
        return await _from_index(session, found, dfs, page_size, offset)
    query = select(Proposal.id).where(Proposal.number.is_not(None), *clauses)
    for term in found:
        query = query.where(Proposal.id.in_(await _matching(session, term, dfs)) if term.indexed
                            else _like_condition(term, *await _names(session, term)))
    capped = not any(t.indexed for t in found)
    if capped:  # single characters: LIKE over the filtered proposals, counted up to the cap
        total = (await session.execute(select(func.count()).select_from(query.limit(FALLBACK_CAP).subquery())))\
            .scalar_one()
        rows = (await session.execute(query.order_by(Proposal.id.desc()).limit(page_size).offset(offset))).all() \
            if offset < total else []
        ids = [r.id for r in rows]
    else:  # the page and the total from one evaluation of the matches
        rows = (await session.execute(query.add_columns(func.count().over().label("total"))
                                      .order_by(Proposal.id.desc()).limit(page_size).offset(offset))).all()
        ids = [r.id for r in rows]
        total = rows[0].total if rows else (await session.execute(
            select(func.count()).select_from(query.subquery()))).scalar_one() if offset else 0
    return Page(await _items(session, ids, found), total, capped and total >= FALLBACK_CAP)


async def _from_index(session: AsyncSession, found: list[Term], dfs: dict[str, int], page_size: int,
                      offset: int) -> Page:
    """No filter: the matches are the terms' id sets intersected; the page and its total from them alone."""
    sets = [(await _matching(session, term, dfs)).subquery() for term in found]
    # Each set selected from as a subquery: SQLite takes no parenthesised compound inside INTERSECT.
    matches = (intersect(*(select(m.c.proposal_id) for m in sets)) if len(sets) > 1 else select(sets[0])).subquery()
    rows = (await session.execute(select(matches.c.proposal_id, func.count().over().label("total"))
                                  .order_by(matches.c.proposal_id.desc()).limit(page_size).offset(offset))).all()
    total = rows[0].total if rows else (await session.execute(
        select(func.count()).select_from(matches))).scalar_one() if offset else 0
    return Page(await _items(session, [r.proposal_id for r in rows], found), total, False)


def _filter_clauses(filters: Filters) -> list:
    clauses = list(filters.scope.proposal_clauses())  # the tallies' own spelling of year, 届/次, category, key
    if filters.state:
        clauses.append(Proposal.state == filters.state)
    if filters.unit:
        clauses.append(Proposal.id.in_(select(Assignment.proposal_id).join(Unit, Assignment.unit_id == Unit.id)
                                       .where(Unit.code == filters.unit)))
    return clauses


async def _matching(session: AsyncSession, term: Term, dfs: dict[str, int]):
    """The ids of the numbered proposals holding an indexed `term`, one select of `proposal_id` (each once)."""
    deputies, units = await _names(session, term)
    branches = [_replies_holding(term, dfs)]
    if all(dfs.get(g, 0) for g in term.grams) or not term.han:
        branches.append(_texts_holding(term, dfs))
    numbered = Proposal.number.is_not(None)
    # Texts submitted moments ago, not indexed yet (workflow/usecases/text_index.py): a few, read directly.
    branches.append(pending_texts(Proposal.id.label("proposal_id")).where(
        or_(_holds(Proposal.title, term), _holds(Proposal.content, term))))
    if deputies:
        branches.append(select(Proposal.id.label("proposal_id")).where(Proposal.lead_deputy_id.in_(deputies), numbered))
        branches.append(select(CoSigner.proposal_id).join(Proposal, Proposal.id == CoSigner.proposal_id)
                        .where(CoSigner.deputy_id.in_(deputies), numbered))
    if units:
        branches.append(select(Assignment.proposal_id).join(Proposal, Proposal.id == Assignment.proposal_id)
                        .where(Assignment.unit_id.in_(units), numbered))
    return union(*branches) if len(branches) > 1 else branches[0].distinct()


def _postings(model, term: Term, dfs: dict[str, int]):
    """The ids holding all the term's index entries: the rarest one's list, joined with the others'."""
    ordered = sorted(term.grams, key=lambda g: (dfs.get(g, 0), g))
    first = aliased(model)
    query = select(first.proposal_id.label("proposal_id")).where(first.gram == ordered[0])
    for gram in ordered[1:]:
        other = aliased(model)
        query = query.join(other, and_(other.proposal_id == first.proposal_id, other.gram == gram))
    return query, first


def _texts_holding(term: Term, dfs: dict[str, int]):
    query, first = _postings(ProposalGram, term, dfs)
    if term.exact:
        return query
    return query.join(Proposal, Proposal.id == first.proposal_id).where(
        or_(_holds(Proposal.title, term), _holds(Proposal.content, term)))


def _replies_holding(term: Term, dfs: dict[str, int]):
    query, first = _postings(ReplyGram, term, dfs)
    if term.exact:
        return query
    return query.where(exists().where(Reply.proposal_id == first.proposal_id, _holds(Reply.text, term)))


def _like_condition(term: Term, deputies: list[int], units: list[int]):
    """A single character: LIKE on the proposal's own row and its replies, or the names'."""
    either = [_holds(Proposal.title, term), _holds(Proposal.content, term),
              exists().where(Reply.proposal_id == Proposal.id, _holds(Reply.text, term))]
    if deputies:
        either += [Proposal.lead_deputy_id.in_(deputies),
                   Proposal.id.in_(select(CoSigner.proposal_id).where(CoSigner.deputy_id.in_(deputies)))]
    if units:
        either.append(Proposal.id.in_(select(Assignment.proposal_id).where(Assignment.unit_id.in_(units))))
    return or_(*either)


def _holds(column, term: Term):
    return column.contains(term.text, autoescape=True) if term.han else column.icontains(term.text, autoescape=True)


async def _names(session: AsyncSession, term: Term) -> tuple[list[int], list[int]]:
    """Deputies and units whose names hold the term (small tables, LIKE)."""
    deputies = list((await session.execute(select(Deputy.id).where(_holds(Deputy.name, term)))).scalars())
    units = list((await session.execute(select(Unit.id).where(_holds(Unit.name, term)))).scalars())
    return deputies, units


async def _dfs(session: AsyncSession, wanted: set[str]) -> dict[str, int]:
    if not wanted:
        return {}
    return dict((await session.execute(select(GramStat.gram, GramStat.df).where(GramStat.gram.in_(sorted(wanted)))))
                .all())


async def _items(session: AsyncSession, ids: list[int], found: list[Term]) -> list[Found]:
    if not ids:
        return []
    proposals = {p.id: p for p in (await session.execute(select(Proposal).where(Proposal.id.in_(ids))))
                 .unique().scalars()}
    replies: dict[int, list[str]] = {}
    for proposal_id, text in (await session.execute(
            select(Reply.proposal_id, Reply.text).where(Reply.proposal_id.in_(ids)).order_by(Reply.id))).all():
        replies.setdefault(proposal_id, []).append(text or "")
    return [_found(proposals[i], replies.get(i, []), found) for i in ids if i in proposals]


def _found(p: Proposal, replies: list[str], found: list[Term]) -> Found:
    units = [a.unit.name for a in p.assignments
             if a.role in HANDLING_ROLES and a.state not in SUPERSEDED_ASSIGNMENT_STATES]
    names = [p.lead_deputy.name] + [c.deputy.name for c in p.co_signers]
    where = [label for label, texts in (("标题", [p.title]), ("内容", [p.content]), ("答复", replies),
                                        ("代表", names), ("承办单位", units)) if any(holds(t, found) for t in texts)]
    piece = snippet(p.content, found) or next((s for s in (snippet(r, found) for r in replies) if s), "")
    return Found(p.number or "", p.title, p.year, p.state, p.lead_deputy.name, units,
                 piece or " ".join(p.content[:60].split()), where)
