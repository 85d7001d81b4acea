"""Engine writes done once per request, even when the request runs twice.

A front end that may run one request again (the bot takes over a message whose first owner died after
claiming it, perhaps after the engine had already committed) wraps the work in `once(key)`. Every engine
write inside gets the key `<key>#<n>` (n counts the writes, in the order the work does them), and the
engine records a receipt for it in the action's own transaction. Run again, the same write finds its
receipt and returns the first run's result without acting:

    with once(msg.key):
        await engine.perform(ref, "submit", actor)   # submitted once, however often this runs

The receipt and the action commit together, so there is no moment at which one exists without the other.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterator, Optional

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.db import Database
from storage.models import ActionReceipt, Event, Proposal, utcnow
from storage.uow import UnitOfWork

KEEP = dt.timedelta(days=2)  # as long as the bot remembers a message (storage/bot_store.INBOUND_KEEP)


@dataclass
class _Request:
    key: str
    writes: int = 0


_current: ContextVar[Optional[_Request]] = ContextVar("engine_once", default=None)


@contextlib.contextmanager
def once(key: str) -> Iterator[None]:
    """Engine writes inside this block happen once per `key` (and per position in the block)."""
    token = _current.set(_Request(key[:200]))
    try:
        yield
    finally:
        _current.reset(token)


def next_key() -> Optional[str]:
    """The receipt key of the engine write about to run, or None outside `once`."""
    request = _current.get()
    if request is None:
        return None
    request.writes += 1
    return f"{request.key}#{request.writes}"


@dataclass(frozen=True)
class Earlier:
    proposal: Proposal
    event: Optional[Event]
    from_state: str
    to_state: str


async def earlier(session: AsyncSession, key: Optional[str]) -> Optional[Earlier]:
    """The result of the write with this receipt key, if it was done before."""
    if key is None:
        return None
    receipt = await session.get(ActionReceipt, key)
    if receipt is None:
        return None
    proposal = await repo.proposal_by_id(session, receipt.proposal_id)
    event = (await session.execute(select(Event).where(Event.id == receipt.event_id))).scalars().first() \
        if receipt.event_id is not None else None
    return Earlier(proposal, event, receipt.from_state, receipt.to_state)


def record(session: AsyncSession, key: Optional[str], proposal: Proposal, event: Optional[Event],
           from_state: str, to_state: str) -> None:
    """The receipt of this write, in its transaction (flushed with it; a concurrent twin fails on the key)."""
    if key is not None:
        session.add(ActionReceipt(key=key, proposal_id=proposal.id, event_id=event.id if event is not None else None,
                                  from_state=from_state, to_state=to_state, created_at=utcnow()))


async def purge(db: Database, keep: dt.timedelta = KEEP) -> int:
    async with UnitOfWork(db) as session:
        result = await session.execute(delete(ActionReceipt).where(ActionReceipt.created_at < utcnow() - keep))
    return result.rowcount or 0
