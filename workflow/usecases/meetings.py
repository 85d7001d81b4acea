"""集中评议 rows: meetings, their agenda, the voting window and the room's scores (results: meeting_results.py).

    meeting_id = await create_meeting(db, actor, "2025 年重点督办建议集中评议会", "2025-11-20")
    item_id = await add_item(db, actor, meeting_id, "2025-012")
    await open_item(db, actor, item_id)
    kind = await cast_vote(db, meeting.vote_token, item_id, Voter(cookie, openid), "satisfied")
    await close_item(db, actor, item_id)       # the result is kept with the proposal, as an event

The rules are workflow/meetings.py; this module reads rows, asks the rules, writes rows. Every staff
change is a MeetingLog row with the staff member's name; closing an item also writes the event
"集中评议结果" on its proposal's hash-chained log (no state changes: it records a fact).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from storage import repositories as repo
from storage.db import Database
from storage.models import (
    Deputy,
    Meeting,
    MeetingItem,
    MeetingLog,
    MeetingVote,
    Proposal,
    utcnow,
)
from workflow.domain import meetings as rules
from workflow.domain.definition import SUPERSEDED_ASSIGNMENT_STATES
from workflow.domain.errors import Conflict, Forbidden, NotAllowed, NotFound
from workflow.domain.rules import Actor
from workflow.engine.chain import append_event

RESULT_ACTION = "meeting_result"
LOG_LABELS = {"create": "创建会议", "add_item": "列入议程", "remove_item": "移出议程", "move_item": "调整顺序",
              "report": "录入领办领导汇报", "open": "开始评议", "close": "结束评议"}


@dataclass(frozen=True)
class Voter:
    """Who scores: the phone's long random cookie, and the WeChat openid when WeChat told us."""

    cookie: str
    openid: str = ""

    @property
    def key(self) -> str:
        return _digest("voter", self.cookie)

    @property
    def openid_key(self) -> Optional[str]:
        return _digest("openid", self.openid) if self.openid else None


def _digest(purpose: str, value: str) -> str:
    return hashlib.sha256(f"{purpose}:{value}".encode()).hexdigest()


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


# ------------------------------------------------------------------ reading
def _acting(actor: Actor) -> None:
    if actor.kind != "staff" or actor.role not in rules.ACTING_ROLES:
        raise Forbidden("您的账号只能查看，不能管理集中评议。")


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


async def _item_view(session, item: MeetingItem, counts: dict[str, rules.Counts]) -> ItemView:
    proposal = await session.get(Proposal, item.proposal_id)
    units = "、".join(a.unit.name for a in proposal.assignments if a.role == "lead" and a.state not in SUPERSEDED_ASSIGNMENT_STATES)
    return ItemView(item.id, item.position, item.state, proposal.ref, proposal.number, proposal.title,
                    item.leader, item.report, units, counts, item.opened_at, item.closed_at)


async def counts_of_items(session, item_ids: list[int]) -> dict[int, dict[str, rules.Counts]]:
    rows: dict[int, list] = {i: [] for i in item_ids}
    if item_ids:
        query = (select(MeetingVote.item_id, MeetingVote.kind, MeetingVote.rating, func.count())
                 .where(MeetingVote.item_id.in_(item_ids))
                 .group_by(MeetingVote.item_id, MeetingVote.kind, MeetingVote.rating))
        for item_id, kind, rating, n in (await session.execute(query)).all():
            rows[item_id].append((kind, rating, n))
    return {i: rules.counts_by_kind(found) for i, found in rows.items()}


async def _log_lines(session, meeting_id: int, titles: dict[int, str]) -> list[tuple[dt.datetime, str, str, str]]:
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
    """Key-supervision proposals not yet on this meeting's agenda, newest year first."""
    taken = select(MeetingItem.proposal_id).where(MeetingItem.meeting_id == meeting_id)
    query = (select(Proposal).where(Proposal.key_supervision.is_(True), Proposal.id.not_in(taken))
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


# ------------------------------------------------------------------ the agenda
def _log(session, actor: Actor, meeting_id: int, action: str, item_id: Optional[int] = None, **detail) -> None:
    session.add(MeetingLog(meeting_id=meeting_id, item_id=item_id, action=action, actor_id=actor.id,
                           actor_name=actor.name or actor.id, detail=detail, created_at=utcnow()))


async def create_meeting(db: Database, actor: Actor, title: str, held_on: str) -> int:
    _acting(actor)
    title, day = rules.clean_meeting(title, held_on)
    async with db.write() as session:
        async with session.begin():
            meeting = Meeting(title=title, held_on=day, vote_token=secrets.token_urlsafe(24), created_by=actor.id,
                              created_by_name=actor.name or actor.id, created_at=utcnow())
            session.add(meeting)
            await session.flush()
            _log(session, actor, meeting.id, "create", title=title, held_on=day.isoformat())
            return meeting.id


async def add_item(db: Database, actor: Actor, meeting_id: int, ref: str) -> int:
    """Put a key-supervision proposal at the end of the agenda, its leading official taken from the proposal."""
    _acting(actor)
    async with db.write() as session:
        async with session.begin():
            if await session.get(Meeting, meeting_id) is None:
                raise NotFound("找不到这次评议会议。")
            proposal = await repo.proposal_by_ref(session, ref)
            if proposal is None:
                raise NotFound(f"找不到建议 {ref}。")
            existing = (await session.execute(select(MeetingItem.id).where(
                MeetingItem.meeting_id == meeting_id, MeetingItem.proposal_id == proposal.id))).first()
            rules.check_may_add(proposal.key_supervision, existing is not None, proposal.number)
            last = (await session.execute(select(func.max(MeetingItem.position))
                                          .where(MeetingItem.meeting_id == meeting_id))).scalar()
            item = MeetingItem(meeting_id=meeting_id, proposal_id=proposal.id, position=(last or 0) + 1,
                               leader=proposal.key_leader, report="", state="waiting", created_at=utcnow())
            session.add(item)
            await session.flush()
            _log(session, actor, meeting_id, "add_item", item.id, title=proposal.title, number=proposal.number)
            return item.id


async def _item_for_update(session, meeting_id: int, item_id: int, share: bool = False) -> MeetingItem:
    query = (select(MeetingItem).where(MeetingItem.id == item_id, MeetingItem.meeting_id == meeting_id)
             .with_for_update(read=share))
    item = (await session.execute(query)).scalars().first()
    if item is None:
        raise NotFound("找不到该评议事项。")
    return item


async def save_report(db: Database, actor: Actor, meeting_id: int, item_id: int, leader: str, report: str) -> None:
    """The leading official's name and report (领办领导汇报) for an item."""
    _acting(actor)
    leader, report = rules.clean_report(leader, report)
    async with db.write() as session:
        async with session.begin():
            item = await _item_for_update(session, meeting_id, item_id)
            item.leader, item.report = leader, report
            _log(session, actor, meeting_id, "report", item.id, leader=leader)


async def move_item(db: Database, actor: Actor, meeting_id: int, item_id: int, direction: str) -> None:
    """Swap an item with the one before (`up`) or after (`down`) it."""
    _acting(actor)
    async with db.write() as session:
        async with session.begin():
            items = list((await session.execute(select(MeetingItem).where(MeetingItem.meeting_id == meeting_id)
                                                .order_by(MeetingItem.position, MeetingItem.id)
                                                .with_for_update())).scalars())
            index = next((n for n, i in enumerate(items) if i.id == item_id), None)
            if index is None:
                raise NotFound("找不到该评议事项。")
            other = index - 1 if direction == "up" else index + 1
            if direction not in ("up", "down") or not 0 <= other < len(items):
                return
            for position, item in enumerate(items, 1):
                item.position = position
            items[index].position, items[other].position = items[other].position, items[index].position
            _log(session, actor, meeting_id, "move_item", item_id, direction=direction)


async def remove_item(db: Database, actor: Actor, meeting_id: int, item_id: int) -> None:
    _acting(actor)
    async with db.write() as session:
        async with session.begin():
            item = await _item_for_update(session, meeting_id, item_id)
            votes = (await session.execute(select(func.count()).select_from(MeetingVote)
                                           .where(MeetingVote.item_id == item.id))).scalar_one()
            rules.check_may_remove(item.state, votes)
            title = (await session.get(Proposal, item.proposal_id)).title
            await session.delete(item)
            _log(session, actor, meeting_id, "remove_item", None, title=title)


# ------------------------------------------------------------------ the voting window
async def open_item(db: Database, actor: Actor, meeting_id: int, item_id: int) -> None:
    _acting(actor)
    async with db.write() as session:
        async with session.begin():
            item = await _item_for_update(session, meeting_id, item_id)
            others = (await session.execute(
                select(Proposal.title).join(MeetingItem, MeetingItem.proposal_id == Proposal.id)
                .where(MeetingItem.meeting_id == meeting_id, MeetingItem.state == "open",
                       MeetingItem.id != item.id))).scalars()
            rules.check_may_open(item.state, others)
            item.state, item.opened_at = "open", utcnow()
            _log(session, actor, meeting_id, "open", item.id)


async def close_item(db: Database, actor: Actor, meeting_id: int, item_id: int) -> dict[str, rules.Counts]:
    """End voting on an item; its scores are written on the proposal's log and count in the tallies."""
    _acting(actor)
    try:
        async with db.write() as session:
            async with session.begin():
                item = await _item_for_update(session, meeting_id, item_id)
                rules.check_may_close(item.state)
                item.state, item.closed_at = "closed", utcnow()
                counts = (await counts_of_items(session, [item.id]))[item.id]
                meeting = await session.get(Meeting, meeting_id)
                _log(session, actor, meeting_id, "close", item.id,
                     **{kind: c.as_dict() for kind, c in counts.items()})
                await _record_result(session, item, meeting, actor, counts)
                return counts
    except StaleDataError:
        raise Conflict("这件建议刚刚被别人处理过，请再点一次“结束评议”。") from None


async def _record_result(session, item: MeetingItem, meeting: Meeting, actor: Actor,
                         counts: dict[str, rules.Counts]) -> None:
    """The event "集中评议结果" on the proposal's hash chain: who closed it and what the room said."""
    proposal = await repo.proposal_by_id(session, item.proposal_id, for_update=True)
    staff = Actor("staff", actor.id, actor.name, actor.role)  # the room's result, not entered on anyone's behalf
    append_event(session, proposal, RESULT_ACTION, staff, rules.result_payload(meeting.title, meeting.held_on, counts))
    await session.flush()


# ------------------------------------------------------------------ votes
async def cast_vote(db: Database, token: str, item_id: int, voter: Voter, rating: str) -> str:
    """One score from the room; returns "deputy" or "public". A second score for the item is refused."""
    try:
        async with db.write() as session:
            async with session.begin():
                meeting_id = (await session.execute(select(Meeting.id).where(Meeting.vote_token == token))).scalar()
                if meeting_id is None:
                    raise NotFound("评议链接无效，请重新扫描会场的二维码。")
                # Shared lock: votes go on side by side, closing the item waits for them.
                item = await _item_for_update(session, meeting_id, item_id, share=True)
                deputy = await _bound_deputy(session, voter.openid)
                rules.check_vote(item.state, rating, await _voted(session, item.id, voter))
                kind = rules.voter_kind(deputy is not None)
                session.add(MeetingVote(item_id=item.id, voter=voter.key, openid_hash=voter.openid_key, kind=kind,
                                        deputy_id=deputy.id if deputy else None, rating=rating, created_at=utcnow()))
                await session.flush()
                return kind
    except IntegrityError:
        # The same phone scoring twice at the same instant: the unique constraint decides.
        raise NotAllowed("您已经为这一项评过分了，每部手机每项只能评一次，原来的评分保持不变。") from None


async def _voted(session, item_id: int, voter: Voter) -> bool:
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
        deputy = await _bound_deputy(session, openid)
    return deputy.name if deputy else ""


async def _bound_deputy(session, openid: str) -> Optional[Deputy]:
    if not openid:
        return None
    return (await session.execute(select(Deputy).where(Deputy.openid == openid, Deputy.active.is_(True)))).scalars().first()
