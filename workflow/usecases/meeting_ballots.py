"""评分票 (ballot codes) of a 集中评议 meeting, and how the public may score there.

    printed = await print_ballots(db, actor, meeting_id, 50, secret)   # the codes, in clear, this once
    printed = await print_ballots(db, actor, round_id, 30, secret, kind="member")  # 常委会组成人员, 测评 only
    await void_ballots(db, actor, meeting_id, "21-30")                  # a sheet of slips was lost
    await set_public_mode(db, actor, meeting_id, "codes_open", 5)       # also the open QR, 5 per address

Only the keyed hash of each code is stored (workflow/domain/ballots.py `code_key`): the codes exist in
clear only in what `print_ballots` returns, which the console prints at once. A batch that did not
print, or was lost, is voided and a new one printed; there is no reprint.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Meeting, utcnow
from storage.models.meetings import MeetingBallot
from storage.uow import Conflict, UnitOfWork
from workflow.domain import ballots as rules
from workflow.domain.errors import InvalidInput, NotFound
from workflow.domain.rules import Actor
from workflow.usecases.meeting_log import require_acting, write_log


@dataclass(frozen=True)
class PrintedBatch:
    """What a printing gives the console, once: the meeting, the batch number, each slip's number and code."""

    meeting_id: int
    title: str
    held_on: str
    vote_token: str
    batch: int
    slips: list[tuple[int, str]]
    kind: str = "public"  # public | member (常委会组成人员)
    round_kind: str = ""  # "" (集中评议) | mid_year | year_end (测评)


async def _meeting(session: AsyncSession, meeting_id: int, lock: bool = False) -> Meeting:
    query = select(Meeting).where(Meeting.id == meeting_id)
    meeting = (await session.execute(query.with_for_update() if lock else query)).scalars().first()
    if meeting is None:
        raise NotFound("找不到这次评议会议。")
    return meeting


async def print_ballots(db: Database, actor: Actor, meeting_id: int, count: Optional[int], secret: str,
                        kind: Optional[str] = "public") -> PrintedBatch:
    """New one-time codes for the meeting, numbered after the last ones; the database keeps their hashes.
    `kind` "member": codes for 常委会组成人员, scoring apart from the public (a 测评 round only)."""
    require_acting(actor)
    try:
        async with UnitOfWork(db) as session:
            meeting = await _meeting(session, meeting_id, lock=True)  # one printing at a time numbers the slips
            kind = rules.check_ballot_kind(kind, meeting.round_kind)
            last_serial, last_batch = (await session.execute(
                select(func.coalesce(func.max(MeetingBallot.serial), 0), func.coalesce(func.max(MeetingBallot.batch), 0))
                .where(MeetingBallot.meeting_id == meeting.id))).one()
            count = rules.check_count(count, last_serial)
            codes: list[str] = []
            while len(codes) < count:
                code = rules.code_from_bytes(secrets.token_bytes(8))
                if code not in codes:
                    codes.append(code)
            now, batch, name = utcnow(), last_batch + 1, actor.name or actor.id
            slips = [(last_serial + n, code) for n, code in enumerate(codes, 1)]
            session.add_all([MeetingBallot(meeting_id=meeting.id, batch=batch, serial=serial,
                                           code_hash=rules.code_key(secret, code), created_by_name=name,
                                           created_at=now, voided_by_name="", kind=kind) for serial, code in slips])
            write_log(session, actor, meeting.id, "ballots", batch=batch, first=slips[0][0], last=slips[-1][0],
                      kind=kind)
            await session.flush()
            return PrintedBatch(meeting.id, meeting.title, meeting.held_on.isoformat(), meeting.vote_token,
                                batch, slips, kind, meeting.round_kind)
    except Conflict:
        raise Conflict("别人刚刚也生成了评分票，请再点一次“生成评分票”。") from None


async def void_ballots(db: Database, actor: Actor, meeting_id: int, serials: str = "",
                       batch: Optional[int] = None) -> int:
    """Void slips by number ("21-30, 35") or a whole batch; returns how many were newly voided. Scores a
    slip gave before it was voided stay (they were given with a valid slip)."""
    require_acting(actor)
    async with UnitOfWork(db) as session:
        meeting = await _meeting(session, meeting_id)
        where = [MeetingBallot.meeting_id == meeting.id, MeetingBallot.voided_at.is_(None)]
        if batch is not None:
            where.append(MeetingBallot.batch == batch)
            detail = {"batch": batch}
        else:
            highest = (await session.execute(select(func.max(MeetingBallot.serial))
                                             .where(MeetingBallot.meeting_id == meeting.id))).scalar()
            if not highest:
                raise InvalidInput("本次会议还没有生成评分票。", field="serials")
            chosen = rules.parse_serials(serials, highest)
            where.append(MeetingBallot.serial.in_(sorted(chosen)))
            detail = {"serials": serials.strip()[:rules.SERIALS_MAX]}
        result = await session.execute(update(MeetingBallot).where(*where)
                                       .values(voided_at=utcnow(), voided_by_name=actor.name or actor.id))
        write_log(session, actor, meeting.id, "void_ballots", voided=result.rowcount, **detail)
        return result.rowcount


async def set_public_mode(db: Database, actor: Actor, meeting_id: int, mode: Optional[str],
                          open_limit: Optional[int]) -> None:
    """How the public scores at this meeting: codes only, or codes and the open QR with a limit per address."""
    require_acting(actor)
    mode, open_limit = rules.clean_public_mode(mode, open_limit)
    async with UnitOfWork(db) as session:
        meeting = await _meeting(session, meeting_id)
        meeting.public_mode, meeting.open_limit = mode, open_limit
        write_log(session, actor, meeting.id, "public_mode", mode=mode, label=rules.PUBLIC_MODES[mode],
                  open_limit=open_limit)
