"""The sessions (届/次) registered, with how many proposals of each kind each holds."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import func, select

from storage.db import Database
from storage.models import CongressSession, Proposal
from workflow.domain.sessions import reference


async def sessions(db: Database) -> list[tuple[CongressSession, dict[str, int]]]:
    """Every session, newest first, with how many proposals of each kind it holds."""
    async with db.read() as session:
        rows = (await session.execute(select(CongressSession).order_by(CongressSession.opens_on.desc()))).scalars().all()
        counted = (await session.execute(
            select(Proposal.session_id, Proposal.kind, func.count()).where(Proposal.session_id.is_not(None))
            .group_by(Proposal.session_id, Proposal.kind))).all()
    counts: dict[int, dict[str, int]] = {}
    for session_id, kind, n in counted:
        counts.setdefault(session_id, {})[kind] = n
    return [(row, counts.get(row.id, {})) for row in rows]


async def session_by_id(db: Database, session_id: int) -> Optional[CongressSession]:
    async with db.read() as session:
        return await session.get(CongressSession, session_id)


def reference_of(place: str, proposal) -> str:
    """县十八届人大五次会议第24号建议 (or 第2026-024号建议 outside any session): how papers name `proposal`."""
    s = proposal.congress_session
    return reference(place, s.term if s else None, s.number if s else None, proposal.official_number, proposal.ref)
