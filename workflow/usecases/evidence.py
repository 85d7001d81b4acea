"""Evidence photos kept in our own storage: which ones the worker still has to fetch from WeChat, and
what it found (stored by SHA-256, with an event on the proposal's chain) or why it could not.

WeChat keeps temporary media three days; a fetch that fails is tried again after a growing pause,
and given up after MAX_ATTEMPTS (staff see those on the proposal's page and on the system page).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from storage import repositories as repo
from storage.db import Database
from storage.models import ProposalAttachment, utcnow
from storage.uow import UnitOfWork
from workflow.domain.rules import Actor
from workflow.engine.chain import append_event

MAX_ATTEMPTS = 12  # the pauses below add up to about 9 hours, well inside WeChat's three days
FIRST_PAUSE = dt.timedelta(seconds=30)
LONGEST_PAUSE = dt.timedelta(hours=1)
WORKER = Actor("system", "media", "系统（保存佐证照片）")


@dataclass(frozen=True)
class Pending:
    id: int
    media_id: str
    attempts: int


def media_path(data_dir: str, sha256: str) -> Path:
    """Where the file with this SHA-256 is kept (content-addressed: the same photo twice is one file)."""
    return Path(data_dir) / "media" / sha256[:2] / sha256


async def due(db: Database, limit: int = 10) -> list[Pending]:
    """Photos whose fetch is due now, oldest first."""
    async with db.read() as session:
        rows = (await session.execute(
            select(ProposalAttachment.id, ProposalAttachment.media_id, ProposalAttachment.fetch_attempts)
            .where(ProposalAttachment.stored_at.is_(None), ProposalAttachment.next_fetch_at <= utcnow())
            .order_by(ProposalAttachment.next_fetch_at).limit(limit))).all()
    return [Pending(r.id, r.media_id, r.fetch_attempts) for r in rows]


async def stored(db: Database, attachment_id: int, sha256: str, size: int, content_type: str) -> None:
    """The photo is on disk: record it, and its SHA-256 on the proposal's event chain."""
    async with UnitOfWork(db) as session:
        photo = await session.get(ProposalAttachment, attachment_id, with_for_update=True)
        if photo is None or photo.stored_at is not None:
            return
        proposal = await repo.proposal_by_id(session, photo.proposal_id, for_update=True)
        photo.sha256, photo.size, photo.content_type = sha256, size, content_type[:64]
        photo.stored_at, photo.next_fetch_at, photo.fetch_error = utcnow(), None, ""
        append_event(session, proposal, "evidence_stored", WORKER,
                     {"attachment": attachment_id, "sha256": sha256, "size": size, "content_type": content_type[:64]})


async def failed(db: Database, attachment_id: int, error: str, permanent: bool = False) -> bool:
    """A fetch did not work: try again later, or give up (returns True when given up)."""
    async with UnitOfWork(db) as session:
        photo = await session.get(ProposalAttachment, attachment_id, with_for_update=True)
        if photo is None or photo.stored_at is not None:
            return False
        photo.fetch_attempts += 1
        photo.fetch_error = error[:200]
        given_up = permanent or photo.fetch_attempts >= MAX_ATTEMPTS
        pause = min(FIRST_PAUSE * 2 ** (photo.fetch_attempts - 1), LONGEST_PAUSE)
        photo.next_fetch_at = None if given_up else utcnow() + pause
        return given_up

