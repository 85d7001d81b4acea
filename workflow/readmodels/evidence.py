"""Evidence photos the worker could not keep: what staff are shown so that they can ask the deputy again."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Proposal, ProposalAttachment


@dataclass(frozen=True)
class NotKept:
    photo_id: int
    ref: str
    title: str
    error: str
    given_up: bool


async def photos_not_kept(session: AsyncSession, limit: int = 50) -> list[NotKept]:
    """Photos not in our storage after at least one try to fetch them: given up first, then still retried."""
    rows = (await session.execute(
        select(ProposalAttachment, Proposal).join(Proposal, Proposal.id == ProposalAttachment.proposal_id)
        .where(ProposalAttachment.stored_at.is_(None), ProposalAttachment.fetch_attempts > 0)
        .order_by(ProposalAttachment.next_fetch_at.is_not(None), ProposalAttachment.id).limit(limit))).all()
    return [NotKept(photo.id, proposal.ref, proposal.title, photo.fetch_error, photo.next_fetch_at is None)
            for photo, proposal in rows]
