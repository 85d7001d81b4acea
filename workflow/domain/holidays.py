"""Holidays as data: one year's rest days (放假) and make-up working days (调休上班) from one source.

Sources, from the one that wins a day to the one that loses it (workflow/domain/deadlines.py
`HolidayCalendar`): what staff entered on the console, the `[calendar]` settings, the notice files
shipped in holiday_years/<year>.toml, the chinese-calendar package. A year none of them knows counts
Monday to Friday as working days. Pure: parsing and the files shipped beside this module.
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Optional

SHIPPED = Path(__file__).resolve().parent / "holiday_years"
SOURCE_LABELS = {"committee": "工作人员在工作台录入", "settings": "设置文件 [calendar]",
                 "file": "随软件发布的国务院办公厅通知", "package": "chinese-calendar 软件包"}
KIND_LABELS = {"rest": "放假", "work": "调休上班"}
MAX_RANGE_DAYS = 31  # the longest holiday ever set is 9 days; a longer range is a typing mistake


class HolidayDataError(ValueError):
    """A day or range that cannot be read; the message is Chinese and names the line."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class YearDays:
    """One source's rest days and make-up working days of one year."""

    year: int
    source: str  # "committee" | "settings" | "file"
    rest: frozenset[dt.date] = frozenset()
    work: frozenset[dt.date] = frozenset()
    label: str = ""  # the notice's title, or who entered it
    notes: Mapping[dt.date, str] = field(default_factory=dict)  # day -> the holiday's name

    def kind_of(self, day: dt.date) -> Optional[str]:
        return "rest" if day in self.rest else "work" if day in self.work else None


_DAY = r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
_ENTRY = re.compile(rf"^\s*{_DAY}\s*(?:(?:~|～|至|到|\.\.|--|—|–)\s*{_DAY})?\s*(.*?)\s*$")


def _date(y: str, m: str, d: str, line: str) -> dt.date:
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        raise HolidayDataError(f"“{line}”中的日期不存在。") from None


def parse_entry(line: str, year: Optional[int] = None) -> tuple[list[dt.date], str]:
    """Days of one entry ("2027-02-06", "2027-02-06~2027-02-13 春节") and its note."""
    match = _ENTRY.match(line)
    if not match:
        raise HolidayDataError(f"“{line.strip()}”无法识别：请写成“2027-02-06”或“2027-02-06~2027-02-13 春节”。")
    first = _date(*match.group(1, 2, 3), line.strip())
    last = _date(*match.group(4, 5, 6), line.strip()) if match.group(4) else first
    if last < first:
        raise HolidayDataError(f"“{line.strip()}”的结束日期早于开始日期。")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise HolidayDataError(f"“{line.strip()}”跨度超过 {MAX_RANGE_DAYS} 天，请检查日期。")
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    if year is not None and any(d.year != year for d in days):
        raise HolidayDataError(f"“{line.strip()}”不在 {year} 年内。")
    return days, match.group(7)[:40]


def parse_lines(text: str | Iterable[str], year: Optional[int] = None) -> list[tuple[dt.date, str]]:
    """(day, note) of every non-empty line; a HolidayDataError names the first wrong one."""
    lines = text.splitlines() if isinstance(text, str) else list(text)
    found: dict[dt.date, str] = {}
    for line in lines:
        if line.strip():
            days, note = parse_entry(line, year)
            found.update((d, note) for d in days)
    return sorted(found.items())


def year_days(year: int, source: str, rest: Iterable[tuple[dt.date, str]], work: Iterable[tuple[dt.date, str]],
              label: str = "") -> YearDays:
    """One year from (day, note) pairs; a day both rest and work is refused."""
    rest, work = dict(rest), dict(work)
    both = sorted(set(rest) & set(work))
    if both:
        raise HolidayDataError(f"{both[0]:%Y-%m-%d} 不能既是放假日又是调休上班日。")
    wrong = sorted(d for d in [*rest, *work] if d.year != year)
    if wrong:
        raise HolidayDataError(f"{wrong[0]:%Y-%m-%d} 不在 {year} 年内。")
    return YearDays(year, source, frozenset(rest), frozenset(work), label, {**rest, **work})


def entered_years(rest: str | Iterable[str], work: str | Iterable[str], source: str,
                  label: str = "") -> dict[int, YearDays]:
    """Years from entries of rest days and of make-up days (settings, the console), grouped by year."""
    rest_days, work_days = parse_lines(rest), parse_lines(work)
    years = sorted({d.year for d, _ in rest_days + work_days})
    return {y: year_days(y, source, [p for p in rest_days if p[0].year == y],
                         [p for p in work_days if p[0].year == y], label) for y in years}


def parse_notice(data: Mapping, name: str) -> YearDays:
    """A shipped notice file (holiday_years/<year>.toml, read with tomllib) as one year."""
    try:
        year = int(data["year"])
        rest: list[tuple[dt.date, str]] = []
        work: list[tuple[dt.date, str]] = []
        for holiday in data.get("holiday", []):
            first, last, title = holiday["from"], holiday["to"], str(holiday["name"])
            if not (isinstance(first, dt.date) and isinstance(last, dt.date)) or last < first:
                raise HolidayDataError(f"{name}：{title} 的 from/to 应是日期，且 to 不早于 from。")
            rest += [(first + dt.timedelta(days=n), title) for n in range((last - first).days + 1)]
            work += [(d, title) for d in holiday.get("work", [])]
        return year_days(year, "file", rest, work, str(data.get("notice", "")))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, HolidayDataError):
            raise
        raise HolidayDataError(f"{name} 格式不对（{exc}）：应有 year 和若干 [[holiday]]（name、from、to、work）。") from None


def shipped_years(folder: Path = SHIPPED) -> dict[int, YearDays]:
    """The notice files shipped with the software, by year (a file whose name is not its year is refused)."""
    found = {}
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as handle:
            year = parse_notice(tomllib.load(handle), path.name)
        if path.stem != str(year.year):
            raise HolidayDataError(f"{path.name} 写的是 {year.year} 年，文件名应为 {year.year}.toml。")
        found[year.year] = year
    return found
