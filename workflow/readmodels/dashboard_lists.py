"""The proposals behind a figure of the dashboard: exactly those counted, a page at a time.

A tally figure selects the items whose facts count for it (the same `counts_for` that counted them),
so a list and its figure cannot disagree. Other figures: proposals in a state, submitted or first
replied in a month, carrying a yellow or red card.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Assignment, Deputy, Evaluation, Proposal, Reply, Unit
from workflow.domain.cards import DEADLINE_LABELS
from workflow.domain.definition import RATING_LABELS, STATES, SUPERSEDED_ASSIGNMENT_STATES
from workflow.domain.errors import InvalidInput
from workflow.domain.tallies import COUNTS, Facts
from workflow.readmodels.card_counts import card_page
from workflow.readmodels.dashboard import in_scope, lead_share_clauses, month_of
from workflow.readmodels.stats import FACT_COLUMNS, Scope, cached, counted, grouped_facts, items_query, matching_clause
from workflow.settings import Settings

FIGURE_LABELS = {
    "assigned": "交办件数", "replied": "已答复（含逾期答复）", "replied_on_time": "按期答复",
    "solved": "已解决或正在解决（各主办单位最新答复均为 A、B 类）",
    "reply_evaluated": "已评价答复", "reply_satisfied": "答复满意（含基本满意）", "satisfied_only": "答复满意（仅满意）",
    "reply_no_feedback": "答复未反馈", "first_reply_evaluated": "首次答复已评价",
    "first_reply_satisfied": "首次答复满意（含基本满意）",
    "implementation_evaluated": "已评价落实", "implementation_satisfied": "落实满意（含基本满意）",
    "implementation_no_feedback": "落实未反馈",
    "dual_evaluated": "答复和落实都已评价", "dual_satisfied": "双满意",
    "lead_assignments": "主办交办", "contacted": "已与代表沟通（任何方式）",
    "face_to_face": "已与代表见面（面谈、座谈会、实地调研）", "overdue": "逾期未答复",
    "state": "状态", "submitted_month": "当月提交", "replied_month": "当月首次答复",
    "card_red": "红牌（已逾期）", "card_yellow": "黄牌（临近期限）",
}
assert set(COUNTS) <= set(FIGURE_LABELS), "every tally figure has a list"
PAGE_SIZE = 100


@dataclass
class Line:
    pid: int
    number: str
    title: str
    category: str
    state: str
    state_label: str
    key: bool
    deputy: str
    units: str = ""
    facts: Optional[Facts] = None
    shares: list["Share"] = field(default_factory=list)  # the lead units' answers (tally lists only)
    note: str = ""  # e.g. the deadline of a card
    official: str = ""  # the session's official number (第24号), if it has one


@dataclass
class Share:
    """One lead unit's answer and its current ratings, as a list of a figure shows them."""

    unit: str
    reply_category: Optional[str] = None  # of its newest reply (a second answer included)
    replies: int = 0
    reply_rating: Optional[str] = None  # its newest rating of each kind (may be no_feedback)
    implementation_rating: Optional[str] = None


@dataclass
class Behind:
    figure: str
    label: str
    total: int
    lines: list[Line] = field(default_factory=list)


async def proposals_behind(db: Database, settings: Settings, today: dt.date, scope: Scope, figure: str,
                           state: str = "", month: str = "", deadline: str = "", page: int = 1,
                           page_size: int = PAGE_SIZE) -> Behind:
    """The proposals counted in `figure` for `scope`, page `page` (1-based)."""
    offset = (max(page, 1) - 1) * page_size
    if figure in COUNTS:
        return await _tally_figure(db, today, scope, figure, offset, page_size)
    if figure == "state":
        if state not in STATES:
            raise InvalidInput("请指定一个有效的状态。", field="state")
        query = in_scope(select(Proposal.id).where(Proposal.state == state), scope)
        return await _listed(db, figure, f"状态：{STATES[state]}", query, offset, page_size)
    if figure in ("submitted_month", "replied_month"):
        if len(month) != 7 or not month[:4].isdigit() or month[4] != "-" or not month[5:].isdigit():
            raise InvalidInput("月份应写成 2025-03 的形式。", field="month")
        return await _listed(db, figure, f"{FIGURE_LABELS[figure]}（{month}）", _month_query(db, scope, figure, month),
                             offset, page_size)
    if figure in ("card_red", "card_yellow"):
        return await _card_figure(db, settings, today, figure, deadline, offset, page_size)
    raise InvalidInput("没有这项统计数字。", field="figure")


async def _tally_figure(db: Database, today: dt.date, scope: Scope, figure: str, offset: int, limit: int) -> Behind:
    level = "lead" if scope.unit else "proposal"
    combos = await grouped_facts(db, today, scope, level)
    items = items_query(scope, today, level)
    where = matching_clause(items, combos, figure)
    facts_columns = [items.c[name] for name in FACT_COLUMNS]
    total = counted(combos, figure)  # the figure itself: from the grouped facts it was counted from
    async with db.read() as session:
        rows = (await session.execute(select(items.c.pid, *facts_columns).where(where)
                                      .order_by(items.c.pid).offset(offset).limit(limit))).all()
        lines = await _lines(session, [row[0] for row in rows])
        shares = await _shares(session, [line.pid for line in lines], scope.unit)
    facts = {row[0]: Facts(*[int(v or 0) for v in row[1:]]) for row in rows}
    for line in lines:
        line.facts, line.shares = facts[line.pid], shares.get(line.pid, [])
    return Behind(figure, FIGURE_LABELS[figure], total, lines)


def _month_query(db: Database, scope: Scope, figure: str, month: str):
    if figure == "submitted_month":
        return in_scope(select(Proposal.id).where(month_of(db, Proposal.submitted_at) == month), scope)
    return (select(Proposal.id).where(Proposal.id.in_(
        select(Assignment.proposal_id).join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(*lead_share_clauses(scope), month_of(db, Assignment.first_replied_at) == month))))


async def _listed(db: Database, figure: str, label: str, ids_query, offset: int, limit: int) -> Behind:
    async with db.read() as session:
        total = (await session.execute(select(func.count()).select_from(ids_query.subquery()))).scalar_one()
        pids = list((await session.execute(ids_query.order_by(Proposal.id).offset(offset).limit(limit))).scalars())
        lines = await _lines(session, pids)
    return Behind(figure, label, total, lines)


async def _card_figure(db: Database, settings: Settings, today: dt.date, figure: str, deadline: str,
                       offset: int, limit: int) -> Behind:
    if deadline and deadline not in DEADLINE_LABELS:
        raise InvalidInput("没有这种期限。", field="deadline")
    card = "red" if figure == "card_red" else "yellow"
    total, window = await cached(db, ("card_page", today, settings.deadlines, card, deadline, offset, limit),
                                 lambda: card_page(db, settings, today, card, deadline, offset, limit))
    label = FIGURE_LABELS[figure] + (f"：{DEADLINE_LABELS[deadline]}" if deadline else "")
    async with db.read() as session:
        lines = {line.pid: line for line in await _lines(session, sorted({due.proposal_id for due, _ in window}))}
    shown = []
    for due, days in window:
        base = lines[due.proposal_id]
        when = f"逾期 {days} 天" if figure == "card_red" else f"还有 {days} 天"
        shown.append(Line(**{**base.__dict__, "note": f"{DEADLINE_LABELS[due.deadline]} {due.due:%Y-%m-%d}（{when}）"
                                                      + (f" · {due.unit_name}" if due.unit_name else "")}))
    return Behind(figure, label, total, shown)


async def _lines(session: AsyncSession, pids: list[int]) -> list[Line]:
    """The proposals `pids` in that order, with their live lead units."""
    if not pids:
        return []
    rows = (await session.execute(
        select(Proposal.id, Proposal.number, Proposal.title, Proposal.category, Proposal.state,
               Proposal.key_supervision, Deputy.name, Proposal.official_number)
        .join(Deputy, Deputy.id == Proposal.lead_deputy_id).where(Proposal.id.in_(pids)))).all()
    units: dict[int, list[str]] = {}
    for pid, name in (await session.execute(
            select(Assignment.proposal_id, Unit.name).join(Unit, Unit.id == Assignment.unit_id)
            .where(Assignment.proposal_id.in_(pids), Assignment.role == "lead", Assignment.state.not_in(sorted(SUPERSEDED_ASSIGNMENT_STATES)))
            .order_by(Assignment.id))).all():
        units.setdefault(pid, []).append(name)
    found = {row[0]: Line(row[0], row[1] or "", row[2], row[3], row[4], STATES[row[4]], bool(row[5]), row[6],
                          "、".join(units.get(row[0], [])), official=row[7] or "") for row in rows}
    return [found[pid] for pid in pids if pid in found]


async def _shares(session: AsyncSession, pids: list[int], unit: Optional[str]) -> dict[int, list[Share]]:
    """The live lead shares of `pids` (of `unit` only, if given): newest reply and current ratings."""
    if not pids:
        return {}
    query = (select(Assignment.id, Assignment.proposal_id, Unit.name).join(Unit, Unit.id == Assignment.unit_id)
             .where(Assignment.proposal_id.in_(pids), Assignment.role == "lead",
                    Assignment.state.not_in(sorted(SUPERSEDED_ASSIGNMENT_STATES))).order_by(Assignment.id))
    if unit is not None:
        query = query.where(Unit.code == unit)
    found: dict[int, Share] = {}
    by_proposal: dict[int, list[Share]] = {}
    for aid, pid, name in (await session.execute(query)).all():
        found[aid] = Share(name)
        by_proposal.setdefault(pid, []).append(found[aid])
    ids = sorted(found)
    for aid, category in (await session.execute(
            select(Reply.assignment_id, Reply.category).where(Reply.assignment_id.in_(ids)).order_by(Reply.id))).all():
        found[aid].reply_category, found[aid].replies = category, found[aid].replies + 1
    for aid, kind, rating in (await session.execute(
            select(Evaluation.assignment_id, Evaluation.kind, Evaluation.rating)
            .where(Evaluation.assignment_id.in_(ids)).order_by(Evaluation.id))).all():
        setattr(found[aid], "reply_rating" if kind == "reply" else "implementation_rating", rating)
    return by_proposal


def rating_label(rating: Optional[str]) -> str:
    return RATING_LABELS.get(rating or "", "—")
