"""The tallies of DESIGN.md section 3, as pure functions: one definition of every figure.

Each proposal counts once overall, by every lead unit's share of it: it is replied when every lead unit
has replied, solved when every lead unit's newest reply is A or B, satisfied when every lead unit's
*current* rating (its newest evaluation of that kind, any round) is 满意 or 基本满意. Per unit, a
proposal counts once for each unit that led it, by that unit's own share. A rating not given is left
out of the satisfaction rates, never counted as 满意; one recorded as 未反馈 (no_feedback, the rating
window closed) is counted apart and in no rate.

The figures are defined over `Facts`, what one counted item (a proposal, or one unit's share of it)
comes to: how many of its lead units have replied, have each current rating, and so on. `facts_of`
derives them from `LeadRecord`s in Python; workflow/readmodels/stats.py derives the same facts in SQL,
grouped, for large data sets. Either way `tally_facts` does the counting, so the dashboard, the
exports and GET /api/v1/stats share one definition.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields
from typing import Callable, Iterable, Optional

from workflow.domain.definition import (
    AWAITING_REPLY_STATES,
    CONTACT_METHODS,
    FACE_TO_FACE_METHODS,
    FINAL_STATES,
    NO_FEEDBACK,
    RATINGS,
    SOLVED_CATEGORIES,
)

SATISFIED = frozenset({"satisfied", "basically_satisfied"})  # 满意率（含基本满意）
SATISFIED_ONLY = frozenset({"satisfied"})  # 满意率: 满意 only
GIVEN = frozenset(RATINGS)  # a rating the deputy gave (not 未反馈)
# The ratings Facts counts, per kind: the current reply and implementation ratings, and the first reply
# rating the deputy gave (未反馈 is never a first rating).
RATED_KINDS = {"reply": (*RATINGS, NO_FEEDBACK), "first_reply": tuple(RATINGS),
               "implementation": (*RATINGS, NO_FEEDBACK)}


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
    contact_methods: list[str] = field(default_factory=list)  # method of each contact logged (CONTACT_METHODS)
    # (time, category, on_time) of each reply (a second answer is a later reply), oldest first
    replies: list[tuple[dt.datetime, str, bool]] = field(default_factory=list)
    # (time, rating) of each evaluation (rating may be no_feedback), oldest first
    reply_ratings: list[tuple[dt.datetime, str]] = field(default_factory=list)
    implementation_ratings: list[tuple[dt.datetime, str]] = field(default_factory=list)


def rating_field(kind: str, rating: str) -> str:
    """The Facts field counting lead units whose `kind` rating is `rating`."""
    return f"{kind}_{rating}_leads"


@dataclass(frozen=True)
class Facts:
    """What one counted item comes to: a proposal with all its lead units, or one unit's share of it.

    Every field counts lead units (assignments) of the item."""

    leads: int = 1  # lead assignments (分办: several units lead one proposal)
    replied_leads: int = 0  # of which have replied at least once (late or not)
    on_time_leads: int = 0  # of which replied the first time on time
    solved_leads: int = 0  # of which the newest reply (a second answer included) is A or B
    contacted: int = 0  # of which logged any contact with the deputy (沟通)
    face_to_face: int = 0  # of which logged a face-to-face contact (见面: FACE_TO_FACE_METHODS)
    overdue: int = 0  # of which are open past their reply due date
    # of which the current (newest) reply rating is ...
    reply_satisfied_leads: int = 0
    reply_basically_satisfied_leads: int = 0
    reply_unsatisfied_leads: int = 0
    reply_no_feedback_leads: int = 0
    # of which the first reply rating given is ...
    first_reply_satisfied_leads: int = 0
    first_reply_basically_satisfied_leads: int = 0
    first_reply_unsatisfied_leads: int = 0
    # of which the current (newest) implementation rating is ...
    implementation_satisfied_leads: int = 0
    implementation_basically_satisfied_leads: int = 0
    implementation_unsatisfied_leads: int = 0
    implementation_no_feedback_leads: int = 0

    def rated(self, kind: str, ratings: Iterable[str]) -> int:
        """Lead units whose `kind` rating is one of `ratings`."""
        return sum(getattr(self, rating_field(kind, r)) for r in ratings)

    def ratings(self, kind: str) -> dict[str, int]:
        """{rating: lead units} of the ratings some lead unit has, for `kind`."""
        found = {r: getattr(self, rating_field(kind, r)) for r in RATED_KINDS[kind]}
        return {r: n for r, n in found.items() if n}


FACT_FIELDS = tuple(f.name for f in fields(Facts))
assert {rating_field(k, r) for k, values in RATED_KINDS.items() for r in values} <= set(FACT_FIELDS)


def _every(f: Facts, kind: str, ratings: Iterable[str]) -> bool:
    return f.rated(kind, ratings) == f.leads


def _evaluated(kind: str) -> Callable[[Facts], bool]:
    """Every lead unit has a current `kind` rating the deputy gave (none missing, none 未反馈)."""
    return lambda f: _every(f, kind, GIVEN)


def _satisfied(kind: str, ratings=SATISFIED) -> Callable[[Facts], bool]:
    """Every lead unit's current `kind` rating is one of `ratings`."""
    return lambda f: _every(f, kind, ratings)


def _no_feedback(kind: str) -> Callable[[Facts], bool]:
    """Every lead unit has a current `kind` rating, and for at least one it is 未反馈."""
    return lambda f: f.rated(kind, (NO_FEEDBACK,)) > 0 and _every(f, kind, (*GIVEN, NO_FEEDBACK))


def _replied(f: Facts) -> bool:
    return f.replied_leads == f.leads


# Figures counted once per item (proposal, or a unit's share): whether the item counts.
ITEM_FIGURES: dict[str, Callable[[Facts], bool]] = {
    "assigned": lambda f: True,
    "replied": _replied,
    "replied_on_time": lambda f: f.on_time_leads == f.leads,
    "solved": lambda f: f.solved_leads == f.leads,
    "reply_evaluated": _evaluated("reply"),
    "reply_satisfied": _satisfied("reply"),
    "satisfied_only": _satisfied("reply", SATISFIED_ONLY),
    "reply_no_feedback": _no_feedback("reply"),
    "first_reply_evaluated": _evaluated("first_reply"),
    "first_reply_satisfied": _satisfied("first_reply"),
    "implementation_evaluated": _evaluated("implementation"),
    "implementation_satisfied": _satisfied("implementation"),
    "implementation_no_feedback": _no_feedback("implementation"),
    "dual_evaluated": lambda f: _evaluated("reply")(f) and _evaluated("implementation")(f),
    "dual_satisfied": lambda f: _satisfied("reply")(f) and _satisfied("implementation")(f),
}
# Figures counted per lead assignment: how many the item adds.
LEAD_FIGURES: dict[str, Callable[[Facts], int]] = {
    "lead_assignments": lambda f: f.leads,
    "contacted": lambda f: f.contacted,
    "face_to_face": lambda f: f.face_to_face,
    "overdue": lambda f: f.overdue,
}
# rate: (numerator, denominator)
RATES: dict[str, tuple[str, str]] = {
    "reply_rate": ("replied", "assigned"),  # 办复率 (late replies count)
    "on_time_reply_rate": ("replied_on_time", "assigned"),  # 按期办复率
    "reply_satisfaction_rate": ("reply_satisfied", "reply_evaluated"),  # 答复满意率（含基本满意）
    "satisfied_only_rate": ("satisfied_only", "reply_evaluated"),  # 满意率 (满意 only)
    "first_reply_satisfaction_rate": ("first_reply_satisfied", "first_reply_evaluated"),  # 首次答复满意率
    "implementation_satisfaction_rate": ("implementation_satisfied", "implementation_evaluated"),  # 落实满意率
    "dual_satisfaction_rate": ("dual_satisfied", "dual_evaluated"),  # 双满意率
    "solved_rate": ("solved", "assigned"),  # 解决率 = (A + B) / assigned
    "contact_rate": ("contacted", "lead_assignments"),  # 沟通率: any contact
    "face_to_face_rate": ("face_to_face", "lead_assignments"),  # 见面率: face-to-face contact only
}
COUNTS = tuple(ITEM_FIGURES) + tuple(LEAD_FIGURES)

# What people read: the one name of each rate (dashboard, exports, docs/api.md) and its definition
# (口径说明, shown on hover and in the tally sheet).
RATE_LABELS = {
    "reply_rate": "办复率", "on_time_reply_rate": "按期办复率", "reply_satisfaction_rate": "答复满意率（含基本满意）",
    "satisfied_only_rate": "满意率", "first_reply_satisfaction_rate": "首次答复满意率",
    "implementation_satisfaction_rate": "落实满意率", "dual_satisfaction_rate": "双满意率", "solved_rate": "解决率",
    "contact_rate": "沟通率", "face_to_face_rate": "见面率",
}
NO_FEEDBACK_LABELS = {"reply_no_feedback": "答复未反馈", "implementation_no_feedback": "落实未反馈"}
_FACE_TO_FACE = [m for m in CONTACT_METHODS if m in FACE_TO_FACE_METHODS]
_EVERY_LEAD = "一件建议有几个主办单位（分办）的，按每个主办单位当前（最新）的评价，都满意才算满意；有主办单位未评价或未反馈的，不计入分子分母"
DEFINITIONS = {
    "reply_rate": "办复率 = 已答复 / 交办件数。每个主办单位都已答复才算已答复，逾期答复也计入。",
    "on_time_reply_rate": "按期办复率 = 按期答复 / 交办件数。每个主办单位的首次答复都在答复期限内才算按期。",
    "reply_satisfaction_rate": f"答复满意率（含基本满意）=（满意 + 基本满意）/ 已评价答复。{_EVERY_LEAD}。",
    "satisfied_only_rate": "满意率 = 评价为“满意”的 / 已评价答复，不含基本满意；其余口径同答复满意率。",
    "first_reply_satisfaction_rate": "首次答复满意率 =（满意 + 基本满意）/ 首次答复已评价，按每个主办单位第一次给出的答复评价"
                                     "（重新办理后的评价不改变它）。",
    "implementation_satisfaction_rate": "落实满意率 =（满意 + 基本满意）/ 已评价落实，按每个主办单位当前的落实评价，"
                                        "不由答复评价推定。",
    "dual_satisfaction_rate": "双满意率 = 答复和落实都满意（含基本满意）/ 答复和落实都已评价。",
    "solved_rate": "解决率 =（A 类 + B 类）/ 交办件数：每个主办单位最新一次答复（含再次答复）为 A 类（已解决或基本解决）"
                   "或 B 类（正在解决或列入计划）。",
    "contact_rate": "沟通率 = 记录了与代表沟通（面谈、电话、微信、书面等任何方式）的主办交办 / 主办交办。",
    "face_to_face_rate": f"见面率 = 与代表当面沟通（{'、'.join(_FACE_TO_FACE)}）的主办交办 / 主办交办；"
                         f"{'、'.join(m for m in CONTACT_METHODS if m not in FACE_TO_FACE_METHODS)}不算见面。",
    "reply_no_feedback": "答复未反馈：评价期限届满代表仍未评价答复的建议件数，不计入任何比率，也不算满意。",
    "implementation_no_feedback": "落实未反馈：评价期限届满代表仍未评价落实情况的建议件数，不计入任何比率，也不算满意。",
    "overdue": "逾期未答复：已过答复期限仍未答复（或重新办理未答复）的主办交办，不含已办结的。",
}
assert set(RATE_LABELS) == set(RATES) and set(NO_FEEDBACK_LABELS) | set(RATES) <= set(DEFINITIONS)


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
    on_time_reply_rate: Optional[float] = None
    reply_evaluated: int = 0
    reply_satisfied: int = 0
    reply_satisfaction_rate: Optional[float] = None
    satisfied_only: int = 0
    satisfied_only_rate: Optional[float] = None
    first_reply_evaluated: int = 0
    first_reply_satisfied: int = 0
    first_reply_satisfaction_rate: Optional[float] = None
    reply_no_feedback: int = 0
    implementation_evaluated: int = 0
    implementation_satisfied: int = 0
    implementation_satisfaction_rate: Optional[float] = None
    implementation_no_feedback: int = 0
    dual_evaluated: int = 0
    dual_satisfied: int = 0
    dual_satisfaction_rate: Optional[float] = None
    solved: int = 0
    solved_rate: Optional[float] = None
    lead_assignments: int = 0
    contacted: int = 0
    contact_rate: Optional[float] = None
    face_to_face: int = 0
    face_to_face_rate: Optional[float] = None
    overdue: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


assert set(COUNTS) | set(RATES) == {f.name for f in fields(Stats)}, "every figure is a field of Stats"


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


def is_overdue(assignment_state: str, proposal_state: str, reply_due: Optional[dt.date], today: dt.date) -> bool:
    """逾期: a reply still owed past its due date, on a proposal not yet finished. The one definition;
    workflow/readmodels/lead_facts.py `overdue_clause` says the same in SQL (a test holds them together)."""
    return (assignment_state in AWAITING_REPLY_STATES and proposal_state not in FINAL_STATES
            and reply_due is not None and reply_due < today)


def _newest(pairs: list[tuple]) -> Optional[tuple]:
    return max(pairs, key=lambda p: p[0]) if pairs else None


def _oldest(pairs: list[tuple]) -> Optional[tuple]:
    return min(pairs, key=lambda p: p[0]) if pairs else None


def lead_facts(record: LeadRecord, today: dt.date) -> Facts:
    """The facts of one lead unit's share: its current and first ratings, its newest reply..."""
    first_reply, newest_reply = _oldest(record.replies), _newest(record.replies)
    current = {"reply": _newest(record.reply_ratings),
               "first_reply": _oldest([x for x in record.reply_ratings if x[1] != NO_FEEDBACK]),
               "implementation": _newest(record.implementation_ratings)}
    ratings = {rating_field(kind, found[1]): 1 for kind, found in current.items()
               if found is not None and found[1] in RATED_KINDS[kind]}
    return Facts(
        leads=1,
        replied_leads=int(first_reply is not None),
        on_time_leads=int(first_reply is not None and first_reply[2]),
        solved_leads=int(newest_reply is not None and newest_reply[1] in SOLVED_CATEGORIES),
        contacted=int(bool(record.contact_methods)),
        face_to_face=int(any(m in FACE_TO_FACE_METHODS for m in record.contact_methods)),
        overdue=int(is_overdue(record.assignment_state, record.proposal_state, record.reply_due, today)),
        **ratings,
    )


def facts_of(leads: list[LeadRecord], today: dt.date) -> Facts:
    """The facts of one item: one proposal's lead records (all of them, or one unit's)."""
    shares = [lead_facts(record, today) for record in leads]
    return Facts(**{name: sum(getattr(f, name) for f in shares) for name in FACT_FIELDS})


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
