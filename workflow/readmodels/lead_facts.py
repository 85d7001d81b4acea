"""The facts of every live lead share in scope, in SQL: what workflow/readmodels/stats.py groups and counts.

Where a proposal's facts rows (storage/models/share_facts.py, written by each action that changes them)
carry its current `facts_stamp`, they are read as they are; for the other proposals (restored from an
older backup, from before migration 0030, or whose rows failed the check) the same facts are derived from
the replies, ratings and contacts, as they were before those rows existed. `lead_facts(..., stored=False)`
derives them all: the full recomputation `jianyi facts check` compares the rows against.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from sqlalchemy import BigInteger, and_, case, cast, exists, func, or_, select, union_all

from storage.db import Database
from storage.models import (
    STORED_FACTS,
    Assignment,
    ContactLog,
    Evaluation,
    LeadShareFacts,
    Proposal,
    ProposalFacts,
    Reply,
    Unit,
)
from workflow.domain.definition import (
    AWAITING_REPLY_STATES,
    FACE_TO_FACE_METHODS,
    FINAL_STATES,
    NO_FEEDBACK,
    RATINGS,
    SOLVED_CATEGORIES,
    SUPERSEDED_ASSIGNMENT_STATES,
)
from workflow.domain.tallies import FACT_FIELDS, RATED_KINDS, rating_field


def reply_late_clause(today: dt.date):
    """An assignment whose reply is still owed past its due date (Assignment's columns only)."""
    a = Assignment
    return and_(a.state.in_(sorted(AWAITING_REPLY_STATES)), a.reply_due.is_not(None), a.reply_due < today)


def overdue_clause(today: dt.date):
    """逾期 in SQL over Assignment joined to its Proposal: workflow.domain.tallies.is_overdue, said again."""
    return and_(reply_late_clause(today), Proposal.state.not_in(sorted(FINAL_STATES)))


def _leads(scope, today: dt.date, stale_only: bool, pids: Sequence[int] = ()):
    """The lead assignments still on their proposals in scope, with what is known of each without its replies
    (`stale_only`: of the proposals whose facts rows are not of their current stamp; `pids`: of those)."""
    a, p = Assignment, Proposal
    overdue = overdue_clause(today)
    query = (select(a.id.label("aid"), a.proposal_id.label("pid"), a.unit_id.label("unit_id"), p.year.label("year"),
                    p.category.label("category"), p.key_supervision.label("key"),
                    case((overdue, 1), else_=0).label("overdue"), p.facts_stamp.label("stamp"),
                    a.state.in_(sorted(AWAITING_REPLY_STATES)).label("awaiting"), a.reply_due.label("reply_due"))
             .join(p, p.id == a.proposal_id)
             .where(a.role == "lead", a.state.not_in(sorted(SUPERSEDED_ASSIGNMENT_STATES)), *scope.proposal_clauses()))
    if scope.unit is not None:
        query = query.where(a.unit_id == _unit_id(scope.unit))
    if pids:
        query = query.where(p.id.in_(list(pids)))
    if stale_only:
        f = LeadShareFacts
        query = query.where(~exists().where(f.proposal_id == p.id, f.stamp == p.facts_stamp))
    return query.cte("leads")


# The newest reply or rating of a share is the one recorded last: a proposal's actions are serialised
# (its row is locked), so within a proposal ids follow time. Each is found by one aggregate over a code
# that carries the row's id and its value (id * 8 + the value's place below): the maximum code is the
# newest row, the minimum the oldest, and its remainder says what it holds. No sort, no join back.
REPLY_CODES = ("A", "B", "C", "D")
RATING_CODES = (*RATINGS, NO_FEEDBACK)
CODE_BASE = 8  # more places than values: the last place is "something else", which counts as nothing


def _code(id_column, value_column, values: tuple[str, ...]):
    place = case(*[(value_column == value, i) for i, value in enumerate(values)], else_=CODE_BASE - 1)
    return cast(id_column, BigInteger) * CODE_BASE + place


def _holds(code, values: tuple[str, ...], wanted: Iterable[str]):
    """1 when the value coded in `code` is one of `wanted`, else 0 (also when there is no code)."""
    return case(((code % CODE_BASE).in_([values.index(w) for w in wanted]), 1), else_=0)


def _derived(scope, today: dt.date, stale_only: bool, pids: Sequence[int] = (), as_rows: bool = False):
    """Per live lead assignment in scope, its facts derived from its replies, ratings and contacts (`as_rows`:
    as the facts rows' columns, in order, for INSERT ... SELECT)."""
    leads = _leads(scope, today, stale_only, pids)
    r, e, c = Reply, Evaluation, ContactLog
    replies = (select(r.assignment_id.label("aid"),
                      # the first reply: the smallest id; its on-time flag rides in the lowest bit
                      func.min(cast(r.id, BigInteger) * 2 + case((r.on_time, 0), else_=1)).label("first_code"),
                      func.max(_code(r.id, r.category, REPLY_CODES)).label("reply_code"))
               .join(leads, leads.c.aid == r.assignment_id).group_by(r.assignment_id).subquery("reply_codes"))
    rating = _code(e.id, e.rating, RATING_CODES)
    ratings = (select(e.assignment_id.label("aid"),
                      func.max(case((e.kind == "reply", rating))).label("reply"),
                      func.min(case((and_(e.kind == "reply", e.rating != NO_FEEDBACK), rating))).label("first_reply"),
                      func.max(case((e.kind == "implementation", rating))).label("implementation"))
               .join(leads, leads.c.aid == e.assignment_id).group_by(e.assignment_id).subquery("rating_codes"))
    contacts = (select(c.assignment_id.label("aid"),
                       func.max(case((c.method.in_(sorted(FACE_TO_FACE_METHODS)), 1), else_=0)).label("face_to_face"))
                .join(leads, leads.c.aid == c.assignment_id).group_by(c.assignment_id).subquery("contacts"))
    joined = (leads.outerjoin(replies, replies.c.aid == leads.c.aid)
              .outerjoin(ratings, ratings.c.aid == leads.c.aid)
              .outerjoin(contacts, contacts.c.aid == leads.c.aid))
    rating_flags = [_holds(ratings.c[kind], RATING_CODES, (value,)).label(rating_field(kind, value))
                    for kind, values in RATED_KINDS.items() for value in values]
    plain = [
        case((replies.c.aid.is_not(None), 1), else_=0).label("replied_leads"),
        case((replies.c.first_code % 2 == 0, 1), else_=0).label("on_time_leads"),
        _holds(replies.c.reply_code, REPLY_CODES, sorted(SOLVED_CATEGORIES)).label("solved_leads"),
        case((contacts.c.aid.is_not(None), 1), else_=0).label("contacted"),
        func.coalesce(contacts.c.face_to_face, 0).label("face_to_face"),
    ]
    if as_rows:
        facts = {column.name: column for column in plain + rating_flags}
        return select(leads.c.aid, leads.c.pid, leads.c.unit_id, leads.c.stamp, leads.c.awaiting, leads.c.reply_due,
                      *[facts[name] for name in STORED_FACTS]).select_from(joined)
    return select(leads.c.pid, leads.c.unit_id, leads.c.year, leads.c.category, leads.c.key, *plain,
                  leads.c.overdue, *rating_flags).select_from(joined)


ROW_COLUMNS = ("assignment_id", "proposal_id", "unit_id", "stamp", "awaiting", "reply_due", *STORED_FACTS)


def rows_of(pids: Sequence[int]):
    """The facts rows of proposals `pids` derived from their records, as a SELECT of ROW_COLUMNS (for
    INSERT ... SELECT by workflow/usecases/share_facts.py)."""
    from workflow.readmodels.stats import Scope

    return _derived(Scope(), dt.date.min, stale_only=False, pids=pids, as_rows=True)


def _unit_id(code: str):
    return select(Unit.id).where(Unit.code == code).scalar_subquery()


def _stored(scope, today: dt.date):
    """The facts rows of the proposals in scope whose rows are of their current stamp."""
    f, p = LeadShareFacts, Proposal
    overdue = and_(f.awaiting, f.reply_due.is_not(None), f.reply_due < today, p.state.not_in(sorted(FINAL_STATES)))
    flags = [f.__table__.c[rating_field(kind, value)].label(rating_field(kind, value))
             for kind, values in RATED_KINDS.items() for value in values]
    query = (select(f.proposal_id.label("pid"), f.unit_id.label("unit_id"), p.year.label("year"),
                    p.category.label("category"), p.key_supervision.label("key"),
                    *[f.__table__.c[name].label(name) for name in _PLAIN],
                    case((overdue, 1), else_=0).label("overdue"), *flags)
             .join(p, and_(p.id == f.proposal_id, p.facts_stamp == f.stamp)).where(*scope.proposal_clauses()))
    if scope.unit is not None:
        query = query.where(f.unit_id == _unit_id(scope.unit))
    return query


_PLAIN = ("replied_leads", "on_time_leads", "solved_leads", "contacted", "face_to_face")
assert set(_PLAIN) | {rating_field(k, v) for k, vs in RATED_KINDS.items() for v in vs} == set(STORED_FACTS)


PROPOSAL_COLUMNS = ("proposal_id", "stamp", "leads", "dated_awaiting", "first_due", "last_due", *STORED_FACTS)


def proposal_rows_of(pids: Sequence[int]):
    """The proposal rows of `pids` summed from their share rows (written just before, in the same
    transaction), as a SELECT of PROPOSAL_COLUMNS: workflow/engine/share_facts.py `proposal_row` in SQL."""
    f = LeadShareFacts
    dated = and_(f.awaiting, f.reply_due.is_not(None))
    return (select(f.proposal_id, f.stamp, func.count(), func.sum(case((dated, 1), else_=0)),
                   func.min(case((dated, f.reply_due))), func.max(case((dated, f.reply_due))),
                   *[func.sum(f.__table__.c[name]) for name in STORED_FACTS])
            .where(f.proposal_id.in_(list(pids))).group_by(f.proposal_id, f.stamp))


def stored_proposals(scope, today: dt.date):
    """One item per proposal in scope whose proposal row is of its current stamp: pid, year, category,
    key and FACT_COLUMNS in their order (overdue from its parts; the shares counted one by one only when
    today falls between the earliest and latest due date of those awaiting a reply)."""
    pf, p, f = ProposalFacts, Proposal, LeadShareFacts
    one_by_one = (select(func.count()).where(f.proposal_id == pf.proposal_id, f.stamp == pf.stamp, f.awaiting,
                                             f.reply_due.is_not(None), f.reply_due < today).scalar_subquery())
    overdue = case((p.state.in_(sorted(FINAL_STATES)), 0), (or_(pf.dated_awaiting == 0, pf.first_due >= today), 0),
                   (pf.last_due < today, pf.dated_awaiting), else_=one_by_one)
    columns = {"leads": pf.leads, "overdue": overdue, **{name: pf.__table__.c[name] for name in STORED_FACTS}}
    return (select(pf.proposal_id.label("pid"), p.year.label("year"), p.category.label("category"),
                   p.key_supervision.label("key"), *[columns[name].label(name) for name in FACT_FIELDS])
            .join(p, and_(p.id == pf.proposal_id, p.facts_stamp == pf.stamp)).where(*scope.proposal_clauses()))


def stale_lead_facts(scope, today: dt.date):
    """`lead_facts` of the proposals whose rows are not current only (derived from their records)."""
    return _derived(scope, today, stale_only=True).cte("stale_lead_facts")


def lead_facts(scope, today: dt.date, stored: bool = True, stale=None):
    """Per live lead assignment in scope: pid, unit_id, year, category, key and its facts as 0/1 columns
    (FACT_COLUMNS but `leads`), as the CTE "lead_facts": the current rows, and the shares of the other
    proposals derived (`stale`: that part, when the statement has it already). `stored=False`: every share
    derived afresh."""
    if not stored:
        return _derived(scope, today, stale_only=False).cte("lead_facts")
    stale = stale if stale is not None else stale_lead_facts(scope, today)
    return union_all(_stored(scope, today), select(stale)).cte("lead_facts")


# ------------------------------------------------------------------ the rows against a full recomputation
@dataclass
class FactsCheck:
    shares: int  # live lead shares in all (all years)
    stale: list[int]  # proposals whose rows are not of their current stamp (derived when read)
    wrong: list[int]  # proposals whose current rows say other facts than their records

    @property
    def ok(self) -> bool:
        return not self.wrong


def stale_query(after: int = 0):
    """The proposals (ids above `after`) with a live lead share and no facts rows of their current stamp."""
    a, p, f = Assignment, Proposal, LeadShareFacts
    return (select(p.id).join(a, a.proposal_id == p.id)
            .where(p.id > after, a.role == "lead", a.state.not_in(sorted(SUPERSEDED_ASSIGNMENT_STATES)),
                   ~exists().where(f.proposal_id == p.id, f.stamp == p.facts_stamp))
            .group_by(p.id).order_by(p.id))


async def check_facts(db: Database, today: dt.date) -> FactsCheck:
    """Every current row against the facts derived afresh from the records, share by share."""
    from workflow.readmodels.stats import Scope

    async with db.read() as session:
        stale = list((await session.execute(stale_query())).scalars())
        kept = await _counted(session, _stored(Scope(), today), _SHARE_KEY)
        derived = await _counted(session, _derived(Scope(), today, False), _SHARE_KEY)
        kept_proposals = await _counted(session, stored_proposals(Scope(), today), _PROPOSAL_KEY)
    stale_ids = set(stale)
    fresh = Counter({row: n for row, n in derived.items() if row[0] not in stale_ids})
    wrong = {row[0] for row in (kept - fresh) + (fresh - kept)}
    summed = _summed(fresh)
    wrong |= {row[0] for row in (kept_proposals - summed) + (summed - kept_proposals)}
    return FactsCheck(sum(derived.values()), stale, sorted(wrong))


_SHARE_KEY = ("pid", "unit_id", "year", "category", "key", *[name for name in FACT_FIELDS if name != "leads"])
_PROPOSAL_KEY = ("pid", "year", "category", "key", *FACT_FIELDS)


async def _counted(session, query, names: tuple[str, ...]) -> Counter:
    """How many rows of `query` there are of each value of its columns `names` (in that order)."""
    found = query.subquery()
    rows = (await session.execute(select(*[found.c[name] for name in names]))).all()
    return Counter(tuple(int(v) if isinstance(v, bool) else v for v in row) for row in rows)


def _summed(shares: Counter) -> Counter:
    """Proposal items (pid, year, category, key, FACT_FIELDS) from share items (pid, unit_id, year, category,
    key, facts but leads): what stored_proposals should read."""
    found: dict = {}
    for row, n in shares.items():
        pid, _unit, year, category, key, *facts = row
        for _ in range(n):
            total = found.setdefault(pid, [pid, year, category, key, 0] + [0] * len(facts))
            total[4] += 1
            for i, value in enumerate(facts):
                total[5 + i] += int(value or 0)
    return Counter(tuple(total) for total in found.values())
