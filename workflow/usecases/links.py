"""Revoking a unit link: a new link version (and issue time) for the assignment; the token rules are
workflow/domain/links.py.

A revocation is an event on the proposal's own chain (`revoke_link`, with the assignment, its unit and
the new link version), not in the system log: it concerns one proposal, shows in its timeline, and
`audit verify` checks each assignment's link version against these events.
"""
from __future__ import annotations

from storage import repositories as repo
from storage.db import Database
from storage.models import Assignment, utcnow
from storage.uow import UnitOfWork
from workflow.domain.definition import ACTING_ROLES
from workflow.domain.errors import Forbidden, NotFound
from workflow.domain.rules import Actor
from workflow.engine.chain import append_event


async def reissue_link(db: Database, assignment_id: int, actor: Actor) -> None:
    """Revoke every link of the assignment and start a new one (a new version, a new issue time)."""
    if actor.kind == "staff" and actor.role not in ACTING_ROLES:
        raise Forbidden("您的账号只能查看，不能作废链接。")
    async with UnitOfWork(db) as session:
        found = await session.get(Assignment, assignment_id)
        if found is None:
            raise NotFound("找不到该交办记录。")
        proposal = await repo.proposal_by_id(session, found.proposal_id, for_update=True)  # serialised with actions
        assignment = next(a for a in proposal.assignments if a.id == assignment_id)
        assignment.link_version += 1
        assignment.link_issued_at = utcnow()
        append_event(session, proposal, "revoke_link", actor,
                     {"unit": assignment.unit.code, "link_version": assignment.link_version}, assignment_id=assignment.id)
