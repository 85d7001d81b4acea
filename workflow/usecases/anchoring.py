"""Writing anchors: the heads of every chain, kept outside the database (workflow/domain/anchors.py).

When one is written: after every `audit verify` that passes, by `audit receipt` (which prints it), after
the legacy chains are sealed, and by the server every `audit.anchor_interval_seconds` when events were
written since the newest anchor. An anchor is written only when every chain still extends the newest
one (none shorter, no old head replaced, no proposal gone), so a rollback can never become the new
normal: the server logs the refusal and `audit verify` names it. Cheap: one read of the proposals'
stored heads, and one lookup for each chain that grew since the newest anchor.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit_files import AnchorLog
from storage.db import Database
from storage.models import SYSTEM_HEAD, Event, Meta, Proposal, SystemEvent, utcnow
from storage.uow import Conflict
from workflow.domain import anchors as rules
from workflow.domain.anchors import Anchor, Head

log = logging.getLogger("jianyi.audit")
LOOKUPS = 400


class AnchorRefused(Exception):
    """The chains no longer extend the newest anchor: no new anchor is written over that."""

    def __init__(self, problems: list[str]):
        super().__init__("；".join(problems[:3]))
        self.problems = problems


def system_head(value: Optional[str]) -> Head:
    count, _, newest = (value or "0:").partition(":")
    return Head(None, int(count or 0), newest)


async def current_heads(session: AsyncSession) -> tuple[Head, list[Head]]:
    """The system chain's head and every proposal's stored head, by id."""
    meta = await session.get(Meta, SYSTEM_HEAD)
    rows = await session.execute(select(Proposal.id, Proposal.event_count, Proposal.last_event_hash, Proposal.number)
                                 .order_by(Proposal.id))
    return system_head(meta.value if meta else None), [Head(r.id, r.event_count or 0, r.last_event_hash or "",
                                                            r.number or "") for r in rows]


def newest_anchor(folder: Path, key: bytes) -> tuple[Optional[Anchor], list[str]]:
    return rules.check_log(key, AnchorLog(folder).lines())


def anchored_heads(folder: Path, anchor: Anchor) -> tuple[Optional[Iterator[Head]], Optional[str]]:
    """The heads anchor `anchor` covers, read as needed, or why they cannot be trusted."""
    anchor_log = AnchorLog(folder)
    lines = anchor_log.heads_lines(anchor.number)
    if lines is None:
        return None, f"找不到{anchor.label}的链尾文件 {anchor_log.heads_path(anchor.number).name}（被删除或移走）。"
    if rules.digest_of(lines) != anchor.heads:
        return None, f"{anchor.label}的链尾文件与回执的摘要不符：文件被改动。"
    return (h for h in map(rules.parse_head, anchor_log.heads_lines(anchor.number) or []) if h is not None), None


async def write_anchor(db: Database, folder: Path, force: bool = False) -> Anchor:
    """Append an anchor of the chains as they are now (unless nothing changed since the newest and not
    `force`); AnchorRefused when they do not extend the newest anchor."""
    key = db.chain_key
    previous, problems = newest_anchor(folder, key)
    async with db.read() as session:
        system, heads = await current_heads(session)
        if previous is not None and not problems:
            problems += await _still_extends(session, folder, previous, system, heads)
    if problems:
        raise AnchorRefused(problems)
    events = sum(h.count for h in heads)
    if (not force and previous is not None and (previous.proposals, previous.events, previous.system_events)
            == (len(heads), events, system.count)):
        return previous
    at = utcnow().replace(microsecond=0)

    def make(last_line: Optional[str]):
        if ("\t".join((last_line or "").split()) or None) != (previous.line if previous else None):
            raise Conflict("另一个进程刚刚写了回执，请再试一次。")
        number = (previous.number + 1) if previous else 1
        lines = list(rules.heads_lines(number, [system, *heads]))
        line = rules.anchor_line(key, number, at, len(heads), events, system.count, rules.digest_of(lines),
                                 previous.mac if previous else "")
        return line, lambda: iter(lines), number

    return rules.parse_anchor(AnchorLog(folder).append(make))


async def _still_extends(session: AsyncSession, folder: Path, anchor: Anchor, system: Head,
                         heads: list[Head]) -> list[str]:
    old, problem = anchored_heads(folder, anchor)
    if old is None:
        return [problem]
    now = {h.proposal_id: h for h in heads}
    problems, grown = [], []
    for head in old:
        current = system if head.proposal_id is None else now.get(head.proposal_id)
        name = "系统事件链" if head.proposal_id is None else f"建议 id={head.proposal_id}"
        if current is None:
            problems.append(f"{name}：{rules.missing_proposal(anchor, head)}")
        elif current.count < head.count or (current.count == head.count and current.hash != head.hash):
            problems.append(f"{name}：{rules.compare_head(anchor, head, [current.hash] * current.count) or '链尾被移动。'}")
        elif current.count > head.count and head.count:
            grown.append(head)
    for start in range(0, len(grown), LOOKUPS):
        problems += await _old_heads_still_there(session, anchor, grown[start:start + LOOKUPS])
    return problems


async def _old_heads_still_there(session: AsyncSession, anchor: Anchor, heads: list[Head]) -> list[str]:
    found: dict[tuple, str] = {}
    proposals = [(h.proposal_id, h.count) for h in heads if h.proposal_id is not None]
    if proposals:
        rows = await session.execute(select(Event.proposal_id, Event.seq, Event.hash)
                                     .where(tuple_(Event.proposal_id, Event.seq).in_(proposals)))
        found.update({(r.proposal_id, r.seq): r.hash for r in rows})
    system = [h.count for h in heads if h.proposal_id is None]
    if system:
        rows = await session.execute(select(SystemEvent.seq, SystemEvent.hash).where(SystemEvent.seq.in_(system)))
        found.update({(None, r.seq): r.hash for r in rows})
    return [f"{'系统事件链' if h.proposal_id is None else f'建议 id={h.proposal_id}'}："
            f"{anchor.label}时的链尾（第 {h.count} 条）已被替换：事件链被改写或回退。"
            for h in heads if found.get((h.proposal_id, h.count)) != h.hash]


async def keep_anchoring(db: Database, folder: Path, interval: float, stop: asyncio.Event) -> None:
    """The server's anchors: every `interval` seconds, one when something was written since the last."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
            return
        except asyncio.TimeoutError:
            pass
        try:
            await write_anchor(db, folder)
        except AnchorRefused as refused:
            log.error("audit: no anchor written, the chains do not extend the newest one: %s",
                      "; ".join(refused.problems[:5]))
        except (Conflict, OSError) as exc:
            log.warning("audit: anchor not written this time: %s", exc)


def check_receipt(folder: Path, key: bytes, line: str) -> list[str]:
    """Whether a receipt kept on paper is a genuine anchor that anchors.log still holds."""
    anchor = rules.parse_anchor(line)
    if anchor is None:
        return ["给出的内容不是一行回执（应以 n= 开头，含 mac=）。"]
    if not rules.line_is_genuine(key, anchor):
        return ["这行回执的校验码不对：抄写有误、被改动，或不是用本系统的审计密钥写下的。"]
    if anchor.line not in ("\t".join(stored.split()) for stored in AnchorLog(folder).lines()):
        return [f"anchors.log 中已没有{anchor.label}：回执记录被删改。"]
    return []
