"""Publishing replies (答复公开): staff choose which replies the public reply page shows.

A confidential proposal (保密) is never published. Publishing or withdrawing is an event in the
proposal's hash-chained log, with the staff member's name, like every other action; it changes no
state, so it is not a workflow action of definition.py.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import AsyncIterator, Optional

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Assignment, Deputy, Proposal, Reply, Unit
from workflow.domain.errors import Forbidden, NotAllowed, NotFound
from workflow.domain.rules import Actor
from workflow.engine.chain import append_event

PUBLISHING_ROLES = {"admin", "staff"}


async def set_published(db: Database, reply_id: int, actor: Actor, published: bool = True) -> bool:
    """Publish (or withdraw) one reply; returns whether anything changed (publishing twice is one event)."""
    if actor.kind != "staff" or actor.role not in PUBLISHING_ROLES:
        raise Forbidden("只有工作人员可以公开或撤回答复。")
    async with db.write() as session:
        async with session.begin():
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


# ------------------------------------------------------------------ the public list
@dataclass
class PublicReply:
    id: int
    number: str
    title: str
    year: int
    deputy: str
    unit: str
    category: str
    text: str
    signer: str
    at: dt.datetime


def _public_query(year: Optional[int]):
    query = (select(Reply.id, Proposal.number, Proposal.title, Proposal.year, Deputy.name, Unit.name, Reply.category,
                    Reply.text, Reply.signer, Reply.created_at)
             .join(Proposal, Proposal.id == Reply.proposal_id)
             .join(Deputy, Deputy.id == Proposal.lead_deputy_id)
             .join(Assignment, Assignment.id == Reply.assignment_id).join(Unit, Unit.id == Assignment.unit_id)
             .where(Reply.published.is_(True), Proposal.confidential.is_(False)))
    return query.where(Proposal.year == year) if year is not None else query


async def public_replies(db: Database, year: Optional[int] = None, page: int = 1,
                         page_size: int = 20) -> tuple[int, list[PublicReply]]:
    """(how many, one page of) the published replies of non-confidential proposals, newest first."""
    query = _public_query(year)
    async with db.read() as session:
        total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
        rows = (await session.execute(query.order_by(Reply.id.desc())
                                      .offset((max(page, 1) - 1) * page_size).limit(page_size))).all()
    return total, [PublicReply(*row) for row in rows]


async def public_years(db: Database) -> list[int]:
    query = _public_query(None).with_only_columns(Proposal.year).distinct().order_by(Proposal.year.desc())
    async with db.read() as session:
        return list((await session.execute(query)).scalars())


async def stream_public_replies(db: Database, year: Optional[int],
                                chunk: int = 1000) -> AsyncIterator[list[PublicReply]]:
    """The published replies in chunks of `chunk`, oldest first (keyset pages: memory stays flat)."""
    last = 0
    while True:
        async with db.read() as session:
            rows = (await session.execute(_public_query(year).where(Reply.id > last)
                                          .order_by(Reply.id).limit(chunk))).all()
        if not rows:
            return
        last = rows[-1][0]
        yield [PublicReply(*row) for row in rows]


# ------------------------------------------------------------------ the staff's list
@dataclass
class ReplyForReview:
    id: int
    number: str
    title: str
    unit: str
    category: str
    at: dt.datetime
    published: bool
    confidential: bool
    text: str


async def replies_for_review(db: Database, year: int, shown: str = "all", page: int = 1,
                             page_size: int = 50) -> tuple[int, list[ReplyForReview]]:
    """The replies of `year` with whether each is published (`shown`: all | published | unpublished)."""
    query = (select(Reply.id, Proposal.number, Proposal.title, Unit.name, Reply.category, Reply.created_at,
                    Reply.published, Proposal.confidential, Reply.text)
             .join(Proposal, Proposal.id == Reply.proposal_id)
             .join(Assignment, Assignment.id == Reply.assignment_id).join(Unit, Unit.id == Assignment.unit_id)
             .where(Proposal.year == year))
    if shown in ("published", "unpublished"):
        query = query.where(Reply.published.is_(shown == "published"))
    async with db.read() as session:
        total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
        rows = (await session.execute(query.order_by(Reply.id.desc())
                                      .offset((max(page, 1) - 1) * page_size).limit(page_size))).all()
    return total, [ReplyForReview(*row) for row in rows]
