"""Today's yellow and red cards for the dashboard: counted in SQL, and only the most urgent read whole.

The deadlines are workflow/readmodels/deadlines.py's, the same the reminders send (open_deadlines): the
stored due dates (`dated_dues`) are counted and ordered by the database; the deputies' rating windows,
whose due date the working-day calendar gives, are counted per opening day and that day's due date looked
up once. A due date is red once it has passed and yellow from today to the last day of the reminder window
(workflow/domain/cards.py last_yellow_due). At 100k proposals that is tens of thousands of cards: none is
built as an object unless it is shown.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import and_, case, false, func, or_, select

from storage.db import Database
from storage.models import Proposal
from workflow.domain.cards import DEADLINE_LABELS, Due, last_yellow_due
from workflow.readmodels.deadlines import (
    dated_dues,
    detailed,
    dues_order,
    rating_asked,
    ratings_asked_on,
    replied_windows,
    window_due,
    window_dues,
    windows_opened,
)
from workflow.settings import Settings

CARDS = ("red", "yellow")


@dataclass
class Cards:
    """Per card: how many open deadlines carry it, by deadline, and the most urgent (deadline, days overdue
    or left), the earliest due first."""

    counts: dict[str, dict[str, int]] = field(default_factory=lambda: {c: _no_counts() for c in CARDS})
    urgent: dict[str, list[tuple[Due, int]]] = field(default_factory=lambda: {c: [] for c in CARDS})

    def total(self, card: str) -> int:
        return sum(self.counts[card].values())

    def by_deadline(self, card: str) -> dict[str, int]:
        return dict(self.counts[card])

    def most_urgent(self, card: str, n: Optional[int] = None) -> list[tuple[Due, int]]:
        return self.urgent[card][:n]


def _no_counts() -> dict[str, int]:
    return {name: 0 for name in DEADLINE_LABELS}


@dataclass(frozen=True)
class Window:
    """Today's bounds of the cards: red before `today`, yellow from `today` to `last_yellow` (None: no yellow)."""

    today: dt.date
    last_yellow: Optional[dt.date]

    @property
    def due_by(self) -> dt.date:
        return self.last_yellow or self.today

    def card_of(self, due: dt.date) -> Optional[str]:
        if due < self.today:
            return "red"
        if self.last_yellow is not None and due <= self.last_yellow:
            return "yellow"
        return None

    def clause(self, due, card: Optional[str] = None):
        """The SQL condition of `card` (of either card if None) on the due date `due`."""
        red = due < self.today
        yellow = and_(due >= self.today, due <= self.last_yellow) if self.last_yellow is not None else false()
        return {"red": red, "yellow": yellow}.get(card, or_(red, yellow))

    def days(self, due: dt.date) -> int:
        return (self.today - due).days if due < self.today else (due - self.today).days


def window_of(settings: Settings, today: dt.date) -> Window:
    return Window(today, last_yellow_due(today, settings.deadlines.reminder.amount))


async def cards(db: Database, settings: Settings, today: dt.date, shown: int) -> Cards:
    """The cards of today (all years: a card is about now), with the `shown` most urgent of each."""
    window, found = window_of(settings, today), Cards()
    async with db.read() as session:
        dues = dated_dues(window.due_by).subquery()
        card = case((dues.c.due < today, "red"), else_="yellow")
        for deadline, which, n in (await session.execute(
                select(dues.c.deadline, card, func.count()).where(window.clause(dues.c.due))
                .group_by(dues.c.deadline, card))).all():
            found.counts[which][deadline] += n
        opened = await _opened(session, settings, window)
        for (deadline, _day, due), n in opened.items():
            if (which := window.card_of(due)) is not None:
                found.counts[which][deadline] += n
        for which in CARDS:
            found.urgent[which] = await _most_urgent(session, window, opened, which, None, shown)
    return found


async def card_page(db: Database, settings: Settings, today: dt.date, card: str, deadline: str,
                    offset: int, limit: int) -> tuple[int, list[tuple[Due, int]]]:
    """One page of a card's list, most urgent first (only `deadline`'s, if given): (total, page)."""
    window = window_of(settings, today)
    async with db.read() as session:
        dues = dated_dues(window.due_by).subquery()
        total = (await session.execute(select(func.count()).where(
            window.clause(dues.c.due, card), *((dues.c.deadline == deadline,) if deadline else ())))).scalar_one()
        opened = await _opened(session, settings, window)
        total += sum(n for (name, _day, due), n in opened.items()
                     if window.card_of(due) == card and (not deadline or name == deadline))
        page = await _most_urgent(session, window, opened, card, deadline or None, offset + limit)
    return total, page[offset:]


async def _opened(session, settings: Settings, window: Window) -> dict[tuple[str, dt.date, dt.date], int]:
    """(deadline, opening day, due date) -> how many rating windows opened that day, for the deputies' deadlines."""
    due_of = window_dues(settings)
    found = {}
    for deadline, counted in (("evaluation", windows_opened(window.due_by)),
                              ("implementation_evaluation", ratings_asked_on(window.due_by))):
        for day, n in (await session.execute(counted)).all():
            found[(deadline, day, due_of(day))] = n
    return found


async def _most_urgent(session, window: Window, opened: dict, card: str, deadline: Optional[str],
                       n: int) -> list[tuple[Due, int]]:
    """The `n` most urgent of `card` (of `deadline` only, if given): the earliest due, then the number."""
    dues = dated_dues(window.due_by).subquery()
    first = (select(*dues.c).join(Proposal, Proposal.id == dues.c.proposal_id)
             .where(window.clause(dues.c.due, card), *((dues.c.deadline == deadline,) if deadline else ()))
             .order_by(*dues_order(dues.c, Proposal.number)).limit(n))
    found = await detailed(session, first)
    for name in ("evaluation", "implementation_evaluation"):
        if deadline in (None, name):
            found += await _first_windows(session, window, opened, card, name, n)
    found.sort(key=urgency)
    return [(due, window.days(due.due)) for due in found[:n]]


def urgency(due: Due) -> tuple:
    """dues_order's key on a Due (only 闭会期间建议交办 has no share, one per proposal: never a tie on it)."""
    return due.due, due.number, due.deadline, due.assignment_id or 0


async def _first_windows(session, window: Window, opened: dict, card: str, deadline: str, n: int) -> list[Due]:
    """The rating windows of `deadline` that can be among the `n` most urgent of `card`: those of the days
    whose due dates come first, until `n` are taken, with every day sharing the last due date taken."""
    days = sorted((due, day, count) for (name, day, due), count in opened.items()
                  if name == deadline and window.card_of(due) == card)
    taken, last_due, chosen = 0, None, []
    for due, day, count in days:
        if taken >= n and due != last_due:
            break
        chosen.append(day)
        taken, last_due = taken + count, due
    if not chosen:
        return []
    span = (min(chosen), max(chosen))
    due_of = {day: due for due, day, _ in days}
    rows = await (replied_windows if deadline == "evaluation" else rating_asked)(session, opened=span)
    return [window_due(deadline, r, due_of[r.opened]) for r in rows if r.opened in due_of]
