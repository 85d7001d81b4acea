"""Due dates on the Chinese working-day calendar (法定节假日 and 调休 make-up days).

The official calendar comes from the chinese-calendar package. For a year it does not know yet
(the State Council publishes each year's holidays in the preceding autumn), Monday to Friday count
as working days and the explanation says so; open deadlines are recomputed when a newer release
of the package knows the year.
"""
from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass, field

import chinese_calendar

from workflow.settings import Period


@functools.lru_cache(maxsize=8192)  # the package's tables are fixed for the process; its lookup is slow
def _official(day: dt.date) -> bool | None:
    """Whether `day` is a working day by the official calendar; None when the year is unknown."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def is_working_day(day: dt.date) -> bool:
    official = _official(day)
    return day.weekday() < 5 if official is None else official


@dataclass(frozen=True)
class Deadline:
    """A due date and how it was computed, for people to check."""

    start: dt.date
    period: Period
    due: dt.date
    holidays_skipped: tuple[dt.date, ...] = ()
    makeup_days_counted: tuple[dt.date, ...] = ()
    unofficial_years: tuple[int, ...] = field(default=())

    def explain(self) -> str:
        text = f"自 {self.start:%Y-%m-%d} 起 {self.period}，截止 {self.due:%Y-%m-%d}"
        if self.holidays_skipped:
            text += f"；跳过节假日和周末 {len(self.holidays_skipped)} 天"
        if self.makeup_days_counted:
            days = "、".join(f"{d:%m-%d}" for d in self.makeup_days_counted)
            text += f"；计入调休上班日 {days}"
        if self.unofficial_years:
            years = "、".join(str(y) for y in self.unofficial_years)
            text += f"；{years} 年的法定节假日尚未公布，暂按周一至周五计算"
        return text

    def as_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "period": str(self.period),
            "due": self.due.isoformat(),
            "holidays_skipped": [d.isoformat() for d in self.holidays_skipped],
            "makeup_days_counted": [d.isoformat() for d in self.makeup_days_counted],
            "explanation": self.explain(),
        }


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's end (1-31 + 1 month = 2-28/29)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_date(start: dt.date, period: Period) -> Deadline:
    """The due date `period` after `start` (the start day itself is not counted)."""
    if period.unit == "days":
        return Deadline(start, period, start + dt.timedelta(days=period.amount))
    if period.unit == "months":
        return Deadline(start, period, add_months(start, period.amount))
    skipped: list[dt.date] = []
    makeup: list[dt.date] = []
    unofficial: set[int] = set()
    day, counted = start, 0
    while counted < period.amount:
        day += dt.timedelta(days=1)
        official = _official(day)
        if official is None:
            unofficial.add(day.year)
        working = day.weekday() < 5 if official is None else official
        if working:
            counted += 1
            if day.weekday() >= 5:
                makeup.append(day)
        else:
            skipped.append(day)
    return Deadline(start, period, day, tuple(skipped), tuple(makeup), tuple(sorted(unofficial)))


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(1 for n in range(1, (end - start).days + 1) if is_working_day(start + dt.timedelta(days=n)))
