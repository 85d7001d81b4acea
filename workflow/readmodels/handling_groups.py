"""并案办理 as the pages show it: the other proposals handled with one, each with this unit's share of it.

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


async def others_in_group(session: AsyncSession, proposal: Proposal, unit_id: int) -> list[Member]:
    """The other proposals of `proposal`'s group (lead first, then by number), each with `unit_id`'s share."""
    if proposal.group_id is None:
        return []
    group = await session.get(HandlingGroup, proposal.group_id)
    ids = (await session.execute(select(Proposal.id).where(Proposal.group_id == proposal.group_id,
                                                           Proposal.id != proposal.id))).scalars().all()
    members = []
    for member_id in ids:
        member = await repo.proposal_by_id(session, member_id)
        share = next((a for a in member.assignments if a.unit_id == unit_id and a.state in LIVE_ASSIGNMENT_STATES
                      and a.role in ("lead", "co")), None)
        members.append(Member(member, share, group is not None and group.lead_proposal_id == member.id))
    members.sort(key=lambda m: (not m.is_lead, m.number))
    return members


async def group_of(session: AsyncSession, proposal: Proposal) -> Optional[dict]:
    """The group `proposal` is handled in (并案), as staff see it: its lead and every member's number."""
    if proposal.group_id is None:
        return None
    group = await session.get(HandlingGroup, proposal.group_id)
    rows = (await session.execute(select(Proposal.id, Proposal.number).where(Proposal.group_id == proposal.group_id)
                                  .order_by(Proposal.number))).all()
    lead = next((n for i, n in rows if group is not None and i == group.lead_proposal_id), None)
    return {"id": proposal.group_id, "lead": lead, "members": [n for _i, n in rows]}
