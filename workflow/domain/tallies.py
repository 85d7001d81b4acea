"""The tallies of DESIGN.md section 3, as pure functions: one definition of every figure.

Each proposal counts once overall (and once for each unit that led it, in that unit's tally), by its
latest evaluation of each kind. A rating not given is left out of the satisfaction rates, never
counted as 满意.

The figures are defined over `Facts`, what one counted item (a proposal, or one unit's share of it)
comes to. `facts_of` derives them from `LeadRecord`s in Python; workflow/readmodels/stats.py derives the same
facts in SQL, grouped, for large data sets. Either way `tally_facts` does the counting, so the
dashboard, the exports and GET /api/v1/stats share one definition.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable, Optional

from workflow.domain.definition import AWAITING_REPLY_STATES, FINAL_STATES, SOLVED_CATEGORIES

SATISFIED = frozenset({"satisfied", "basically_satisfied"})


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


@dataclass(frozen=True)
class Facts:
    """What one counted item comes to: a proposal with all its lead units, or one unit's share of it."""

    leads: int = 1  # lead assignments (分办: several units lead one proposal)
    replied_leads: int = 0  # of which have replied at least once
    on_time_leads: int = 0  # of which replied the first time on time
    contacted: int = 0  # of which logged a contact with the deputy
    overdue: int = 0  # of which are open past their reply due date
    latest_reply_category: Optional[str] = None  # A-D of the newest reply of any of them
    reply_rating: Optional[str] = None  # the newest rating of a reply
    implementation_rating: Optional[str] = None  # the newest rating of what was done


def _replied(f: Facts) -> bool:
    return f.replied_leads == f.leads


# Figures counted once per item (proposal, or a unit's share): whether the item counts.
ITEM_FIGURES: dict[str, Callable[[Facts], bool]] = {
    "assigned": lambda f: True,
    "replied": _replied,
    "replied_on_time": lambda f: _replied(f) and f.on_time_leads == f.leads,
    "solved": lambda f: _replied(f) and f.latest_reply_category in SOLVED_CATEGORIES,
    "reply_evaluated": lambda f: f.reply_rating is not None,
    "reply_satisfied": lambda f: f.reply_rating in SATISFIED,
    "implementation_evaluated": lambda f: f.implementation_rating is not None,
    "implementation_satisfied": lambda f: f.implementation_rating in SATISFIED,
    "dual_evaluated": lambda f: f.reply_rating is not None and f.implementation_rating is not None,
    "dual_satisfied": lambda f: f.reply_rating in SATISFIED and f.implementation_rating in SATISFIED,
}
# Figures counted per lead assignment: how many the item adds.
LEAD_FIGURES: dict[str, Callable[[Facts], int]] = {
    "lead_assignments": lambda f: f.leads,
    "contacted": lambda f: f.contacted,
    "overdue": lambda f: f.overdue,
}
# rate: (numerator, denominator)
RATES: dict[str, tuple[str, str]] = {
    "reply_rate": ("replied_on_time", "assigned"),
    "reply_satisfaction_rate": ("reply_satisfied", "reply_evaluated"),
    "implementation_satisfaction_rate": ("implementation_satisfied", "implementation_evaluated"),
    "dual_satisfaction_rate": ("dual_satisfied", "dual_evaluated"),
    "solved_rate": ("solved", "replied"),
    "contact_rate": ("contacted", "lead_assignments"),
}
COUNTS = tuple(ITEM_FIGURES) + tuple(LEAD_FIGURES)


def counts_for(figure: str, facts: Facts) -> bool:
    """Whether an item is among those behind `figure` (for lists that click through from a figure)."""
    if figure in ITEM_FIGURES:
        return ITEM_FIGURES[figure](facts)
    if figure in LEAD_FIGURES:
        return LEAD_FIGURES[figure](facts) > 0
    raise KeyError(figure)


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


def tally_facts(items: Iterable[tuple[Facts, int]]) -> Stats:
    """The figures of items given as (facts, how many items have exactly these facts)."""
    stats = Stats()
    for facts, n in items:
        for name, counts in ITEM_FIGURES.items():
            if counts(facts):
                setattr(stats, name, getattr(stats, name) + n)
        for name, amount in LEAD_FIGURES.items():
            setattr(stats, name, getattr(stats, name) + n * amount(facts))
    for rate, (part, whole) in RATES.items():
        setattr(stats, rate, _rate(getattr(stats, part), getattr(stats, whole)))
    return stats


def _latest(pairs: list[tuple]) -> Optional[tuple]:
    return max(pairs, key=lambda p: p[0]) if pairs else None


def is_overdue(assignment_state: str, proposal_state: str, reply_due: Optional[dt.date], today: dt.date) -> bool:
    """逾期: a reply still owed past its due date, on a proposal not yet finished. The one definition;
    workflow/readmodels/stats.py `overdue_clause` says the same in SQL (a test holds them together)."""
    return (assignment_state in AWAITING_REPLY_STATES and proposal_state not in FINAL_STATES
            and reply_due is not None and reply_due < today)


def _overdue(record: LeadRecord, today: dt.date) -> bool:
    return is_overdue(record.assignment_state, record.proposal_state, record.reply_due, today)


def facts_of(leads: list[LeadRecord], today: dt.date) -> Facts:
    """The facts of one item: one proposal's lead records (all of them, or one unit's)."""
    latest_reply = _latest([reply for r in leads for reply in r.replies])
    reply = _latest([x for r in leads for x in r.reply_ratings])
    implementation = _latest([x for r in leads for x in r.implementation_ratings])
    return Facts(
        leads=len(leads),
        replied_leads=sum(1 for r in leads if r.replies),
        on_time_leads=sum(1 for r in leads if r.replies and r.replies[0][2]),
        contacted=sum(1 for r in leads if r.contact_logged),
        overdue=sum(1 for r in leads if _overdue(r, today)),
        latest_reply_category=latest_reply[1] if latest_reply else None,
        reply_rating=reply[1] if reply else None,
        implementation_rating=implementation[1] if implementation else None,
    )


def tally(records: Iterable[LeadRecord], today: dt.date) -> Stats:
    """The figures for the given lead records (already filtered by year, unit, category...)."""
    by_proposal: dict[int, list[LeadRecord]] = defaultdict(list)
    for record in records:
        by_proposal[record.proposal_id].append(record)
    return tally_facts((facts_of(leads, today), 1) for leads in by_proposal.values())


def tally_by(records: list[LeadRecord], key: str, today: dt.date) -> dict[str, Stats]:
    """One Stats per value of `key` (unit, category, year, key)."""
    groups: dict[str, list[LeadRecord]] = defaultdict(list)
    for record in records:
        groups[str(getattr(record, key))].append(record)
    return {name: tally(group, today) for name, group in sorted(groups.items())}
