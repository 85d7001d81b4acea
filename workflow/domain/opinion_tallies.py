"""The figures of 群众意见 (citizens' opinions collected at 代表联络站), as pure functions: one definition
of every figure, shared by GET /api/v1/opinions/stats, the dashboard page /dashboard/opinions and
docs/opinion-figures.md.

Each opinion is one counted item. What it comes to is an `OpinionFacts` (its route, whether it has an
answer date, its rating, what became of its referrals); workflow/readmodels/opinion_figures.py derives
the facts in SQL and groups the opinions that have the same facts, so `tally` counts `(facts, how many)`
pairs. The SQL only reads facts (dates, states, whether a referral's answer date is on or before its
due date); whether an opinion counts in a figure is decided here, once.

Rules kept throughout: an unrated opinion is never counted as satisfied (it is left out of the
satisfaction rate's numerator and denominator); a referral is on time when answered on or before its
due date, and overdue when still open on a day after its due date. Pure: no storage, no I/O.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from typing import Iterable, Optional

from workflow.domain.definition import RATINGS
from workflow.domain.opinions import ROUTES

SATISFIED = frozenset({"satisfied", "basically_satisfied"})  # 满意（含基本满意）
UNDECIDED = "undecided"  # route "" (not yet routed, or sent back by a unit and waiting to be routed again)
ROUTE_FIGURES = (*ROUTES, UNDECIDED)  # answer, refer, to_proposal, out_of_remit, undecided: they add up to received


@dataclass(frozen=True)
class OpinionFacts:
    """What one opinion comes to, read from its row and its referrals (OpinionReferral)."""

    route: str = ""  # workflow.domain.opinions.ROUTES key; "" while undecided
    answered: bool = False  # its answered_on is set (by the deputy, the unit, or an out-of-remit closure)
    rating: str = ""  # workflow.domain.definition.RATINGS key; "" while unrated
    referral_answered: bool = False  # one of its referrals is in state "answered" (the unit answered it)
    referral_on_time: bool = False  # ... and that referral's answered_on <= its due
    open_referral_due: Optional[dt.date] = None  # the earliest due date of its referrals in state "open"


def route_of(f: OpinionFacts) -> str:
    """The route figure the opinion counts in: its route, or `undecided` for "" (or an unknown value),
    so that the five route figures always add up to `received`."""
    return f.route if f.route in ROUTES else UNDECIDED


def is_answered(f: OpinionFacts) -> bool:
    """已答复: answered_on is set and the route is not out_of_remit. An out-of-remit closure also records
    the day the citizen was told where to go (answered_on), but it is not an answer on the matter:
    it counts in `out_of_remit` only."""
    return f.answered and f.route != "out_of_remit"


def is_deputy_answered(f: OpinionFacts) -> bool:
    """Answered by the deputy (or station staff) themselves: route "answer" with answered_on set."""
    return f.route == "answer" and f.answered


def is_referral_answered(f: OpinionFacts) -> bool:
    """Referred and answered by the unit: route "refer" and a referral in state "answered" (late or not)."""
    return f.route == "refer" and f.referral_answered


def is_answered_on_time(f: OpinionFacts) -> bool:
    """按期答复: answered by the deputy (route "answer", answered_on set: the deputy's own answer has no
    due date, so it is on time), or referred (route "refer") with the referral answered by the unit on
    or before the referral's due date. Opinions turned into proposals or closed as out of remit never
    count (a proposal's reply is counted by the proposal figures)."""
    return is_deputy_answered(f) or (is_referral_answered(f) and f.referral_on_time)


def is_overdue(f: OpinionFacts, today: dt.date) -> bool:
    """逾期未办: route "refer" with a referral still open whose due date is before `today` (the due date
    itself is still on time)."""
    return f.route == "refer" and f.open_referral_due is not None and f.open_referral_due < today


def is_on_time_basis(f: OpinionFacts, today: dt.date) -> bool:
    """按期答复率的分母 (answered or overdue): answered by the deputy, or referred and answered by the
    unit (on time or late), or referred and overdue as of `today`. A referral still open and not yet due,
    an undecided opinion, one turned into a proposal and one closed as out of remit are left out."""
    return is_deputy_answered(f) or is_referral_answered(f) or is_overdue(f, today)


def is_rated(f: OpinionFacts) -> bool:
    """已评价: the citizen gave a rating (满意, 基本满意 or 不满意)."""
    return f.rating in RATINGS


def is_satisfied(f: OpinionFacts) -> bool:
    """满意（含基本满意）: rated 满意 or 基本满意. An unrated opinion is never satisfied."""
    return f.rating in SATISFIED


@dataclass
class OpinionTally:
    """The figures of one group of opinions (a station, a point, a deputy, a township, or all)."""

    received: int = 0  # 收到意见: every opinion of the group
    answer: int = 0  # route answer: 代表答复
    refer: int = 0  # route refer: 转交办理
    to_proposal: int = 0  # route to_proposal: 形成代表建议
    out_of_remit: int = 0  # route out_of_remit: 不属于受理范围
    undecided: int = 0  # route "": 待处理
    answered: int = 0  # is_answered
    answered_on_time: int = 0  # is_answered_on_time
    on_time_basis: int = 0  # is_on_time_basis
    on_time_rate: Optional[float] = None  # answered_on_time / on_time_basis
    rated: int = 0  # is_rated
    satisfied: int = 0  # is_satisfied
    satisfaction_rate: Optional[float] = None  # satisfied / rated
    overdue_referrals: int = 0  # is_overdue

    def as_dict(self) -> dict:
        return asdict(self)


def rate(part: int, whole: int) -> Optional[float]:
    """part / whole rounded to 4 places; None when whole is 0 (nothing to rate, never 0% or 100%)."""
    return round(part / whole, 4) if whole else None


def tally(items: Iterable[tuple[OpinionFacts, int]], today: dt.date) -> OpinionTally:
    """Count `(facts, how many opinions have them)` pairs (a pair per opinion works as well)."""
    t = OpinionTally()
    for f, n in items:
        t.received += n
        setattr(t, route_of(f), getattr(t, route_of(f)) + n)
        t.answered += n * is_answered(f)
        t.answered_on_time += n * is_answered_on_time(f)
        t.on_time_basis += n * is_on_time_basis(f, today)
        t.rated += n * is_rated(f)
        t.satisfied += n * is_satisfied(f)
        t.overdue_referrals += n * is_overdue(f, today)
    t.on_time_rate = rate(t.answered_on_time, t.on_time_basis)
    t.satisfaction_rate = rate(t.satisfied, t.rated)
    return t


# What people read: the column names and the definition of each figure (口径说明).
FIGURE_LABELS = {
    "received": "收到意见", "answer": "代表答复", "refer": "转交办理", "to_proposal": "形成建议",
    "out_of_remit": "不属于受理范围", "undecided": "待处理", "answered": "已答复", "answered_on_time": "按期答复",
    "on_time_basis": "应按期答复", "on_time_rate": "按期答复率", "rated": "已评价", "satisfied": "满意（含基本满意）",
    "satisfaction_rate": "满意率", "overdue_referrals": "转办逾期",
}
DEFINITIONS = {
    "received": "收到意见：当年（按北京时间的收到日期）登记的群众意见条数。",
    "answer": "代表答复：由代表（或联络站工作人员）当场或事后答复的意见。",
    "refer": "转交办理：当前转交承办单位或乡镇办理的意见（含已答复、未答复的）；被退回后改为其他处理方式的按新的方式统计。",
    "to_proposal": "形成建议：已形成代表建议的意见。",
    "out_of_remit": "不属于受理范围：属于诉讼、仲裁、行政复议等法定途径，已告知群众反映途径的意见。",
    "undecided": "待处理：尚未确定处理方式的意见（含被承办单位退回、待重新处理的）。以上五项之和等于收到意见。",
    "answered": "已答复：已有答复日期的意见（代表答复、单位答复、所形成的建议已答复）；不属于受理范围的不计入。",
    "answered_on_time": "按期答复 = 代表答复的意见 + 转办后承办单位在反馈期限当日或之前答复的意见。"
                        "形成建议、不属于受理范围的不计入。",
    "on_time_basis": "应按期答复 = 代表答复的意见 + 转办后承办单位已答复（含逾期答复）的意见 + 转办逾期未答复的意见；"
                     "转办未到期、待处理、形成建议、不属于受理范围的不计入。",
    "on_time_rate": "按期答复率 = 按期答复 / 应按期答复；没有应按期答复的意见时不计算（显示“—”）。",
    "rated": "已评价：群众作出评价（满意、基本满意或不满意）的意见。",
    "satisfied": "满意（含基本满意）：群众评价为满意或基本满意的意见；未评价的不算满意。",
    "satisfaction_rate": "满意率 =（满意 + 基本满意）/ 已评价；未评价的不计入分子分母，没有评价时不计算（显示“—”）。",
    "overdue_referrals": "转办逾期：转办后超过反馈期限（期限次日起）仍未答复、也未退回的意见。",
}
assert set(FIGURE_LABELS) == set(DEFINITIONS) == {f.name for f in fields(OpinionTally)}, "every figure is defined"
BY = {"station": "按联络站", "deputy": "按代表", "township": "按乡镇"}
UNSPECIFIED = "未指定"  # the row of opinions without a station (by station, township) or a deputy (by deputy)
