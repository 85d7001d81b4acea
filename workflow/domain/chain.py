"""The event logs' hash chains: each event's hash is an HMAC-SHA256, under a key kept outside the
database, of its content and the previous event's hash.

Three kinds of chain: one per proposal (table `events`), one per other record such as a citizen's
opinion (table `record_events`), and one system chain of administrative actions (table `system_events`). Pure: how an event is hashed and how a chain is checked. The one writer is
workflow/engine/chain.py; `run.py audit verify` reads the chains through workflow/usecases/audit.py.
Without the key an intruder who edits an event cannot compute a hash that verifies, however much of
the chain after it they recompute. `legacy_event_hash` is the unkeyed rule of events written before
migration 0008, used once, when they are sealed under the key (workflow/engine/sealing.py).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

Event = Any  # a stored event row (storage.models.Event, SystemEvent, or a Row with their columns)


def _canonical(value):
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def _encode(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def _event_body(event: Event) -> dict:
    return {
        "proposal_id": event.proposal_id, "seq": event.seq, "action": event.action,
        "actor_kind": event.actor_kind, "actor_id": event.actor_id, "actor_name": event.actor_name,
        "on_behalf_kind": event.on_behalf_kind or "", "on_behalf_id": event.on_behalf_id or "",
        "assignment_id": event.assignment_id, "from_state": event.from_state or "", "to_state": event.to_state,
        "payload": _canonical(event.payload or {}),
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "prev_hash": event.prev_hash or "",
    }


def _mac(key: bytes, purpose: bytes, data: bytes) -> str:
    return hmac.new(key, purpose + b"\n" + data, hashlib.sha256).hexdigest()


def event_hash(event: Event, key: bytes) -> str:
    """The keyed hash of one proposal event (over its content and `prev_hash`)."""
    return _mac(key, b"event", _encode(_event_body(event)))


def legacy_event_hash(event: Event) -> str:
    """The unkeyed SHA-256 events had before migration 0008 (only for sealing them)."""
    return hashlib.sha256(_encode(_event_body(event))).hexdigest()


def system_event_hash(event: Event, key: bytes) -> str:
    """The keyed hash of one system event."""
    body = {
        "seq": event.seq, "action": event.action, "actor_kind": event.actor_kind, "actor_id": event.actor_id,
        "actor_name": event.actor_name, "subject_kind": event.subject_kind, "subject_id": event.subject_id or "",
        "payload": _canonical(event.payload or {}),
        "created_at": event.created_at.isoformat(timespec="microseconds"), "prev_hash": event.prev_hash or "",
    }
    return _mac(key, b"system", _encode(body))


def record_event_hash(event: Event, key: bytes) -> str:
    """The keyed hash of one event of a record that is not a proposal (an opinion: table `record_events`)."""
    body = {
        "subject_kind": event.subject_kind, "subject_id": event.subject_id, "seq": event.seq,
        "action": event.action, "actor_kind": event.actor_kind, "actor_id": event.actor_id,
        "actor_name": event.actor_name, "on_behalf_kind": event.on_behalf_kind or "",
        "on_behalf_id": event.on_behalf_id or "", "from_state": event.from_state or "", "to_state": event.to_state,
        "payload": _canonical(event.payload or {}),
        "created_at": event.created_at.isoformat(timespec="microseconds"), "prev_hash": event.prev_hash or "",
    }
    return _mac(key, b"record", _encode(body))


def key_id(key: bytes) -> str:
    """A name for the key that reveals nothing of it (kept in `meta` to tell a wrong key at once)."""
    return _mac(key, b"key-id", b"jianyi audit key")[:16]


def mac_text(key: bytes, purpose: str, text: str) -> str:
    """A keyed digest of a text (anchor lines, openids)."""
    return _mac(key, purpose.encode("ascii"), text.encode("utf-8"))


def masked_openid(openid: str) -> str:
    """What a log shows of a WeChat openid: its first and last four characters."""
    openid = openid or ""
    return f"{openid[:4]}…{openid[-4:]}" if len(openid) > 10 else "…"


def openid_ref(key: bytes, openid: str) -> str:
    """A keyed fingerprint of an openid: the same person shows the same 12 characters, and nobody
    without the key can tell which openid it is."""
    return mac_text(key, "openid", openid)[:12]


@dataclass
class AuditProblem:
    """One thing `audit verify` found; printed as one line in Chinese."""

    proposal_id: Optional[int]
    event_id: Optional[int]
    seq: Optional[int]
    message: str
    # proposal (its chain) | record (an opinion's chain) | table (its rows against its chain) | anchored (its chain against the newest
    # anchor) | system (the system chain) | anchor (the anchor log) | database (whole tables)
    scope: str = "proposal"
    number: str = ""

    def __str__(self) -> str:
        if self.scope == "anchor":
            return f"回执：{self.message}"
        if self.scope == "record":
            where = f"事件 #{self.event_id}（第 {self.seq} 条）" if self.event_id else "事件链末尾"
            return f"{self.number} {where}：{self.message}"
        if self.scope == "database":
            return f"数据库：{self.message}"
        if self.scope == "system":
            where = f"系统事件 #{self.event_id}（第 {self.seq} 条）" if self.event_id else "系统事件链末尾"
            return f"系统日志 {where}：{self.message}"
        name = f"建议 id={self.proposal_id}" + (f"（{self.number}）" if self.number else "")
        if self.scope == "table":
            return f"{name} 数据表：{self.message}"
        if self.scope == "anchored":
            return f"{name} 与回执核对：{self.message}"
        where = f"事件 #{self.event_id}（第 {self.seq} 条）" if self.event_id else "事件链末尾"
        return f"{name} {where}：{self.message}"

    @property
    def order(self) -> tuple:
        scopes = {"system": 0, "proposal": 1, "anchored": 1, "table": 1, "record": 2, "database": 2, "anchor": 3}
        return scopes[self.scope], self.proposal_id or 0, self.scope != "proposal", self.seq or 0


Report = Callable[[Optional[int], Optional[int], str], AuditProblem]


def verify_chain(proposal_id: int, head_hash: str, events: Iterable[Event], key: bytes,
                 head_count: Optional[int] = None) -> list[AuditProblem]:
    """Problems found in one proposal's events, in order (empty when the chain is intact)."""
    return check_chain(events, head_hash, head_count, lambda e: event_hash(e, key),
                       lambda event_id, seq, message: AuditProblem(proposal_id, event_id, seq, message))


def verify_system_chain(head_hash: str, head_count: Optional[int], events: Iterable[Event],
                        key: bytes) -> list[AuditProblem]:
    """Problems found in the system chain."""
    return check_chain(events, head_hash, head_count, lambda e: system_event_hash(e, key),
                       lambda event_id, seq, message: AuditProblem(None, event_id, seq, message, scope="system"))


def verify_record_chain(subject_kind: str, subject_id: int, head_hash: str, head_count: Optional[int],
                        events: Iterable[Event], key: bytes) -> list[AuditProblem]:
    """Problems found in one record's chain (an opinion's)."""
    label = RECORD_LABELS.get(subject_kind, subject_kind)
    return check_chain(events, head_hash, head_count, lambda e: record_event_hash(e, key),
                       lambda event_id, seq, message: AuditProblem(None, event_id, seq, message, scope="record",
                                                                   number=f"{label} id={subject_id}"))


RECORD_LABELS = {"opinion": "群众意见", "project": "民生实事项目"}


def check_chain(events: Iterable[Event], head_hash: str, head_count: Optional[int],
                hash_of: Callable[[Event], str], report: Report) -> list[AuditProblem]:
    """A chain's problems: a gap in the numbers, a broken link, content that does not match its
    keyed hash, a stored head (hash and count) that is not the newest event."""
    problems: list[AuditProblem] = []
    prev, expected_seq = "", 1
    for event in events:
        if event.seq != expected_seq:
            problems.append(report(event.id, event.seq, f"序号不连续（应为 {expected_seq}），有事件被删除。"))
        if event.prev_hash != prev:
            problems.append(report(event.id, event.seq, "前一事件的哈希不符，事件链被改动。"))
        if hash_of(event) != event.hash:
            problems.append(report(event.id, event.seq,
                                   "内容与用审计密钥算出的哈希不符，事件被修改（或其哈希被重新计算）。"))
        prev, expected_seq = event.hash, event.seq + 1
    if prev != (head_hash or ""):
        problems.append(report(None, None, "最后一个事件与记录的链尾哈希不符，末尾事件被删除或改动。"))
    elif head_count is not None and head_count != expected_seq - 1:
        problems.append(report(None, None, f"记录的事件数 {head_count} 与事件链的 {expected_seq - 1} 个不符。"))
    return problems
