"""What a 测评 round's pages show of its livelihood projects: each item's choices per voter kind, the
projects that may go on its agenda, whether a closed item's counts are kept on its project. Read only;
the round's actions are workflow/usecases/meetings.py and workflow/usecases/meeting_rounds.py."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import MeetingItem, MeetingVote, Project
from workflow.domain import evaluation_rounds as rules


@dataclass(frozen=True)
class ProjectOnAgenda:
    """The project an item of a round is about, as the pages show it."""

    number: str
    title: str
    units: str
    leader: str
    recorded: bool  # its counts of this round are kept on the project


async def tallies_of_items(session: AsyncSession, item_ids: list[int]) -> dict[int, dict[str, rules.Tally]]:
    """Each item's choices: {deputy, member, public: Tally} (弃权 counted too)."""
    rows: dict[int, list] = {i: [] for i in item_ids}
    if item_ids:
        query = (select(MeetingVote.item_id, MeetingVote.kind, MeetingVote.rating, func.count())
                 .where(MeetingVote.item_id.in_(item_ids))
                 .group_by(MeetingVote.item_id, MeetingVote.kind, MeetingVote.rating))
        for item_id, kind, rating, n in (await session.execute(query)).all():
            rows[item_id].append((kind, rating, n))
    return {i: rules.tallies_by_kind(found) for i, found in rows.items()}


async def openid_voted(session: AsyncSession, item_id: int, openid_key: Optional[str]) -> bool:
    """Whether this WeChat user (its openid's hash) already scored the item, in any capacity."""
    if not openid_key:
        return False
    found = await session.execute(select(MeetingVote.id).where(
        MeetingVote.item_id == item_id, MeetingVote.openid_hash == openid_key).limit(1))
    return found.first() is not None


async def project_on_agenda(session: AsyncSession, item: MeetingItem,
                            tallies: Optional[dict[str, rules.Tally]] = None) -> ProjectOnAgenda:
    project = await session.get(Project, item.project_id)
    recorded = item.state == "closed" and tallies is not None and rules.already_recorded(
        project.evaluations, item.meeting_id, rules.record_counts(tallies))
    return ProjectOnAgenda(project.number, project.title, project.unit.name if project.unit else "",
                           project.leader, recorded)


async def project_candidates(db: Database, meeting_id: int) -> list[Project]:
    """The voted projects being carried out or done, not yet on this round's agenda, newest year first."""
    taken = select(MeetingItem.project_id).where(MeetingItem.meeting_id == meeting_id,
                                                 MeetingItem.project_id.is_not(None))
    query = (select(Project).where(Project.state.in_(rules.AGENDA_STATES), Project.id.not_in(taken))
             .order_by(Project.year.desc(), Project.seq))
    async with db.read() as session:
        return list((await session.execute(query)).unique().scalars())
