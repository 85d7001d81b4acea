"""The holiday calendar as staff read it: each year's source and its holidays and make-up days, and the
warning shown while open deadlines fall in a year whose holidays nobody has entered yet (computed on
the Monday-to-Friday fallback). Read only; the writer is workflow/usecases/calendar.py."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Assignment, Proposal, Reply
from workflow.domain import deadlines
from workflow.domain.definition import HANDLED_STATES, LIVE_ASSIGNMENT_STATES
from workflow.domain.holidays import SOURCE_LABELS
from workflow.settings import Settings

DUE_COLUMNS = (Assignment.sign_due, Assignment.adjustment_due, Assignment.opinion_due, Assignment.reply_due,
               Assignment.followup_due, Assignment.adjustment_decision_due)
YEARS_AHEAD = 2  # no deadline runs further than this past the current year (the reply cap is 6 months)


@dataclass(frozen=True)
class FallbackWarning:
    """Open deadlines in years no source knows: their due dates count Monday to Friday only."""

    years: tuple[int, ...]
    assignments: int  # live assignments with a stored due date in those years
    ratings: int  # deputies' rating windows (computed when read) ending in those years

    def text(self) -> str:
        years = "、".join(str(y) for y in self.years)
        what = "和".join(filter(None, [f"{self.assignments} 项交办的期限" if self.assignments else "",
                                       f"{self.ratings} 个评价期限" if self.ratings else ""]))
        return (f"{years} 年的法定节假日尚未录入：{what}落在该年，暂按周一至周五计算。"
                f"国务院办公厅公布当年节假日安排后，请在“节假日”页录入，未到期的期限会自动重算。")


def unknown_years(today: dt.date, calendar: Optional[deadlines.HolidayCalendar] = None) -> tuple[int, ...]:
    cal = calendar or deadlines.current().calendar
    return tuple(y for y in range(today.year, today.year + YEARS_AHEAD + 1) if not cal.knows(y))


async def fallback_warning(session: AsyncSession, settings: Settings, today: dt.date,
                           calendar: Optional[deadlines.HolidayCalendar] = None) -> Optional[FallbackWarning]:
    """The warning, or None when every open deadline is on a published calendar."""
    unknown = unknown_years(today, calendar)
    if not unknown:
        return None
    open_shares = (select(func.count(Assignment.id)).join(Proposal, Proposal.id == Assignment.proposal_id)
                   .where(Assignment.state.in_(LIVE_ASSIGNMENT_STATES), Proposal.state.in_(HANDLED_STATES)))
    # A rating window opens with the round's reply and runs deadlines.evaluation: only recent replies reach.
    opened = (await session.execute(
        select(func.max(Reply.replied_on)).join(Proposal, Proposal.id == Reply.proposal_id)
        .where(Proposal.state == "replied", Reply.round == Proposal.round,
               Reply.replied_on >= today - dt.timedelta(days=62))
        .group_by(Proposal.id))).scalars().all()
    rating_years = [deadlines.due_date(day, settings.deadlines.evaluation).due.year for day in opened if day]
    years, assignments, ratings = [], 0, 0
    for year in unknown:
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        count = (await session.execute(open_shares.where(
            or_(*(and_(column >= first, column <= last) for column in DUE_COLUMNS))))).scalar_one()
        in_year = rating_years.count(year)
        if count or in_year:
            years.append(year)
            assignments, ratings = assignments + count, ratings + in_year
    return FallbackWarning(tuple(years), assignments, ratings) if years else None


@dataclass(frozen=True)
class Span:
    first: dt.date
    last: dt.date
    note: str

    def text(self) -> str:
        if self.first == self.last:
            return f"{self.first:%m-%d}"
        return f"{self.first:%m-%d} 至 {self.last:%m-%d}（{(self.last - self.first).days + 1} 天）"


@dataclass(frozen=True)
class YearView:
    year: int
    source: Optional[str]
    source_label: str
    holidays: tuple[Span, ...]  # rest days Monday to Friday, and the weekends they join
    makeup_days: tuple[Span, ...]  # Saturdays and Sundays that are working days

    @property
    def known(self) -> bool:
        return self.source is not None


def year_view(year: int, calendar: Optional[deadlines.HolidayCalendar] = None) -> YearView:
    """What the calendar in force says of `year`: its holidays and make-up days as spans of days."""
    cal = calendar or deadlines.current().calendar
    source = cal.source_of(year)
    notes: dict[dt.date, str] = {}
    if cal.source_of(year) is not None:
        first = dt.date(year, 1, 1)
        notes.update((d, deadlines.package_note(d)) for d in (first + dt.timedelta(days=n) for n in range(366))
                     if d.year == year and cal.lookup(d)[1] == "package" and (cal.is_working_day(d) != (d.weekday() < 5)))
    for layer in ("file", "settings", "committee"):  # the winning source's names last
        entry = cal.years(layer).get(year)
        if entry is not None:
            notes.update(entry.notes)
    day, holidays, makeup = dt.date(year, 1, 1), [], []
    while day.year == year:
        working = cal.is_working_day(day)
        if not working and (day.weekday() < 5 or _joins_holiday(cal, day)):
            holidays.append(day)
        elif working and day.weekday() >= 5:
            makeup.append(day)
        day += dt.timedelta(days=1)
    label = SOURCE_LABELS.get(source or "", "尚未录入（暂按周一至周五）")
    if source == "file":
        label = cal.years("file")[year].label or label
    return YearView(year, source, label, _spans(holidays, notes), _spans(makeup, notes))


def _joins_holiday(cal: deadlines.HolidayCalendar, day: dt.date) -> bool:
    """A weekend day next to a weekday rest day is part of that holiday (元旦 Thursday to Saturday)."""
    for step in (-1, 1):
        other = day + dt.timedelta(days=step)
        while other.weekday() >= 5 and not cal.is_working_day(other):
            other += dt.timedelta(days=step)
        if other.year == day.year and other.weekday() < 5 and not cal.is_working_day(other):
            return True
    return False


def _spans(days: list[dt.date], notes: dict) -> tuple[Span, ...]:
    spans: list[list] = []
    for day in days:
        if spans and (day - spans[-1][1]).days == 1:
            spans[-1][1] = day
        else:
            spans.append([day, day])
    return tuple(Span(first, last, next((notes[d] for d in _each(first, last) if notes.get(d)), ""))
                 for first, last in spans)


def _each(first: dt.date, last: dt.date):
    return (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
