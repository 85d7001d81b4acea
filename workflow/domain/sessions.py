"""届/次: which session a proposal belongs to, how its official number reads, what a session may be.

Pure rules. A proposal submitted on a day a session sits (opens_on..closes_on, both included) is a 大会建议
of it; submitted after a session closes and before the next opens, a 闭会期间建议 of that session. A day
before every session known belongs to none (the proposal keeps only its year number).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Optional

from workflow.domain.errors import InvalidInput

KINDS = {"session": "大会建议", "interim": "闭会期间建议"}
ORIGINS = {"proposal": "代表建议", "motion": "议案转建议"}  # motion: 议案未列入议程，作为建议处理
MAX_TERM, MAX_NUMBER = 99, 20  # 届 are counted in tens, a term holds five or so 次 (some extraordinary ones)

_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class Span:
    """What the rules need to know of a session."""

    id: int
    term: int
    number: int
    opens_on: dt.date
    closes_on: dt.date


def chinese_number(n: int) -> str:
    """1..99 the way titles write them: 5 → 五, 10 → 十, 18 → 十八, 20 → 二十, 21 → 二十一."""
    if not 0 < n < 100:
        raise ValueError(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def short_name(place: str, term: int, number: int) -> str:
    """县十八届人大五次会议: the name used in titles of letters and reports."""
    return f"{place}{chinese_number(term)}届人大{chinese_number(number)}次会议"


def official_label(proposal) -> str:
    """十八届五次会议第24号: the session and official number shown beside the year number (messages, lists);
    empty outside any session. `proposal` has `congress_session` (term, number) and `official_number`."""
    s = getattr(proposal, "congress_session", None)
    if s is None or not proposal.official_number:
        return ""
    return f"{chinese_number(s.term)}届{chinese_number(s.number)}次会议{proposal.official_number}"


def official_number(template: str, seq: int) -> str:
    """第24号, 闭会第3号, 十八届五次第24号: `template` with {n} replaced (a setting, checked at start)."""
    return template.replace("{n}", str(seq))


def reference(place: str, term: Optional[int], number: Optional[int], official: str, year_number: str) -> str:
    """How papers name a proposal: 县十八届人大五次会议第24号建议 (with a session), else 第2026-024号建议."""
    if term and number and official:
        return f"{short_name(place, term, number)}{official}建议"
    return f"第{year_number}号建议"


def reply_title(reference_text: str) -> str:
    """关于县十八届人大五次会议第24号建议的答复 (the letter's title, without the brackets 《》)."""
    return f"关于{reference_text}的答复"


def place_of(day: dt.date, spans: Iterable[Span]) -> Optional[tuple[Span, str]]:
    """The session `day` belongs to and the kind of a proposal submitted on it, or None (before all)."""
    ordered = sorted(spans, key=lambda s: (s.opens_on, s.term, s.number))
    for span in ordered:
        if span.opens_on <= day <= span.closes_on:
            return span, "session"
    before = [s for s in ordered if s.closes_on < day]
    return (before[-1], "interim") if before else None


def check_span(term: int, number: int, opens_on: dt.date, closes_on: dt.date, others: Iterable[Span]) -> None:
    """A session's fields are sound and it overlaps no other (InvalidInput naming the field)."""
    if not 1 <= term <= MAX_TERM:
        raise InvalidInput(f"届次（第几届）应在 1 至 {MAX_TERM} 之间。", field="term")
    if not 1 <= number <= MAX_NUMBER:
        raise InvalidInput(f"会次（第几次会议）应在 1 至 {MAX_NUMBER} 之间。", field="number")
    if closes_on < opens_on:
        raise InvalidInput("闭幕日期不能早于开幕日期。", field="closes_on")
    for other in others:
        if (other.term, other.number) == (term, number):
            raise InvalidInput(f"第{chinese_number(term)}届第{chinese_number(number)}次会议已经登记过了。",
                               field="number")
        if opens_on <= other.closes_on and other.opens_on <= closes_on:
            raise InvalidInput(f"会期与第{chinese_number(other.term)}届第{chinese_number(other.number)}次会议"
                               f"（{other.opens_on:%Y-%m-%d} 至 {other.closes_on:%Y-%m-%d}）重叠。", field="opens_on")
