"""集中评议 rows: meetings, their agenda, the voting window and the room's scores (results: readmodels/meeting_results.py).

    meeting_id = await create_meeting(db, actor, "2025 年重点督办建议集中评议会", "2025-11-20")
    item_id = await add_item(db, actor, meeting_id, "2025-012")
    await open_item(db, actor, item_id)
    mode = await cast_vote(db, meeting.vote_token, item_id, Voter(cookie, openid, ballot, address), "satisfied")
    await close_item(db, actor, item_id)       # the result is kept with the proposal, as an event

The rules are workflow/domain/meetings.py and workflow/domain/ballots.py (how the public may score:
ballot codes, the open mode and its limit per address); this module reads rows, asks the rules, writes
rows. Printing and voiding ballot codes, and the meeting's public mode, are usecases/meeting_ballots.py.
Every staff change is a MeetingLog row with the staff member's name; closing an item also writes the
event "集中评议结果" on its proposal's hash-chained log (no state changes: it records a fact).
"""
from __future__ import annotations

import secrets
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.db import Database
from storage.models import Meeting, MeetingItem, MeetingLog, MeetingVote, Proposal, utcnow
from storage.uow import Conflict, UnitOfWork
from workflow.domain import ballots
from workflow.domain import meetings as rules
from workflow.domain.definition import ACTING_ROLES
from workflow.domain.errors import Forbidden, NotFound
from workflow.domain.meetings import Voter
from workflow.domain.rules import Actor
from workflow.engine.chain import append_event
from workflow.readmodels.meetings import (
    ballot_of,
    ballot_used,
    bound_deputy,
    counts_of_items,
    has_voted,
    open_votes_from,
)

RESULT_ACTION = "meeting_result"


def require_acting(actor: Actor) -> None:
    if actor.kind != "staff" or actor.role not in ACTING_ROLES:
        raise Forbidden("您的账号只能查看，不能管理集中评议。")


# ------------------------------------------------------------------ the agenda
def write_log(session: AsyncSession, actor: Actor, meeting_id: int, action: str, item_id: Optional[int] = None, **detail) -> None:
    session.add(MeetingLog(meeting_id=meeting_id, item_id=item_id, action=action, actor_id=actor.id,
                           actor_name=actor.name or actor.id, detail=detail, created_at=utcnow()))


async def create_meeting(db: Database, actor: Actor, title: str, held_on: str) -> int:
    require_acting(actor)
    title, day = rules.clean_meeting(title, held_on)
    async with UnitOfWork(db) as session:
        meeting = Meeting(title=title, held_on=day, vote_token=secrets.token_urlsafe(24), created_by=actor.id,
                          created_by_name=actor.name or actor.id, created_at=utcnow())
        session.add(meeting)
        await session.flush()
        write_log(session, actor, meeting.id, "create", title=title, held_on=day.isoformat())
        return meeting.id


async def add_item(db: Database, actor: Actor, meeting_id: int, ref: str) -> int:
    """Put a key-supervision proposal at the end of the agenda, its leading official taken from the proposal."""
    require_acting(actor)
    async with UnitOfWork(db) as session:
        if await session.get(Meeting, meeting_id) is None:
            raise NotFound("找不到这次评议会议。")
        proposal = await repo.proposal_by_ref(session, ref)
        if proposal is None:
            raise NotFound(f"找不到建议 {ref}。")
        existing = (await session.execute(select(MeetingItem.id).where(
            MeetingItem.meeting_id == meeting_id, MeetingItem.proposal_id == proposal.id))).first()
        rules.check_may_add(proposal.key_supervision, existing is not None, proposal.number, proposal.confidential)
        last = (await session.execute(select(func.max(MeetingItem.position))
                                      .where(MeetingItem.meeting_id == meeting_id))).scalar()
        item = MeetingItem(meeting_id=meeting_id, proposal_id=proposal.id, position=(last or 0) + 1,
                           leader=proposal.key_leader, report="", state="waiting", created_at=utcnow())
        session.add(item)
        await session.flush()
        write_log(session, actor, meeting_id, "add_item", item.id, title=proposal.title, number=proposal.number)
        return item.id


async def _item_for_update(session: AsyncSession, meeting_id: int, item_id: int, share: bool = False) -> MeetingItem:
    query = (select(MeetingItem).where(MeetingItem.id == item_id, MeetingItem.meeting_id == meeting_id)
             .with_for_update(read=share))
    item = (await session.execute(query)).scalars().first()
    if item is None:
        raise NotFound("找不到该评议事项。")
    return item


async def save_report(db: Database, actor: Actor, meeting_id: int, item_id: int, leader: str, report: str) -> None:
    """The leading official's name and report (领办领导汇报) for an item."""
    require_acting(actor)
    leader, report = rules.clean_report(leader, report)
    async with UnitOfWork(db) as session:
        item = await _item_for_update(session, meeting_id, item_id)
        item.leader, item.report = leader, report
        write_log(session, actor, meeting_id, "report", item.id, leader=leader)


async def move_item(db: Database, actor: Actor, meeting_id: int, item_id: int, direction: str) -> None:
    """Swap an item with the one before (`up`) or after (`down`) it."""
    require_acting(actor)
    async with UnitOfWork(db) as session:
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
        write_log(session, actor, meeting_id, "move_item", item_id, direction=direction)


async def remove_item(db: Database, actor: Actor, meeting_id: int, item_id: int) -> None:
    require_acting(actor)
    async with UnitOfWork(db) as session:
        item = await _item_for_update(session, meeting_id, item_id)
        votes = (await session.execute(select(func.count()).select_from(MeetingVote)
                                       .where(MeetingVote.item_id == item.id))).scalar_one()
        rules.check_may_remove(item.state, votes)
        title = (await session.get(Proposal, item.proposal_id)).title
        await session.delete(item)
        write_log(session, actor, meeting_id, "remove_item", None, title=title)


# ------------------------------------------------------------------ the voting window
async def open_item(db: Database, actor: Actor, meeting_id: int, item_id: int) -> None:
    require_acting(actor)
    async with UnitOfWork(db) as session:
        item = await _item_for_update(session, meeting_id, item_id)
        others = (await session.execute(
            select(Proposal.title).join(MeetingItem, MeetingItem.proposal_id == Proposal.id)
            .where(MeetingItem.meeting_id == meeting_id, MeetingItem.state == "open",
                   MeetingItem.id != item.id))).scalars()
        rules.check_may_open(item.state, others)
        item.state, item.opened_at = "open", utcnow()
        write_log(session, actor, meeting_id, "open", item.id)


async def close_item(db: Database, actor: Actor, meeting_id: int, item_id: int) -> dict[str, rules.Counts]:
    """End voting on an item; its scores are written on the proposal's log and count in the tallies."""
    require_acting(actor)
    try:
        async with UnitOfWork(db) as session:
            item = await _item_for_update(session, meeting_id, item_id)
            rules.check_may_close(item.state)
            item.state, item.closed_at = "closed", utcnow()
            counts = (await counts_of_items(session, [item.id]))[item.id]
            modes = (await counts_of_items(session, [item.id], by_mode=True))[item.id]
            meeting = await session.get(Meeting, meeting_id)
            write_log(session, actor, meeting_id, "close", item.id,
                      **{kind: c.as_dict() for kind, c in counts.items()},
                      by_mode={mode: c.as_dict() for mode, c in modes.items()})
            await _record_result(session, item, meeting, actor, counts, modes)
            return counts
    except Conflict:
        raise Conflict("这件建议刚刚被别人处理过，请再点一次“结束评议”。") from None


async def _record_result(session: AsyncSession, item: MeetingItem, meeting: Meeting, actor: Actor,
                         counts: dict[str, rules.Counts], modes: dict[str, rules.Counts]) -> None:
    """The event "集中评议结果" on the proposal's hash chain: who closed it and what the room said."""
    proposal = await repo.proposal_by_id(session, item.proposal_id, for_update=True)
    staff = Actor("staff", actor.id, actor.name, actor.role)  # the room's result, not entered on anyone's behalf
    append_event(session, proposal, RESULT_ACTION, staff,
                 rules.result_payload(meeting.title, meeting.held_on, counts, modes))
    await session.flush()


# ------------------------------------------------------------------ votes
async def cast_vote(db: Database, token: str, item_id: int, voter: Voter, rating: str) -> str:
    """One score from the room; returns how it came: "openid" (a deputy in WeChat), "code" or "open".

    A second score of the same WeChat user, phone or code for the item is refused and changes nothing,
    also when both arrive at the same instant (the unique constraints decide)."""
    for attempt in range(3):
        try:
            return await _cast_once(db, token, item_id, voter, rating)
        except Conflict as lost:
            if lost.reason != "duplicate":
                raise  # busy: the score was not stored, and the phone is told to try again
            if voter.ballot:  # the same slip from two phones at the same instant: the constraint decided
                ballots.check_ballot_unused(used=True)
            if attempt == 2:
                raise Conflict("同一时刻评分的人较多，请再点一次。没有记录评分。", reason="busy") from None
            # The same phone tapping twice at once, or an open-mode score that lost its address slot
            # to another phone of the same network: look again, the rules then say which.
    raise AssertionError("unreachable")


async def _cast_once(db: Database, token: str, item_id: int, voter: Voter, rating: str) -> str:
    async with UnitOfWork(db) as session:
        meeting = (await session.execute(select(Meeting).where(Meeting.vote_token == token))).scalars().first()
        if meeting is None:
            raise NotFound("评议链接无效，请重新扫描会场的二维码。")
        # Shared lock: votes go on side by side, closing the item waits for them.
        item = await _item_for_update(session, meeting.id, item_id, share=True)
        deputy = await bound_deputy(session, voter.openid)
        if deputy is not None:
            rules.check_vote(item.state, rating, await has_voted(session, item.id, voter))
            vote = MeetingVote(voter=voter.key, openid_hash=voter.openid_key, kind="deputy", deputy_id=deputy.id)
        elif voter.ballot:
            vote = await _ballot_vote(session, meeting, item, voter, rating)
        else:
            vote = await _open_vote(session, meeting, item, voter, rating)
        vote.item_id, vote.rating, vote.created_at = item.id, rating, utcnow()
        vote.mode = ballots.vote_mode(deputy is not None, bool(vote.ballot_id))
        session.add(vote)
        await session.flush()
        return vote.mode


async def _ballot_vote(session: AsyncSession, meeting: Meeting, item: MeetingItem, voter: Voter,
                       rating: str) -> MeetingVote:
    """A score with a printed code: the code must be this meeting's, not voided, unused for the item."""
    rules.check_vote(item.state, rating, already_voted=False)
    ballot = await ballot_of(session, meeting.id, voter.ballot)
    ballots.check_ballot(ballot is not None, ballot is not None and ballot.voided_at is not None)
    ballots.check_ballot_unused(await ballot_used(session, item.id, ballot.id))
    return MeetingVote(voter=voter.ballot_voter_key, openid_hash=None, kind="public", ballot_id=ballot.id)


async def _open_vote(session: AsyncSession, meeting: Meeting, item: MeetingItem, voter: Voter,
                     rating: str) -> MeetingVote:
    """A score without a code: only where the meeting accepts the open mode, once per phone, and at most
    the meeting's limit per item from one network address (the slot number makes the database count)."""
    rules.check_vote(item.state, rating, already_voted=False)
    ballots.check_open_mode(meeting.public_mode)
    rules.check_vote(item.state, rating, await has_voted(session, item.id, voter))
    used = await open_votes_from(session, item.id, voter.address)
    ballots.check_open_quota(used, meeting.open_limit)
    return MeetingVote(voter=voter.key, openid_hash=voter.openid_key, kind="public", address_hash=voter.address,
                       address_slot=used)
