"""The door for livelihood projects (民生实事项目): suggest one, act on one, record the session's vote.

Each call is one transaction: the rows, the event on the project's own chain (subject_kind "project",
workflow/engine/chain.py), the outbox rows. The vote writes its counted totals, computes the result by
the configured rule (workflow/domain/projects.py `decide`) and moves every candidate in the same
transaction; no ballot is stored. Rules and labels: workflow/domain/projects.py.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    OutboxMessage,
    Project,
    ProjectInspection,
    ProjectPhoto,
    ProjectProgress,
    ProjectVote,
    RecordEvent,
    Unit,
)
from storage.models.base import utcnow
from storage.uow import UnitOfWork
from workflow.domain.deadlines import due_date
from workflow.domain.errors import InvalidInput, NotAllowed, NotFound
from workflow.domain.machine import fire_record
from workflow.domain.params import clean_values
from workflow.domain.projects import (
    EVALUATION_CHOICES,
    PROJECT_ACTIONS,
    PROJECT_FINAL_STATES,
    PROJECT_MACHINE,
    PROJECT_STATES,
    ROUND_KINDS,
    SOURCES,
    VOTER_KINDS,
    CandidateTally,
    VoteCount,
    action_possible,
    check_count,
    decide,
)
from workflow.domain.rules import Actor
from workflow.engine.chain import append_record_event
from workflow.engine.engine import Engine

SUBJECT = "project"
CONFLICT = "这个项目刚刚被别人处理过，请刷新后再试。"
BUSY = "系统繁忙，请稍后再试。"
SYSTEM = Actor("system", "engine", "系统")


@dataclass
class ProjectResult:
    project: Project
    event: RecordEvent
    from_state: str
    to_state: str


def refusal(project: Project, action: str, actor: Actor) -> str:
    spec = PROJECT_ACTIONS.get(action)
    if spec is None:
        return f"没有“{action}”这个操作。"
    if project.state in PROJECT_FINAL_STATES:
        return f"项目{PROJECT_STATES[project.state]}，不能再操作。"
    if not action_possible(action, project.state):
        return f"项目处于“{PROJECT_STATES[project.state]}”状态，不能“{spec.label}”。"
    if actor.kind != "system" and actor.kind not in spec.actors:
        return f"“{spec.label}”不能由您办理。"
    if actor.kind == "staff" and actor.role not in ("admin", "staff"):
        return "您的账号只能查看，不能办理。"
    if actor.kind == "unit" and (project.unit is None or actor.id != project.unit.code or actor.assignment_id != project.id):
        return "该链接不属于这个项目的责任单位。"
    return ""


def allowed_actions(project: Project, actor: Actor) -> list[str]:
    return [a for a, spec in PROJECT_ACTIONS.items() if "system" not in spec.actors and not refusal(project, a, actor)]


class ProjectEngine:
    def __init__(self, engine: Engine):
        self.engine, self.db, self.settings = engine, engine.db, engine.settings

    # ------------------------------------------------------------------ suggest
    async def suggest(self, actor: Actor, raw: Mapping[str, Any]) -> ProjectResult:
        """A new suggestion (征集): from the public page, the bot (a deputy) or staff (a department's)."""
        title = str(raw.get("title") or "").strip()
        content = str(raw.get("content") or "").strip()
        if not title or len(title) > 200:
            raise InvalidInput("请填写项目名称（最多 200 字）。", field="title")
        if not content or len(content) > 5000:
            raise InvalidInput("请写明项目内容（最多 5000 字）。", field="content")
        source = str(raw.get("source") or {"deputy": "deputy", "citizen": "public"}.get(actor.kind, "department"))
        if source not in SOURCES:
            raise InvalidInput(f"来源只能是：{'、'.join(SOURCES)}。", field="source")
        year = _int(raw, "year", 2000, 2200) if raw.get("year") not in (None, "") else self.engine.clock().year
        async with UnitOfWork(self.db, CONFLICT, BUSY) as session:
            seq = ((await session.execute(select(func.max(Project.seq)).where(Project.year == year))).scalar() or 0) + 1
            project = Project(year=year, seq=seq, number=f"MS{year}-{seq:02d}", title=title, content=content,
                              source=source, source_ref=str(raw.get("source_ref") or "")[:64],
                              suggested_by=str(raw.get("suggested_by") or "")[:64],
                              suggested_phone=str(raw.get("suggested_phone") or "")[:32], state="solicited",
                              investment="", leader="", screening_note="", evaluations={}, progress_percent=0)
            session.add(project)
            await session.flush()
            payload = {"title": title, "source": source, "source_ref": project.source_ref}
            return await self._record(session, project, "suggest", actor, payload, from_state="")

    # ------------------------------------------------------------------ act
    async def perform(self, ref: str, action: str, actor: Actor, raw: Mapping[str, Any] | None = None,
                      photos: Sequence[Mapping[str, Any]] = ()) -> ProjectResult:
        """One action; `photos` ({"sha256", "content_type", "size"}, already in storage) go with a progress report."""
        async with UnitOfWork(self.db, CONFLICT, BUSY) as session:
            project = await locked(session, ref)
            why = refusal(project, action, actor)
            if why:
                raise NotAllowed(why, allowed=allowed_actions(project, actor))
            params = clean_values(PROJECT_ACTIONS[action].params, dict(raw or {}), ())
            payload = await self._effect(session, project, action, actor, params)
            for photo in photos if action == "report_progress" else ():
                session.add(ProjectPhoto(project_id=project.id, progress_id=payload["progress"], **photo))
            return await self._record(session, project, action, actor, {**params, **payload})

    async def _effect(self, session: AsyncSession, project: Project, action: str, actor: Actor, params: dict) -> dict:
        today = self.engine.clock()
        if action in ("edit", "promote"):
            await self._fields(session, project, params)
            if action == "promote":
                project.screening_note = params["screening_note"]
                missing = [label for name, label in (("title", "名称"), ("content", "内容"), ("investment", "投资"),
                                                      ("unit_id", "责任单位"), ("planned_completion", "计划完成时间"))
                           if not getattr(project, name)]
                if missing:
                    raise InvalidInput(f"列为候选项目前须填写：{'、'.join(missing)}。", field="unit")
            return {}
        if action == "merge":
            target = await locked(session, params["into"])
            if target.id == project.id or target.state not in ("solicited", "candidate"):
                raise InvalidInput("只能合并到另一个征集中或候选的项目。", field="into")
            project.merged_into_id = target.id
            return {"merged_into": target.number}
        if action == "start":
            if project.unit is None:
                raise NotAllowed("请先指定责任单位。")
            project.progress_due = params.get("due_date") or due_date(today, self.settings.projects.progress_every).due
            project.link_issued_at = utcnow()  # the unit's link (workflow/domain/links.py) runs from today
            return {"progress_due": project.progress_due}
        if action == "report_progress":
            if not 0 <= params["percent"] <= 100:
                raise InvalidInput("完成百分比应在 0 到 100 之间。", field="percent")
            progress = ProjectProgress(project_id=project.id, percent=params["percent"], text=params["text"],
                                       reported_on=today)
            session.add(progress)
            await session.flush()
            project.progress_percent = params["percent"]
            project.progress_due = due_date(today, self.settings.projects.progress_every).due
            return {"reported_on": today, "progress": progress.id, "next_due": project.progress_due}
        if action == "record_inspection":
            if params["day"] > today:
                raise InvalidInput("视察日期不能晚于今天。", field="day")
            session.add(ProjectInspection(project_id=project.id, day=params["day"], participants=params["participants"],
                                          findings=params["findings"], created_by=actor.name or actor.id))
            return {}
        if action == "complete":
            project.completed_on, project.progress_percent = today, 100
            return {"completed_on": today}
        return {}

    async def _fields(self, session: AsyncSession, project: Project, params: dict) -> None:
        for name in ("title", "content", "leader", "planned_completion"):
            if params.get(name):
                setattr(project, name, params[name])
        if params.get("investment"):
            try:
                amount = float(params["investment"])
            except ValueError:
                raise InvalidInput("投资应为数字（万元）。", field="investment") from None
            if not 0 <= amount < 10**9:
                raise InvalidInput("投资金额超出范围。", field="investment")
            project.investment = params["investment"]
        if params.get("unit"):
            unit = (await session.execute(select(Unit).where(Unit.code == params["unit"]))).scalar_one_or_none()
            if unit is None or not unit.active:
                raise InvalidInput(f"找不到单位 {params['unit']}。", field="unit")
            project.unit_id, project.unit = unit.id, unit

    async def _record(self, session: AsyncSession, project: Project, action: str, actor: Actor, payload: dict,
                      from_state: Optional[str] = None) -> ProjectResult:
        if from_state is None:
            before, after = fire_record(PROJECT_MACHINE, project, action)
        else:
            before, after = from_state, project.state
        event = append_record_event(session, SUBJECT, project, action, actor, payload, before, after)
        await session.flush()
        for kind, recipient in _ROUTING.get(action, []):
            if recipient == "unit" and project.unit is None:
                continue
            rid = project.unit.code if recipient == "unit" else "*"
            session.add(OutboxMessage(
                kind=kind, recipient_kind=recipient, recipient_id=rid,
                idempotency_key=f"j{project.id}:{event.seq}:{kind}:{recipient}:{rid}",
                payload={"subject": SUBJECT, "project_id": project.id, "number": project.number,
                         "title": project.title[:20], "action": action, "state": after, "facts": event.payload}))
        return ProjectResult(project, event, before, after)

    async def record_evaluation(self, ref: Any, meeting_id: int, round_kind: str,
                                counts: Mapping[str, Mapping[str, int]]) -> ProjectResult:
        """A 测评 round's result for one project: {"deputy"|"member"|"public": {"satisfied": n, "basically_satisfied":
        n, "unsatisfied": n, "abstain": n}}, kept on the project (each voter kind apart) and on its chain. A
        year-end round of a completed project moves it to 已测评; a round during implementation leaves it there."""
        cleaned = {kind: {choice: int((counts.get(kind) or {}).get(choice, 0)) for choice in EVALUATION_CHOICES}
                   for kind in VOTER_KINDS}
        if round_kind not in ROUND_KINDS:
            raise InvalidInput(f"测评轮次只能是：{'、'.join(ROUND_KINDS)}。", field="round_kind")
        async with UnitOfWork(self.db, CONFLICT, BUSY) as session:
            project = await locked(session, ref)
            why = refusal(project, "record_evaluation", SYSTEM)
            if why:
                raise NotAllowed(why)
            project.evaluations = {**(project.evaluations or {}),
                                   str(meeting_id): {"round": round_kind, "meeting": meeting_id, **cleaned}}
            payload = {"meeting": meeting_id, "round": round_kind, **cleaned}
            if project.state == "completed" and round_kind != "year_end":
                return await self._record(session, project, "record_evaluation", SYSTEM, payload,
                                          from_state=project.state)
            return await self._record(session, project, "record_evaluation", SYSTEM, payload)

    # ------------------------------------------------------------------ the vote
    async def record_vote(self, actor: Actor, raw: Mapping[str, Any]) -> tuple[ProjectVote, list[ProjectResult]]:
        """票决: the counted totals per candidate, the numbers present and cast, the rule; the result moves
        each candidate to 票决通过 or 未通过 (a tie for the last seat leaves the tied candidates for a further vote)."""
        if actor.kind != "staff" or actor.role not in ("admin", "staff"):
            raise NotAllowed("只有人大工作人员可以录入票决结果。")
        figures, year, held_on = _figures(raw, self.engine.clock())
        async with UnitOfWork(self.db, CONFLICT, BUSY) as session:
            found = (await session.execute(select(Project).where(Project.number.in_([r for r, _ in figures]))
                                           .with_for_update(of=Project))).unique().scalars().all()
            projects = {p.number: p for p in found}
            wrong = [r for r, _ in figures if r not in projects or projects[r].state != "candidate"
                     or projects[r].year != year]
            if wrong:
                raise InvalidInput(f"以下不是 {year} 年待票决的候选项目：{'、'.join(wrong)}。", field="tallies")
            count = _count(raw, self.settings, [CandidateTally(projects[r].id, **f) for r, f in figures])
            problem = check_count(count)
            if problem:
                raise InvalidInput(problem, field="tallies")
            outcome = decide(count)
            by_id = {p.id: p for p in found}
            vote = ProjectVote(year=year, held_on=held_on, rule=count.rule, mode=count.mode,
                               total_deputies=count.total_deputies, present=count.present,
                               ballots_cast=count.ballots_cast, seats=count.seats,
                               tallies=[{**t.__dict__, "project": by_id[t.project].number} for t in count.tallies],
                               outcome=_outcome_dict(outcome, by_id), published=True,
                               entered_by=actor.name or actor.id)
            session.add(vote)
            await session.flush()
            results = []
            for t in count.tallies:
                project = by_id[t.project]
                project.vote_id = vote.id
                facts = {"vote": vote.id, **t.__dict__, "project": project.number}
                if t.project in outcome.elected:
                    results.append(await self._record(session, project, "vote_in", actor, facts))
                elif t.project in outcome.rejected:
                    results.append(await self._record(session, project, "vote_out", actor, facts))
            return vote, results


_ROUTING = {
    "start": [("project_started", "unit")],
    "report_progress": [("project_progress", "staff")],
    "complete": [("project_completed", "staff")],
    "vote_in": [("project_voted_in", "unit")],
}


def _outcome_dict(outcome, projects) -> dict:
    number = {p.id: p.number for p in projects.values()}
    return {"elected": [number[i] for i in outcome.elected], "rejected": [number[i] for i in outcome.rejected],
            "tied": [number[i] for i in outcome.tied], "ranking": [number[i] for i in outcome.ranking],
            "threshold": outcome.threshold}


def _int(raw: Mapping[str, Any], name: str, low: int = 0, high: int = 100000) -> int:
    value = raw.get(name)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(f"“{name}”应为整数。", field=name) from None
    if not low <= number <= high:
        raise InvalidInput(f"“{name}”应在 {low} 到 {high} 之间。", field=name)
    return number


def _figures(raw: Mapping[str, Any], today: dt.date) -> tuple[list[tuple[str, dict]], int, dt.date]:
    items = raw.get("tallies")
    if not isinstance(items, list) or not items or len(items) > 200 or not all(isinstance(i, dict) for i in items):
        raise InvalidInput("tallies 应为候选项目计票结果的列表：[{\"project\": 编号, \"votes_for\", \"against\", "
                           "\"abstain\"} 或 {\"project\", \"points\"}]。", field="tallies")
    figures = []
    for item in items:
        ref = str(item.get("project") or "").strip().upper()
        if not ref or len(ref) > 16:
            raise InvalidInput("每一项须写明 project（项目编号）。", field="tallies")
        figures.append((ref, {k: _int(item, k) for k in ("votes_for", "against", "abstain", "points")
                              if item.get(k) not in (None, "")}))
    if len({r for r, _ in figures}) != len(figures):
        raise InvalidInput("每个候选项目只能录入一次。", field="tallies")
    year = _int(raw, "year", 2000, 2200) if raw.get("year") else today.year
    try:
        held_on = dt.date.fromisoformat(str(raw.get("held_on") or today.isoformat()))
    except ValueError:
        raise InvalidInput("held_on 应为日期，格式如 2026-01-08。", field="held_on") from None
    return figures, year, held_on


def _count(raw: Mapping[str, Any], settings, tallies: list[CandidateTally]) -> VoteCount:
    cfg = settings.projects
    seats = _int(raw, "seats") if raw.get("seats") not in (None, "") else cfg.seats
    return VoteCount(str(raw.get("rule") or cfg.vote_rule), str(raw.get("mode") or cfg.tally_mode),
                     _int(raw, "total_deputies", 1), _int(raw, "present"), _int(raw, "ballots_cast"), seats,
                     tuple(tallies))


async def locked(session: AsyncSession, ref: Any) -> Project:
    text = str(ref or "").strip().upper()
    if not text or len(text) > 16:
        raise NotFound("找不到这个项目。")
    query = select(Project).with_for_update(of=Project)  # not the outer-joined unit
    query = query.where(Project.id == int(text)) if text.isdigit() else query.where(Project.number == text)
    project = (await session.execute(query)).unique().scalar_one_or_none()
    if project is None:
        raise NotFound(f"找不到项目 {text}。")
    return project
