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
from typing import Awaitable, Callable, Optional, Sequence

from sqlalchemy import BigInteger, Boolean, Integer, String, cast, false, func, literal, null, select, text, union_all
from sqlalchemy.sql import Select

from storage import repositories as repo
from storage.db import Database
from storage.models import ContactLog, Meta, Proposal, Unit
from workflow.domain import clock as beijing
from workflow.domain.errors import InvalidInput
from workflow.domain.tallies import FACT_FIELDS, Facts, LeadRecord, Stats, counts_for, tally_facts
from workflow.readmodels.deadlines import CALENDAR_KEY
from workflow.readmodels.lead_facts import lead_facts, stale_lead_facts, stored_proposals

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


def items_query(scope: Scope, today: dt.date, level: str, stored: bool = True):
    """The counted items in scope with their facts, as a subquery: per `proposal` or per `lead` assignment
    (`stored=False`: every share's facts derived afresh, see workflow/readmodels/lead_facts.py)."""
    if level not in ("proposal", "lead"):
        raise ValueError(level)
    if level == "lead":
        return _lead_items(lead_facts(scope, today, stored)).subquery("items")
    return _proposal_level(scope, today, stored).subquery("items")


def _proposal_level(scope: Scope, today: dt.date, stored: bool = True, stale=None, facts=None):
    """One item per proposal: its proposal row where current, else its derived shares grouped (`stale`,
    `facts`: the CTEs of workflow/readmodels/lead_facts.py when the statement has them already)."""
    if not stored or scope.unit is not None:  # a unit's share of a proposal: from its share rows
        return _proposal_items(facts if facts is not None else lead_facts(scope, today, stored))
    stale = stale if stale is not None else stale_lead_facts(scope, today)
    return union_all(stored_proposals(scope, today), _proposal_items(stale))


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
    stale = stale_lead_facts(scope, today)
    facts = lead_facts(scope, today, stale=stale)
    p = _proposal_level(scope, today, stale=stale, facts=facts).subquery("proposal_items").c
    lead = _lead_items(facts).subquery("lead_items").c
    p_facts, share_facts = [p[name] for name in FACT_COLUMNS], [lead[name] for name in FACT_COLUMNS]
    per_proposal = (select(literal("proposal").label("level"), p.category, p.key,
                           cast(null(), Integer).label("unit_id"), *p_facts, func.count())
                    .group_by(p.category, p.key, *p_facts))
    per_unit = (select(literal("lead").label("level"), cast(null(), String).label("category"),
                       cast(null(), Boolean).label("key"), lead.unit_id, *share_facts, func.count())
                .group_by(lead.unit_id, *share_facts))
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
    """A WHERE clause on `items` selecting exactly the items that count for `figure`: their facts, written
    as one number (see `facts_signature`), among those of the combinations that count (one IN, not an OR
    of a few hundred ANDs of eighteen columns, which SQLite tries one by one for every item)."""
    radix = max((facts.leads for _, facts, _ in rows), default=0) + 1  # every fact counts at most `leads` shares
    wanted = sorted({signature_of(facts, radix) for _, facts, _ in rows if counts_for(figure, facts)})
    if not wanted:
        return false()
    return facts_signature(items, radix).in_(wanted)


MAX_RADIX = 11  # 11 ** 18 facts still fits a signed 64-bit integer


def facts_signature(items, radix: int):
    """The item's facts as one value: its FACT_COLUMNS' counts as the digits of a number in base `radix`
    (more than MAX_RADIX - 1 lead units on one proposal: as a text of the counts joined by commas)."""
    parts = [func.coalesce(items.c[name], 0) for name in FACT_COLUMNS]
    if radix > MAX_RADIX:
        signature = cast(parts[0], String)
        for part in parts[1:]:
            signature = signature.concat(",").concat(cast(part, String))
        return signature
    number = cast(parts[0], BigInteger)
    for part in parts[1:]:
        number = number * radix + part
    return number


def signature_of(facts: Facts, radix: int):
    """`facts_signature` of an item with these facts."""
    values = [int(getattr(facts, name)) for name in FACT_COLUMNS]
    if radix > MAX_RADIX:
        return ",".join(str(v) for v in values)
    number = 0
    for value in values:
        number = number * radix + value
    return number


def counted(rows: list[tuple[tuple, Facts, int]], figure: str) -> int:
    """How many items of `rows` (grouped facts) count for `figure`: the length of its list."""
    return sum(n for _, facts, n in rows if counts_for(figure, facts))


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
