"""集中评议 and 测评 rows: meetings, their agenda, the voting window and the room's scores (results:
readmodels/meeting_results.py for proposals; a project keeps its own, workflow/engine/projects.py).

    meeting_id = await create_meeting(db, actor, "2025 年重点督办建议集中评议会", "2025-11-20")
    item_id = await add_item(db, actor, meeting_id, "2025-012")
    await open_item(db, actor, item_id)
    mode = await cast_vote(db, meeting.vote_token, item_id, Voter(cookie, openid, ballot, address), "satisfied")
    await close_item(db, actor, item_id)       # the result is kept with the proposal, as an event

A 测评 round (`round_kind` mid_year | year_end, workflow/domain/evaluation_rounds.py) is the same meeting
whose items are livelihood projects, added by project number; its voters choose 满意 / 基本满意 / 不满意 /
弃权 and are counted as 人大代表 (WeChat), 常委会组成人员 (a code of a "member" batch) or 群众; closing
an item with `engine` given records its counts on the project (usecases/meeting_rounds.py).

The rules are workflow/domain/meetings.py and workflow/domain/ballots.py (how the public may score:
ballot codes, the open mode and its limit per address); this module reads rows, asks the rules, writes
rows. Printing and voiding ballot codes, and the meeting's public mode, are usecases/meeting_ballots.py.
Every staff change is a MeetingLog row with the staff member's name; closing an item also writes the
event "集中评议结果" on its proposal's hash-chained log (no state changes: it records a fact).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.db import Database
from storage.models import Meeting, MeetingItem, MeetingVote, Project, Proposal, utcnow
from storage.models.meetings import MeetingBallot
from storage.uow import Conflict, UnitOfWork
from workflow.domain import ballots
from workflow.domain import evaluation_rounds as round_rules
from workflow.domain import meetings as rules
from workflow.domain.definition import RATINGS
from workflow.domain.errors import NotFound
from workflow.domain.meetings import Voter
from workflow.domain.projects import EVALUATION_CHOICES
from workflow.domain.rules import Actor
from workflow.engine.chain import append_event
from workflow.engine.engine import Engine
from workflow.readmodels.evaluation_rounds import openid_voted, tallies_of_items
from workflow.readmodels.meetings import (
    ballot_of,
    ballot_used,
    bound_deputy,
    counts_of_items,
    has_voted,
    open_votes_from,
)
from workflow.usecases.meeting_log import require_acting, write_log
from workflow.usecases.meeting_rounds import Recording, project_for_agenda, record_on_project

RESULT_ACTION = "meeting_result"


# ------------------------------------------------------------------ the agenda
async def create_meeting(db: Database, actor: Actor, title: str, held_on: str, round_kind: str = "") -> int:
    """A 集中评议 (`round_kind` "") or a 测评 round of livelihood projects (mid_year | year_end)."""
    require_acting(actor)
    title, day = rules.clean_meeting(title, held_on)
    round_kind = round_rules.clean_round_kind(round_kind)
    async with UnitOfWork(db) as session:
        meeting = Meeting(title=title, held_on=day, vote_token=secrets.token_urlsafe(24), created_by=actor.id,
                          created_by_name=actor.name or actor.id, created_at=utcnow(), round_kind=round_kind)
        session.add(meeting)
        await session.flush()
        write_log(session, actor, meeting.id, "create", title=title, held_on=day.isoformat(),
                  **({"round_kind": round_kind} if round_kind else {}))
        return meeting.id


async def add_item(db: Database, actor: Actor, meeting_id: int, ref: str) -> int:
    """Put a key-supervision proposal (a project, at a 测评 round) at the end of the agenda, its leading
    official taken from the proposal (the project's 牵头领导)."""
    require_acting(actor)
    async with UnitOfWork(db) as session:
        meeting = await session.get(Meeting, meeting_id)
        if meeting is None:
            raise NotFound("找不到这次评议会议。")
        if meeting.round_kind:
            return await _add_project(session, actor, meeting_id, ref)
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


async def _add_project(session: AsyncSession, actor: Actor, meeting_id: int, ref: str) -> int:
    project = await project_for_agenda(session, meeting_id, ref)
    last = (await session.execute(select(func.max(MeetingItem.position))
                                  .where(MeetingItem.meeting_id == meeting_id))).scalar()
    item = MeetingItem(meeting_id=meeting_id, project_id=project.id, position=(last or 0) + 1,
                       leader=project.leader, report="", state="waiting", created_at=utcnow())
    session.add(item)
    await session.flush()
    write_log(session, actor, meeting_id, "add_item", item.id, title=project.title, number=project.number)
    return item.id


def _item_titles():
    """The titles items show: their proposal's, or their project's (a 测评 round)."""
    return (select(func.coalesce(Proposal.title, Project.title)).select_from(MeetingItem)
            .outerjoin(Proposal, Proposal.id == MeetingItem.proposal_id)
            .outerjoin(Project, Project.id == MeetingItem.project_id))


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
        title = (await session.execute(_item_titles().where(MeetingItem.id == item.id))).scalar()
        await session.delete(item)
        write_log(session, actor, meeting_id, "remove_item", None, title=title)


# ------------------------------------------------------------------ the voting window
async def open_item(db: Database, actor: Actor, meeting_id: int, item_id: int) -> None:
    require_acting(actor)
    async with UnitOfWork(db) as session:
        item = await _item_for_update(session, meeting_id, item_id)
        others = (await session.execute(
            _item_titles().where(MeetingItem.meeting_id == meeting_id, MeetingItem.state == "open",
                                 MeetingItem.id != item.id))).scalars()
        rules.check_may_open(item.state, others)
        item.state, item.opened_at = "open", utcnow()
        write_log(session, actor, meeting_id, "open", item.id)


@dataclass(frozen=True)
class Closed:
    """What closing an item gave: a proposal's scores (deputy, public), or a project's choices (deputy,
    member, public) and how recording them on the project went (None when no engine was given)."""

    counts: dict[str, rules.Counts]
    tallies: Optional[dict[str, round_rules.Tally]] = None
    recording: Optional[Recording] = None


async def close_item(db: Database, actor: Actor, meeting_id: int, item_id: int,
                     engine: Optional[Engine] = None) -> Closed:
    """End voting on an item. A proposal's scores are written on its log in the same transaction and count
    in the tallies; a project's counts are recorded on the project through `engine` once the close has
    committed (a failure there is in `recording`, the item stays closed: usecases/meeting_rounds.py)."""
    require_acting(actor)
    closed = await _close(db, actor, meeting_id, item_id)
    if closed.tallies is None or engine is None:
        return closed
    return Closed(closed.counts, closed.tallies, await record_on_project(engine, actor, meeting_id, item_id))


async def _close(db: Database, actor: Actor, meeting_id: int, item_id: int) -> Closed:
    try:
        async with UnitOfWork(db) as session:
            item = await _item_for_update(session, meeting_id, item_id)
            rules.check_may_close(item.state)
            item.state, item.closed_at = "closed", utcnow()
            if item.project_id is not None:
                tallies = (await tallies_of_items(session, [item.id]))[item.id]
                write_log(session, actor, meeting_id, "close", item.id,
                          **{kind: t.as_dict() for kind, t in tallies.items()})
                return Closed({}, tallies)
            counts = (await counts_of_items(session, [item.id]))[item.id]
            modes = (await counts_of_items(session, [item.id], by_mode=True))[item.id]
            meeting = await session.get(Meeting, meeting_id)
            write_log(session, actor, meeting_id, "close", item.id,
                      **{kind: c.as_dict() for kind, c in counts.items()},
                      by_mode={mode: c.as_dict() for mode, c in modes.items()})
            await _record_result(session, item, meeting, actor, counts, modes)
            return Closed(counts)
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
        choices = EVALUATION_CHOICES if meeting.round_kind else RATINGS
        deputy = await bound_deputy(session, voter.openid)
        ballot = await ballot_of(session, meeting.id, voter.ballot) if voter.ballot else None
        if meeting.round_kind and ballot is not None and ballot.kind == "member":
            vote = await _member_vote(session, item, voter, ballot, rating, deputy is not None)
        elif deputy is not None:
            rules.check_vote(item.state, rating, await has_voted(session, item.id, voter), choices)
            vote = MeetingVote(voter=voter.key, openid_hash=voter.openid_key, kind="deputy", deputy_id=deputy.id)
        elif voter.ballot:
            vote = await _ballot_vote(session, item, voter, ballot, rating, choices)
        else:
            vote = await _open_vote(session, meeting, item, voter, rating, choices)
        vote.item_id, vote.rating, vote.created_at = item.id, rating, utcnow()
        vote.mode = ballots.vote_mode(vote.kind == "deputy", bool(vote.ballot_id))
        session.add(vote)
        await session.flush()
        return vote.mode


async def _ballot_vote(session: AsyncSession, item: MeetingItem, voter: Voter, ballot: Optional[MeetingBallot],
                       rating: str, choices: dict[str, str]) -> MeetingVote:
    """A score with a printed code: the code must be this meeting's, not voided, unused for the item."""
    rules.check_vote(item.state, rating, already_voted=False, choices=choices)
    ballots.check_ballot(ballot is not None, ballot is not None and ballot.voided_at is not None)
    ballots.check_ballot_unused(await ballot_used(session, item.id, ballot.id))
    return MeetingVote(voter=voter.ballot_voter_key, openid_hash=None, kind="public", ballot_id=ballot.id)


async def _member_vote(session: AsyncSession, item: MeetingItem, voter: Voter, ballot: MeetingBallot, rating: str,
                       bound: bool) -> MeetingVote:
    """A 常委会组成人员's code at a 测评 round: it scores as a member, also in a deputy's WeChat; then that
    WeChat user is kept with the score, so the same person does not score the item again as a deputy."""
    rules.check_vote(item.state, rating, already_voted=False, choices=EVALUATION_CHOICES)
    ballots.check_ballot(True, ballot.voided_at is not None)
    ballots.check_ballot_unused(await ballot_used(session, item.id, ballot.id))
    if bound:
        round_rules.check_person_unvoted(await openid_voted(session, item.id, voter.openid_key))
    return MeetingVote(voter=voter.ballot_voter_key, openid_hash=voter.openid_key if bound else None,
                       kind=round_rules.vote_kind(ballot.kind), ballot_id=ballot.id)


async def _open_vote(session: AsyncSession, meeting: Meeting, item: MeetingItem, voter: Voter,
                     rating: str, choices: dict[str, str]) -> MeetingVote:
    """A score without a code: only where the meeting accepts the open mode, once per phone, and at most
    the meeting's limit per item from one network address (the slot number makes the database count)."""
    rules.check_vote(item.state, rating, already_voted=False, choices=choices)
    ballots.check_open_mode(meeting.public_mode)
    rules.check_vote(item.state, rating, await has_voted(session, item.id, voter), choices)
    used = await open_votes_from(session, item.id, voter.address)
    ballots.check_open_quota(used, meeting.open_limit)
    return MeetingVote(voter=voter.key, openid_hash=voter.openid_key, kind="public", address_hash=voter.address,
                       address_slot=used)
