"""The facts of one session's 办理情况报告 (the annual report on its proposals), for staff to edit and publish.

Read only, and no figure of its own: every tally comes from workflow/readmodels/stats.py (the facts that
GET /api/v1/stats counts, `grouped_facts` + `tally_groups`) and workflow/readmodels/dashboard.py (`build`:
categories, units ranked and those below `dashboard.min_proposals`); names and definitions of the rates are
workflow/domain/tallies.py's RATE_LABELS and DEFINITIONS. What it adds are plain counts of the session's
proposals by kind and state (received, referred, withdrawn) and the list of key proposals.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import case, func, select

from storage.db import Database
from storage.models import Assignment, Proposal, Reply
from workflow.domain.definition import PRE_SUBMISSION_STATES, REPLY_CATEGORIES, STATES, SUPERSEDED_ASSIGNMENT_STATES
from workflow.domain.errors import NotFound
from workflow.domain.sessions import KINDS, ORIGINS, short_name
from workflow.domain.tallies import DEFINITIONS, NO_FEEDBACK_LABELS, RATE_LABELS, RATES, Stats
from workflow.readmodels import dashboard
from workflow.readmodels.sessions import reference_of, session_by_id
from workflow.readmodels.stats import Scope, change_token, grouped_facts, tally_groups
from workflow.settings import Settings

# The parts the report counts apart: every proposal of the session, each kind, and the 议案转建议 among them.
PARTS = (("all", "全部建议"), ("session", KINDS["session"]), ("interim", KINDS["interim"]),
         ("motion", ORIGINS["motion"]))
OVERDUE_LABEL = "逾期未答复"


@dataclass(frozen=True)
class Part:
    """One part of the session's proposals: how many were received and what became of them, and its tallies."""

    key: str  # all | session | interim | motion
    label: str
    received: int  # submitted (not drafts): every state from 已提交 on
    referred: int  # 不作为代表建议
    withdrawn: int  # 已撤回
    waiting: int  # 已提交 or 已立案, not yet assigned
    stats: Stats  # the tallies of GET /api/v1/stats?session=<id>[&kind=...|&origin=motion]


@dataclass(frozen=True)
class Rate:
    name: str  # a key of RATES
    label: str  # RATE_LABELS[name]
    value: Optional[float]  # a fraction 0..1, None when nothing is counted
    part: int
    whole: int


@dataclass(frozen=True)
class KeyProposal:
    reference: str  # 县十八届人大五次会议第24号建议
    official_number: str
    title: str
    leader: str  # 领办领导
    committee: str  # 督办的专门委员会 / 工委
    units: str  # lead units (主办), joined by 、
    state: str  # the state's Chinese label


@dataclass(frozen=True)
class SessionReport:
    session_id: int
    name: str  # 衡阳县第十八届人民代表大会第五次会议
    short_name: str  # 县十八届人大五次会议
    opens_on: dt.date
    closes_on: dt.date
    today: dt.date  # the figures are as of this Beijing date
    place: str
    committee: str
    staff_body: str
    parts: dict[str, Part]  # PARTS' keys
    rates: list[Rate]  # of every proposal of the session, in RATES' order
    categories: list[tuple[str, Stats]]  # per category, in the settings' order
    key_proposals: list[KeyProposal]
    ranked: list[dashboard.UnitLine]  # units with at least `min_proposals`, in rank order
    below_minimum: list[dashboard.UnitLine]  # the others, listed but not ranked
    min_proposals: int
    ranking: str  # the rate units are ranked by (a key of RATES)
    definitions: list[tuple[str, str]]  # (figure, its 口径 definition)
    # 答复类别: each live lead unit's newest reply (a second answer included), by category A-D.
    reply_categories: dict[str, int] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """关于县十八届人大五次会议代表建议办理情况的报告 (the brackets 《》 are the reader's, not the title's)."""
        return f"关于{self.short_name}代表建议办理情况的报告"

    @property
    def ranking_label(self) -> str:
        return RATE_LABELS[self.ranking]

    @property
    def overall(self) -> Stats:
        return self.parts["all"].stats

    @property
    def overdue_units(self) -> list[dashboard.UnitLine]:
        """Units with lead assignments open past their reply due date, the most first."""
        lines = [line for line in self.ranked + self.below_minimum if line.stats.overdue]
        return sorted(lines, key=lambda line: (-line.stats.overdue, line.code))


def scope_of(session_id: int, part: str) -> Scope:
    """The Scope of one part: the session, with its kind or origin."""
    if part in KINDS:
        return Scope(session=session_id, kind=part)
    if part in ORIGINS:
        return Scope(session=session_id, origin=part)
    return Scope(session=session_id)


async def build(db: Database, settings: Settings, today: dt.date, session_id: int,
                ranking: str = "dual_satisfaction_rate") -> SessionReport:
    """The report's facts for session `session_id` as of `today` (NotFound, in Chinese, for an unknown id)."""
    row = await session_by_id(db, session_id)
    if row is None:
        raise NotFound(f"找不到编号为 {session_id} 的届次会议。", field="session")
    token = await change_token(db)
    counts = await _state_counts(db, session_id)
    parts = {}
    for key, label in PARTS:
        stats = tally_groups(await grouped_facts(db, today, scope_of(session_id, key), "proposal", token=token))
        parts[key] = _part(key, label, counts, stats)
    board = await dashboard.build(db, settings, today, Scope(session=session_id), ranking)
    names = settings.names
    return SessionReport(
        session_id=row.id, name=row.name, short_name=short_name(names.place, row.term, row.number),
        opens_on=row.opens_on, closes_on=row.closes_on, today=today, place=names.place,
        committee=names.committee, staff_body=names.staff_body, parts=parts, rates=rates_of(parts["all"].stats),
        categories=[(name, stats) for name, stats in board.categories if stats.assigned],
        key_proposals=await key_proposals(db, names.place, session_id),
        ranked=[line for line in board.units if line.rank is not None],
        below_minimum=[line for line in board.units if line.rank is None],
        min_proposals=board.min_proposals, ranking=ranking, definitions=definitions(),
        reply_categories=await newest_reply_categories(db, session_id))


def rates_of(stats: Stats) -> list[Rate]:
    """Each rate of `stats` with its one Chinese name and the counts it divides."""
    return [Rate(name, RATE_LABELS[name], getattr(stats, name), getattr(stats, part), getattr(stats, whole))
            for name, (part, whole) in RATES.items()]


def definitions() -> list[tuple[str, str]]:
    """(figure, definition) of every rate, then 未反馈 and 逾期: what the report's figures mean."""
    found = [(RATE_LABELS[name], DEFINITIONS[name]) for name in RATES]
    found += [(label, DEFINITIONS[name]) for name, label in NO_FEEDBACK_LABELS.items()]
    return found + [(OVERDUE_LABEL, DEFINITIONS["overdue"])]


async def _state_counts(db: Database, session_id: int) -> list[tuple[str, str, str, int]]:
    """(kind, origin, state, proposals) of the session's submitted proposals."""
    p = Proposal
    query = (select(p.kind, p.origin, p.state, func.count())
             .where(p.session_id == session_id, p.state.not_in(PRE_SUBMISSION_STATES))
             .group_by(p.kind, p.origin, p.state))
    async with db.read() as session:
        return [(kind, origin, state, int(n)) for kind, origin, state, n in (await session.execute(query)).all()]


def _part(key: str, label: str, counts: list[tuple[str, str, str, int]], stats: Stats) -> Part:
    mine = [(state, n) for kind, origin, state, n in counts if key == "all" or key in (kind, origin)]

    def count(*states: str) -> int:
        return sum(n for state, n in mine if state in states)

    return Part(key=key, label=label, received=sum(n for _, n in mine), referred=count("referred"),
                withdrawn=count("withdrawn"), waiting=count("submitted", "accepted"), stats=stats)


async def key_proposals(db: Database, place: str, session_id: int) -> list[KeyProposal]:
    """The session's proposals under key supervision (重点督办), 大会建议 first, in official-number order."""
    query = (select(Proposal).where(Proposal.session_id == session_id, Proposal.key_supervision.is_(True))
             .order_by(case((Proposal.kind == "session", 0), else_=1), Proposal.official_seq, Proposal.id))
    async with db.read() as session:
        rows = (await session.execute(query)).scalars().all()
        return [KeyProposal(reference=reference_of(place, p), official_number=p.official_number, title=p.title,
                            leader=p.key_leader, committee=p.key_committee, units=_lead_units(p),
                            state=STATES.get(p.state, p.state)) for p in rows]


async def newest_reply_categories(db: Database, session_id: int) -> dict[str, int]:
    """A-D: how many live lead shares of the session's proposals last answered in each category."""
    query = (select(Reply.assignment_id, Reply.category)
             .join(Assignment, Assignment.id == Reply.assignment_id)
             .join(Proposal, Proposal.id == Reply.proposal_id)
             .where(Proposal.session_id == session_id, Assignment.role == "lead",
                    Assignment.state.not_in(SUPERSEDED_ASSIGNMENT_STATES))
             .order_by(Reply.id))
    async with db.read() as session:
        newest = {aid: category for aid, category in (await session.execute(query)).all()}
    return {c: sum(1 for v in newest.values() if v == c) for c in REPLY_CATEGORIES}


def _lead_units(p: Proposal) -> str:
    return "、".join(a.unit.name for a in p.assignments if a.role == "lead" and a.state not in SUPERSEDED_ASSIGNMENT_STATES)

