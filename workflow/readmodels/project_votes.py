"""What the 票决 pages show: the year's candidates for the printed ballot and the entry form, and a recorded
vote's result (each candidate's counted totals, elected / not elected / tied for a further vote). Reads only;
no ballot exists to show — only what the tellers counted."""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Project, ProjectVote
from workflow.domain.projects import TALLY_MODES, VOTE_RULES

SHORT = 60  # how much of a project's content the ballot prints

RESULT_LABELS = {"elected": "当选", "rejected": "未当选", "tied": "票数相同，需另行表决"}


def _short(text: str, limit: int = SHORT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def candidates(session: AsyncSession, year: int, only: Optional[list[str]] = None) -> list[dict[str, Any]]:
    """The year's 候选项目 in their order (only those numbered in `only`, when given: a further vote)."""
    query = select(Project).where(Project.year == year, Project.state == "candidate")
    if only:
        query = query.where(Project.number.in_(only))
    rows = (await session.execute(query.order_by(Project.seq))).unique().scalars().all()
    return [{"number": p.number, "title": p.title, "investment": p.investment, "content": p.content,
             "short": _short(p.content), "planned_completion": p.planned_completion,
             "unit_name": p.unit.name if p.unit else "", "leader": p.leader} for p in rows]


async def vote_view(session: AsyncSession, vote_id: int) -> Optional[dict[str, Any]]:
    """A recorded vote with each candidate's figures and result, best first (the ranking)."""
    vote = await session.get(ProjectVote, vote_id)
    if vote is None:
        return None
    outcome = vote.outcome or {}
    numbers = [t.get("project") for t in vote.tallies or []]
    projects = {p.number: p for p in (await session.execute(select(Project).where(Project.number.in_(numbers))))
                .unique().scalars()}
    tallies = {t.get("project"): t for t in vote.tallies or []}
    result_of = {n: kind for kind in ("elected", "rejected", "tied") for n in outcome.get(kind, [])}
    rows = []
    for place, number in enumerate(outcome.get("ranking") or numbers, 1):
        project, tally = projects.get(number), tallies.get(number, {})
        result = result_of.get(number, "rejected")
        rows.append({"place": place, "number": number, "title": project.title if project else "",
                     "investment": project.investment if project else "",
                     "unit_name": project.unit.name if project and project.unit else "",
                     "votes_for": tally.get("votes_for", 0), "against": tally.get("against", 0),
                     "abstain": tally.get("abstain", 0), "points": tally.get("points", 0),
                     "result": result, "result_label": RESULT_LABELS[result]})
    tied = list(outcome.get("tied") or [])
    return {"id": vote.id, "year": vote.year, "held_on": vote.held_on, "rule": vote.rule,
            "rule_label": VOTE_RULES.get(vote.rule, vote.rule), "mode": vote.mode,
            "mode_label": TALLY_MODES.get(vote.mode, vote.mode), "total_deputies": vote.total_deputies,
            "present": vote.present, "ballots_cast": vote.ballots_cast, "seats": vote.seats,
            "threshold": outcome.get("threshold"), "rows": rows, "elected": list(outcome.get("elected") or []),
            "rejected": list(outcome.get("rejected") or []), "tied": tied,
            "seats_left": max(vote.seats - len(outcome.get("elected") or []), 0) if tied else 0,
            "published": vote.published, "entered_by": vote.entered_by, "created_at": vote.created_at}
