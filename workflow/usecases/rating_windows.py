"""The deputy's rating windows and the units' promise dates, acted on when they pass.

Run by the scheduler (notify/runner.py) with every reminder pass. Each change is an engine action of the
system actor, so it is an event on the proposal's chain with its notifications:
- `lapse_rating`: a rating window (deadlines.evaluation from the day the rating was asked for, a Beijing
  date) has closed with ratings not given: they are recorded as 未反馈;
- `open_implementation_rating`: the promise date of a unit's newest B/C reply has passed: the deputy is
  asked to rate what was done.
Two workers doing this at once: one wins, the other finds nothing left to do (NotAllowed) or a conflict.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Callable

from storage.db import Database
from storage.uow import Conflict
from workflow.domain.deadlines import due_date
from workflow.domain.errors import WorkflowError
from workflow.domain.rules import Actor
from workflow.engine.engine import Engine
from workflow.readmodels.deadlines import following_shares, replied_windows
from workflow.settings import Settings

log = logging.getLogger("jianyi.rating_windows")
SYSTEM = Actor("system", "system", "系统")


async def act_on_passed_windows(db: Database, settings: Settings, clock: Callable[[], dt.date]) -> int:
    """Record 未反馈 for closed windows and open implementation ratings whose promise date passed."""
    today, period = clock(), settings.deadlines.evaluation
    engine = Engine(db, settings, clock)
    due_cache: dict[dt.date, dt.date] = {}

    def passed(opened: dt.date | None) -> bool:
        if opened is None:
            return False
        if opened not in due_cache:
            due_cache[opened] = due_date(opened, period).due
        return today > due_cache[opened]

    work: list[tuple[str, str]] = []
    async with db.read() as session:
        for r in await replied_windows(session):
            if passed(r.opened):
                work.append((f"d{r.id}", "lapse_rating"))
        for r in await following_shares(session):
            if passed(r.rating_opened_on):
                work.append((f"d{r.proposal_id}", "lapse_rating"))
            elif (r.rating_opened_on is None and r.followup_due is None and r.promise is not None
                  and r.promise < today):
                work.append((f"d{r.proposal_id}", "open_implementation_rating"))
    done = 0
    for ref, action in dict.fromkeys(work):
        try:
            await engine.perform(ref, action, SYSTEM)
            done += 1
        except (WorkflowError, Conflict) as exc:  # done by another worker meanwhile, or nothing left
            log.debug("%s %s skipped: %s", action, ref, exc)
    return done
