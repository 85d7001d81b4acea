"""The year's ledger (台账): one row per proposal and one per assignment, read in keyset chunks so
that an export of any size holds one chunk in memory at a time.

Rows are plain tuples in the order of the column lists below; times are Beijing time.
"""
from __future__ import annotations

import datetime as dt
from typing import AsyncIterator, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Assignment, CongressSession, CoSigner, Deputy, Evaluation, Proposal, Reply, Unit
from workflow.domain import clock as beijing
from workflow.domain.definition import (
    ASSIGNMENT_STATES,
    HANDLING_ROLES,
    RATING_LABELS,
    REPLY_CATEGORIES,
    ROLES,
    STATES,
    SUPERSEDED_ASSIGNMENT_STATES,
)
from workflow.domain.sessions import KINDS, ORIGINS

PROPOSAL_COLUMNS = [
    ("编号", 11), ("标题", 40), ("届次会议", 30), ("正式编号", 12), ("建议类型", 12), ("来源", 10), ("领衔代表", 10), ("代表团", 12), ("联名代表", 20), ("类别", 8), ("状态", 10),
    ("重点督办", 8), ("领办领导", 10), ("保密", 6), ("提交时间", 18), ("交办时间", 18), ("主办单位", 24),
    ("协办单位", 24), ("最新答复类别", 10), ("答复评价", 10), ("落实评价", 10), ("办结时间", 18), ("说明", 24),
]
ASSIGNMENT_COLUMNS = [
    ("编号", 11), ("标题", 40), ("单位代码", 10), ("承办单位", 24), ("承办方式", 8), ("交办状态", 10),
    ("交办日期", 12), ("签收期限", 12), ("签收时间", 18), ("答复期限", 12), ("首次答复时间", 18), ("按期答复", 8),
    ("已沟通", 8), ("答复次数", 8), ("最新答复类别", 10), ("签发人", 10), ("答复评价", 10), ("落实评价", 10),
    ("正式编号", 12),
]
ROLE_ORDER = HANDLING_ROLES
PROPOSAL_FIELDS = (Proposal.id, Proposal.number, Proposal.title, Proposal.category, Proposal.state,
                   Proposal.key_supervision, Proposal.key_leader, Proposal.confidential, Proposal.submitted_at,
                   Proposal.assigned_at, Proposal.closed_at, Proposal.state_reason, Proposal.official_number,
                   Proposal.kind, Proposal.origin)


def local(moment: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """A stored UTC time as Beijing wall-clock time (what the committee reads)."""
    return beijing.local(moment)


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


async def ledger_chunks(db: Database, year: Optional[int] = None, chunk: int = 1000,
                        clauses: Sequence = ()) -> AsyncIterator[tuple[list[tuple], list[tuple]]]:
    """(proposal rows, assignment rows) for the submitted proposals of `year` (or those `clauses` choose,
    e.g. a session's: workflow.readmodels.stats.Scope.proposal_clauses), `chunk` proposals at a time."""
    last = 0
    where = list(clauses) or [Proposal.year == year]
    while True:
        async with db.read() as session:
            proposals = (await session.execute(
                select(*PROPOSAL_FIELDS, Deputy.name.label("deputy"), Deputy.delegation,
                       CongressSession.name.label("session_name"))
                .join(Deputy, Deputy.id == Proposal.lead_deputy_id)
                .outerjoin(CongressSession, CongressSession.id == Proposal.session_id)
                .where(*where, Proposal.number.is_not(None), Proposal.id > last)
                .order_by(Proposal.id).limit(chunk))).all()
            if not proposals:
                return
            ids = [row.id for row in proposals]
            last = ids[-1]
            details = await _details(session, ids)
        yield _rows(proposals, *details)


async def _details(session: AsyncSession, ids: list[int]):
    co_signers = (await session.execute(
        select(CoSigner.proposal_id, Deputy.name).join(Deputy, Deputy.id == CoSigner.deputy_id)
        .where(CoSigner.proposal_id.in_(ids), CoSigner.confirmed_at.is_not(None))  # only confirmed: 联名代表
        .order_by(CoSigner.id))).all()
    assignments = (await session.execute(
        select(Assignment.id, Assignment.proposal_id, Unit.code, Unit.name, Assignment.role, Assignment.state,
               Assignment.assigned_on, Assignment.sign_due, Assignment.signed_at, Assignment.reply_due,
               Assignment.first_replied_at, Assignment.contact_logged)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(Assignment.proposal_id.in_(ids), Assignment.role.in_(ROLE_ORDER)).order_by(Assignment.id))).all()
    replies = (await session.execute(
        select(Reply.assignment_id, Reply.category, Reply.signer, Reply.on_time, Reply.created_at, Reply.id)
        .where(Reply.proposal_id.in_(ids)).order_by(Reply.id))).all()
    evaluations = (await session.execute(
        select(Evaluation.assignment_id, Evaluation.kind, Evaluation.rating, Evaluation.created_at, Evaluation.id)
        .where(Evaluation.proposal_id.in_(ids)).order_by(Evaluation.id))).all()
    return co_signers, assignments, replies, evaluations


def _newest(rows: list, at: int, id_: int):
    return max(rows, key=lambda r: (r[at], r[id_])) if rows else None


def _rows(proposals, co_signers, assignments, replies, evaluations) -> tuple[list[tuple], list[tuple]]:
    names: dict[int, list[str]] = {}
    for pid, name in co_signers:
        names.setdefault(pid, []).append(name)
    replies_of: dict[int, list] = {}
    for row in replies:
        replies_of.setdefault(row[0], []).append(row)
    ratings_of: dict[tuple[int, str], list] = {}
    for row in evaluations:
        ratings_of.setdefault((row[0], row[1]), []).append(row)
    shares: dict[int, list] = {}
    for row in assignments:
        shares.setdefault(row[1], []).append(row)
    proposal_rows, assignment_rows = [], []
    for p in proposals:
        mine = shares.get(p.id, [])
        live_leads = [a for a in mine if a[4] == "lead" and a[5] not in SUPERSEDED_ASSIGNMENT_STATES]
        reply = _newest([r for a in live_leads for r in replies_of.get(a[0], [])], 4, 5)
        rated = _newest([e for a in live_leads for e in ratings_of.get((a[0], "reply"), [])], 3, 4)
        done = _newest([e for a in live_leads for e in ratings_of.get((a[0], "implementation"), [])], 3, 4)
        proposal_rows.append((
            p.number, p.title, p.session_name or "", p.official_number, KINDS.get(p.kind, ""),
            ORIGINS.get(p.origin, ""), p.deputy, p.delegation, "、".join(names.get(p.id, [])), p.category, STATES[p.state],
            _yes(p.key_supervision), p.key_leader, _yes(p.confidential), local(p.submitted_at), local(p.assigned_at),
            "、".join(a[3] for a in live_leads),
            "、".join(a[3] for a in mine if a[4] == "co" and a[5] not in SUPERSEDED_ASSIGNMENT_STATES),
            reply[1] if reply else "", RATING_LABELS[rated[2]] if rated else "", RATING_LABELS[done[2]] if done else "",
            local(p.closed_at), p.state_reason))
        for a in mine:
            assignment_rows.append(_assignment_row(p, a, replies_of.get(a[0], []), ratings_of))
    return proposal_rows, assignment_rows


def _assignment_row(p, a, replies: list, ratings_of: dict) -> tuple:
    newest = _newest(replies, 4, 5)
    rated = _newest(ratings_of.get((a[0], "reply"), []), 3, 4)
    done = _newest(ratings_of.get((a[0], "implementation"), []), 3, 4)
    return (p.number, p.title, a[2], a[3], ROLES[a[4]], ASSIGNMENT_STATES[a[5]], a[6], a[7], local(a[8]), a[9],
            local(a[10]), (_yes(replies[0][3]) if replies else ""), _yes(a[11]) if a[4] == "lead" else "",
            len(replies), newest[1] if newest else "", newest[2] if newest else "",
            RATING_LABELS[rated[2]] if rated else "", RATING_LABELS[done[2]] if done else "", p.official_number)


def reply_category_label(category: str) -> str:
    return f"{category} 类（{REPLY_CATEGORIES[category]}）" if category in REPLY_CATEGORIES else ""
