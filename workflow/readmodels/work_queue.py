"""The staff work queue: proposals waiting for the committee, by what they wait for.

Read-only queries; what may be done with each proposal is decided by the engine on its page.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Assignment, Proposal
from workflow.domain.cards import AWAITING_ASSIGNMENT, interim_assign_due
from workflow.domain.definition import AWAITING_REPLY_STATES, FINAL_STATES, HANDLING_ROLES
from workflow.readmodels.lead_facts import reply_late_clause

LIMIT = 200


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    hint: str
    where: Callable[[dt.date], object]


def _has_assignment(*clauses) -> object:
    # IN over one scan of assignments, not a correlated EXISTS per proposal (no index on proposal_id).
    return Proposal.id.in_(select(Assignment.proposal_id).where(*clauses))


def _overdue(today: dt.date) -> object:
    late_reply = and_(Assignment.role == "lead", reply_late_clause(today))
    late_sign = and_(Assignment.state == "pending", Assignment.role.in_(HANDLING_ROLES), Assignment.sign_due < today)
    return and_(Proposal.state.not_in(FINAL_STATES), _has_assignment(or_(late_reply, late_sign)))


BUCKETS = [
    Bucket("submitted", "新提交", "代表已提交，等待审查：立案、退回修改或不作为代表建议处理。",
           lambda today: Proposal.state == "submitted"),
    Bucket("consulting", "待提沟通意见", "代表申请提出前沟通，等待工作人员提出意见。",
           lambda today: Proposal.state == "consulting"),
    Bucket("accepted", "已立案待交办", "已立案，尚未交办给承办单位。",
           lambda today: Proposal.state == "accepted"),
    Bucket("interim", "闭会期间建议待交办", "闭会期间提出的建议，应自提交之日起在规定期限内受理并交办；"
           "到期前黄牌提醒，逾期红牌报督办。按交办期限排列。",
           lambda today: and_(Proposal.kind == "interim", Proposal.state.in_(AWAITING_ASSIGNMENT),
                              Proposal.assign_due.is_not(None))),
    Bucket("adjustment", "申请调整", "承办单位申请调整（改派），等待改派或不同意调整。",
           lambda today: _has_assignment(Assignment.state == "adjustment_requested")),
    Bucket("extension", "延期申请", "主办单位申请延期答复（已向代表说明延期原因），等待同意或不同意延期。",
           lambda today: _has_assignment(Assignment.extension_requested_due.is_not(None),
                                         Assignment.state.in_(sorted(AWAITING_REPLY_STATES)))),
    Bucket("deciding", "待研究处理", "重新办理后代表仍不满意，等待工作人员研究处理：重点督办、当面协商、书面处理意见或说明理由办结。",
           lambda today: Proposal.state == "deciding"),
    Bucket("overdue", "逾期", "承办单位逾期未签收或逾期未答复。", _overdue),
    Bucket("unsatisfied", "不满意 / 建议重点督办", "代表对答复不满意正在重新办理，或两次不满意、建议列为重点督办。",
           lambda today: or_(Proposal.state == "rehandling",
                             and_(Proposal.key_proposed.is_(True), Proposal.key_supervision.is_(False),
                                  Proposal.state.not_in(FINAL_STATES)))),
]
BY_KEY = {b.key: b for b in BUCKETS}


async def counts(session: AsyncSession, today: dt.date) -> dict[str, int]:
    found = {}
    for bucket in BUCKETS:
        query = select(func.count()).select_from(Proposal).where(bucket.where(today))
        found[bucket.key] = (await session.execute(query)).scalar_one()
    return found


async def proposals_in(session: AsyncSession, key: str, today: dt.date) -> list[Proposal]:
    bucket = BY_KEY[key]
    first = (Proposal.assign_due.asc(),) if key == "interim" else ()  # the nearest 交办期限 first
    query = (select(Proposal).where(bucket.where(today))
             .order_by(*first, Proposal.updated_at.asc(), Proposal.id).limit(LIMIT))
    return list((await session.execute(query)).scalars())


def due_of(proposal: Proposal, today: dt.date) -> tuple[str, dt.date | None, bool]:
    """The nearest open due date of a proposal: staff's 交办 of an interim one, its units' 签收 and 答复:
    (what, when, late)."""
    found = []
    assign_due = interim_assign_due(proposal.kind, proposal.state, proposal.assign_due)
    if assign_due is not None:
        found.append(("交办", assign_due))
    for a in proposal.assignments:
        if a.state == "pending" and a.sign_due and a.role in HANDLING_ROLES:
            found.append(("签收", a.sign_due))
        if a.role == "lead" and a.state in AWAITING_REPLY_STATES and a.reply_due:
            found.append(("答复", a.reply_due))
    if not found:
        return "", None, False
    what, when = min(found, key=lambda item: item[1])
    return what, when, when < today
