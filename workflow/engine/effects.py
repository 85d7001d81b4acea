"""What each allowed action writes (replies, evaluations, assignments...), and what entering a state does.

Each effect gets the session and the Context after every check has passed (the units the parameters
name are already looked up in `ctx.units`, the deadlines in `ctx.deadlines`); it changes rows and
returns facts for the event's payload. Whether the action is allowed is not decided here: that is
the guards' work (workflow/domain/rules.py), so that `allowed_actions` sees it too.
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.models import Assignment, Consultation, ContactLog, Opinion, utcnow
from workflow.domain import words
from workflow.domain.deadlines import due_date
from workflow.domain.definition import FINAL_STATES, LIVE_ASSIGNMENT_STATES
from workflow.domain.errors import InvalidInput
from workflow.domain.rules import Context
from workflow.engine.evaluation import start_implementing
from workflow.engine.extensions import settle_extension_request
from workflow.engine.numbering import join_session
from workflow.engine.registry import EFFECTS, effect, move_assignments
from workflow.engine.screening import lapse_withdrawal_request

__all__ = ["EFFECTS", "on_enter", "new_assignment"]


def new_assignment(ctx: Context, unit, role: str, reply_due=None) -> Assignment:
    """One unit's share with its deadlines from today on the configured calendar."""
    d, today = ctx.deadlines, ctx.today
    return Assignment(
        unit=unit, unit_id=unit.id, role=role, state="pending", assigned_on=today,
        sign_due=due_date(today, d.sign).due, adjustment_due=due_date(today, d.adjustment).due,
        opinion_due=due_date(today, d.opinion).due if role == "co" else None,
        reply_due=(reply_due or due_date(today, d.reply).due) if role == "lead" else None,
        reply_due_manual=reply_due is not None and role == "lead",
        contacts=[], opinions=[], progress=[],
    )


@effect("revise")
async def _revise(session: AsyncSession, ctx: Context) -> dict:
    for name in ("title", "content", "category"):
        if name in ctx.params:
            setattr(ctx.proposal, name, ctx.params[name])
    if not ctx.params:
        raise InvalidInput("请至少修改标题、内容或类别中的一项。")
    return {}


@effect("request_consultation")
async def _request_consultation(session: AsyncSession, ctx: Context) -> dict:
    unit = ctx.units.get(ctx.params.get("unit") or "")
    if unit is not None:
        ctx.proposal.assignments.append(new_assignment(ctx, unit, "consult"))
    session.add(Consultation(proposal_id=ctx.proposal.id, question=ctx.params.get("question", ""),
                             unit_id=unit.id if unit else None))
    return {}


@effect("give_advice")
async def _give_advice(session: AsyncSession, ctx: Context) -> dict:
    open_requests = await repo.open_consultations(session, ctx.proposal.id)
    who = ctx.assignment.unit.name if ctx.assignment is not None else (ctx.actor.name or ctx.actor.id)
    for consultation in open_requests[-1:]:
        consultation.advice, consultation.advised_by, consultation.advised_at = ctx.params["advice"], who, utcnow()
    return {"advised_by": who}


@effect("submit")
async def _submit(session: AsyncSession, ctx: Context) -> dict:
    proposal = ctx.proposal
    facts = {}
    if proposal.number is None:
        proposal.year = ctx.today.year
        proposal.number = await repo.next_number(session, proposal.year)
        facts = await join_session(session, ctx, ctx.today)
    proposal.submitted_at = utcnow()
    return {"number": proposal.number, **facts}


async def _reason(session: AsyncSession, ctx: Context) -> dict:
    ctx.proposal.state_reason = " ".join(filter(None, [ctx.params.get("reason", ""), ctx.params.get("note", "")]))
    return {}


for _name in ("return_for_revision", "close", "reject_adjustment"):  # refer, withdraw: workflow/engine/screening.py
    EFFECTS[_name] = _reason


@effect("accept")
async def _accept(session: AsyncSession, ctx: Context) -> dict:
    ctx.proposal.category = ctx.params["category"]
    return {}


@effect("assign")
async def _assign(session: AsyncSession, ctx: Context) -> dict:
    leads, cos, units = ctx.params["lead_units"], ctx.params.get("co_units", []), ctx.units
    due = ctx.params.get("due_date")
    for code in leads:
        ctx.proposal.assignments.append(new_assignment(ctx, units[code], "lead", due))
    for code in cos:
        ctx.proposal.assignments.append(new_assignment(ctx, units[code], "co"))
    ctx.proposal.assigned_at = utcnow()
    reply_due = due or due_date(ctx.today, ctx.deadlines.reply).due
    names = [units[c].name for c in leads] + [f"{units[c].name}（{words.co_unit()}）" for c in cos]
    return {"reply_due": reply_due, "sign_due": due_date(ctx.today, ctx.deadlines.sign).due,
            "units": "、".join(names)}


@effect("sign")
async def _sign(session: AsyncSession, ctx: Context) -> dict:
    ctx.assignment.signed_at = utcnow()
    return {"unit": ctx.assignment.unit.code}


@effect("request_adjustment")
async def _request_adjustment(session: AsyncSession, ctx: Context) -> dict:
    a = ctx.assignment
    a.adjustment_reason = ctx.params["reason"]
    # Staff decide (改派 or 不同意调整) within deadlines.adjustment_decision: a deadline with its cards.
    a.adjustment_requested_on = ctx.today
    a.adjustment_decision_due = due_date(ctx.today, ctx.deadlines.adjustment_decision).due
    return {"unit": a.unit.code, "unit_name": a.unit.name, "decision_due": a.adjustment_decision_due}


@effect("reassign")
async def _reassign(session: AsyncSession, ctx: Context) -> dict:
    """改派: the share goes to `to_unit` (a new share; the old one is handed on). To one of the proposal's
    co-units, the two swap: the co-unit's share is handed over and it leads; with `keep_as_co` the old
    lead stays on as a co-unit. A new lead's reply period starts afresh unless the settings keep the old date."""
    code = ctx.params["to_unit"]
    unit, old = ctx.units[code], ctx.assignment
    co_share = next((a for a in ctx.proposal.assignments if a.unit_id == unit.id and a.role == "co"
                     and a.state in LIVE_ASSIGNMENT_STATES), None)
    if co_share is not None:
        move_assignments(ctx, "hand_over", lambda a: a is co_share)
    new = new_assignment(ctx, unit, old.role, None if ctx.reassign_fresh_period else old.reply_due)
    ctx.proposal.assignments.append(new)
    kept = None
    if ctx.params.get("keep_as_co") and old.role == "lead":
        kept = new_assignment(ctx, old.unit, "co")
        ctx.proposal.assignments.append(kept)
    facts = {"unit": old.unit.code, "to_unit": code, "units": unit.name, "sign_due": new.sign_due}
    if co_share is not None:
        facts["swapped"] = True
    if kept is not None:
        facts["kept_as_co"] = True
    if new.reply_due is not None:
        facts["reply_due"] = new.reply_due
    return facts


@effect("log_contact")
async def _log_contact(session: AsyncSession, ctx: Context) -> dict:
    when = ctx.params.get("contacted_on") or ctx.today
    session.add(ContactLog(assignment_id=ctx.assignment.id, contacted_on=when, method=ctx.params["method"],
                           summary=ctx.params["summary"]))
    ctx.assignment.contact_logged = True
    return {"unit": ctx.assignment.unit.code}


@effect("submit_opinion")
async def _submit_opinion(session: AsyncSession, ctx: Context) -> dict:
    session.add(Opinion(assignment_id=ctx.assignment.id, text=ctx.params["text"]))
    ctx.assignment.opinion_given = True
    return {"unit": ctx.assignment.unit.code}


@effect("extend_deadline")
async def _extend_deadline(session: AsyncSession, ctx: Context) -> dict:
    old = ctx.assignment.reply_due
    ctx.assignment.reply_due = ctx.params["due_date"]
    ctx.assignment.reply_due_manual = True
    facts = {"unit": ctx.assignment.unit.code, "previous_due": old}
    # An extension staff grant directly also answers the unit's pending application for one.
    if await settle_extension_request(session, ctx, "approved", granted=ctx.params["due_date"]) is not None:
        facts["settled_request"] = True
    return facts


@effect("mark_key")
async def _mark_key(session: AsyncSession, ctx: Context) -> dict:
    p = ctx.proposal
    p.key_supervision, p.key_leader, p.key_committee, p.key_proposed = True, ctx.params["leader"], \
        ctx.params.get("committee", ""), False
    return {}


# ---------------------------------------------------------------- entering a state
def on_enter(ctx: Context, state: str, payload: dict) -> None:
    """What entering `state` does beyond the state itself (pure changes of loaded rows)."""
    p = ctx.proposal
    lapse_withdrawal_request(ctx, state, payload)
    if state == "rehandling":
        unhappy = {r.assignment_id for r in ctx.replies_of_latest_round()
                   if (e := ctx.rating_for(r)) is not None and e.rating == "unsatisfied"}
        due = due_date(ctx.today, ctx.deadlines.rehandle).due
        move_assignments(ctx, "start_rehandling", lambda a: a.id in unhappy and a.state == "replied")
        for a in p.assignments:
            if a.id in unhappy:
                a.reply_due = due
        p.round += 1
        payload["rehandle_due"] = due
    elif state == "implementing":
        start_implementing(ctx)
    elif state in FINAL_STATES:
        p.closed_at = utcnow()
        move_assignments(ctx, "finish", lambda a: a.state in LIVE_ASSIGNMENT_STATES)
    elif state in ("draft", "submitted"):  # consultation over: a consulted unit that did not answer is done
        move_assignments(ctx, "finish", lambda a: a.role == "consult" and a.state == "pending")
