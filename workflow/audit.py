"""The event log's hash chain: each event's hash covers its content and the previous event's hash.

Events are chained per proposal (a proposal's actions are already serialised, so chaining costs no
extra lock); the proposal row keeps the newest hash, so deleting the last event is detected too.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Iterable

from storage.models import Event


def _canonical(value):
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def event_hash(event: Event) -> str:
    body = {
        "proposal_id": event.proposal_id, "seq": event.seq, "action": event.action,
        "actor_kind": event.actor_kind, "actor_id": event.actor_id, "actor_name": event.actor_name,
        "on_behalf_kind": event.on_behalf_kind or "", "on_behalf_id": event.on_behalf_id or "",
        "assignment_id": event.assignment_id, "from_state": event.from_state or "", "to_state": event.to_state,
        "payload": _canonical(event.payload or {}),
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "prev_hash": event.prev_hash or "",
    }
    encoded = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


@dataclass
class AuditProblem:
    proposal_id: int
    event_id: int | None
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = f"事件 #{self.event_id}（第 {self.seq} 条）" if self.event_id else "事件链末尾"
        return f"建议 id={self.proposal_id} {where}：{self.message}"


def verify_chain(proposal_id: int, head_hash: str, events: Iterable[Event]) -> list[AuditProblem]:
    """Problems found in one proposal's events, in order (empty when the chain is intact)."""
    problems: list[AuditProblem] = []
    prev, expected_seq = "", 1
    for event in events:
        if event.seq != expected_seq:
            problems.append(AuditProblem(proposal_id, event.id, event.seq,
                                         f"序号不连续（应为 {expected_seq}），有事件被删除。"))
        if event.prev_hash != prev:
            problems.append(AuditProblem(proposal_id, event.id, event.seq, "前一事件的哈希不符，事件链被改动。"))
        if event_hash(event) != event.hash:
            problems.append(AuditProblem(proposal_id, event.id, event.seq, "内容与哈希不符，事件被修改。"))
        prev, expected_seq = event.hash, event.seq + 1
    if prev != (head_hash or ""):
        problems.append(AuditProblem(proposal_id, None, None, "最后一个事件与建议记录的哈希不符，末尾事件被删除或改动。"))
    return problems


async def verify_all(db) -> tuple[list[AuditProblem], int]:
    """Check every proposal's chain (streamed, one proposal at a time); returns problems and proposals checked."""
    from sqlalchemy import select

    from storage.models import Proposal

    problems: list[AuditProblem] = []
    async with db.read() as session:
        heads = dict((await session.execute(select(Proposal.id, Proposal.last_event_hash))).all())
        seen: set[int] = set()
        group: list[Event] = []

        def close_group():
            if group:
                pid = group[0].proposal_id
                seen.add(pid)
                if pid in heads:
                    problems.extend(verify_chain(pid, heads[pid], group))
                else:
                    problems.append(AuditProblem(pid, None, None, "事件所属的建议记录不存在（建议被删除）。"))
                group.clear()

        rows = await session.stream(select(Event).order_by(Event.proposal_id, Event.seq, Event.id)
                                    .execution_options(yield_per=2000))
        async for event in rows.scalars():
            if group and event.proposal_id != group[0].proposal_id:
                close_group()
            group.append(event)
        close_group()
    for pid in sorted(set(heads) - seen):
        problems += verify_chain(pid, heads[pid], [])
    return sorted(problems, key=lambda p: (p.proposal_id, p.seq or 0)), len(heads)
