"""The open deadlines of every live assignment and every reply awaiting its rating, read for the cards.

Read only: workflow/usecases/reminders.py issues the cards; workflow/readmodels/card_counts.py counts and
lists them for the dashboard from the same statement (`dated_dues`)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import CompoundSelect, Integer, String, cast, func, literal_column, null, or_, select, union_all

from storage.db import Database
from storage.models import Assignment, Deputy, Proposal, Reply, Unit
from workflow.domain.cards import AWAITING_ASSIGNMENT, Due
from workflow.domain.deadlines import due_date
from workflow.domain.definition import AWAITING_REPLY_STATES, HANDLED_STATES, HANDLING_ROLES
from workflow.settings import Settings

CALENDAR_KEY = "chinese_calendar_version"
WINDOW_OPENED = func.max(Reply.replied_on)  # a reply-rating window opens with the round's last reply
# A lead unit's share while 落实中 (跟踪办理): its promise, its follow-up answer, the implementation rating.
FOLLOWING = (Proposal.state == "implementing", Assignment.state == "implementing", Assignment.role == "lead")


async def open_deadlines(db: Database, settings: Settings, due_by: Optional[dt.date] = None) -> list[Due]:
    """Open deadlines (all, or only those due by `due_by`: the ones that can carry a card today)."""
    async with db.read() as session:
        found = await detailed(session, select(*dated_dues(due_by).subquery().c))
        found += await _rating_dues(session, settings, due_by)
    return found


def dated_dues(due_by: Optional[dt.date] = None) -> CompoundSelect:
    """Every open deadline whose due date is stored, one row each: (deadline, due, proposal_id,
    assignment_id), due by `due_by` if given. The deputies' rating windows, whose due date the working-day
    calendar gives, are read apart (`replied_windows`, `rating_asked`). The one statement both the reminders
    and the dashboard's counts read."""
    share = Assignment
    live = (share.state.in_(sorted(AWAITING_REPLY_STATES)), share.role.in_(HANDLING_ROLES),
            Proposal.state.in_(HANDLED_STATES))
    newest_promise = newest_promise_of(share)
    kinds = [
        ("sign", share.sign_due, (*live, share.state == "pending")),
        ("opinion", share.opinion_due, (*live, share.role == "co", share.opinion_given.is_not(True),
                                        share.state != "adjustment_requested")),
        ("reply", share.reply_due, (*live, share.role == "lead")),
        # Staff decide each adjustment request (改派 or 不同意调整) by the date stored when the unit asked.
        ("adjustment_decision", share.adjustment_decision_due,
         (share.state == "adjustment_requested", Proposal.state.in_(HANDLED_STATES))),
        ("followup", share.followup_due, FOLLOWING),
        # Until the unit reports it done (before the date), the promise carries its cards; once the date
        # has passed it stays listed (the red card) beside the deputy's implementation rating.
        ("promise", newest_promise, (*FOLLOWING, share.followup_due.is_(None),
                                     or_(share.rating_opened_on.is_(None), share.rating_opened_on > newest_promise))),
    ]
    selects = [select(literal_column(f"'{name}'", String).label("deadline"), due.label("due"),
                      share.proposal_id.label("proposal_id"), share.id.label("assignment_id"))
               .join(Proposal, Proposal.id == share.proposal_id)
               .where(*where, due.is_not(None), *(() if due_by is None else (due <= due_by,)))
               for name, due, where in kinds]
    # 闭会期间建议: staff's 受理并交办 within deadlines.interim_assign (workflow/domain/cards.py interim_assign_due).
    selects.append(select(literal_column("'interim_assign'", String), Proposal.assign_due, Proposal.id,
                          cast(null(), Integer))
                   .where(Proposal.kind == "interim", Proposal.state.in_(AWAITING_ASSIGNMENT),
                          Proposal.assign_due.is_not(None),
                          *(() if due_by is None else (Proposal.assign_due <= due_by,))))
    return union_all(*selects)


def newest_promise_of(share):
    """The promise date of the share's newest reply (None if that reply made none): the newest one wins."""
    return (select(Reply.promise_date).where(Reply.assignment_id == share.id)
            .order_by(Reply.id.desc()).limit(1).scalar_subquery())


async def detailed(session, dues) -> list[Due]:
    """The rows of `dues` (a select of dated_dues' columns, maybe ordered and limited) as Due, in order."""
    picked = dues.subquery()
    rows = (await session.execute(
        select(picked.c.deadline, picked.c.due, picked.c.proposal_id, picked.c.assignment_id, Proposal.number,
               Proposal.title, Unit.code, Unit.name)
        .join(Proposal, Proposal.id == picked.c.proposal_id)
        .outerjoin(Assignment, Assignment.id == picked.c.assignment_id).outerjoin(Unit, Unit.id == Assignment.unit_id)
        .order_by(*dues_order(picked.c, Proposal.number)))).all()
    return [Due(r.deadline, r.due, r.proposal_id, r.number or "", r.title, assignment_id=r.assignment_id,
                unit=r.code or "", unit_name=r.name or "") for r in rows]


def dues_order(c, number) -> tuple:
    """The most urgent first: the earliest due, then the proposal's number, the deadline, the unit's share."""
    return c.due, number, c.deadline, c.assignment_id


async def replied_windows(session, due_by: Optional[dt.date] = None, opened: Optional[tuple] = None) -> list:
    """Proposals whose replies await their ratings, each with the day the window opened (the Beijing date of
    the round's last reply): rows (id, number, title, deputy, opened). With `due_by`, only windows opened by
    then; with `opened`, only those opened in [first, last]."""
    replied = (select(Proposal.id, Proposal.number, Proposal.title, Deputy.number.label("deputy"),
                      WINDOW_OPENED.label("opened"))
               .join(Reply, (Reply.proposal_id == Proposal.id) & (Reply.round == Proposal.round))
               .join(Deputy, Deputy.id == Proposal.lead_deputy_id)
               .where(Proposal.state == "replied")
               .group_by(Proposal.id, Proposal.number, Proposal.title, Deputy.number))
    if due_by is not None:  # a window falls due after it opens: later ones cannot be due yet
        replied = replied.having(WINDOW_OPENED <= due_by)
    if opened is not None:
        replied = replied.having(WINDOW_OPENED.between(*opened))
    return [r for r in (await session.execute(replied)).all() if r.opened is not None]


def windows_opened(due_by: Optional[dt.date] = None):
    """How many reply-rating windows opened each day (by `due_by`): a select of (opened, n)."""
    per_proposal = (select(WINDOW_OPENED.label("opened")).select_from(Proposal)
                    .join(Reply, (Reply.proposal_id == Proposal.id) & (Reply.round == Proposal.round))
                    .where(Proposal.state == "replied").group_by(Proposal.id))
    if due_by is not None:
        per_proposal = per_proposal.having(WINDOW_OPENED <= due_by)
    windows = per_proposal.subquery()
    return select(windows.c.opened, func.count()).where(windows.c.opened.is_not(None)).group_by(windows.c.opened)


def ratings_asked_on(due_by: Optional[dt.date] = None):
    """How many implementation ratings were asked for each day (by `due_by`): a select of (opened, n)."""
    opened = Assignment.rating_opened_on
    return (select(opened, func.count()).join(Proposal, Proposal.id == Assignment.proposal_id)
            .where(*FOLLOWING, opened.is_not(None), *(() if due_by is None else (opened <= due_by,)))
            .group_by(opened))


@dataclass(frozen=True)
class Following:
    """A lead unit's share while 落实中 (跟踪办理), with the promise date of its newest reply."""

    id: int
    proposal_id: int
    number: str
    title: str
    unit: str
    unit_name: str
    deputy: str
    rating_opened_on: Optional[dt.date]
    followup_due: Optional[dt.date]
    promise: Optional[dt.date]


async def following_shares(session) -> list[Following]:
    share = Assignment
    query = (select(share.id, share.proposal_id, share.rating_opened_on, share.followup_due, Proposal.number,
                    Proposal.title, Unit.code, Unit.name, Deputy.number.label("deputy"),
                    newest_promise_of(share).label("promise"))
             .join(Proposal, share.proposal_id == Proposal.id).join(Unit, share.unit_id == Unit.id)
             .join(Deputy, Deputy.id == Proposal.lead_deputy_id)
             .where(*FOLLOWING))
    return [Following(r.id, r.proposal_id, r.number or "", r.title, r.code, r.name, r.deputy, r.rating_opened_on,
                      r.followup_due, r.promise) for r in (await session.execute(query)).all()]


async def _rating_dues(session, settings: Settings, due_by: Optional[dt.date]) -> list[Due]:
    """The deputy's rating windows: reply ratings from the round's last reply, implementation ratings from
    the day they were asked for, each due deadlines.evaluation later on the working-day calendar."""
    due_of = window_dues(settings)
    found = [window_due("evaluation", r, due_of(r.opened)) for r in await replied_windows(session, due_by)]
    found += [window_due("implementation_evaluation", r, due_of(r.opened)) for r in await rating_asked(session, due_by)]
    return [due for due in found if due_by is None or due.due <= due_by]


def window_due(deadline: str, row, due: dt.date) -> Due:
    """The Due of a rating window: a row of `replied_windows` (evaluation) or of `rating_asked`."""
    if deadline == "evaluation":
        return Due("evaluation", due, row.id, row.number or "", row.title, deputy=row.deputy)
    return Due("implementation_evaluation", due, row.proposal_id, row.number or "", row.title,
               assignment_id=row.id, unit=row.code, unit_name=row.name, deputy=row.deputy)


def window_dues(settings: Settings):
    """opened -> due date of a rating window opened that day (windows opened on one day share it)."""
    period = settings.deadlines.evaluation
    dues: dict[dt.date, dt.date] = {}

    def due_of(opened: dt.date) -> dt.date:
        if opened not in dues:
            dues[opened] = due_date(opened, period).due
        return dues[opened]
    return due_of


async def rating_asked(session, due_by: Optional[dt.date] = None, opened: Optional[tuple] = None) -> list:
    """The lead shares 落实中 whose implementation rating was asked for: rows (id, proposal_id, number, title,
    code, name, deputy, opened); with `due_by`, only those opened by then; with `opened`, opened in [first, last]."""
    share = Assignment
    query = (select(share.id, share.proposal_id, Proposal.number, Proposal.title, Unit.code, Unit.name,
                    Deputy.number.label("deputy"), share.rating_opened_on.label("opened"))
             .join(Proposal, share.proposal_id == Proposal.id).join(Unit, share.unit_id == Unit.id)
             .join(Deputy, Deputy.id == Proposal.lead_deputy_id)
             .where(*FOLLOWING, share.rating_opened_on.is_not(None)))
    if due_by is not None:  # a window falls due after it opens: later ones cannot be due yet
        query = query.where(share.rating_opened_on <= due_by)
    if opened is not None:
        query = query.where(share.rating_opened_on.between(*opened))
    return list((await session.execute(query)).all())
