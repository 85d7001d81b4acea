"""What the meeting pages show: the list of meetings, one meeting with its agenda and counts, the item
open for voting, the proposals that may be put on the agenda, a phone's own scores. Read only; the
meeting's actions are workflow/usecases/meetings.py."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Deputy, Meeting, MeetingItem, MeetingLog, MeetingVote, Proposal
from workflow.domain import meetings as rules
from workflow.domain.definition import SUPERSEDED_ASSIGNMENT_STATES
from workflow.domain.errors import NotFound
from workflow.domain.meetings import Voter

LOG_LABELS = {"create": "创建会议", "add_item": "列入议程", "remove_item": "移出议程", "move_item": "调整顺序",
              "report": "录入领办领导汇报", "open": "开始评议", "close": "结束评议"}


@dataclass
class ItemView:
    id: int
    position: int
    state: str
    ref: str
    number: Optional[str]
    title: str
    leader: str
    report: str
    units: str
    counts: dict[str, rules.Counts]
    opened_at: Optional[dt.datetime] = None
    closed_at: Optional[dt.datetime] = None

    @property
    def state_label(self) -> str:
        return rules.ITEM_STATES[self.state]

    def as_dict(self) -> dict:
        return {"id": self.id, "position": self.position, "state": self.state, "state_label": self.state_label,
                "number": self.number, "title": self.title, "leader": self.leader, "units": self.units,
                "deputies": self.counts["deputy"].as_dict(), "public": self.counts["public"].as_dict()}


@dataclass
class MeetingView:
    id: int
    title: str
    held_on: dt.date
    vote_token: str
    created_by_name: str
    items: list[ItemView]
    log: list[tuple[dt.datetime, str, str, str]] = field(default_factory=list)  # (at, who, what, detail)

    @property
    def open_item(self) -> Optional[ItemView]:
        return next((i for i in self.items if i.state == "open"), None)


async def list_meetings(db: Database) -> list[tuple[Meeting, int]]:
    """Every meeting, newest first, with the number of items on its agenda."""
    items = select(MeetingItem.meeting_id, func.count().label("n")).group_by(MeetingItem.meeting_id).subquery()
    query = (select(Meeting, func.coalesce(items.c.n, 0)).outerjoin(items, items.c.meeting_id == Meeting.id)
             .order_by(Meeting.held_on.desc(), Meeting.id.desc()))
    async with db.read() as session:
        return [(m, int(n)) for m, n in (await session.execute(query)).all()]


async def meeting_view(db: Database, meeting_id: Optional[int] = None, token: Optional[str] = None,
                       with_log: bool = False) -> MeetingView:
    """A meeting (by id, or by the token of its public page) with its agenda and every item's scores."""
    async with db.read() as session:
        clause = Meeting.id == meeting_id if token is None else Meeting.vote_token == token
        meeting = (await session.execute(select(Meeting).where(clause))).scalars().first()
        if meeting is None:
            raise NotFound("找不到这次评议会议。" if token is None else "评议链接无效，请重新扫描会场的二维码。")
        items = list((await session.execute(select(MeetingItem).where(MeetingItem.meeting_id == meeting.id)
                                            .order_by(MeetingItem.position, MeetingItem.id))).scalars())
        counts = await counts_of_items(session, [i.id for i in items])
        views = [await _item_view(session, item, counts[item.id]) for item in items]
        log = await _log_lines(session, meeting.id, {i.id: i.title for i in views}) if with_log else []
    return MeetingView(meeting.id, meeting.title, meeting.held_on, meeting.vote_token, meeting.created_by_name,
                       views, log)


async def _item_view(session: AsyncSession, item: MeetingItem, counts: dict[str, rules.Counts]) -> ItemView:
    proposal = await session.get(Proposal, item.proposal_id)
    units = "、".join(a.unit.name for a in proposal.assignments if a.role == "lead" and a.state not in SUPERSEDED_ASSIGNMENT_STATES)
    return ItemView(item.id, item.position, item.state, proposal.ref, proposal.number, proposal.title,
                    item.leader, item.report, units, counts, item.opened_at, item.closed_at)


async def counts_of_items(session: AsyncSession, item_ids: list[int]) -> dict[int, dict[str, rules.Counts]]:
    rows: dict[int, list] = {i: [] for i in item_ids}
    if item_ids:
        query = (select(MeetingVote.item_id, MeetingVote.kind, MeetingVote.rating, func.count())
                 .where(MeetingVote.item_id.in_(item_ids))
                 .group_by(MeetingVote.item_id, MeetingVote.kind, MeetingVote.rating))
        for item_id, kind, rating, n in (await session.execute(query)).all():
            rows[item_id].append((kind, rating, n))
    return {i: rules.counts_by_kind(found) for i, found in rows.items()}


async def _log_lines(session: AsyncSession, meeting_id: int, titles: dict[int, str]) -> list[tuple[dt.datetime, str, str, str]]:
    rows = (await session.execute(select(MeetingLog).where(MeetingLog.meeting_id == meeting_id)
                                  .order_by(MeetingLog.id))).scalars()
    return [(r.created_at, r.actor_name or r.actor_id, LOG_LABELS.get(r.action, r.action),
             titles.get(r.item_id, (r.detail or {}).get("title", "")) if r.item_id else (r.detail or {}).get("title", ""))
            for r in rows]


async def open_item_id(db: Database, token: str) -> Optional[int]:
    """The item open for scoring at the meeting of this public token (one small query: phones poll it)."""
    async with db.read() as session:
        meeting_id = (await session.execute(select(Meeting.id).where(Meeting.vote_token == token))).scalar()
        if meeting_id is None:
            raise NotFound("评议链接无效，请重新扫描会场的二维码。")
        return (await session.execute(select(MeetingItem.id).where(
            MeetingItem.meeting_id == meeting_id, MeetingItem.state == "open").limit(1))).scalar()


async def candidates(db: Database, meeting_id: int) -> list[Proposal]:
    """Key-supervision proposals not yet on this meeting's agenda (never a confidential one), newest year first."""
    taken = select(MeetingItem.proposal_id).where(MeetingItem.meeting_id == meeting_id)
    query = (select(Proposal).where(Proposal.key_supervision.is_(True), Proposal.confidential.is_(False),
                                    Proposal.id.not_in(taken))
             .order_by(Proposal.year.desc(), Proposal.number))
    async with db.read() as session:
        return list((await session.execute(query)).scalars())


async def votes_of(db: Database, token: str, voter: Voter) -> dict[int, str]:
    """{item id: rating} of the scores this phone (or WeChat user) gave at the meeting."""
    clause = MeetingVote.voter == voter.key
    if voter.openid_key:
        clause = clause | (MeetingVote.openid_hash == voter.openid_key)
    query = (select(MeetingVote.item_id, MeetingVote.rating).join(MeetingItem, MeetingItem.id == MeetingVote.item_id)
             .join(Meeting, Meeting.id == MeetingItem.meeting_id).where(Meeting.vote_token == token, clause))
    async with db.read() as session:
        return dict((await session.execute(query)).all())


async def has_voted(session: AsyncSession, item_id: int, voter: Voter) -> bool:
    clause = MeetingVote.voter == voter.key
    if voter.openid_key:
        clause = clause | (MeetingVote.openid_hash == voter.openid_key)
    found = await session.execute(select(MeetingVote.id).where(MeetingVote.item_id == item_id, clause).limit(1))
    return found.first() is not None


async def deputy_name(db: Database, openid: str) -> str:
    """The name of the deputy bound to this WeChat user ("" when none): the page greets them."""
    if not openid:
        return ""
    async with db.read() as session:
        deputy = await bound_deputy(session, openid)
    return deputy.name if deputy else ""


async def bound_deputy(session: AsyncSession, openid: str) -> Optional[Deputy]:
    if not openid:
        return None
    return (await session.execute(select(Deputy).where(Deputy.openid == openid, Deputy.active.is_(True)))).scalars().first()
