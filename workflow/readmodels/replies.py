"""Published replies as the public reads them (/replies, its export) and the staff's review list.

Read only: what is published is decided by workflow/usecases/publication.py; a confidential
proposal's reply is never published, so never listed here."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import AsyncIterator, Optional

from sqlalchemy import func, select

from storage.db import Database
from storage.models import Assignment, Deputy, Proposal, Reply, Unit


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
    official: str = ""  # the session's official number (第24号), if it has one


def _public_query(year: Optional[int]):
    query = (select(Reply.id, Proposal.number, Proposal.title, Proposal.year, Deputy.name, Unit.name, Reply.category,
                    Reply.text, Reply.signer, Reply.created_at, Proposal.official_number)
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
