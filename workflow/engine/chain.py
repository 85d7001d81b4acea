"""The one writer of the event logs: every event of every proposal, and every system event, is
appended here, to its keyed hash chain (and every event of the other records, such as citizens'
opinions, to theirs).

Events are chained per proposal (a proposal's writers are already serialised by its row lock and
version, so chaining costs no extra lock); the proposal row keeps the newest hash and the count, so
deleting the last event is detected too. System events (administrative actions that belong to no
proposal: binding, codes, roster imports) form one chain of their own, serialised by a lock on its
head, the `meta` row SYSTEM_HEAD. The key comes with the session (`session.info["chain_key"]`, see
storage/db.py). A test fails if an `Event` or `SystemEvent` is made anywhere else.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SYSTEM_HEAD, Event, Meta, Proposal, RecordEvent, SystemEvent, utcnow
from workflow.domain.chain import event_hash, masked_openid, openid_ref, record_event_hash, system_event_hash
from workflow.domain.rules import Actor


class NoChainKey(RuntimeError):
    """The session has no chain key: the Database was made without one (see workflow/engine/keys.py)."""


def session_key(session: AsyncSession) -> bytes:
    key = session.info.get("chain_key")
    if not key:
        raise NoChainKey("the event log's key is missing: make the Database with chain_key=chain_key_for(settings)")
    return key


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
    event.hash = event_hash(event, session_key(session))
    session.add(event)
    proposal.last_event_hash = event.hash
    proposal.event_count = event.seq
    proposal.updated_at = event.created_at
    return event


def append_record_event(session: AsyncSession, subject_kind: str, record: Any, action: str, actor: Actor,
                        payload: dict[str, Any], from_state: str, to_state: str) -> RecordEvent:
    """Add the next event of a record's own chain (`record` keeps event_count and last_event_hash, and its
    version check serialises its writers as a proposal's does)."""
    event = RecordEvent(
        subject_kind=subject_kind, subject_id=record.id, seq=(record.event_count or 0) + 1, action=action,
        actor_kind=actor.kind, actor_id=actor.id, actor_name=actor.name, on_behalf_kind=actor.on_behalf_kind,
        on_behalf_id=actor.on_behalf_id, from_state=from_state, to_state=to_state, payload=json_safe(payload),
        created_at=utcnow(), prev_hash=record.last_event_hash or "",
    )
    event.hash = record_event_hash(event, session_key(session))
    session.add(event)
    record.last_event_hash, record.event_count, record.updated_at = event.hash, event.seq, event.created_at
    return event


async def append_system_event(session: AsyncSession, action: str, actor: Actor, subject_kind: str,
                              subject_id: str, payload: Mapping[str, Any],
                              openids: Mapping[str, Optional[str]] | None = None) -> SystemEvent:
    """Add the next event of the system chain. `openids` are WeChat openids to record: each is kept
    masked (`<name>`) with a keyed fingerprint (`<name>_ref`), never in clear."""
    key = session_key(session)
    head = (await session.execute(select(Meta).where(Meta.key == SYSTEM_HEAD).with_for_update())).scalar_one_or_none()
    if head is None:
        head = Meta(key=SYSTEM_HEAD, value="0:")
        session.add(head)
    count, _, prev = (head.value or "0:").partition(":")
    recorded = dict(payload)
    for name, openid in (openids or {}).items():
        recorded[name] = masked_openid(openid) if openid else ""
        recorded[f"{name}_ref"] = openid_ref(key, openid) if openid else ""
    event = SystemEvent(
        seq=int(count or 0) + 1, action=action, actor_kind=actor.kind, actor_id=actor.id,
        actor_name=actor.name, subject_kind=subject_kind, subject_id=subject_id or "",
        payload=json_safe(recorded), created_at=utcnow(), prev_hash=prev,
    )
    event.hash = system_event_hash(event, key)
    session.add(event)
    head.value = f"{event.seq}:{event.hash}"
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
