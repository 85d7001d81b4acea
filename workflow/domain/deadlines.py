"""Due dates on the Chinese working-day calendar (法定节假日 and 调休 make-up days).

Which days are working days is a `HolidayCalendar`: for each day, the first source that lists it
decides, in this order: what staff entered on the console, the `[calendar]` settings, the State
Council notices shipped as files (holiday_years/<year>.toml), the chinese-calendar package. A year
none of them knows counts Monday to Friday as working days and the explanation says so; open
deadlines are recomputed whenever the calendar's fingerprint changes (workflow/usecases/reminders.py).

A period counted in days or months that ends on a rest day ends on the next working day
(民法典 第二百零三条), unless `deadlines.rest_day_shift` is off.
"""
from __future__ import annotations

import calendar
import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field
from typing import Iterable, Optional

import chinese_calendar

from workflow.domain.holidays import SOURCE_LABELS, YearDays, shipped_years
from workflow.settings import Period

PRECEDENCE = ("committee", "settings", "file")  # before the package; the first that lists a day decides it
PACKAGE_VERSION = getattr(chinese_calendar, "__version__", "")


@functools.lru_cache(maxsize=8192)  # the package's tables are fixed for the process; its lookup is slow
def _package(day: dt.date) -> bool | None:
    """Whether `day` is a working day by the chinese-calendar package; None when it does not know the year."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


class HolidayCalendar:
    """Which days are working days, from layered sources (see the module's docstring)."""

    def __init__(self, years: Iterable[YearDays] = (), package: bool = True):
        self._layers: dict[str, dict[int, YearDays]] = {source: {} for source in PRECEDENCE}
        for year in years:
            self._layers[year.source][year.year] = year
        self._package = package
        self._cache: dict[dt.date, tuple[bool, Optional[str]]] = {}

    def with_years(self, years: Iterable[YearDays]) -> "HolidayCalendar":
        """This calendar with `years` added (each replaces the same source's entry for its year)."""
        kept = [y for layer in self._layers.values() for y in layer.values()]
        return HolidayCalendar([*kept, *years], self._package)

    def lookup(self, day: dt.date) -> tuple[bool, Optional[str]]:
        """(working day?, the source that decided it); the source is None on the Monday-Friday fallback."""
        found = self._cache.get(day)
        if found is None:
            found = self._cache[day] = self._decide(day)
        return found

    def _decide(self, day: dt.date) -> tuple[bool, Optional[str]]:
        for source in PRECEDENCE:
            year = self._layers[source].get(day.year)
            kind = year.kind_of(day) if year is not None else None
            if kind is not None:
                return kind == "work", source
        official = _package(day) if self._package else None
        if official is not None:
            return official, "package"
        return day.weekday() < 5, (self.source_of(day.year) if self.knows(day.year) else None)

    def is_working_day(self, day: dt.date) -> bool:
        return self.lookup(day)[0]

    def source_of(self, year: int) -> Optional[str]:
        """The source that speaks first for `year` ("committee", "settings", "file", "package"), or None."""
        for source in PRECEDENCE:
            if year in self._layers[source]:
                return source
        if self._package and _package(dt.date(year, 6, 1)) is not None:
            return "package"
        return None

    def knows(self, year: int) -> bool:
        return self.source_of(year) is not None

    def years(self, source: str) -> dict[int, YearDays]:
        return dict(self._layers[source])

    def fingerprint(self) -> str:
        """Changes whenever any source changes what a day is: the key open deadlines are recomputed on."""
        digest = hashlib.sha256()
        for source in PRECEDENCE:
            for year in sorted(self._layers[source]):
                entry = self._layers[source][year]
                digest.update(f"{source}:{year}:{sorted(entry.rest)}:{sorted(entry.work)};".encode())
        return f"chinese-calendar {PACKAGE_VERSION if self._package else '-'} + {digest.hexdigest()[:12]}"


@dataclass(frozen=True)
class Rules:
    """The calendar and the rest-day shift every due date is computed with (installed at start)."""

    calendar: HolidayCalendar
    rest_day_shift: bool = True

    def fingerprint(self) -> str:
        return self.calendar.fingerprint() + (" shift" if self.rest_day_shift else " noshift")


_rules = Rules(HolidayCalendar(shipped_years().values()))


def install(calendar: Optional[HolidayCalendar] = None, rest_day_shift: Optional[bool] = None) -> Rules:
    """Make `calendar` and `rest_day_shift` the ones due dates use from now on (start, calendar edits)."""
    global _rules
    _rules = Rules(calendar or _rules.calendar, _rules.rest_day_shift if rest_day_shift is None else rest_day_shift)
    return _rules


def current() -> Rules:
    return _rules


def is_working_day(day: dt.date, calendar: Optional[HolidayCalendar] = None) -> bool:
    return (calendar or _rules.calendar).is_working_day(day)


@dataclass(frozen=True)
class Deadline:
    """A due date and how it was computed, for people to check."""

    start: dt.date
    period: Period
    due: dt.date
    holidays_skipped: tuple[dt.date, ...] = ()
    makeup_days_counted: tuple[dt.date, ...] = ()
    unofficial_years: tuple[int, ...] = field(default=())
    shifted_from: Optional[dt.date] = None  # the period's own last day, a rest day (民法典 art. 203)

    def explain(self) -> str:
        text = f"自 {self.start:%Y-%m-%d} 起 {self.period}，截止 {self.due:%Y-%m-%d}"
        if self.shifted_from is not None:
            text += (f"；期满日 {self.shifted_from:%Y-%m-%d} 是休息日，顺延至其后第一个工作日"
                     f"（民法典第二百零三条）")
        if self.holidays_skipped:
            text += f"；跳过节假日和周末 {len(self.holidays_skipped)} 天"
        if self.makeup_days_counted:
            days = "、".join(f"{d:%m-%d}" for d in self.makeup_days_counted)
            text += f"；计入调休上班日 {days}"
        if self.unofficial_years:
            years = "、".join(str(y) for y in self.unofficial_years)
            text += f"；{years} 年的法定节假日尚未录入，暂按周一至周五计算，录入后自动重算"
        return text

    def as_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "period": str(self.period),
            "due": self.due.isoformat(),
            "holidays_skipped": [d.isoformat() for d in self.holidays_skipped],
            "makeup_days_counted": [d.isoformat() for d in self.makeup_days_counted],
            "shifted_from": self.shifted_from.isoformat() if self.shifted_from else None,
            "explanation": self.explain(),
        }


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's end (1-31 + 1 month = 2-28/29)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_date(start: dt.date, period: Period, calendar: Optional[HolidayCalendar] = None,
             rest_day_shift: Optional[bool] = None) -> Deadline:
    """The due date `period` after `start` (the start day itself is not counted), on `calendar` and with
    the rest-day shift (both default to the installed ones)."""
    cal = calendar or _rules.calendar
    shift = _rules.rest_day_shift if rest_day_shift is None else rest_day_shift
    if period.unit in ("days", "months"):
        end = start + dt.timedelta(days=period.amount) if period.unit == "days" else add_months(start, period.amount)
        return _shifted(Deadline(start, period, end), cal) if shift else Deadline(start, period, end)
    skipped: list[dt.date] = []
    makeup: list[dt.date] = []
    unofficial: set[int] = set()
    day, counted = start, 0
    while counted < period.amount:
        day += dt.timedelta(days=1)
        working, source = cal.lookup(day)
        if source is None:
            unofficial.add(day.year)
        if working:
            counted += 1
            if day.weekday() >= 5:
                makeup.append(day)
        else:
            skipped.append(day)
    return Deadline(start, period, day, tuple(skipped), tuple(makeup), tuple(sorted(unofficial)))


def _shifted(plain: Deadline, cal: HolidayCalendar) -> Deadline:
    """A calendar-day period ending on a rest day ends on the next working day instead."""
    day, unofficial = plain.due, set()
    while True:
        working, source = cal.lookup(day)
        if source is None:
            unofficial.add(day.year)
        if working:
            break
        day += dt.timedelta(days=1)
    if day == plain.due:
        return Deadline(plain.start, plain.period, day, unofficial_years=tuple(sorted(unofficial)))
    skipped = tuple(plain.due + dt.timedelta(days=n) for n in range((day - plain.due).days))
    return Deadline(plain.start, plain.period, day, holidays_skipped=skipped,
                    unofficial_years=tuple(sorted(unofficial)), shifted_from=plain.due)


def working_days_between(start: dt.date, end: dt.date, calendar: Optional[HolidayCalendar] = None) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
    if end < start:
        return -working_days_between(end, start, calendar)
    cal = calendar or _rules.calendar
    return sum(1 for n in range(1, (end - start).days + 1) if cal.is_working_day(start + dt.timedelta(days=n)))


PACKAGE_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
                 "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
                 "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日"}


def package_note(day: dt.date) -> str:
    """The holiday a day belongs to by the chinese-calendar package (its rest days and make-up days), in Chinese."""
    try:
        name = chinese_calendar.get_holiday_detail(day)[1]
    except NotImplementedError:
        return ""
    return PACKAGE_NAMES.get(name or "", name or "")


def source_label(source: Optional[str]) -> str:
    return SOURCE_LABELS.get(source or "", "尚未公布（暂按周一至周五）")
