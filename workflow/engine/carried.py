"""The opinions a proposal carries (意见转建议): when a lead unit's reply arrives, in the reply's own
transaction, each carried opinion still waiting moves to 已答复 and its citizen is told (what they see
is the proposal's number and the reply's category; nobody's name or phone goes anywhere)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CitizenOpinion, Event, Proposal, ProposalOpinion
from workflow.domain.definition import REPLY_CATEGORIES
from workflow.domain.rules import Actor
from workflow.engine.opinion_steps import Step, record
from workflow.settings import Settings

# Proposal actions after which the citizens are told: the first reply of a lead unit.
TELLING_ACTIONS = frozenset({"reply"})
SYSTEM = Actor("system", "engine", "系统")


async def tell_citizens(session: AsyncSession, settings: Settings, today, proposal: Proposal, event: Event) -> None:
    query = (select(CitizenOpinion).join(ProposalOpinion, ProposalOpinion.opinion_id == CitizenOpinion.id)
             .where(ProposalOpinion.proposal_id == proposal.id, CitizenOpinion.state == "in_proposal")
             .order_by(CitizenOpinion.id).with_for_update(of=CitizenOpinion))
    opinions = (await session.execute(query)).unique().scalars().all()
    category = str((event.payload or {}).get("category") or "")
    for opinion in opinions:
        opinion.answer = (f"您反映的问题已由代表形成建议（编号 {proposal.number}），承办单位已作出答复"
                          f"（{category} 类：{REPLY_CATEGORIES.get(category, '')}）。")
        opinion.answered_by, opinion.answered_on = "承办单位（代表建议答复）", today
        await record(session, Step(settings, today), opinion, "proposal_answered", SYSTEM,
                     {"proposal": proposal.number, "category": category})
