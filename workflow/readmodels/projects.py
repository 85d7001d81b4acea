"""What pages, the API and exports show of livelihood projects; never writes. The suggester's name and
phone are shown to staff only, never in the public list."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Project, ProjectInspection, ProjectProgress, ProjectVote, ProjectWindow, RecordEvent
from workflow.domain.projects import PROJECT_EVENT_LABELS, PROJECT_STATES, SOURCES, VOTE_RULES, evaluation_rates

PAGE = 50


def project_dict(project: Project, audience: str = "staff") -> dict[str, Any]:
    body = {"number": project.number, "year": project.year, "state": project.state,
            "state_label": PROJECT_STATES[project.state], "title": project.title, "content": project.content,
            "investment": project.investment, "unit": project.unit.code if project.unit else "",
            "unit_name": project.unit.name if project.unit else "", "leader": project.leader,
            "planned_completion": project.planned_completion, "source": project.source,
            "source_label": SOURCES.get(project.source, ""), "screening_note": project.screening_note,
            "progress_percent": project.progress_percent, "progress_due": project.progress_due,
            "completed_on": project.completed_on,
            "evaluations": [{**round_, "rates": {kind: evaluation_rates(round_.get(kind) or {})
                                                 for kind in ("deputy", "member", "public")}}
                            for _key, round_ in sorted((project.evaluations or {}).items())]}
    if audience == "staff":
        body.update({"id": project.id, "source_ref": project.source_ref,
                     "suggested_by": {"name": project.suggested_by, "phone": project.suggested_phone}})
    return body


async def details(session: AsyncSession, project: Project) -> dict[str, Any]:
    """Its progress reports, inspections, vote and events."""
    progress = (await session.execute(select(ProjectProgress).where(ProjectProgress.project_id == project.id)
                                      .order_by(ProjectProgress.id))).scalars().all()
    inspections = (await session.execute(select(ProjectInspection).where(ProjectInspection.project_id == project.id)
                                         .order_by(ProjectInspection.day))).scalars().all()
    vote = await session.get(ProjectVote, project.vote_id) if project.vote_id else None
    events = (await session.execute(select(RecordEvent).where(RecordEvent.subject_kind == "project",
                                                              RecordEvent.subject_id == project.id)
                                    .order_by(RecordEvent.seq))).scalars().all()
    return {"progress": [{"percent": p.percent, "text": p.text, "reported_on": p.reported_on} for p in progress],
            "inspections": [{"day": i.day, "participants": i.participants, "findings": i.findings}
                            for i in inspections],
            "vote": vote_dict(vote) if vote else None,
            "events": [{"seq": e.seq, "action": e.action, "label": PROJECT_EVENT_LABELS.get(e.action, e.action),
                        "actor_name": e.actor_name, "from_state": e.from_state, "to_state": e.to_state,
                        "at": e.created_at, "payload": e.payload} for e in events]}


def vote_dict(vote: ProjectVote) -> dict[str, Any]:
    return {"id": vote.id, "year": vote.year, "held_on": vote.held_on, "rule": vote.rule,
            "rule_label": VOTE_RULES.get(vote.rule, vote.rule), "mode": vote.mode,
            "total_deputies": vote.total_deputies, "present": vote.present, "ballots_cast": vote.ballots_cast,
            "seats": vote.seats, "tallies": vote.tallies, "outcome": vote.outcome}


async def by_ref(session: AsyncSession, ref: str) -> Optional[Project]:
    ref = (ref or "").strip().upper()
    if not ref or len(ref) > 16:
        return None
    query = select(Project).where(Project.id == int(ref)) if ref.isdigit() else select(Project).where(
        Project.number == ref)
    return (await session.execute(query)).unique().scalar_one_or_none()


async def listing(session: AsyncSession, *, year: Optional[int] = None, state: str = "",
                  page: int = 1) -> tuple[list[Project], int]:
    query = select(Project)
    if year is not None:
        query = query.where(Project.year == year)
    if state:
        query = query.where(Project.state == state)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (await session.execute(query.order_by(Project.year.desc(), Project.seq).offset((page - 1) * PAGE)
                                  .limit(PAGE))).unique().scalars().all()
    return list(rows), total


# ---------------------------------------------------------------- 征集期 and the public list
PUBLIC_STATES = ("voted_in", "implementing", "completed", "evaluated")  # what /ms/projects shows


async def open_window(session: AsyncSession, today: dt.date) -> Optional[ProjectWindow]:
    """The 征集期 open on `today` (Beijing date), if any."""
    query = (select(ProjectWindow).where(ProjectWindow.opens_on <= today, ProjectWindow.closes_on >= today)
             .order_by(ProjectWindow.opens_on.desc()).limit(1))
    return (await session.execute(query)).scalar_one_or_none()


async def next_window(session: AsyncSession, today: dt.date) -> Optional[ProjectWindow]:
    """The next 征集期 that opens after `today`, if one is planned."""
    query = select(ProjectWindow).where(ProjectWindow.opens_on > today).order_by(ProjectWindow.opens_on).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


async def windows(session: AsyncSession, limit: int = 20) -> list[ProjectWindow]:
    query = select(ProjectWindow).order_by(ProjectWindow.opens_on.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def public_list(session: AsyncSession, year: int) -> list[dict[str, Any]]:
    """A year's voted projects as the public sees them (never who suggested them), each with its latest
    progress report's text."""
    rows = (await session.execute(select(Project).where(Project.year == year, Project.state.in_(PUBLIC_STATES))
                                  .order_by(Project.seq))).unique().scalars().all()
    latest: dict[int, ProjectProgress] = {}
    if rows:
        reports = await session.execute(select(ProjectProgress).where(
            ProjectProgress.project_id.in_([p.id for p in rows])).order_by(ProjectProgress.id))
        latest = {r.project_id: r for r in reports.scalars()}
    return [{**project_dict(p, "public"), "latest_progress": latest[p.id].text if p.id in latest else "",
             "latest_progress_on": latest[p.id].reported_on if p.id in latest else None} for p in rows]
