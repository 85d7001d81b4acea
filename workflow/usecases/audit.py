"""`run.py audit verify`: read every proposal's event chain and report where it was changed."""
from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import Event, Proposal
from workflow.domain.chain import AuditProblem, verify_chain


async def verify_all(db: Database) -> tuple[list[AuditProblem], int]:
    """Check every proposal's chain (streamed, one proposal at a time); returns problems and proposals checked."""
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
