"""Tallies read from the database, for any number of proposals.

SQL derives the `Facts` of every counted item (a proposal, or one unit's share of it) and groups
the items that have the same facts; the pure `tally_facts` then counts them. The SQL computes facts
only (which lead replied, the newest rating...), never whether something counts: that is decided
in workflow/tallies.py, once. `lead_records` (the same rows as LeadRecords) is the slow,
plain-Python way to the same facts, kept to check the SQL against.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional, Sequence

from sqlalchemy import and_, case, false, func, literal, or_, select
from sqlalchemy.sql import Select

from storage import repositories as repo
from storage.db import Database
from storage.models import Assignment, Evaluation, Proposal, Reply, Unit

from .errors import InvalidInput
from .tallies import FINAL, OPEN_ASSIGNMENT, Facts, LeadRecord, Stats, counts_for, tally_facts

GROUPS = {"unit", "category", "year", "key"}
PUBLIC_FIELDS = ("assigned", "replied", "reply_rate", "reply_satisfaction_rate", "implementation_satisfaction_rate",
                 "dual_satisfaction_rate", "solved_rate", "overdue")
FACT_COLUMNS = ("leads", "replied_leads", "on_time_leads", "contacted", "overdue", "latest_reply_category",
                "reply_rating", "implementation_rating")
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

    def proposal_clauses(self) -> list:
        p, clauses = Proposal, []
        if self.year is not None:
            clauses.append(p.year == self.year)
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
    return dt.datetime.combine(day, dt.time()) - BEIJING


# ------------------------------------------------------------------ the facts, in SQL
def _leads(scope: Scope, today: dt.date):
    """The live lead assignments in scope, with what is known of each without its replies."""
    a, p = Assignment, Proposal
    overdue = and_(a.state.in_(sorted(OPEN_ASSIGNMENT)), p.state.not_in(sorted(FINAL)), a.reply_due < today)
    query = (select(a.id.label("aid"), a.proposal_id.label("pid"), a.unit_id.label("unit_id"), p.year.label("year"),
                    p.category.label("category"), p.key_supervision.label("key"),
                    case((a.contact_logged, 1), else_=0).label("contacted"), case((overdue, 1), else_=0).label("overdue"))
             .join(p, p.id == a.proposal_id)
             .where(a.role == "lead", a.state != "reassigned", *scope.proposal_clauses()))
    if scope.unit is not None:
        query = query.where(a.unit_id == select(Unit.id).where(Unit.code == scope.unit).scalar_subquery())
    return query.cte("leads")


def _ranked_replies(leads):
    r = Reply
    newest = (r.created_at.desc(), r.id.desc())
    return select(
        r.assignment_id.label("aid"), r.proposal_id.label("pid"), r.category.label("category"),
        case((r.on_time, 1), else_=0).label("on_time"),
        func.row_number().over(partition_by=r.assignment_id, order_by=r.id).label("first_in_lead"),
        func.row_number().over(partition_by=r.assignment_id, order_by=newest).label("last_in_lead"),
        func.row_number().over(partition_by=r.proposal_id, order_by=newest).label("last_in_proposal"),
    ).where(r.assignment_id.in_(select(leads.c.aid))).cte("ranked_replies")


def _ranked_evaluations(leads):
    e = Evaluation
    newest = (e.created_at.desc(), e.id.desc())
    return select(
        e.assignment_id.label("aid"), e.proposal_id.label("pid"), e.kind.label("kind"), e.rating.label("rating"),
        func.row_number().over(partition_by=(e.assignment_id, e.kind), order_by=newest).label("last_in_lead"),
        func.row_number().over(partition_by=(e.proposal_id, e.kind), order_by=newest).label("last_in_proposal"),
    ).where(e.assignment_id.in_(select(leads.c.aid))).cte("ranked_evaluations")


def _lead_items(leads, replies, evaluations) -> Select:
    """One item per lead assignment (a unit's share of a proposal)."""
    first, last = replies.alias("first_reply"), replies.alias("last_reply")
    rated, done = evaluations.alias("reply_rating"), evaluations.alias("implementation_rating")
    joined = (leads
              .outerjoin(first, and_(first.c.aid == leads.c.aid, first.c.first_in_lead == 1))
              .outerjoin(last, and_(last.c.aid == leads.c.aid, last.c.last_in_lead == 1))
              .outerjoin(rated, and_(rated.c.aid == leads.c.aid, rated.c.kind == "reply", rated.c.last_in_lead == 1))
              .outerjoin(done, and_(done.c.aid == leads.c.aid, done.c.kind == "implementation",
                                    done.c.last_in_lead == 1)))
    return select(
        leads.c.pid, leads.c.unit_id, leads.c.year, leads.c.category, leads.c.key, literal(1).label("leads"),
        case((first.c.aid.is_not(None), 1), else_=0).label("replied_leads"),
        func.coalesce(first.c.on_time, 0).label("on_time_leads"), leads.c.contacted, leads.c.overdue,
        last.c.category.label("latest_reply_category"), rated.c.rating.label("reply_rating"),
        done.c.rating.label("implementation_rating"),
    ).select_from(joined)


def _proposal_items(leads, replies, evaluations) -> Select:
    """One item per proposal, with all its lead units."""
    first = replies.alias("first_reply")
    per_proposal = (select(
        leads.c.pid, leads.c.year, leads.c.category, leads.c.key, func.count().label("leads"),
        func.sum(case((first.c.aid.is_not(None), 1), else_=0)).label("replied_leads"),
        func.sum(func.coalesce(first.c.on_time, 0)).label("on_time_leads"),
        func.sum(leads.c.contacted).label("contacted"), func.sum(leads.c.overdue).label("overdue"))
        .select_from(leads.outerjoin(first, and_(first.c.aid == leads.c.aid, first.c.first_in_lead == 1)))
        .group_by(leads.c.pid, leads.c.year, leads.c.category, leads.c.key)).subquery("per_proposal")
    last = replies.alias("last_reply")
    rated, done = evaluations.alias("reply_rating"), evaluations.alias("implementation_rating")
    pid = per_proposal.c.pid
    joined = (per_proposal
              .outerjoin(last, and_(last.c.pid == pid, last.c.last_in_proposal == 1))
              .outerjoin(rated, and_(rated.c.pid == pid, rated.c.kind == "reply", rated.c.last_in_proposal == 1))
              .outerjoin(done, and_(done.c.pid == pid, done.c.kind == "implementation",
                                    done.c.last_in_proposal == 1)))
    return select(
        pid, per_proposal.c.year, per_proposal.c.category, per_proposal.c.key, per_proposal.c.leads,
        per_proposal.c.replied_leads, per_proposal.c.on_time_leads, per_proposal.c.contacted, per_proposal.c.overdue,
        last.c.category.label("latest_reply_category"), rated.c.rating.label("reply_rating"),
        done.c.rating.label("implementation_rating"),
    ).select_from(joined)


def items_query(scope: Scope, today: dt.date, level: str):
    """The counted items in scope with their facts, as a subquery: per `proposal` or per `lead` assignment."""
    if level not in ("proposal", "lead"):
        raise ValueError(level)
    leads = _leads(scope, today)
    replies, evaluations = _ranked_replies(leads), _ranked_evaluations(leads)
    build = _lead_items if level == "lead" else _proposal_items
    return build(leads, replies, evaluations).subquery("items")


def _facts(row: Sequence, offset: int) -> Facts:
    values = list(row[offset:offset + len(FACT_COLUMNS)])
    for i in range(5):
        values[i] = int(values[i] or 0)
    return Facts(*values)


async def grouped_facts(db: Database, today: dt.date, scope: Scope, level: str = "proposal",
                        by: Sequence[str] = ()) -> list[tuple[tuple, Facts, int]]:
    """(group values, facts, number of items) for the items in scope, grouped by `by` and by their facts.

    `by` names columns of the items: year, category, key, and unit_id at the lead level."""
    items = items_query(scope, today, level)
    columns = [items.c[name] for name in by] + [items.c[name] for name in FACT_COLUMNS]
    query = select(*columns, func.count()).group_by(*columns)
    async with db.read() as session:
        rows = (await session.execute(query)).all()
    return [(tuple(row[:len(by)]), _facts(row, len(by)), int(row[-1])) for row in rows]


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
                    group_by: Optional[str] = None) -> dict:
    """The figures of GET /api/v1/stats: overall, and per group when asked (`by=unit|category|year|key`)."""
    if group_by and group_by not in GROUPS:
        raise InvalidInput(f"by 只能是：{'、'.join(sorted(GROUPS))}。", field="by")
    scope = Scope(year=year, unit=unit)
    level = "lead" if unit else "proposal"
    body = tally_groups(await grouped_facts(db, today, scope, level)).as_dict()
    body["filters"] = {"year": year, "unit": unit}
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
    records: dict[int, LeadRecord] = {}
    for (aid, pid, number, p_year, category, key, code, p_state, a_state, due, contact) in assignments:
        records[aid] = LeadRecord(pid, number or "", p_year, category, bool(key), code, p_state, a_state, due,
                                  bool(contact))
    for aid, at, category, on_time in replies:
        records[aid].replies.append((at, category, bool(on_time)))
    for aid, at, kind, rating, eid in evaluations:
        target = records[aid].reply_ratings if kind == "reply" else records[aid].implementation_ratings
        target.append(((at, eid), rating))
    return list(records.values())
