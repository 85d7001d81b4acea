"""集中评议 results: what the room said, kept with each proposal and counted in the tallies.

The one place the meeting satisfaction figures are computed: GET /api/v1/stats and the dashboard
both call `satisfaction`; a proposal's page and its API detail call `proposal_scores`.
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Assignment, Meeting, MeetingItem, MeetingVote, Proposal, Unit
from workflow.domain import meetings as rules
from workflow.domain.ballots import VOTE_MODES
from workflow.domain.definition import SUPERSEDED_ASSIGNMENT_STATES
from workflow.readmodels.meetings import counts_of_items


async def proposal_scores(session: AsyncSession, proposal_id: int) -> list[dict]:
    """The meetings that scored this proposal, each with the deputies' and the public's scores."""
    rows = (await session.execute(
        select(MeetingItem, Meeting).join(Meeting, Meeting.id == MeetingItem.meeting_id)
        .where(MeetingItem.proposal_id == proposal_id).order_by(Meeting.held_on, Meeting.id))).all()
    counts = await counts_of_items(session, [item.id for item, _ in rows])
    modes = await counts_of_items(session, [item.id for item, _ in rows], by_mode=True)
    return [{"meeting_id": meeting.id, "meeting": meeting.title, "held_on": meeting.held_on.isoformat(),
             "state": item.state, "state_label": rules.ITEM_STATES[item.state], "leader": item.leader,
             "deputies": counts[item.id]["deputy"].as_dict(), "public": counts[item.id]["public"].as_dict(),
             "by_mode": {mode: c.as_dict() for mode, c in modes[item.id].items()}}
            for item, meeting in rows]


async def satisfaction(db: Database, year: Optional[int] = None, unit: Optional[str] = None,
                       by_mode: bool = False) -> dict[str, rules.Counts]:
    """The scores of every closed item, deputies and public apart (with `by_mode`: by the way they came,
    a deputy's WeChat, a ballot code, the open mode), for proposals of `year` (led by `unit`).

    The one place the meeting satisfaction figures are computed (GET /api/v1/stats, the dashboard)."""
    group = MeetingVote.mode if by_mode else MeetingVote.kind
    query = (select(group, MeetingVote.rating, func.count())
             .join(MeetingItem, MeetingItem.id == MeetingVote.item_id)
             .join(Proposal, Proposal.id == MeetingItem.proposal_id)
             .where(MeetingItem.state == "closed").group_by(group, MeetingVote.rating))
    if year is not None:
        query = query.where(Proposal.year == year)
    if unit is not None:
        query = query.where(Proposal.id.in_(
            select(Assignment.proposal_id).join(Unit, Unit.id == Assignment.unit_id)
            .where(Unit.code == unit, Assignment.role == "lead", Assignment.state.not_in(sorted(SUPERSEDED_ASSIGNMENT_STATES)))))
    async with db.read() as session:
        return rules.counts_by_kind((await session.execute(query)).all(), VOTE_MODES if by_mode else rules.VOTER_KINDS)


def satisfaction_dict(counts: dict[str, rules.Counts], modes: Optional[dict[str, rules.Counts]] = None) -> dict:
    """The JSON shape of the meeting figures: {"deputies": {...}, "public": {...}}, and with `modes`
    "by_mode": {"openid": {...}, "code": {...}, "open": {...}}."""
    shape = {"deputies": counts["deputy"].as_dict(), "public": counts["public"].as_dict()}
    if modes is not None:
        shape["by_mode"] = {mode: c.as_dict() for mode, c in modes.items()}
    return shape
