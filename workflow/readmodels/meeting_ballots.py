"""What staff see of a meeting's 评分票 (ballot codes): each printed batch with its slip numbers, how many
were used and voided. Read only; printing and voiding are workflow/usecases/meeting_ballots.py. The codes
themselves are never here: only their keyed hashes are kept."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from storage.db import Database
from storage.models import MeetingVote
from storage.models.meetings import MeetingBallot
from workflow.domain.ballots import BALLOT_KINDS


@dataclass(frozen=True)
class BatchView:
    """One printing: slips `first`..`last`, by whom and when, with how many scored and were voided."""

    batch: int
    first: int
    last: int
    printed: int
    used: int
    voided: int
    created_by_name: str
    created_at: dt.datetime
    kind: str = "public"  # public | member (常委会组成人员, a 测评 round's)

    @property
    def usable(self) -> int:
        return self.printed - self.voided

    @property
    def kind_label(self) -> str:
        return BALLOT_KINDS.get(self.kind, self.kind)


async def batches(db: Database, meeting_id: int) -> list[BatchView]:
    """The meeting's ballot batches, in printing order."""
    used = (select(MeetingVote.ballot_id).where(MeetingVote.ballot_id.is_not(None))
            .distinct().subquery())
    query = (select(MeetingBallot.batch, func.min(MeetingBallot.serial), func.max(MeetingBallot.serial),
                    func.count(), func.count(used.c.ballot_id), func.count(MeetingBallot.voided_at),
                    func.min(MeetingBallot.created_by_name), func.min(MeetingBallot.created_at),
                    func.min(MeetingBallot.kind))
             .outerjoin(used, used.c.ballot_id == MeetingBallot.id)
             .where(MeetingBallot.meeting_id == meeting_id)
             .group_by(MeetingBallot.batch).order_by(MeetingBallot.batch))
    async with db.read() as session:
        return [BatchView(*row) for row in (await session.execute(query)).all()]
