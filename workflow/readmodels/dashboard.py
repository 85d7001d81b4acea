"""The supervisors' dashboard: the year's tallies overall, per unit (ranked), per category, key
supervision against the rest, proposals by state, the monthly trend and the yellow/red cards, and
the proposals behind each figure.

Every tally comes from workflow/readmodels/stats.py (SQL facts, counted by workflow/domain/tallies.py),
the same path as GET /api/v1/stats; the cards are counted by workflow/readmodels/card_counts.py from
the deadlines the reminders send (workflow/readmodels/deadlines.py).
"""
from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, literal_column, select

from storage.db import Database
from storage.models import Assignment, Proposal, Unit
from workflow.domain.definition import STATES, SUPERSEDED_ASSIGNMENT_STATES
from workflow.domain.tallies import RATE_LABELS, Stats
from workflow.readmodels import meeting_results
from workflow.readmodels.card_counts import Cards, cards
from workflow.readmodels.stats import (
    Scope,
    cached,
    change_token,
    dashboard_facts,
    grouped_facts,
    tally_groups,
    unit_names,
)
from workflow.settings import Settings

# The rates a unit may be ranked by, best first; ties fall to the next one.
RANKINGS = {name: RATE_LABELS[name] for name in (
    "dual_satisfaction_rate", "reply_satisfaction_rate", "satisfied_only_rate", "first_reply_satisfaction_rate",
    "implementation_satisfaction_rate", "reply_rate", "on_time_reply_rate", "solved_rate", "contact_rate",
    "face_to_face_rate")}
CARDS_SHOWN = 20  # the most urgent of each card listed on the dashboard; the rest are one click away
SHOWN_STATES = [s for s in STATES if s != "draft"]  # a draft is the deputy's own until submitted


@dataclass
class UnitLine:
    code: str
    name: str
    stats: Stats
    rank: Optional[int] = None  # None: too few proposals to be ranked


@dataclass
class Dashboard:
    scope: Scope
    today: dt.date
    overall: Stats
    states: list[tuple[str, str, int]]
    units: list[UnitLine]  # ranked first, in rank order; then the units with too few proposals
    min_proposals: int
    ranking: str
    categories: list[tuple[str, Stats]]
    key: Stats
    other: Stats
    months: list[tuple[str, int, int]]  # (YYYY-MM, submitted, first replies of lead units)
    cards: Cards
    meetings: dict  # 集中评议: {"deputy": Counts, "public": Counts} of the year's closed items
    years: list[int]  # the years that have proposals


async def build(db: Database, settings: Settings, today: dt.date, scope: Scope,
                ranking: str = "dual_satisfaction_rate") -> Dashboard:
    """Every figure of the dashboard for `scope`. Each part is kept until a proposal changes; parts to be
    computed run side by side on connections of their own."""
    token = await change_token(db)
    (by_proposal, by_unit), states, months, found, names, meetings, years = await asyncio.gather(
        dashboard_facts(db, today, scope, token),
        cached(db, ("states", scope), lambda: state_totals(db, scope), token),
        cached(db, ("months", scope), lambda: monthly_trend(db, scope), token),
        cached(db, ("cards", today, settings.deadlines), lambda: cards(db, settings, today, CARDS_SHOWN), token),
        unit_names(db), meeting_results.satisfaction(db, year=scope.year),
        cached(db, ("years",), lambda: proposal_years(db), token))
    by_category, by_key = tally_groups(by_proposal, 0), tally_groups(by_proposal, 1)
    return Dashboard(
        scope=scope, today=today, overall=tally_groups(by_proposal), states=states,
        units=rank_units(settings, by_unit, names, ranking), min_proposals=settings.dashboard.min_proposals,
        ranking=ranking,
        categories=sorted(((name or "未分类", s) for name, s in by_category.items()), key=_category_order(settings)),
        key=_stats_for_flag(by_key, True), other=_stats_for_flag(by_key, False), months=months, cards=found,
        meetings=meetings, years=years)


def _stats_for_flag(groups: dict, flag: bool) -> Stats:
    return next((s for value, s in groups.items() if bool(value) is flag), None) or Stats()


def _category_order(settings: Settings):
    known = list(settings.workflow.categories)
    return lambda pair: (known.index(pair[0]) if pair[0] in known else len(known), pair[0])


# ------------------------------------------------------------------ per unit
async def unit_tallies(db: Database, settings: Settings, today: dt.date, scope: Scope,
                       ranking: str = "dual_satisfaction_rate") -> list[UnitLine]:
    """Each unit's tally (a proposal counts for each unit that led it, by that unit's share)."""
    rows = await grouped_facts(db, today, scope, "lead", ["unit_id"])
    return rank_units(settings, rows, await unit_names(db), ranking)


def rank_units(settings: Settings, rows: list, names: dict[int, tuple[str, str]],
               ranking: str = "dual_satisfaction_rate") -> list[UnitLine]:
    """Units with at least `dashboard.min_proposals` ranked by `ranking`, then the others unranked."""
    groups = tally_groups(rows, 0)
    lines = [UnitLine(names[uid][0], names[uid][1], stats) for uid, stats in groups.items()]
    minimum = settings.dashboard.min_proposals
    ranked = sorted((line for line in lines if line.stats.assigned >= minimum), key=_rank_key(ranking))
    for place, line in enumerate(ranked, 1):
        line.rank = place
    rest = sorted((line for line in lines if line.stats.assigned < minimum), key=lambda line: line.code)
    return ranked + rest


def _rank_key(ranking: str):
    order = [ranking] + [name for name in RANKINGS if name != ranking]

    def key(line: UnitLine):
        rates = [getattr(line.stats, name) for name in order]
        return tuple((rate is None, -(rate or 0.0)) for rate in rates) + (-line.stats.assigned, line.code)

    return key


# ------------------------------------------------------------------ states and months
def in_scope(query, scope: Scope):
    query = query.where(*scope.proposal_clauses())
    if scope.unit is not None:
        query = query.where(Proposal.id.in_(select(Assignment.proposal_id).join(Unit, Unit.id == Assignment.unit_id)
                                            .where(Unit.code == scope.unit, Assignment.role == "lead",
                                                   Assignment.state.not_in(sorted(SUPERSEDED_ASSIGNMENT_STATES)))))
    return query


async def proposal_years(db: Database) -> list[int]:
    async with db.read() as session:
        return sorted((await session.execute(select(Proposal.year).distinct())).scalars())


async def state_totals(db: Database, scope: Scope) -> list[tuple[str, str, int]]:
    """(state, label, proposals) for every state but draft, in the workflow's order."""
    query = in_scope(select(Proposal.state, func.count()).group_by(Proposal.state), scope)
    async with db.read() as session:
        found = dict((await session.execute(query)).all())
    return [(state, STATES[state], int(found.get(state, 0))) for state in SHOWN_STATES]


def month_of(db: Database, column):
    """YYYY-MM of a stored UTC time, in Beijing time."""
    if db.is_sqlite:
        return func.strftime("%Y-%m", column, "+8 hours")
    return func.to_char(column + literal_column("interval '8 hours'"), "YYYY-MM")


async def monthly_trend(db: Database, scope: Scope) -> list[tuple[str, int, int]]:
    """(month, proposals submitted, lead units' first replies) for each month from the first to the last."""
    submitted_month = month_of(db, Proposal.submitted_at)
    submitted = in_scope(select(submitted_month, func.count()).where(Proposal.submitted_at.is_not(None))
                          .group_by(submitted_month), scope)
    replied_month = month_of(db, Assignment.first_replied_at)
    replied = (select(replied_month, func.count()).join(Proposal, Proposal.id == Assignment.proposal_id)
               .where(*lead_share_clauses(scope), Assignment.first_replied_at.is_not(None))
               .group_by(replied_month))
    async with db.read() as session:
        sent = dict((await session.execute(submitted)).all())
        answered = dict((await session.execute(replied)).all())
    months = sorted(set(sent) | set(answered))
    if not months:
        return []
    return [(m, int(sent.get(m, 0)), int(answered.get(m, 0))) for m in _month_range(months[0], months[-1])]


def lead_share_clauses(scope: Scope) -> list:
    """Live lead assignments of the proposals in scope (joined to Proposal), of `scope.unit` if given."""
    clauses = [Assignment.role == "lead", Assignment.state.not_in(sorted(SUPERSEDED_ASSIGNMENT_STATES)), *scope.proposal_clauses()]
    if scope.unit is not None:
        clauses.append(Assignment.unit_id == select(Unit.id).where(Unit.code == scope.unit).scalar_subquery())
    return clauses


def _month_range(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    found = []
    while f"{year:04d}-{month:02d}" <= last:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found
