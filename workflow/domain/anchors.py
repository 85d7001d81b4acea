"""Anchors: the heads of every chain, written outside the database, so a rollback shows.

An anchor is one line of the append-only anchors.log and a heads file beside it:

    n=17  at=2025-06-01T10:00:00Z  proposals=1234  events=45678  system_events=321  heads=<sha256>  prev=<mac>  mac=<mac>

The heads file lists, for the system chain and each proposal, how many events it had and its newest
hash; `heads` is the SHA-256 of that file, `prev` the previous line's `mac`, and `mac` an HMAC of the
line under the chain key. Printed, the line is a receipt staff keep (`run.py audit receipt`). An
intruder with the database can delete a proposal's last events and move its stored head back, or
delete a whole proposal, leaving a chain that verifies: the newest anchor still says what was there.
Pure: the formats and the comparisons; workflow/usecases/anchoring.py reads and writes them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

from workflow.domain import clock as beijing
from workflow.domain.chain import mac_text

HEADS_TITLE = "# jianyi audit heads"


@dataclass(frozen=True)
class Anchor:
    number: int
    at: dt.datetime  # UTC, naive like every row's timestamps
    proposals: int
    events: int
    system_events: int
    heads: str
    prev: str
    mac: str
    line: str

    @property
    def label(self) -> str:
        return f"第 {self.number} 号回执（{self.at:%Y-%m-%d %H:%M} UTC）"


@dataclass(frozen=True)
class Head:
    """One chain's length and newest hash at an anchor (proposal_id None: the system chain)."""

    proposal_id: Optional[int]
    count: int
    hash: str
    number: str = ""

    def line(self) -> str:
        if self.proposal_id is None:
            return f"S {self.count} {self.hash or '-'}"
        return f"P {self.proposal_id} {self.count} {self.hash or '-'} {self.number or '-'}"


def parse_head(line: str) -> Optional[Head]:
    parts = line.split()
    if len(parts) == 3 and parts[0] == "S":
        return Head(None, int(parts[1]), "" if parts[2] == "-" else parts[2])
    if len(parts) == 5 and parts[0] == "P":
        return Head(int(parts[1]), int(parts[2]), "" if parts[3] == "-" else parts[3],
                    "" if parts[4] == "-" else parts[4])
    return None


def heads_lines(number: int, heads: Iterable[Head]) -> Iterator[str]:
    yield f"{HEADS_TITLE}, anchor {number}"
    for head in heads:
        yield head.line()


def digest_of(lines: Iterable[str]) -> str:
    """The SHA-256 of a heads file's lines (what an anchor line's `heads` says)."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


def anchor_line(key: bytes, number: int, at: dt.datetime, proposals: int, events: int, system_events: int,
                heads: str, prev: str) -> str:
    body = "\t".join([f"n={number}", f"at={at:%Y-%m-%dT%H:%M:%S}Z", f"proposals={proposals}", f"events={events}",
                      f"system_events={system_events}", f"heads={heads}", f"prev={prev or '-'}"])
    return f"{body}\tmac={mac_text(key, 'anchor', body)}"


def parse_anchor(line: str) -> Optional[Anchor]:
    """An anchor line, as written (tabs) or as copied from a printed receipt (any spaces)."""
    fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
    try:
        return Anchor(int(fields["n"]), dt.datetime.strptime(fields["at"], "%Y-%m-%dT%H:%M:%SZ"),
                      int(fields["proposals"]), int(fields["events"]), int(fields["system_events"]),
                      fields["heads"], "" if fields["prev"] == "-" else fields["prev"], fields["mac"],
                      "\t".join(line.split()))
    except (KeyError, ValueError):
        return None


def line_is_genuine(key: bytes, anchor: Anchor) -> bool:
    body = anchor.line.rsplit("\tmac=", 1)[0]
    return mac_text(key, "anchor", body) == anchor.mac


def check_log(key: bytes, lines: list[str]) -> tuple[Optional[Anchor], list[str]]:
    """The newest genuine anchor, and what is wrong with the log: a line whose MAC fails, a line missing
    (numbers or links skip), counts that went down (events are never taken away)."""
    problems: list[str] = []
    previous: Optional[Anchor] = None
    for index, line in enumerate(lines, 1):
        anchor = parse_anchor(line)
        if anchor is None or not line_is_genuine(key, anchor):
            problems.append(f"anchors.log 第 {index} 行不是用本审计密钥写下的回执（被改动，或换了密钥）。")
            continue
        if previous is not None:
            if anchor.number != previous.number + 1 or anchor.prev != previous.mac:
                problems.append(f"第 {anchor.number} 号回执与上一行第 {previous.number} 号接不上：回执记录被删改。")
            for name, label in (("proposals", "建议"), ("events", "事件"), ("system_events", "系统事件")):
                if getattr(anchor, name) < getattr(previous, name):
                    problems.append(f"{anchor.label}的{label}数比{previous.label}少：记录被删除后又写了回执。")
        previous = anchor
    return previous, problems


def compare_head(anchor: Anchor, head: Head, hashes: list[str]) -> Optional[str]:
    """Whether a chain (its events' hashes, in order) still extends what `anchor` saw of it."""
    if len(hashes) < head.count:
        missing = head.count - len(hashes)
        return (f"{anchor.label}时这条链有 {head.count} 个事件，现在只有 {len(hashes)} 个："
                f"{missing} 个事件被删除（末尾被删后链尾被移回）。")
    if head.count and hashes[head.count - 1] != head.hash:
        return f"{anchor.label}时的链尾（第 {head.count} 条）已被替换：事件链被改写或回退。"
    return None


def missing_proposal(anchor: Anchor, head: Head) -> str:
    return (f"{anchor.label}中有这件建议（{head.count} 个事件），现在数据库里既没有这件建议也没有它的事件："
            "整件建议被删除。")


def receipt_text(anchor: Anchor) -> str:
    """The receipt to print or copy down: what the anchor says, and the line itself."""
    local = beijing.local(anchor.at)
    digest = " ".join(anchor.heads[i:i + 8] for i in range(0, 32, 8))
    return "\n".join([
        "代表建议办理系统 · 审计回执 / audit receipt",
        f"回执编号 / anchor:        第 {anchor.number} 号",
        f"时间 / time:              {local:%Y-%m-%d %H:%M:%S}（北京时间） / {anchor.at:%Y-%m-%d %H:%M:%S} UTC",
        f"建议 / proposals:         {anchor.proposals} 件",
        f"事件 / events:            {anchor.events} 个",
        f"系统事件 / system events: {anchor.system_events} 个",
        f"链尾摘要 / heads digest:  {digest} …",
        f"校验码 / MAC:             {anchor.mac[:16]}",
        "原始记录（请完整保存这一行）/ the anchor line, keep it whole:",
        anchor.line,
        "核对：python run.py audit verify --receipt '<上面这一行>'",
    ])
