"""Revoking a unit link: a new link version (and issue time) for the assignment; the token rules are
workflow/domain/links.py."""
from __future__ import annotations

from storage.db import Database
from storage.models import Assignment, utcnow
from storage.uow import UnitOfWork
from workflow.domain.errors import NotFound


async def reissue_link(db: Database, assignment_id: int) -> None:
    """Revoke every link of the assignment and start a new one (a new version, a new issue time)."""
    async with UnitOfWork(db) as session:
        assignment = await session.get(Assignment, assignment_id)
        if assignment is None:
            raise NotFound("找不到该交办记录。")
        assignment.link_version += 1
        assignment.link_issued_at = utcnow()
