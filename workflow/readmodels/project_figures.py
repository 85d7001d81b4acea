"""A year's livelihood-project figures (workflow/domain/project_tallies.py) and the ledger's rows; reads only.
Streams columns, never whole rows of every year."""
from __future__ import annotations

from typing import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Project, RecordEvent, Unit
from workflow.domain.project_tallies import ProjectFacts, year_figures
from workflow.domain.projects import PROJECT_STATES, SOURCES


async def figures(session: AsyncSession, year: int) -> dict:
    marks = select(RecordEvent.subject_id, RecordEvent.action).where(
        RecordEvent.subject_kind == "project", RecordEvent.action.in_(("promote", "vote_in")),
        RecordEvent.subject_id.in_(select(Project.id).where(Project.year == year)))
    seen: dict[int, set[str]] = {}
    for subject_id, action in (await session.execute(marks)).all():
        seen[subject_id] = seen.get(subject_id, set()) | {action}
    rows = (await session.execute(select(Project.id, Project.completed_on, Project.planned_completion,
                                         Project.evaluations).where(Project.year == year))).all()
    facts = [ProjectFacts(promoted="promote" in seen.get(r.id, ()), voted_in="vote_in" in seen.get(r.id, ()),
                          completed_on=r.completed_on, planned_completion=r.planned_completion,
                          evaluations=r.evaluations or {}) for r in rows]
    return {"year": year, **year_figures(facts)}


LEDGER_COLUMNS = ("编号", "项目名称", "来源", "状态", "投资（万元）", "责任单位", "牵头领导", "计划完成时间", "完成进度",
                  "完成日期", "政府初定意见", "项目内容")


async def ledger_rows(session: AsyncSession, year: int) -> AsyncIterator[tuple]:
    query = (select(Project.number, Project.title, Project.source, Project.state, Project.investment, Unit.name,
                    Project.leader, Project.planned_completion, Project.progress_percent, Project.completed_on,
                    Project.screening_note, Project.content)
             .outerjoin(Unit, Unit.id == Project.unit_id).where(Project.year == year).order_by(Project.seq))
    for row in (await session.execute(query)).all():  # a county's year: tens of rows
        yield (row[0], row[1], SOURCES.get(row[2], row[2]), PROJECT_STATES.get(row[3], row[3]), row[4], row[5] or "",
               row[6], row[7], f"{row[8]}%", row[9], row[10], row[11])
