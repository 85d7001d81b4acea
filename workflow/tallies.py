"""The tallies of DESIGN.md section 3, as pure functions over one record per lead assignment.

Each proposal counts once overall (and once for each unit that led it, in that unit's tally), by its
latest evaluation of each kind. A rating not given is left out of the satisfaction rates, never
counted as 满意.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Iterable, Optional

SATISFIED = frozenset({"satisfied", "basically_satisfied"})
OPEN_ASSIGNMENT = frozenset({"pending", "signed", "adjustment_requested", "rehandling"})
FINAL = frozenset({"closed", "referred", "withdrawn"})


@dataclass
class LeadRecord:
    """One lead unit's share of one assigned proposal, with what happened to it."""

    proposal_id: int
    number: str
    year: int
    category: str
    key: bool
    unit: str
    proposal_state: str
    assignment_state: str
    reply_due: Optional[dt.date]
    contact_logged: bool = False
    # (time, category, on_time) of each reply, oldest first
    replies: list[tuple[dt.datetime, str, bool]] = field(default_factory=list)
    # (time, rating) of each evaluation, oldest first
    reply_ratings: list[tuple[dt.datetime, str]] = field(default_factory=list)
    implementation_ratings: list[tuple[dt.datetime, str]] = field(default_factory=list)


@dataclass
class Stats:
    assigned: int = 0
    replied: int = 0
    replied_on_time: int = 0
    reply_rate: Optional[float] = None
    reply_evaluated: int = 0
    reply_satisfied: int = 0
    reply_satisfaction_rate: Optional[float] = None
    implementation_evaluated: int = 0
    implementation_satisfied: int = 0
    implementation_satisfaction_rate: Optional[float] = None
    dual_evaluated: int = 0
    dual_satisfied: int = 0
    dual_satisfaction_rate: Optional[float] = None
    solved: int = 0
    solved_rate: Optional[float] = None
    lead_assignments: int = 0
    contacted: int = 0
    contact_rate: Optional[float] = None
    overdue: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _rate(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def _latest(pairs: list[tuple]) -> Optional[tuple]:
    return max(pairs, key=lambda p: p[0]) if pairs else None


def tally(records: Iterable[LeadRecord], today: dt.date) -> Stats:
    """The figures for the given lead records (already filtered by year, unit, category...)."""
    by_proposal: dict[int, list[LeadRecord]] = defaultdict(list)
    stats = Stats()
    for record in records:
        by_proposal[record.proposal_id].append(record)
        stats.lead_assignments += 1
        stats.contacted += record.contact_logged
        if (record.assignment_state in OPEN_ASSIGNMENT and record.proposal_state not in FINAL
                and record.reply_due is not None and record.reply_due < today):
            stats.overdue += 1
    for leads in by_proposal.values():
        stats.assigned += 1
        if all(r.replies for r in leads):
            stats.replied += 1
            if all(r.replies[0][2] for r in leads):
                stats.replied_on_time += 1
            latest_reply = _latest([reply for r in leads for reply in r.replies])
            if latest_reply[1] in ("A", "B"):
                stats.solved += 1
        reply = _latest([x for r in leads for x in r.reply_ratings])
        implementation = _latest([x for r in leads for x in r.implementation_ratings])
        if reply:
            stats.reply_evaluated += 1
            stats.reply_satisfied += reply[1] in SATISFIED
        if implementation:
            stats.implementation_evaluated += 1
            stats.implementation_satisfied += implementation[1] in SATISFIED
        if reply and implementation:
            stats.dual_evaluated += 1
            stats.dual_satisfied += reply[1] in SATISFIED and implementation[1] in SATISFIED
    stats.reply_rate = _rate(stats.replied_on_time, stats.assigned)
    stats.reply_satisfaction_rate = _rate(stats.reply_satisfied, stats.reply_evaluated)
    stats.implementation_satisfaction_rate = _rate(stats.implementation_satisfied, stats.implementation_evaluated)
    stats.dual_satisfaction_rate = _rate(stats.dual_satisfied, stats.dual_evaluated)
    stats.solved_rate = _rate(stats.solved, stats.replied)
    stats.contact_rate = _rate(stats.contacted, stats.lead_assignments)
    return stats


def tally_by(records: list[LeadRecord], key: str, today: dt.date) -> dict[str, Stats]:
    """One Stats per value of `key` (unit, category, year, key)."""
    groups: dict[str, list[LeadRecord]] = defaultdict(list)
    for record in records:
        groups[str(getattr(record, key))].append(record)
    return {name: tally(group, today) for name, group in sorted(groups.items())}
