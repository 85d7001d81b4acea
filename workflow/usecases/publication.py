"""Publishing replies (答复公开): staff choose which replies the public reply page shows.

A confidential proposal (保密) is never published. Publishing or withdrawing is an event in the
proposal's hash-chained log, with the staff member's name, like every other action; it changes no
state, so it is not a workflow action of definition.py.
"""
from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import Assignment, Proposal, Reply, Unit
from storage.uow import UnitOfWork
from workflow.domain.definition import ACTING_ROLES
from workflow.domain.errors import Forbidden, NotAllowed, NotFound
from workflow.domain.rules import Actor
from workflow.engine.chain import append_event


async def set_published(db: Database, reply_id: int, actor: Actor, published: bool = True) -> bool:
    """Publish (or withdraw) one reply; returns whether anything changed (publishing twice is one event)."""
    if actor.kind != "staff" or actor.role not in ACTING_ROLES:
        raise Forbidden("只有工作人员可以公开或撤回答复。")
    async with UnitOfWork(db) as session:
        proposal_id = (await session.execute(
            select(Reply.proposal_id).where(Reply.id == reply_id))).scalar_one_or_none()
        if proposal_id is None:
            raise NotFound(f"找不到第 {reply_id} 号答复。")
        proposal = (await session.execute(  # locked: serialised with the engine's actions
            select(Proposal).where(Proposal.id == proposal_id).with_for_update(of=Proposal))).scalar_one()
        reply = await session.get(Reply, reply_id)
        if published and proposal.confidential:
            raise NotAllowed(f"建议 {proposal.number} 要求保密，它的答复不能公开。")
        if reply.published == published:
            return False
        reply.published = published
        unit = (await session.execute(select(Unit.code).join(Assignment, Assignment.unit_id == Unit.id)
                                      .where(Assignment.id == reply.assignment_id))).scalar_one()
        append_event(session, proposal, "publish_reply" if published else "unpublish_reply", actor,
                     {"reply_id": reply.id, "unit": unit, "category": reply.category})
    return True
