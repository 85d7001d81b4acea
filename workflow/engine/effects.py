"""What each allowed action writes (replies, evaluations, assignments...), and what entering a state does.

Each effect gets the session and the Context after every check has passed (the units the parameters
name are already looked up in `ctx.units`, the deadlines in `ctx.deadlines`); it changes rows and
returns facts for the event's payload. Whether the action is allowed is not decided here: that is
the guards' work (workflow/domain/rules.py), so that `allowed_actions` sees it too.
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.models import Assignment, Consultation, ContactLog, Evaluation, Opinion, ProgressReport, Reply, utcnow
from workflow.domain.deadlines import due_date
from workflow.domain.definition import FINAL_STATES, LIVE_ASSIGNMENT_STATES, PROMISING_CATEGORIES
from workflow.domain.errors import InvalidInput, NotAllowed
from workflow.domain.machine import fire_assignment
from workflow.domain.rules import Context

EFFECTS = {}


def effect(name: str):
    def register(fn):
        EFFECTS[name] = fn
        return fn
    return register


def _deputy_id(ctx: Context) -> int:
    number = ctx.actor.effective_id
    if ctx.proposal.lead_deputy.number == number:
        return ctx.proposal.lead_deputy.id
    return next(c.deputy.id for c in ctx.proposal.co_signers if c.deputy.number == number)


def _entered_by(ctx: Context) -> str:
    return ctx.actor.id if ctx.actor.on_behalf_kind else ""


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


@effect("confirm_cosign")
async def _confirm_cosign(session: AsyncSession, ctx: Context) -> dict:
    for co in ctx.proposal.co_signers:
        if co.deputy.number == ctx.actor.effective_id:
            co.confirmed_at = utcnow()
    return {"deputy": ctx.actor.effective_id}


@effect("submit")
async def _submit(session: AsyncSession, ctx: Context) -> dict:
    proposal = ctx.proposal
    if proposal.number is None:
        proposal.year = ctx.today.year
        proposal.number = await repo.next_number(session, proposal.year)
    proposal.submitted_at = utcnow()
    return {"number": proposal.number}


async def _reason(session: AsyncSession, ctx: Context) -> dict:
    ctx.proposal.state_reason = " ".join(filter(None, [ctx.params.get("reason", ""), ctx.params.get("note", "")]))
    return {}


for _name in ("withdraw", "return_for_revision", "refer", "close", "reject_adjustment"):
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
    names = [units[c].name for c in leads] + [f"{units[c].name}（协办）" for c in cos]
    return {"reply_due": reply_due, "sign_due": due_date(ctx.today, ctx.deadlines.sign).due,
            "units": "、".join(names)}


@effect("sign")
async def _sign(session: AsyncSession, ctx: Context) -> dict:
    ctx.assignment.signed_at = utcnow()
    return {"unit": ctx.assignment.unit.code}


@effect("request_adjustment")
async def _request_adjustment(session: AsyncSession, ctx: Context) -> dict:
    ctx.assignment.adjustment_reason = ctx.params["reason"]
    return {"unit": ctx.assignment.unit.code}


@effect("reassign")
async def _reassign(session: AsyncSession, ctx: Context) -> dict:
    code = ctx.params["to_unit"]
    unit, old = ctx.units[code], ctx.assignment
    new = new_assignment(ctx, unit, old.role, old.reply_due)
    ctx.proposal.assignments.append(new)
    return {"unit": old.unit.code, "to_unit": code, "units": unit.name, "sign_due": new.sign_due}


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
    return {"unit": ctx.assignment.unit.code, "previous_due": old}


@effect("reply")
async def _reply(session: AsyncSession, ctx: Context) -> dict:
    a, now = ctx.assignment, utcnow()
    on_time = a.reply_due is None or ctx.today <= a.reply_due
    reply = Reply(proposal_id=ctx.proposal.id, assignment_id=a.id, round=ctx.proposal.round,
                  category=ctx.params["category"], text=ctx.params["text"], signer=ctx.params["signer"],
                  promise_date=ctx.params.get("promise_date"), on_time=on_time, created_at=now)
    ctx.proposal.replies.append(reply)
    if a.first_replied_at is None:
        a.first_replied_at = now
    return {"unit": a.unit.code, "on_time": on_time}


@effect("evaluate_reply")
async def _evaluate_reply(session: AsyncSession, ctx: Context) -> dict:
    waiting = [r for r in ctx.replies_of_latest_round() if ctx.rating_for(r) is None]
    code = ctx.params.get("unit")
    if code:
        waiting = [r for r in waiting if _unit_code(ctx, r.assignment_id) == code]
        if not waiting:
            raise InvalidInput(f"单位 {code} 没有待评价的答复。", field="unit")
    if len(waiting) > 1:
        raise InvalidInput("有多个主办单位的答复待评价，请用 unit 指明评价哪个单位的答复。", field="unit")
    reply = waiting[0]
    rating = ctx.params["rating"]
    common = dict(proposal_id=ctx.proposal.id, reply_id=reply.id, assignment_id=reply.assignment_id,
                  deputy_id=_deputy_id(ctx), entered_by=_entered_by(ctx), reason=ctx.params.get("reason", ""))
    ctx.proposal.evaluations.append(Evaluation(kind="reply", rating=rating, **common))
    facts = {"unit": _unit_code(ctx, reply.assignment_id), "reply_category": reply.category, "reply_id": reply.id}
    if reply.category == "A":  # solved: the deputy rates reply and implementation in one form
        facts["implementation_rating"] = ctx.params.get("implementation_rating", rating)
        ctx.proposal.evaluations.append(Evaluation(
            kind="implementation", rating=facts["implementation_rating"], **common))
    if rating == "unsatisfied":
        ctx.proposal.unsatisfied_count += 1
        if ctx.proposal.unsatisfied_count >= 2 and not ctx.proposal.key_supervision:
            ctx.proposal.key_proposed = True
            facts["key_proposed"] = True
    return facts


@effect("report_progress")
async def _report_progress(session: AsyncSession, ctx: Context) -> dict:
    session.add(ProgressReport(assignment_id=ctx.assignment.id, text=ctx.params["text"],
                               percent=ctx.params["percent"]))
    return {"unit": ctx.assignment.unit.code}


@effect("evaluate_implementation")
async def _evaluate_implementation(session: AsyncSession, ctx: Context) -> dict:
    replies = ctx.replies_of_latest_round()
    in_progress = [r for r in replies if r.category in PROMISING_CATEGORIES] or replies
    if not in_progress:
        raise NotAllowed("还没有可评价落实情况的答复。")
    for reply in in_progress:
        ctx.proposal.evaluations.append(Evaluation(
            proposal_id=ctx.proposal.id, reply_id=reply.id, assignment_id=reply.assignment_id, kind="implementation",
            rating=ctx.params["rating"], reason=ctx.params.get("reason", ""), deputy_id=_deputy_id(ctx),
            entered_by=_entered_by(ctx)))
    return {"reply_ids": [r.id for r in in_progress]}


@effect("mark_key")
async def _mark_key(session: AsyncSession, ctx: Context) -> dict:
    p = ctx.proposal
    p.key_supervision, p.key_leader, p.key_committee, p.key_proposed = True, ctx.params["leader"], \
        ctx.params.get("committee", ""), False
    return {}


def _unit_code(ctx: Context, assignment_id: int) -> str:
    return next(a.unit.code for a in ctx.proposal.assignments if a.id == assignment_id)


# ---------------------------------------------------------------- entering a state
def _move_assignments(ctx: Context, trigger: str, which) -> None:
    saved = ctx.assignment
    for assignment in ctx.proposal.assignments:
        if which(assignment):
            ctx.assignment = assignment
            fire_assignment(ctx, trigger)
    ctx.assignment = saved


def on_enter(ctx: Context, state: str, payload: dict) -> None:
    """What entering `state` does beyond the state itself (pure changes of loaded rows)."""
    p = ctx.proposal
    if state == "rehandling":
        unhappy = {r.assignment_id for r in ctx.replies_of_latest_round()
                   if (e := ctx.rating_for(r)) is not None and e.rating == "unsatisfied"}
        due = due_date(ctx.today, ctx.deadlines.rehandle).due
        _move_assignments(ctx, "start_rehandling", lambda a: a.id in unhappy and a.state == "replied")
        for a in p.assignments:
            if a.id in unhappy:
                a.reply_due = due
        p.round += 1
        payload["rehandle_due"] = due
    elif state == "implementing":
        in_progress = {r.assignment_id for r in ctx.replies_of_latest_round() if r.category in PROMISING_CATEGORIES}
        _move_assignments(ctx, "start_implementing", lambda a: a.id in in_progress and a.state == "replied")
    elif state in FINAL_STATES:
        p.closed_at = utcnow()
        _move_assignments(ctx, "finish", lambda a: a.state in LIVE_ASSIGNMENT_STATES)
    elif state in ("draft", "submitted"):  # consultation over: a consulted unit that did not answer is done
        _move_assignments(ctx, "finish", lambda a: a.role == "consult" and a.state == "pending")
