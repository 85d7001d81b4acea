"""The one writer of the event log: every event of every proposal is appended here, to its hash chain.

Events are chained per proposal (a proposal's writers are already serialised by its row lock and
version, so chaining costs no extra lock); the proposal row keeps the newest hash and the count, so
deleting the last event is detected too. A test fails if an `Event` is made anywhere else.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Event, Proposal, utcnow
from workflow.domain.chain import event_hash
from workflow.domain.rules import Actor


def append_event(session: AsyncSession, proposal: Proposal, action: str, actor: Actor, payload: dict[str, Any],
                 from_state: Optional[str] = None, to_state: Optional[str] = None,
                 assignment_id: Optional[int] = None) -> Event:
    """Add the next event of `proposal`'s chain (the state stays as it is unless from/to say otherwise)."""
    event = Event(
        proposal_id=proposal.id, seq=(proposal.event_count or 0) + 1, action=action,
        actor_kind=actor.kind, actor_id=actor.id, actor_name=actor.name,
        on_behalf_kind=actor.on_behalf_kind, on_behalf_id=actor.on_behalf_id, assignment_id=assignment_id,
        from_state=proposal.state if from_state is None else from_state,
        to_state=proposal.state if to_state is None else to_state,
        payload=json_safe(payload), created_at=utcnow(), prev_hash=proposal.last_event_hash or "",
    )
    event.hash = event_hash(event)
    session.add(event)
    proposal.last_event_hash = event.hash
    proposal.event_count = event.seq
    proposal.updated_at = event.created_at
    return event


def json_safe(value: Any) -> Any:
    """What a payload stores: dates as ISO text, private keys (starting with "_") left out."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
