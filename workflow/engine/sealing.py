"""Before the log is written to: the key is the log's own, and chains from before migration 0008 are
sealed under it, once (the migration's docstring says why this way).

`prepare_chain(db)` runs at the start of every `run.py` command that opens the database. The first
time, it records the key's name (`meta.audit_key_id`, an HMAC that reveals nothing of the key); after
that a different key is refused, before it could write a chain nobody can verify. When the migration
left `meta.audit_legacy = "pending:<id>"`, it checks every chain under the old unkeyed rule, rehashes
every event under the key, and records what it did as the system event `seal_legacy`.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Optional

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Event, Meta, Proposal, SystemEvent
from storage.uow import UnitOfWork
from workflow.domain.chain import event_hash, key_id, legacy_event_hash, system_event_hash
from workflow.domain.rules import Actor
from workflow.engine.chain import append_system_event, session_key

log = logging.getLogger("jianyi.audit")
KEY_ID = "audit_key_id"
LEGACY = "audit_legacy"
SEALER = Actor("system", "seal", "系统（封存升级前的事件链）")
BATCH = 500
KEPT_PROBLEMS = 50


class WrongKey(Exception):
    """The key is not the one the log was written with."""

    def __init__(self):
        super().__init__("审计密钥与写入事件日志时所用的不同：密钥文件丢失、被替换，或设置指向了别的文件。"
                         "请从备份恢复原来的密钥文件（[audit] key_file），不要用新密钥继续写入。"
                         " / The audit key is not the one this event log was written with: restore the key file.")
        self.message = str(self)


@dataclass
class Sealed:
    proposals: int = 0
    events: int = 0
    problems: int = 0

    def text(self) -> str:
        found = f"封存前按旧规则检查发现 {self.problems} 处问题，已记入系统日志。" if self.problems else "封存前检查无误。"
        return (f"已用审计密钥封存升级前的事件链：{self.proposals} 件建议、{self.events} 个事件。{found}"
                " / legacy chains sealed under the audit key.")


async def prepare_chain(db: Database) -> Optional[Sealed]:
    """Check (or record) the key's name; seal legacy chains when the migration left them pending."""
    async with UnitOfWork(db) as session:
        key = session_key(session)
        recorded = await session.get(Meta, KEY_ID)
        pending = await session.get(Meta, LEGACY)
        legacy = pending is not None and pending.value.startswith("pending:")
        if recorded is None:
            if not legacy and not await _newest_events_verify(session, key):
                raise WrongKey()
            session.add(Meta(key=KEY_ID, value=key_id(key)))
        elif recorded.value != key_id(key):
            raise WrongKey()
        if not legacy:
            return None
        boundary = int(pending.value.split(":", 1)[1])
        sealed, notes, old_heads = await _seal_all(session)
        pending.value = f"sealed:{boundary}"
        await append_system_event(session, "seal_legacy", SEALER, "chain", "events", {
            "proposals": sealed.proposals, "events": sealed.events, "legacy_max_event_id": boundary,
            "old_heads_sha256": old_heads, "problems_found": sealed.problems, "problems": list(notes)})
    log.warning("%s", sealed.text())
    return sealed


async def _newest_events_verify(session: AsyncSession, key: bytes) -> bool:
    """With no key name recorded yet: whether the newest event of each log (if any) was hashed with `key`."""
    newest = (await session.execute(select(Event.__table__).order_by(Event.id.desc()).limit(1))).first()
    if newest is not None and event_hash(newest, key) != newest.hash:
        return False
    system = (await session.execute(select(SystemEvent.__table__).order_by(SystemEvent.seq.desc()).limit(1))).first()
    return system is None or system_event_hash(system, key) == system.hash


async def _seal_all(session: AsyncSession) -> tuple[Sealed, "_Notes", str]:
    key = session_key(session)
    sealed, notes, digest, last = Sealed(), _Notes(), hashlib.sha256(), 0
    events, proposals = Event.__table__, Proposal.__table__
    while True:
        batch = (await session.execute(
            select(Proposal.id, Proposal.last_event_hash).where(Proposal.id > last)
            .order_by(Proposal.id).limit(BATCH))).all()
        if not batch:
            break
        last = batch[-1].id
        rows = (await session.execute(select(events).where(events.c.proposal_id >= batch[0].id,
                                                           events.c.proposal_id <= last)
                                      .order_by(events.c.proposal_id, events.c.seq))).all()
        chains: dict[int, list] = {}
        for row in rows:
            chains.setdefault(row.proposal_id, []).append(SimpleNamespace(**row._mapping))
        updates, heads = [], []
        for proposal_id, head in batch:
            digest.update(f"{proposal_id} {head}\n".encode())
            new_head = _reseal(key, proposal_id, head, chains.get(proposal_id, []), updates, notes)
            heads.append({"b_pid": proposal_id, "b_head": new_head})
        sealed.proposals += len(batch)
        sealed.events += len(updates)
        if updates:
            await session.execute(update(events).where(events.c.id == bindparam("b_id"))
                                  .values(prev_hash=bindparam("b_prev"), hash=bindparam("b_hash")), updates)
        await session.execute(update(proposals).where(proposals.c.id == bindparam("b_pid"))
                              .values(last_event_hash=bindparam("b_head")), heads)
    sealed.problems = notes.found
    return sealed, notes, digest.hexdigest()


class _Notes(list):
    """The old check's problems: all counted, the first KEPT_PROBLEMS kept (a wrecked log stays small)."""

    found = 0

    def append(self, text: str) -> None:
        self.found += 1
        if len(self) < KEPT_PROBLEMS:
            super().append(text)


def _reseal(key: bytes, proposal_id: int, head: str, chain: list, updates: list, notes: _Notes) -> str:
    """Check one chain under the old rule (or the key) and rehash it under the key; returns the new head."""
    stored_prev, new_prev = "", ""
    for event in chain:
        if event.prev_hash != stored_prev:
            notes.append(f"建议 id={proposal_id} 事件 #{event.id}（第 {event.seq} 条）：前一事件的哈希不符。")
        if event.hash not in (legacy_event_hash(event), event_hash(event, key)):
            notes.append(f"建议 id={proposal_id} 事件 #{event.id}（第 {event.seq} 条）：内容与哈希不符。")
        stored_prev = event.hash
        event.prev_hash = new_prev
        new_prev = event_hash(event, key)
        updates.append({"b_id": event.id, "b_prev": event.prev_hash, "b_hash": new_prev})
    if stored_prev != (head or ""):
        notes.append(f"建议 id={proposal_id}：最后一个事件与建议记录的哈希不符。")
    return new_prev
