"""测评 rounds: the livelihood projects on a round's agenda, and their counts recorded on the project.

    project = await project_for_agenda(session, meeting_id, "MS2026-03")   # inside add_item's transaction
    recording = await record_on_project(engine, actor, meeting_id, item_id)  # after the item closed

The agenda, the voting window and the votes are the meetings' own (workflow/usecases/meetings.py, which
calls these); the rules are workflow/domain/evaluation_rounds.py. Recording goes through the project's
engine (workflow/engine/projects.py `ProjectEngine.record_evaluation`), in its own transaction after
the item's close committed: a close is never undone because recording failed. A failed recording is a
"record_failed" row of the meeting's log and the item shows 未记入项目; staff record it again from the
item (POST /meetings/{id}/items/{item}/record), which sends the same final counts. Recording counts the
project already keeps for this round adds nothing (no second event on its chain).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Meeting, MeetingItem, Project
from storage.uow import UnitOfWork
from workflow.domain import evaluation_rounds as rules
from workflow.domain.errors import InvalidInput, NotAllowed, NotFound
from workflow.domain.rules import Actor
from workflow.engine.engine import Engine
from workflow.engine.projects import ProjectEngine
from workflow.errors import USER_ERRORS
from workflow.readmodels.evaluation_rounds import tallies_of_items
from workflow.usecases.meeting_log import require_acting, write_log

log = logging.getLogger("jianyi.meetings")
UNAVAILABLE = "系统暂时无法写入项目（数据库繁忙或不可用），请稍后在该项点“重新记入项目”。"


@dataclass(frozen=True)
class Recording:
    """What recording a closed item's counts on its project gave: recorded now, already kept, or a problem."""

    number: str
    recorded: bool
    already: bool = False
    problem: str = ""
    status: int = 200

    @property
    def ok(self) -> bool:
        return self.recorded or self.already


async def project_for_agenda(session: AsyncSession, meeting_id: int, ref: str) -> Project:
    """The project a round's agenda may take by its number (MS2026-03): voted, being carried out or done."""
    text = (ref or "").strip().upper()
    if not text or len(text) > 16:
        raise InvalidInput("请填写项目编号，例如 MS2026-03。", field="project")
    project = (await session.execute(select(Project).where(Project.number == text))).unique().scalars().first()
    if project is None:
        raise NotFound(f"找不到项目 {text}。")
    existing = (await session.execute(select(MeetingItem.id).where(
        MeetingItem.meeting_id == meeting_id, MeetingItem.project_id == project.id))).first()
    rules.check_may_add_project(project.state, existing is not None, project.number)
    return project


async def record_on_project(engine: Engine, actor: Actor, meeting_id: int, item_id: int) -> Recording:
    """Record a closed round item's final counts on its project; a refusal or failure of the project's
    engine is returned (and logged), never raised: the item stays closed either way."""
    require_acting(actor)
    async with engine.db.read() as session:
        meeting = await session.get(Meeting, meeting_id)
        item = (await session.execute(select(MeetingItem).where(
            MeetingItem.id == item_id, MeetingItem.meeting_id == meeting_id))).scalars().first()
        if meeting is None or item is None or item.project_id is None or not meeting.round_kind:
            raise NotFound("找不到该测评事项。")
        if item.state != "closed":
            raise NotAllowed("这一项还没有结束测评：结束测评时结果自动记入项目。")
        project = await session.get(Project, item.project_id)
        number, kept = project.number, dict(project.evaluations or {})
        counts = rules.record_counts((await tallies_of_items(session, [item.id]))[item.id])
    if rules.already_recorded(kept, meeting_id, counts):
        return Recording(number, recorded=False, already=True)
    try:
        await ProjectEngine(engine).record_evaluation(number, meeting_id, meeting.round_kind, counts)
    except USER_ERRORS as exc:
        result = Recording(number, False, problem=exc.message, status=exc.status)
    except Exception:  # the item closed; say so and let staff record again
        log.exception("meeting %s item %s: recording the 测评 counts on project %s failed", meeting_id, item_id, number)
        result = Recording(number, False, problem=UNAVAILABLE, status=503)
    else:
        result = Recording(number, recorded=True)
    await _log_recording(engine, actor, meeting_id, item_id, result, counts)
    return result


async def _log_recording(engine: Engine, actor: Actor, meeting_id: int, item_id: int, result: Recording,
                         counts: dict) -> None:
    try:
        async with UnitOfWork(engine.db) as session:
            if result.recorded:
                write_log(session, actor, meeting_id, "recorded", item_id, project=result.number, **counts)
            else:
                write_log(session, actor, meeting_id, "record_failed", item_id, project=result.number,
                          problem=result.problem)
    except Exception:  # the log is a convenience here; the project's chain is the record
        log.exception("meeting %s item %s: the log row of recording on %s was not written", meeting_id, item_id,
                      result.number)
