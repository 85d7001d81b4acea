"""The event log's hash chain: each event's hash covers its content and the previous event's hash.

Pure: how an event is hashed and how a chain is checked. The one writer is workflow/engine/chain.py;
`run.py audit verify` reads the chains through workflow/usecases/audit.py.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable

Event = Any  # a stored event row (storage.models.Event) or anything with its fields


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
