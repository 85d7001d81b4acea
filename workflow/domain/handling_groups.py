"""并案办理: the rules of handling groups (proposals with the same content handled together, answered apart).

Staff combine accepted proposals under a lead (牵头建议) before 交办; assigning the lead assigns every
member to the same units and due date; each member keeps its own reply, rating and tallies. The engine
looks up what these guards read (`GroupFacts`, workflow/engine/grouping.py) for combine, uncombine and
assign only; where it has not (`allowed_actions` before the input), the guards let the action show.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from workflow.domain.definition import FINAL_STATES, STATES
from workflow.domain.errors import Refusal
from workflow.domain.records import ProposalRecord

GROUP_ACTIONS = ("combine", "uncombine", "assign")  # the actions whose guards read GroupFacts
JOINABLE_STATE = "accepted"  # 已立案, not yet 交办: the only state a proposal joins or leaves a group in


@dataclass
class GroupFacts:
    """What the group guards read, looked up by the engine for one action."""

    lead: Optional[ProposalRecord] = None  # the lead of the acting proposal's group (maybe itself); None: alone
    group_id: Optional[int] = None  # the group the acting proposal leads (an emptied one is reused)
    named: dict[str, Optional[ProposalRecord]] = field(default_factory=dict)  # combine/uncombine: by number
    followers: list[ProposalRecord] = field(default_factory=list)  # the other members, when it leads


def _facts(ctx: Any) -> Optional[GroupFacts]:
    return getattr(ctx, "group", None)


def leads_its_group(ctx: Any) -> Optional[str]:
    """Combining and taking out are done on the lead proposal, never on a member."""
    facts = _facts(ctx)
    if facts is None or facts.lead is None or facts.lead.id == ctx.proposal.id:
        return None
    return f"本建议已并入建议 {facts.lead.number} 并案办理，请在牵头建议 {facts.lead.number} 上办理。"


def members_found(ctx: Any) -> Optional[str]:
    """Every number named is a proposal, and not the lead itself (bad input: 400)."""
    facts = _facts(ctx)
    if facts is None:
        return None
    if ctx.proposal.number in facts.named:
        return Refusal("牵头建议本身不用列入并入的建议。", "members")
    missing = [n for n, p in facts.named.items() if p is None]
    if missing:
        return Refusal(f"找不到建议：{'、'.join(missing)}。", "members")
    return None


def members_can_join(ctx: Any) -> Optional[str]:
    """Each member is accepted (立案, not yet 交办) and in no group yet (409 with the first reason)."""
    facts = _facts(ctx)
    if facts is None:
        return None
    for number, member in facts.named.items():
        if member.state != JOINABLE_STATE:
            return f"建议 {number} 不是“已立案”状态（现为“{_state_label(member.state)}”），只有立案后、交办前的建议才能并案。"
        if member.group_id is not None:
            if facts.group_id is not None and member.group_id == facts.group_id:
                return f"建议 {number} 已在本并案中。"
            return f"建议 {number} 已在另一个并案中，须先从那里移出。"
    return None


def member_found(ctx: Any) -> Optional[str]:
    """The proposal to take out exists and is not the lead itself (bad input: 400)."""
    facts = _facts(ctx)
    if facts is None:
        return None
    number = ctx.params.get("member", "")
    if number == ctx.proposal.number:
        return Refusal("牵头建议不能移出自己的并案；请移出其他建议。", "member")
    if facts.named.get(number) is None:
        return Refusal(f"找不到建议 {number}。", "member")
    return None


def member_in_group(ctx: Any) -> Optional[str]:
    """The proposal to take out is a member of this group and not assigned yet (409)."""
    facts = _facts(ctx)
    number = ctx.params.get("member", "")
    member = facts.named.get(number) if facts is not None else None
    if member is None:
        return None
    if facts.group_id is None or member.group_id != facts.group_id:
        return f"建议 {number} 不在本并案中。"
    if member.state != JOINABLE_STATE and member.state not in FINAL_STATES:  # a withdrawn one may leave
        return f"建议 {number} 已“{_state_label(member.state)}”，交办后不能再移出并案。"
    return None


def assigned_with_group_lead(ctx: Any) -> Optional[str]:
    """A member is assigned with its lead (at once, to the same units), never alone before it."""
    facts = _facts(ctx)
    if facts is None or facts.lead is None or facts.lead.id == ctx.proposal.id:
        return None
    if facts.lead.state == JOINABLE_STATE:
        return (f"本建议与建议 {facts.lead.number} 并案办理：请交办牵头建议 {facts.lead.number}，"
                "并案的建议随之一并交办给相同的单位。")
    return None


def _state_label(state: str) -> str:
    return STATES.get(state, state)


GROUP_GUARDS = [leads_its_group, members_found, members_can_join, member_found, member_in_group,
                assigned_with_group_lead]
GROUP_INPUT_GUARDS = frozenset({"members_found", "member_found"})
