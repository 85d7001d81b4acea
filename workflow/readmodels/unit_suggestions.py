"""Units to suggest when a proposal is assigned (交办): those that handled the most similar proposals.

The proposals most similar to this one (workflow/readmodels/similar.py, every year, itself excluded) that
were assigned give their units a vote worth their similarity score: a unit that led (主办) them counts
for the lead list, one that helped (协办) for the co-unit list. Shares handed to another unit (改派) do
not count, nor do pre-submission consultations or units no longer on the roster. Each unit says why, in
the words staff read ("类似建议 2025-031 由县交通运输局主办"). Staff choose; nothing is written.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Assignment, Proposal, Unit
from workflow.domain.definition import HANDLING_ROLES, ROLES, SUPERSEDED_ASSIGNMENT_STATES
from workflow.readmodels.similar import Similar, similar

LOOK_AT = 20  # the most similar proposals whose units are counted
MIN_SCORE = 0.1  # a proposal sharing only the words every proposal has ("关于", "建议") is no evidence
MAX_REASONS = 3


@dataclass
class UnitSuggestion:
    unit: str
    name: str
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"unit": self.unit, "name": self.name, "score": round(self.score, 4), "reasons": self.reasons}


@dataclass(frozen=True)
class Suggestions:
    lead: list[UnitSuggestion]
    co: list[UnitSuggestion]

    def as_dict(self) -> dict:
        return {"lead": [s.as_dict() for s in self.lead], "co": [s.as_dict() for s in self.co]}

    def __bool__(self) -> bool:
        return bool(self.lead or self.co)


async def suggest_units(session: AsyncSession, proposal: Proposal, limit: int = 5) -> Suggestions:
    """The lead and co-unit suggestions for `proposal`, best first, at most `limit` each."""
    found = [s for s in await similar(session, proposal.content or "", title=proposal.title or "",
                                      exclude=proposal.number or "", limit=LOOK_AT)
             if s.score >= MIN_SCORE and s.id != proposal.id]
    if not found:
        return Suggestions([], [])
    by_id = {s.id: s for s in found}
    rows = (await session.execute(
        select(Assignment.proposal_id, Assignment.role, Unit.code, Unit.name)
        .join(Unit, Assignment.unit_id == Unit.id)
        .where(Assignment.proposal_id.in_(list(by_id)), Assignment.role.in_(HANDLING_ROLES),
               Assignment.state.not_in(SUPERSEDED_ASSIGNMENT_STATES), Unit.active.is_(True)))).all()
    shares = sorted({(r.proposal_id, r.role, r.code, r.name) for r in rows},
                    key=lambda r: (-by_id[r[0]].score, by_id[r[0]].number, r[2]))
    return Suggestions(_rank(shares, by_id, "lead", limit), _rank(shares, by_id, "co", limit))


def _rank(shares: list[tuple[int, str, str, str]], by_id: dict[int, Similar], role: str,
          limit: int) -> list[UnitSuggestion]:
    units: dict[str, UnitSuggestion] = {}
    for proposal_id, share_role, code, name in shares:  # best match first
        if share_role != role:
            continue
        seen = by_id[proposal_id]
        unit = units.setdefault(code, UnitSuggestion(code, name))
        unit.score += seen.score
        if len(unit.reasons) < MAX_REASONS:
            unit.reasons.append(f"类似建议 {seen.number} 由{name}{ROLES[role]}（相似度 {seen.score:.2f}）")
    return sorted(units.values(), key=lambda u: (-u.score, u.unit))[:limit]
