"""交办会: the session's accepted proposals waiting to be assigned, in official-number order."""
from __future__ import annotations

from sqlalchemy import case, select

from storage.db import Database
from storage.models import Proposal, Unit


async def awaiting(db: Database, session_id: int, with_interim: bool = False) -> list[Proposal]:
    """The session's accepted 大会建议 (and, asked, its accepted 闭会期间建议), 大会建议 first."""
    kinds = ("session", "interim") if with_interim else ("session",)
    query = (select(Proposal).where(Proposal.session_id == session_id, Proposal.state == "accepted",
                                    Proposal.kind.in_(kinds))
             .order_by(case((Proposal.kind == "session", 0), else_=1), Proposal.official_seq, Proposal.id))
    async with db.read() as session:
        return list((await session.execute(query)).scalars())


async def active_units(db: Database) -> list[tuple[str, str]]:
    """(code, name) of every active unit, for the pickers."""
    async with db.read() as session:
        return [(c, n) for c, n in (await session.execute(
            select(Unit.code, Unit.name).where(Unit.active.is_(True)).order_by(Unit.code))).all()]
