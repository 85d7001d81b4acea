"""Who may run a meeting (集中评议 or 测评), and the meeting's log: every staff change is a MeetingLog row
with the staff member's name. Shared by workflow/usecases/meetings.py, meeting_rounds.py and meeting_ballots.py."""
from __future__ import annotations

from typing import Optional

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MeetingLog, utcnow
from workflow.domain.definition import ACTING_ROLES
from workflow.domain.errors import Forbidden
from workflow.domain.rules import Actor


def require_acting(actor: Actor) -> None:
    if actor.kind != "staff" or actor.role not in ACTING_ROLES:
        raise Forbidden("您的账号只能查看，不能管理集中评议。")


def write_log(session: AsyncSession, actor: Actor, meeting_id: int, action: str, item_id: Optional[int] = None,
              **detail) -> None:
    session.add(MeetingLog(meeting_id=meeting_id, item_id=item_id, action=action, actor_id=actor.id,
                           actor_name=actor.name or actor.id, detail=detail, created_at=utcnow()))
