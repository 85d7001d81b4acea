"""The holiday calendar the committee maintains: load it (shipped notices, settings, what staff entered),
install it for every due date, save a year entered on the console, and recompute open deadlines.

Each process installs the calendar at start and whenever it changes here; the scheduler reloads it
every round, so a worker running apart from the web process follows the console's edits.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from storage.db import Database
from storage.models import HolidayDay
from storage.uow import UnitOfWork
from workflow.domain import deadlines
from workflow.domain.errors import InvalidInput
from workflow.domain.holidays import HolidayDataError, YearDays, entered_years, parse_lines, shipped_years, year_days
from workflow.domain.rules import Actor
from workflow.engine.chain import append_system_event
from workflow.settings import Settings
from workflow.usecases.reminders import recompute_if_calendar_changed

FIRST_YEAR, LAST_YEAR = 2000, 2100  # what the console accepts as a year


async def load_calendar(db: Database, settings: Settings) -> deadlines.HolidayCalendar:
    """The calendar from every source: shipped notice files, `[calendar]` settings, the console's rows."""
    c = settings.calendar
    years: list[YearDays] = [*shipped_years().values(),
                             *entered_years(c.rest_days, c.work_days, "settings", "设置文件").values()]
    async with db.read() as session:
        rows = (await session.execute(select(HolidayDay).order_by(HolidayDay.day))).scalars().all()
    by_year: dict[int, list[HolidayDay]] = {}
    for row in rows:
        by_year.setdefault(row.year, []).append(row)
    for year, days in by_year.items():
        who = "、".join(sorted({r.entered_by for r in days if r.entered_by}))
        years.append(year_days(year, "committee", [(r.day, r.note) for r in days if r.kind == "rest"],
                               [(r.day, r.note) for r in days if r.kind == "work"], who))
    return deadlines.HolidayCalendar(years)


async def refresh_calendar(db: Database, settings: Settings) -> deadlines.Rules:
    """Load the calendar and make it, with `deadlines.rest_day_shift`, the one due dates use."""
    return deadlines.install(await load_calendar(db, settings), settings.deadlines.rest_day_shift)


async def refresh_and_recompute(db: Database, settings: Settings) -> int:
    """Install the current calendar and recompute open deadlines if it differs from the one they were
    computed with; returns how many assignments' due dates changed."""
    rules = await refresh_calendar(db, settings)
    return await recompute_if_calendar_changed(db, settings, rules.fingerprint())


@dataclass(frozen=True)
class SavedYear:
    year: int
    rest: int
    work: int
    recomputed: int


async def save_year(db: Database, settings: Settings, year: int, rest_text: str, work_text: str,
                    actor: Actor) -> SavedYear:
    """Replace the console's entries for `year` (both empty: remove them), then recompute open deadlines.

    Bad input changes nothing and says what is wrong in Chinese."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"年份应在 {FIRST_YEAR} 至 {LAST_YEAR} 之间。")
    try:
        entered = year_days(year, "committee", parse_lines(rest_text, year), parse_lines(work_text, year))
    except HolidayDataError as exc:
        raise InvalidInput(exc.message) from None
    who = actor.name or actor.id
    await refresh_and_recompute(db, settings)  # the calendar open deadlines stand on now, recorded if it was not
    async with UnitOfWork(db) as session:
        await session.execute(delete(HolidayDay).where(HolidayDay.year == year))
        for day in sorted(entered.rest | entered.work):
            session.add(HolidayDay(year=year, day=day, kind=entered.kind_of(day), note=entered.notes.get(day, ""),
                                   entered_by=who[:64]))
        await append_system_event(session, "set_holidays", actor, "calendar", str(year), {
            "year": year, "rest_days": len(entered.rest), "work_days": len(entered.work),
            "days": [f"{d:%Y-%m-%d} {entered.kind_of(d)}" for d in sorted(entered.rest | entered.work)]})
    recomputed = await refresh_and_recompute(db, settings)
    return SavedYear(year, len(entered.rest), len(entered.work), recomputed)
