"""`run.py audit verify`: every chain, the newest anchor, and the tables against the log.

What it checks, streamed in batches of proposals (memory stays flat at 100k proposals and 1M events):
- the system chain and each proposal's chain: numbers without gaps, links, each event's keyed hash, the
  stored head (hash and count) — workflow/domain/chain.py;
- the newest anchor outside the database: its line's MAC and its place in anchors.log, its heads
  file's digest, and that every chain still extends what it saw (events missing, heads moved,
  proposals missing) — workflow/domain/anchors.py;
- that `proposals`, `replies`, `evaluations` and `assignments` are what the events say — for each
  proposal whose chain is intact (workflow/domain/projection.py), its 并案 too: `proposals.group_id` and
  the lead of the `handling_groups` row it points to (joined per batch) against its combine/uncombine
  events; proposal numbers without gaps.
Everything is read in one transaction (one snapshot), so a verify next to a running server sees a
consistent database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.db import Database
from storage.models import (
    SYSTEM_HEAD,
    Assignment,
    Deputy,
    Evaluation,
    Event,
    HandlingGroup,
    Meta,
    Proposal,
    ProposalCounter,
    Reply,
    SystemEvent,
    Unit,
)
from storage.models.liaison import CitizenOpinion, RecordEvent
from storage.models.projects import Project
from workflow.domain import anchors as anchor_rules
from workflow.domain import projection
from workflow.domain.anchors import Anchor, Head
from workflow.domain.chain import AuditProblem, key_id, verify_chain, verify_record_chain, verify_system_chain
from workflow.engine.sealing import KEY_ID, WrongKey
from workflow.usecases.anchoring import anchored_heads, newest_anchor, system_head

BATCH = 500


@dataclass
class AuditReport:
    problems: list[AuditProblem] = field(default_factory=list)
    proposals: int = 0
    events: int = 0
    system_events: int = 0
    records: int = 0  # other records with a chain of their own (citizens' opinions)
    anchor: Optional[Anchor] = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def __iter__(self):
        """The earlier shape, `problems, checked = await verify_all(db)`, still unpacks."""
        return iter((self.problems, self.proposals))


class _Heads:
    """The newest anchor's heads, taken in proposal id order alongside the batches."""

    def __init__(self, heads: Optional[Iterator[Head]]):
        self._heads, self._next = heads, None
        self.system: Optional[Head] = None
        self._advance()
        if self._next is not None and self._next.proposal_id is None:
            self.system = self._next
            self._advance()

    def _advance(self) -> None:
        self._next = next(self._heads, None) if self._heads is not None else None

    def up_to(self, last_id: Optional[int]) -> list[Head]:
        taken = []
        while self._next is not None and (last_id is None or self._next.proposal_id <= last_id):
            taken.append(self._next)
            self._advance()
        return taken


async def verify_all(db: Database, anchor_dir: Optional[Path] = None) -> AuditReport:
    """Check everything `audit verify` checks (see the module doc); `anchor_dir` None skips the anchors."""
    report, key = AuditReport(), db.chain_key
    async with db.read() as session:
        if not db.is_sqlite:  # one snapshot for every statement below
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        recorded = await session.get(Meta, KEY_ID)
        if recorded is not None and recorded.value != key_id(key):
            report.problems.append(AuditProblem(None, None, None, WrongKey().message, scope="anchor"))
            return report
        heads = _Heads(None)
        if anchor_dir is not None:
            heads = _anchor(report, anchor_dir, key)
        boundary = await _system_chain(session, report, key, heads)
        await _proposals(session, report, key, heads, boundary)
        await _records(session, report, key)
        await _numbers(session, report)
    report.problems.sort(key=lambda p: p.order)
    return report


def _anchor(report: AuditReport, anchor_dir: Path, key: bytes) -> _Heads:
    anchor, problems = newest_anchor(anchor_dir, key)
    report.problems += [AuditProblem(None, None, None, p, scope="anchor") for p in problems]
    report.anchor = anchor
    if anchor is None:
        return _Heads(None)
    heads, problem = anchored_heads(anchor_dir, anchor)
    if problem:
        report.problems.append(AuditProblem(None, None, None, problem, scope="anchor"))
    return _Heads(heads)


async def _system_chain(session: AsyncSession, report: AuditReport, key: bytes, heads: _Heads) -> int:
    """Check the system chain; returns the highest legacy event id its seal recorded (0: none)."""
    meta = await session.get(Meta, SYSTEM_HEAD)
    head = system_head(meta.value if meta else None)
    rows = (await session.execute(select(SystemEvent.__table__).order_by(SystemEvent.seq, SystemEvent.id))).all()
    problems = verify_system_chain(head.hash, head.count, rows, key)
    report.problems += problems
    report.system_events = len(rows)
    if heads.system is not None and report.anchor is not None:
        found = anchor_rules.compare_head(report.anchor, heads.system, [r.hash for r in rows])
        if found:
            report.problems.append(AuditProblem(None, None, None, found, scope="system"))
    return max([int((r.payload or {}).get("legacy_max_event_id") or 0) for r in rows if r.action == "seal_legacy"],
               default=0)


async def _proposals(session: AsyncSession, report: AuditReport, key: bytes, heads: _Heads, boundary: int) -> None:
    last = 0
    while True:
        batch = (await session.execute(_proposal_rows().where(Proposal.id > last)
                                       .order_by(Proposal.id).limit(BATCH))).all()
        high = batch[-1].id if batch else None
        rows = await _rows_of(session, last, high)
        present = {p.id for p in batch}
        anchored = {}
        for head in heads.up_to(high):
            if head.proposal_id in present:
                anchored[head.proposal_id] = head
            elif head.proposal_id not in rows["events"]:
                report.problems.append(AuditProblem(head.proposal_id, None, None,
                                                    anchor_rules.missing_proposal(report.anchor, head),
                                                    scope="anchored", number=head.number))
        for proposal_id, chain in rows["events"].items():
            if proposal_id not in present:
                report.problems.append(AuditProblem(proposal_id, None, None, "事件所属的建议记录不存在（建议被删除）。"))
                report.events += len(chain)
        for proposal in batch:
            _check_proposal(report, key, proposal, anchored.get(proposal.id), rows, boundary)
        if not batch:
            return
        last = high


def _proposal_rows():
    """The proposals' columns the projection compares, with the number of their 并案's lead (one row each)."""
    group_lead = aliased(Proposal)
    return (select(Proposal.id, Proposal.number, Proposal.state, Proposal.title, Proposal.category,
                   Proposal.content, Proposal.confidential, Proposal.face_to_face, Proposal.key_supervision,
                   Proposal.key_leader, Proposal.key_committee, Proposal.key_proposed, Proposal.round,
                   Proposal.unsatisfied_count, Proposal.event_count, Proposal.last_event_hash,
                   Proposal.session_id, Proposal.kind, Proposal.official_number, Proposal.origin,
                   Deputy.number.label("lead_number"), Proposal.group_id, HandlingGroup.id.label("group_row"),
                   group_lead.number.label("group_lead"))
            .outerjoin(Deputy, Deputy.id == Proposal.lead_deputy_id)
            .outerjoin(HandlingGroup, HandlingGroup.id == Proposal.group_id)
            .outerjoin(group_lead, group_lead.id == HandlingGroup.lead_proposal_id))


async def _rows_of(session: AsyncSession, low: int, high: Optional[int]) -> dict[str, dict[int, list]]:
    """Events, replies, evaluations and assignments of proposals low < id <= high (high None: all above)."""
    events = Event.__table__

    def within(column):
        return (column > low) if high is None else (column > low) & (column <= high)

    queries = {
        "events": select(events).where(within(events.c.proposal_id)).order_by(events.c.proposal_id, events.c.seq,
                                                                              events.c.id),
        "replies": select(Reply.__table__).where(within(Reply.proposal_id)).order_by(Reply.proposal_id, Reply.id),
        "evaluations": select(Evaluation.__table__, Deputy.number.label("deputy"))
        .outerjoin(Deputy, Deputy.id == Evaluation.deputy_id).where(within(Evaluation.proposal_id))
        .order_by(Evaluation.proposal_id, Evaluation.id),
        "assignments": select(Assignment.id, Assignment.proposal_id, Assignment.role, Assignment.state,
                              Assignment.reply_due, Assignment.link_version, Unit.code.label("unit"))
        .outerjoin(Unit, Unit.id == Assignment.unit_id).where(within(Assignment.proposal_id))
        .order_by(Assignment.proposal_id, Assignment.id),
    }
    found: dict[str, dict[int, list]] = {}
    for name, query in queries.items():
        grouped: dict[int, list] = {}
        for row in (await session.execute(query)).all():
            grouped.setdefault(row.proposal_id, []).append(row)
        found[name] = grouped
    return found


def _check_proposal(report: AuditReport, key: bytes, proposal, head: Optional[Head], rows: dict,
                    boundary: int) -> None:
    chain = rows["events"].get(proposal.id, [])
    report.proposals += 1
    report.events += len(chain)
    problems = verify_chain(proposal.id, proposal.last_event_hash, chain, key, proposal.event_count)
    if not chain:
        problems.append(AuditProblem(proposal.id, None, None, "这件建议没有任何事件：建议记录不是经由系统写入的"
                                                             "（被伪造），或它的事件全被删除。"))
    elif not problems:  # the tables are compared with a chain only once the chain itself holds
        replies, assignments = rows["replies"].get(proposal.id, []), rows["assignments"].get(proposal.id, [])
        complete = all(e.id > boundary for e in chain)  # older events do not record assignment states
        expected = projection.fold(chain, replies, assignments, check_assignments=complete)
        found = projection.compare(expected, proposal, replies, rows["evaluations"].get(proposal.id, []),
                                   assignments if complete else None)
        problems += [AuditProblem(proposal.id, None, None, text, scope="table") for text in found]
    if head is not None and (found := anchor_rules.compare_head(report.anchor, head, [e.hash for e in chain])):
        problems.append(AuditProblem(proposal.id, None, None, found, scope="anchored"))
    for problem in problems:
        problem.number = proposal.number or ""
    report.problems += problems


# Records with a chain of their own in `record_events`: kind -> model (with event_count, last_event_hash).
RECORD_MODELS = {"opinion": CitizenOpinion, "project": Project}


async def _records(session: AsyncSession, report: AuditReport, key: bytes) -> None:
    """Each record's chain (a citizen's opinion...), in batches; events of a record that is gone are named."""
    events = RecordEvent.__table__
    for kind, model in RECORD_MODELS.items():
        last = 0
        while True:
            batch = (await session.execute(select(model.id, model.event_count, model.last_event_hash)
                                           .where(model.id > last).order_by(model.id).limit(BATCH))).all()
            if not batch:
                break
            low, high = last + 1, batch[-1].id
            chains: dict[int, list] = {}
            rows = await session.execute(select(events).where(events.c.subject_kind == kind, events.c.subject_id >= low,
                                                              events.c.subject_id <= high)
                                         .order_by(events.c.subject_id, events.c.seq, events.c.id))
            for row in rows.all():
                chains.setdefault(row.subject_id, []).append(row)
            for record in batch:
                chain = chains.pop(record.id, [])
                report.records += 1
                report.events += len(chain)
                report.problems += verify_record_chain(kind, record.id, record.last_event_hash, record.event_count,
                                                       chain, key)
                if not chain:
                    report.problems.append(AuditProblem(None, None, None, "这条记录没有任何事件：不是经由系统写入的。",
                                                        scope="record", number=f"{kind} id={record.id}"))
            for subject_id in chains:
                report.problems.append(AuditProblem(None, None, None, "事件所属的记录不存在（记录被删除）。",
                                                    scope="record", number=f"{kind} id={subject_id}"))
            last = high
        orphans = (await session.execute(select(events.c.subject_id).where(
            events.c.subject_kind == kind, events.c.subject_id > last).distinct())).scalars().all()
        for subject_id in orphans:
            report.problems.append(AuditProblem(None, None, None, "事件所属的记录不存在（记录被删除）。",
                                                scope="record", number=f"{kind} id={subject_id}"))


async def _numbers(session: AsyncSession, report: AuditReport) -> None:
    """Numbers are given without gaps (2025-001, 2025-002, ...): one missing is a proposal deleted."""
    counters = dict((await session.execute(select(ProposalCounter.year, ProposalCounter.last))).all())
    given: dict[int, set[int]] = {}
    for (number,) in (await session.execute(select(Proposal.number).where(Proposal.number.is_not(None)))).all():
        year, _, serial = number.partition("-")
        if year.isdigit() and serial.isdigit():
            given.setdefault(int(year), set()).add(int(serial))
    for year, last in sorted(counters.items()):
        missing = sorted(set(range(1, last + 1)) - given.get(year, set()))
        if missing:
            shown = "、".join(f"{year}-{n:03d}" for n in missing[:20]) + ("……" if len(missing) > 20 else "")
            report.problems.append(AuditProblem(None, None, None, f"编号 {shown} 已发出，但没有这些编号的建议："
                                                                  "建议被删除。", scope="database"))
