"""Tallies read from the database, for any number of proposals.

SQL derives the `Facts` of every counted item (a proposal, or one unit's share of it) and groups
the items that have the same facts; the pure `tally_facts` then counts them. The SQL computes facts
only (how many lead units replied, have each current rating, a newest reply in A or B, a face-to-face
contact...), never whether something counts: that is decided in workflow/domain/tallies.py, once. `lead_records` (the same rows as LeadRecords) is the slow,
plain-Python way to the same facts, kept to check the SQL against.
"""
from __future__ import annotations

import datetime as dt
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Awaitable, Callable, Iterable, Optional, Sequence

from sqlalchemy import (
    BigInteger,
    Boolean,
    Integer,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.sql import Select

from storage import repositories as repo
from storage.db import Database
from storage.models import Assignment, ContactLog, Evaluation, Meta, Proposal, Reply, Unit
from workflow.domain import clock as beijing
from workflow.domain.definition import (
    AWAITING_REPLY_STATES,
    FACE_TO_FACE_METHODS,
    FINAL_STATES,
    NO_FEEDBACK,
    RATINGS,
    SOLVED_CATEGORIES,
    SUPERSEDED_ASSIGNMENT_STATES,
)
from workflow.domain.errors import InvalidInput
from workflow.domain.tallies import (
    FACT_FIELDS,
    RATED_KINDS,
    Facts,
    LeadRecord,
    Stats,
    counts_for,
    rating_field,
    tally_facts,
)
from workflow.readmodels.deadlines import CALENDAR_KEY

GROUPS = {"unit", "category", "year", "key"}
FACT_COLUMNS = FACT_FIELDS
BEIJING = dt.timedelta(hours=8)  # stored times are UTC; days and months are counted in Beijing time


@dataclass(frozen=True)
class Scope:
    """Which proposals the figures are about. With `unit`, each counts by that unit's share only."""

    year: Optional[int] = None
    unit: Optional[str] = None
    category: Optional[str] = None
    key: Optional[bool] = None
    since: Optional[dt.date] = None  # submitted on or after this day
    until: Optional[dt.date] = None  # submitted on or before this day
    session: Optional[int] = None  # 届/次: the proposals of this session (both kinds unless `kind`)
    kind: Optional[str] = None  # session (大会建议) | interim (闭会期间建议)
    origin: Optional[str] = None  # proposal | motion (议案转建议)

    def proposal_clauses(self) -> list:
        p, clauses = Proposal, []
        if self.year is not None:
            clauses.append(p.year == self.year)
        if self.session is not None:
            clauses.append(p.session_id == self.session)
        if self.kind is not None:
            clauses.append(p.kind == self.kind)
        if self.origin is not None:
            clauses.append(p.origin == self.origin)
        if self.category is not None:
            clauses.append(p.category == self.category)
        if self.key is not None:
            clauses.append(p.key_supervision.is_(self.key))
        if self.since is not None:
            clauses.append(p.submitted_at >= utc_start(self.since))
        if self.until is not None:
            clauses.append(p.submitted_at < utc_start(self.until + dt.timedelta(days=1)))
        return clauses


def utc_start(day: dt.date) -> dt.datetime:
    """The UTC time at which `day` begins in Beijing."""
    return beijing.day_start(day)


# ------------------------------------------------------------------ the facts, in SQL
def reply_late_clause(today: dt.date):
    """An assignment whose reply is still owed past its due date (Assignment's columns only)."""
    a = Assignment
    return and_(a.state.in_(sorted(AWAITING_REPLY_STATES)), a.reply_due.is_not(None), a.reply_due < today)


def overdue_clause(today: dt.date):
    """逾期 in SQL over Assignment joined to its Proposal: workflow.domain.tallies.is_overdue, said again."""
    return and_(reply_late_clause(today), Proposal.state.not_in(sorted(FINAL_STATES)))


def _leads(scope: Scope, today: dt.date):
    """The lead assignments still on their proposals in scope, with what is known of each without its replies."""
    a, p = Assignment, Proposal
    overdue = overdue_clause(today)
    query = (select(a.id.label("aid"), a.proposal_id.label("pid"), a.unit_id.label("unit_id"), p.year.label("year"),
                    p.category.label("category"), p.key_supervision.label("key"),
                    case((overdue, 1), else_=0).label("overdue"))
             .join(p, p.id == a.proposal_id)
             .where(a.role == "lead", a.state.not_in(sorted(SUPERSEDED_ASSIGNMENT_STATES)), *scope.proposal_clauses()))
    if scope.unit is not None:
        query = query.where(a.unit_id == select(Unit.id).where(Unit.code == scope.unit).scalar_subquery())
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


def _lead_facts(scope: Scope, today: dt.date):
    """Per live lead assignment in scope, its Facts as 0/1 columns (FACT_COLUMNS but `leads`)."""
    leads = _leads(scope, today)
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
    return select(
        leads.c.pid, leads.c.unit_id, leads.c.year, leads.c.category, leads.c.key,
        case((replies.c.aid.is_not(None), 1), else_=0).label("replied_leads"),
        case((replies.c.first_code % 2 == 0, 1), else_=0).label("on_time_leads"),
        _holds(replies.c.reply_code, REPLY_CODES, sorted(SOLVED_CATEGORIES)).label("solved_leads"),
        case((contacts.c.aid.is_not(None), 1), else_=0).label("contacted"),
        func.coalesce(contacts.c.face_to_face, 0).label("face_to_face"),
        leads.c.overdue, *rating_flags,
    ).select_from(joined).cte("lead_facts")


SUMMED = FACT_COLUMNS[1:]  # every fact but `leads` is a 0/1 column per lead share, summed per proposal
assert FACT_COLUMNS[0] == "leads"


def _lead_items(facts) -> Select:
    """One item per lead assignment (a unit's share of a proposal)."""
    return select(facts.c.pid, facts.c.unit_id, facts.c.year, facts.c.category, facts.c.key,
                  literal(1).label("leads"), *[facts.c[name] for name in SUMMED])


def _proposal_items(facts) -> Select:
    """One item per proposal, with all its lead units: how many of them have each fact."""
    return (select(facts.c.pid, facts.c.year, facts.c.category, facts.c.key, func.count().label("leads"),
                   *[func.sum(facts.c[name]).label(name) for name in SUMMED])
            .group_by(facts.c.pid, facts.c.year, facts.c.category, facts.c.key))


def items_query(scope: Scope, today: dt.date, level: str):
    """The counted items in scope with their facts, as a subquery: per `proposal` or per `lead` assignment."""
    if level not in ("proposal", "lead"):
        raise ValueError(level)
    build = _lead_items if level == "lead" else _proposal_items
    return build(_lead_facts(scope, today)).subquery("items")


def _facts(row: Sequence, offset: int) -> Facts:
    return Facts(*[int(value or 0) for value in row[offset:offset + len(FACT_COLUMNS)]])


async def grouped_facts(db: Database, today: dt.date, scope: Scope, level: str = "proposal",
                        by: Sequence[str] = (), token: Optional[tuple] = None) -> list[tuple[tuple, Facts, int]]:
    """(group values, facts, number of items) for the items in scope, grouped by `by` and by their facts.

    `by` names columns of the items: year, category, key, and unit_id at the lead level. The result
    is kept until a proposal changes (see `cached`); treat it as read-only."""
    return await cached(db, ("facts", today, scope, level, tuple(by)),
                        lambda: _grouped_facts(db, today, scope, level, by), token)


async def _grouped_facts(db: Database, today: dt.date, scope: Scope, level: str, by: Sequence[str]):
    items = items_query(scope, today, level)
    columns = [items.c[name] for name in by] + [items.c[name] for name in FACT_COLUMNS]
    rows = await _fetch(db, select(*columns, func.count()).group_by(*columns))
    return [(tuple(row[:len(by)]), _facts(row, len(by)), int(row[-1])) for row in rows]


async def _fetch(db: Database, query) -> list:
    async with db.read() as session:
        if not db.is_sqlite:
            # One big aggregate over estimates PostgreSQL cannot make (codes of joined CTEs): JIT costs more
            # than it saves, and grouping by hashing in memory beats the sorts it would pick (0.9 s -> 0.65 s
            # for 100k proposals).
            for setting in ("jit = off", "work_mem = '64MB'", "enable_sort = off"):
                await session.execute(text(f"SET LOCAL {setting}"))
        return (await session.execute(query)).all()


async def dashboard_facts(db: Database, today: dt.date, scope: Scope, token: Optional[tuple] = None):
    """What `grouped_facts` gives per proposal by (category, key) and per lead share by (unit_id,), from
    one statement that derives the lead facts once."""
    return await cached(db, ("dashboard", today, scope), lambda: _dashboard_facts(db, today, scope), token)


async def _dashboard_facts(db: Database, today: dt.date, scope: Scope):
    facts = _lead_facts(scope, today)
    p, lead = _proposal_items(facts).subquery("proposal_items").c, _lead_items(facts).subquery("lead_items").c
    p_facts, lead_facts = [p[name] for name in FACT_COLUMNS], [lead[name] for name in FACT_COLUMNS]
    per_proposal = (select(literal("proposal").label("level"), p.category, p.key,
                           cast(null(), Integer).label("unit_id"), *p_facts, func.count())
                    .group_by(p.category, p.key, *p_facts))
    per_unit = (select(literal("lead").label("level"), cast(null(), String).label("category"),
                       cast(null(), Boolean).label("key"), lead.unit_id, *lead_facts, func.count())
                .group_by(lead.unit_id, *lead_facts))
    proposals, units = [], []
    for row in await _fetch(db, union_all(per_proposal, per_unit)):
        if row[0] == "proposal":
            proposals.append(((row[1], row[2]), _facts(row, 4), int(row[-1])))
        else:
            units.append(((row[3],), _facts(row, 4), int(row[-1])))
    return proposals, units


# ------------------------------------------------------------------ kept while nothing changes
# Every change to what the figures count (a proposal's state, assignments, replies, ratings) is an
# action of the engine, and every action updates the proposal's row, whose version then goes up; new
# proposals add rows. So the count and the sum of versions change whenever a figure may have; due dates
# also move when the holiday calendar is updated (readmodels/deadlines.py CALENDAR_KEY). Figures depend on the day too
# (overdue), which is part of each key. Kept per Database, a few dozen entries.
_CACHES: "weakref.WeakKeyDictionary[Database, _Kept]" = weakref.WeakKeyDictionary()
CACHE_ENTRIES = 64


async def change_token(db: Database) -> tuple:
    """What changes whenever anything the figures count has changed."""
    calendar = select(Meta.value).where(Meta.key == CALENDAR_KEY).scalar_subquery()
    async with db.read() as session:
        count, versions, version = (await session.execute(
            select(func.count(Proposal.id), func.coalesce(func.sum(Proposal.version), 0), calendar))).one()
    return int(count), int(versions), version or ""


async def cached(db: Database, key: tuple, compute: Callable[[], Awaitable], token: Optional[tuple] = None):
    """`compute()`'s result for `key`, computed again once the data changed (`token`: known already).

    Only results of the newest token are kept: once the data changed, the older ones cannot be asked
    for again, and at 100k proposals one list of open deadlines is megabytes."""
    token = token if token is not None else await change_token(db)
    kept = _CACHES.setdefault(db, _Kept())
    if kept.token == token and key in kept.entries:
        kept.entries.move_to_end(key)
        return kept.entries[key]
    before = kept.token
    value = await compute()
    if kept.token == before and before != token:  # the first result for a newer token: the older ones go
        kept.token, kept.entries = token, OrderedDict()
    if kept.token == token:  # (not when another request moved on to a newer token meanwhile)
        kept.entries[key] = value
        while len(kept.entries) > CACHE_ENTRIES:
            kept.entries.popitem(last=False)
    return value


class _Kept:
    """The results computed for one change token."""

    def __init__(self):
        self.token: Optional[tuple] = None
        self.entries: OrderedDict = OrderedDict()


def tally_groups(rows: list[tuple[tuple, Facts, int]], index: Optional[int] = None) -> dict:
    """Stats per value of group column `index` (None: one Stats for all the rows)."""
    if index is None:
        return tally_facts((facts, n) for _, facts, n in rows)
    groups: dict = {}
    for values, facts, n in rows:
        groups.setdefault(values[index], []).append((facts, n))
    return {name: tally_facts(items) for name, items in groups.items()}


def matching_clause(items, rows: list[tuple[tuple, Facts, int]], figure: str):
    """A WHERE clause on `items` selecting exactly the items that count for `figure`."""
    combos = {facts for _, facts, _ in rows if counts_for(figure, facts)}
    if not combos:
        return false()

    def equals(column, value):
        return column.is_(None) if value is None else column == value

    return or_(*[and_(*[equals(items.c[name], getattr(facts, name)) for name in FACT_COLUMNS]) for facts in combos])


async def unit_names(db: Database) -> dict[int, tuple[str, str]]:
    async with db.read() as session:
        return {uid: (code, name) for uid, code, name in (await session.execute(
            select(Unit.id, Unit.code, Unit.name))).all()}


# ------------------------------------------------------------------ GET /api/v1/stats
async def stats_for(db: Database, today: dt.date, year: Optional[int] = None, unit: Optional[str] = None,
                    group_by: Optional[str] = None, session: Optional[int] = None, kind: Optional[str] = None,
                    origin: Optional[str] = None) -> dict:
    """The figures of GET /api/v1/stats: overall, and per group when asked (`by=unit|category|year|key`)."""
    if group_by and group_by not in GROUPS:
        raise InvalidInput(f"by 只能是：{'、'.join(sorted(GROUPS))}。", field="by")
    scope = Scope(year=year, unit=unit, session=session, kind=kind, origin=origin)
    level = "lead" if unit else "proposal"
    body = tally_groups(await grouped_facts(db, today, scope, level)).as_dict()
    body["filters"] = {"year": year, "unit": unit, "session": session, "kind": kind, "origin": origin}
    if group_by:
        body["groups"] = {name: s.as_dict() for name, s in sorted((await _groups(db, today, scope, group_by)).items())}
    return body


async def _groups(db: Database, today: dt.date, scope: Scope, group_by: str) -> dict[str, Stats]:
    if group_by == "unit":
        names = await unit_names(db)
        groups = tally_groups(await grouped_facts(db, today, scope, "lead", ["unit_id"]), 0)
        return {names[uid][0]: stats for uid, stats in groups.items()}
    level = "lead" if scope.unit else "proposal"
    groups = tally_groups(await grouped_facts(db, today, scope, level, [group_by]), 0)
    return {str(bool(value)) if group_by == "key" else str(value): stats for value, stats in groups.items()}


# ------------------------------------------------------------------ the same facts, in Python
async def lead_records(db: Database, year: Optional[int] = None, unit: Optional[str] = None) -> list[LeadRecord]:
    async with db.read() as session:
        assignments, replies, evaluations = await repo.lead_rows(session, year=year, unit=unit)
        contacts = (await session.execute(
            select(ContactLog.assignment_id, ContactLog.method).order_by(ContactLog.id))).all()
    records: dict[int, LeadRecord] = {}
    for (aid, pid, number, p_year, category, key, code, p_state, a_state, due, _) in assignments:
        records[aid] = LeadRecord(pid, number or "", p_year, category, bool(key), code, p_state, a_state, due)
    for aid, method in contacts:
        if aid in records:
            records[aid].contact_methods.append(method)
    for order, (aid, at, category, on_time) in enumerate(replies):  # in id order: ties of time fall to the id
        records[aid].replies.append(((at, order), category, bool(on_time)))
    for aid, at, kind, rating, eid in evaluations:
        target = records[aid].reply_ratings if kind == "reply" else records[aid].implementation_ratings
        target.append(((at, eid), rating))
    return list(records.values())
