"""并案办理 as the pages show it: the other proposals handled with one, each with this unit's share of it
(a unit's page), or with every member's deputy (the console, `group_for_staff`).

A unit sees a member's deputy only where it leads that member, and never a confidential member's
deputy otherwise (the same rule as the proposal's own page). Reads only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.models import Assignment, HandlingGroup, Proposal
from workflow.domain.definition import LIVE_ASSIGNMENT_STATES, STATES

HIDDEN = "（保密）"


@dataclass
class Member:
    """One other proposal of the group, as a unit's page shows it."""

    proposal: Proposal  # loaded as pages load it (the engine's allowed actions run on it)
    share: Optional[Assignment]  # this unit's live share of it (None: the unit does not handle it)
    is_lead: bool  # the group's lead (牵头建议)

    @property
    def number(self) -> str:
        return self.proposal.number or self.proposal.ref

    def deputy_name(self) -> str:
        if self.proposal.confidential and (self.share is None or self.share.role != "lead"):
            return HIDDEN
        return self.proposal.lead_deputy.name

    def as_dict(self) -> dict:
        return {"number": self.number, "title": self.proposal.title, "deputy": self.deputy_name(),
                "state": self.proposal.state, "state_label": STATES.get(self.proposal.state, self.proposal.state),
                "lead": self.is_lead, "role": self.share.role if self.share is not None else None,
                "confidential": self.proposal.confidential}


async def _others(session: AsyncSession, proposal: Proposal) -> tuple[Optional[HandlingGroup], list[Proposal]]:
    """`proposal`'s group and its other members, each loaded as pages load a proposal."""
    group = await session.get(HandlingGroup, proposal.group_id)
    ids = (await session.execute(select(Proposal.id).where(Proposal.group_id == proposal.group_id,
                                                           Proposal.id != proposal.id))).scalars().all()
    return group, [await repo.proposal_by_id(session, member_id) for member_id in ids]


async def others_in_group(session: AsyncSession, proposal: Proposal, unit_id: int) -> list[Member]:
    """The other proposals of `proposal`'s group (lead first, then by number), each with `unit_id`'s share."""
    if proposal.group_id is None:
        return []
    group, others = await _others(session, proposal)
    members = []
    for member in others:
        share = next((a for a in member.assignments if a.unit_id == unit_id and a.state in LIVE_ASSIGNMENT_STATES
                      and a.role in ("lead", "co")), None)
        members.append(Member(member, share, group is not None and group.lead_proposal_id == member.id))
    members.sort(key=lambda m: (not m.is_lead, m.number))
    return members


async def group_for_staff(session: AsyncSession, proposal: Proposal) -> Optional[dict]:
    """The group `proposal` is handled in, as the console shows it: whether `proposal` is its lead (牵头建议),
    and every other member (lead first) with its lead deputy's name (staff see confidential members' deputies)."""
    if proposal.group_id is None:
        return None
    group, others = await _others(session, proposal)
    lead_id = group.lead_proposal_id if group is not None else None
    members = [{"number": m.number or m.ref, "title": m.title, "deputy": m.lead_deputy.name,
                "deputy_number": m.lead_deputy.number, "state": m.state, "state_label": STATES.get(m.state, m.state),
                "lead": m.id == lead_id, "confidential": m.confidential} for m in others]
    members.sort(key=lambda m: (not m["lead"], m["number"]))
    return {"is_lead": proposal.id == lead_id, "members": members}


async def group_of(session: AsyncSession, proposal: Proposal) -> Optional[dict]:
    """The group `proposal` is handled in (并案), as staff see it: its lead and every member's number."""
    if proposal.group_id is None:
        return None
    group = await session.get(HandlingGroup, proposal.group_id)
    rows = (await session.execute(select(Proposal.id, Proposal.number).where(Proposal.group_id == proposal.group_id)
                                  .order_by(Proposal.number))).all()
    lead = next((n for i, n in rows if group is not None and i == group.lead_proposal_id), None)
    return {"id": proposal.group_id, "lead": lead, "members": [n for _i, n in rows]}
