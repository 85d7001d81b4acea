"""The figures of a year's livelihood projects, as pure functions over each project's facts (the read
model gathers them: workflow/readmodels/project_figures.py). Our own definitions (no law sets them),
listed in docs/rules.md:

- solicited 征集: every suggestion of the year (merged duplicates included: they were suggested);
- candidates 候选: those ever promoted to candidate (promote event);
- voted_in 票决通过: those ever voted in (vote_in event);
- completed 已完成: voted in and completed (completed_on set), on_time 按期完成: completed on or before the
  planned completion date; on_time_rate = on_time / voted_in (None with none voted in);
- per 测评 round kind and voter kind: 满意, 基本满意, 不满意, 弃权 summed over the year's projects, with
  满意率 = 满意 / (满意 + 基本满意 + 不满意) and 满意和基本满意率 = (满意 + 基本满意) / the same (弃权 left out).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from workflow.domain.projects import EVALUATION_CHOICES, ROUND_KINDS, VOTER_KINDS, evaluation_rates


@dataclass(frozen=True)
class ProjectFacts:
    promoted: bool
    voted_in: bool
    completed_on: Optional[dt.date] = None
    planned_completion: Optional[dt.date] = None
    evaluations: dict = field(default_factory=dict)


def year_figures(facts: list[ProjectFacts]) -> dict:
    voted = [f for f in facts if f.voted_in]
    completed = [f for f in voted if f.completed_on is not None]
    on_time = [f for f in completed if f.planned_completion is None or f.completed_on <= f.planned_completion]
    rounds: dict[str, dict[str, dict[str, int]]] = {
        r: {k: {c: 0 for c in EVALUATION_CHOICES} for k in VOTER_KINDS} for r in ROUND_KINDS}
    for f in facts:
        for result in (f.evaluations or {}).values():
            kind = result.get("round")
            if kind not in rounds:
                continue
            for voter in VOTER_KINDS:
                for choice in EVALUATION_CHOICES:
                    rounds[kind][voter][choice] += int((result.get(voter) or {}).get(choice, 0))
    return {
        "solicited": len(facts), "candidates": sum(f.promoted for f in facts), "voted_in": len(voted),
        "completed": len(completed), "completed_on_time": len(on_time),
        "on_time_rate": round(len(on_time) / len(voted), 4) if voted else None,
        "evaluations": {r: {v: {**counts, **evaluation_rates(counts)} for v, counts in by_kind.items()}
                        for r, by_kind in rounds.items()},
    }
