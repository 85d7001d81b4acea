"""Yellow and red cards (黄牌/红牌): when an open deadline carries one, and who is told.

A deadline carries a yellow card within the reminder window (working days) before it falls due and a
red card once it is past; a red card goes to supervisors and staff as well as to the unit."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from workflow.domain.deadlines import working_days_between

DEADLINE_LABELS = {"sign": "签收期限", "opinion": "协办意见期限", "reply": "答复期限", "evaluation": "代表评价期限",
                   "implementation_evaluation": "落实评价期限", "promise": "承诺解决时间",
                   "followup": "重新承诺或再次答复期限", "adjustment_decision": "调整申请处理期限",
                   "interim_assign": "闭会期间建议交办期限"}
# The deputy's own deadlines: a yellow card reminds the deputy; past them the engine records 未反馈.
DEPUTY_DEADLINES = frozenset({"evaluation", "implementation_evaluation"})
# Staff's own deadlines (deciding a unit's adjustment request, accepting and assigning an interim proposal
# within deadlines.interim_assign): the yellow card reminds staff, the red one goes to supervisors too.
STAFF_DEADLINES = frozenset({"adjustment_decision", "interim_assign"})
# An interim proposal waits for staff's 受理并交办 in these states (the engine sets its assign_due at submission).
AWAITING_ASSIGNMENT = ("submitted", "accepted")


@dataclass
class Due:
    deadline: str
    due: dt.date
    proposal_id: int
    number: str
    title: str
    assignment_id: int | None = None
    unit: str = ""
    unit_name: str = ""
    deputy: str = ""


def card_for(due: dt.date, today: dt.date, reminder_working_days: int) -> str | None:
    """'yellow' within the reminder window before `due`, 'red' after it, else None."""
    if today > due:
        return "red"
    if working_days_between(today, due) <= reminder_working_days:
        return "yellow"
    return None


def last_yellow_due(today: dt.date, window: int) -> Optional[dt.date]:
    """The latest due date that carries a yellow card today (card_for is yellow from today up to it)."""
    day, last = today, None
    while card_for(day, today, window) == "yellow":
        last, day = day, day + dt.timedelta(days=1)
    return last


def interim_assign_due(kind: Optional[str], state: str, assign_due: Optional[dt.date]) -> Optional[dt.date]:
    """When staff must have accepted and assigned this proposal, while that is still to do: an interim
    proposal (闭会期间建议) not yet assigned; None for a session proposal (交办会), once assigned or ended."""
    if kind == "interim" and state in AWAITING_ASSIGNMENT and assign_due is not None:
        return assign_due
    return None


def card_recipients(item: Due, card: str) -> list[tuple[str, str, str]]:
    """(message kind, recipient kind, recipient id)."""
    if item.deadline in DEPUTY_DEADLINES:
        if card == "yellow":
            return [("evaluation_reminder", "deputy", item.deputy)]
        return [("reminder_red", "staff", "*")]
    if item.deadline in STAFF_DEADLINES:
        if card == "yellow":
            return [("reminder_yellow", "staff", "*")]
        return [("reminder_red", "supervisor", "*"), ("reminder_red", "staff", "*")]
    if card == "yellow":
        return [("reminder_yellow", "unit", item.unit)]
    return [("reminder_red", "supervisor", "*"), ("reminder_red", "staff", "*"), ("reminder_yellow", "unit", item.unit)]
