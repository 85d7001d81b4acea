"""What replies, ratings and their follow-up write (答复、再次答复、评价、未反馈、研究处理).

The rules of the two-stage evaluation (DESIGN.md section 3): each lead unit's reply is rated apart; an
A reply's implementation is rated on the same form or later, never inferred; B and C are followed up
(跟踪办理) until the unit reports it done, answers again, or the promise date passes; a rating not given
by the window's end is recorded as 未反馈; 不满意 counts per unit and per round.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Evaluation, ProgressReport, Reply, UnitHead, utcnow
from workflow.domain import words
from workflow.domain.deadlines import due_date
from workflow.domain.definition import IMPLEMENTED_CATEGORIES, NO_FEEDBACK, PROMISING_CATEGORIES
from workflow.domain.errors import InvalidInput, NotAllowed
from workflow.domain.letters import Head, chosen_signer
from workflow.domain.machine import fire_assignment
from workflow.domain.rules import Context
from workflow.engine.registry import deputy_id, effect, entered_by, move_assignments, unit_code


async def _new_reply(session: AsyncSession, ctx: Context, kind: str) -> tuple[Reply, dict]:
    """The reply row, and what its event records of the 答复函: the 签发人 is one of the unit's registered
    heads once it has any (InvalidInput on signer otherwise, nothing recorded), with the head's title."""
    a, now, p = ctx.assignment, utcnow(), ctx.params
    heads = (await session.execute(select(UnitHead).where(UnitHead.unit_id == a.unit_id, UnitHead.active.is_(True))
                                   .order_by(UnitHead.id))).scalars()
    head = chosen_signer(p["signer"], [Head(h.name, h.title) for h in heads], words.staff_body())
    signer, title = (head.name, head.title) if head else (p["signer"], "")
    on_time = kind != "answer" or a.reply_due is None or ctx.today <= a.reply_due
    letter = {"signer": signer, "signer_title": title, "doc_number": p.get("doc_number", ""),
              "handler": p.get("handler", ""), "handler_phone": p.get("handler_phone", "")}
    reply = Reply(proposal_id=ctx.proposal.id, assignment_id=a.id, round=ctx.proposal.round, kind=kind,
                  category=p["category"], text=p["text"], promise_date=p.get("promise_date"), on_time=on_time,
                  created_at=now, replied_on=ctx.today, **letter)
    ctx.proposal.replies.append(reply)
    if a.first_replied_at is None:
        a.first_replied_at = now
    return reply, letter


@effect("reply")
async def _reply(session: AsyncSession, ctx: Context) -> dict:
    reply, letter = await _new_reply(session, ctx, "answer")
    return {"unit": ctx.assignment.unit.code, "on_time": reply.on_time, **letter}


@effect("answer_again")
async def _answer_again(session: AsyncSession, ctx: Context) -> dict:
    """再次答复 while 落实中 (e.g. B solved: now A). A or D asks the deputy to rate what was done."""
    a = ctx.assignment
    _reply_row, letter = await _new_reply(session, ctx, "second")
    a.followup_due = None
    opened = ctx.params["category"] not in PROMISING_CATEGORIES
    a.rating_opened_on = ctx.today if opened else None
    return {"unit": a.unit.code, "rating_opened": opened, **letter}


def _reply_to_rate(ctx: Context, waiting: list, what: str):
    code = ctx.params.get("unit")
    if code:
        waiting = [r for r in waiting if unit_code(ctx, r.assignment_id) == code]
        if not waiting:
            raise InvalidInput(f"单位 {code} 没有待评价的{what}。", field="unit")
    if len(waiting) > 1:
        raise InvalidInput(f"有多个主办单位的{what}待评价，请用 unit 指明评价哪个单位。", field="unit")
    return waiting[0]


def _assignment(ctx: Context, assignment_id: int):
    return next(a for a in ctx.proposal.assignments if a.id == assignment_id)


@effect("evaluate_reply")
async def _evaluate_reply(session: AsyncSession, ctx: Context) -> dict:
    """One lead unit's reply rated; for an A reply the deputy may rate what was done in the same form
    (never inferred from the reply's rating)."""
    reply = _reply_to_rate(ctx, [r for r in ctx.replies_of_latest_round() if ctx.rating_for(r) is None], "答复")
    rating, unit = ctx.params["rating"], _assignment(ctx, reply.assignment_id)
    common = dict(proposal_id=ctx.proposal.id, reply_id=reply.id, assignment_id=reply.assignment_id,
                  deputy_id=deputy_id(ctx), entered_by=entered_by(ctx))
    form = _opinion_form(ctx)
    ctx.proposal.evaluations.append(Evaluation(kind="reply", rating=rating, reason=ctx.params.get("reason", ""),
                                               **form, **common))
    # The form as stored (an attitude ignored when rated together, the date defaulted) is what the event says.
    facts = {"unit": unit.unit.code, "reply_category": reply.category, "reply_id": reply.id, **form}
    if reply.category in IMPLEMENTED_CATEGORIES:
        implementation = ctx.params.get("implementation_rating") or None
        facts["implementation_rating"] = implementation
        if implementation:
            facts["implementation_reason"] = ctx.params.get("implementation_reason", "")
            ctx.proposal.evaluations.append(Evaluation(kind="implementation", rating=implementation,
                                                       reason=facts["implementation_reason"], **common))
    if rating == "unsatisfied":
        _count_unsatisfied(ctx, unit, facts)
    return facts


def _opinion_form(ctx: Context) -> dict:
    """The 征询意见表's other answers: 办理态度 (only when rated apart), whether and how the unit contacted
    the deputy (a method given says it did), the opinion, and the form's date (today when not given)."""
    method = ctx.params.get("contact_method") or None
    contacted = ctx.params.get("contacted")
    return {"attitude": (ctx.params.get("attitude") or None) if ctx.separate_attitude else None,
            "contacted": True if method else contacted, "contact_method": method,
            "opinion": ctx.params.get("opinion") or None, "form_date": ctx.params.get("form_date") or ctx.today}


def _count_unsatisfied(ctx: Context, assignment, facts: dict) -> None:
    """Per unit and per round; the proposal's figure is its most re-handled unit's."""
    assignment.unsatisfied_count = (assignment.unsatisfied_count or 0) + 1
    p = ctx.proposal
    p.unsatisfied_count = max((a.unsatisfied_count or 0) for a in ctx.lead_assignments())
    facts["unsatisfied_count"] = p.unsatisfied_count
    if assignment.unsatisfied_count >= 2 and not p.key_supervision and not p.key_proposed:
        p.key_proposed = True
        facts["key_proposed"] = True


@effect("report_progress")
async def _report_progress(session: AsyncSession, ctx: Context) -> dict:
    a = ctx.assignment
    session.add(ProgressReport(assignment_id=a.id, text=ctx.params["text"], percent=ctx.params["percent"]))
    opened = ctx.params["percent"] >= 100 and a.rating_opened_on is None
    if opened:  # reported done: now the deputy rates what was done
        a.rating_opened_on, a.followup_due = ctx.today, None
    return {"unit": a.unit.code, "rating_opened": opened}


@effect("open_implementation_rating")
async def _open_implementation_rating(session: AsyncSession, ctx: Context) -> dict:
    """The promise date of a unit's newest reply has passed: ask the deputy to rate what was done."""
    opened = []
    for a in ctx.lead_assignments():
        reply = ctx.latest_reply_for(a.id)
        if (a.state == "implementing" and a.rating_opened_on is None and reply is not None
                and reply.promise_date is not None and reply.promise_date < ctx.today):
            a.rating_opened_on = ctx.today
            opened.append(a.unit.code)
    if not opened:
        raise NotAllowed("没有承诺解决时间已到、待征询落实评价的单位。")
    return {"units": opened, "rating_opened": True}


@effect("evaluate_implementation")
async def _evaluate_implementation(session: AsyncSession, ctx: Context) -> dict:
    """One lead unit's implementation rated. 满意/基本满意: its share is done. 不满意: its follow-up reopens
    (a new promise or a second answer, due in deadlines.rehandle)."""
    open_units = {a.id for a in ctx.implementation_rating_open()}
    waiting = [r for a in ctx.lead_assignments() if a.id in open_units
               if (r := ctx.latest_reply_for(a.id)) is not None]
    reply = _reply_to_rate(ctx, waiting, "落实情况")
    a, rating = _assignment(ctx, reply.assignment_id), ctx.params["rating"]
    ctx.proposal.evaluations.append(Evaluation(
        proposal_id=ctx.proposal.id, reply_id=reply.id, assignment_id=a.id, kind="implementation",
        rating=rating, reason=ctx.params.get("reason", ""), deputy_id=deputy_id(ctx), entered_by=entered_by(ctx)))
    a.rating_opened_on = None
    facts = {"reply_ids": [reply.id], "unit": a.unit.code}
    if rating == "unsatisfied":
        a.followup_due = due_date(ctx.today, ctx.deadlines.rehandle).due
        facts["followup_due"] = a.followup_due
    else:
        _finish_implementing(ctx, a)
    return facts


def _finish_implementing(ctx: Context, assignment) -> None:
    saved = ctx.assignment
    ctx.assignment = assignment
    fire_assignment(ctx, "finish_implementing")
    ctx.assignment = saved


@effect("lapse_rating")
async def _lapse_rating(session: AsyncSession, ctx: Context) -> dict:
    """The rating window closed: each rating not given is recorded as 未反馈 (excluded from the rates)."""
    p, lapsed = ctx.proposal, []
    common = dict(proposal_id=p.id, deputy_id=p.lead_deputy.id, entered_by="", reason="", rating=NO_FEEDBACK)

    def record(kind: str, reply) -> None:
        p.evaluations.append(Evaluation(kind=kind, reply_id=reply.id, assignment_id=reply.assignment_id, **common))
        lapsed.append({"kind": kind, "reply_id": reply.id, "deputy": p.lead_deputy.number})

    if p.state == "replied":
        due = ctx.rating_due(ctx.rating_window_start())
        if due is None or ctx.today <= due:
            raise NotAllowed("评价期限尚未届满。")
        for reply in ctx.replies_of_latest_round():
            if ctx.rating_for(reply) is None:
                record("reply", reply)
                if reply.category in IMPLEMENTED_CATEGORIES:  # asked on the same form
                    record("implementation", reply)
    else:
        for a in ctx.implementation_rating_open():
            due = ctx.rating_due(a.rating_opened_on)
            reply = ctx.latest_reply_for(a.id)
            if due is not None and ctx.today > due and reply is not None:
                record("implementation", reply)
                a.rating_opened_on = None
                _finish_implementing(ctx, a)
    if not lapsed:
        raise NotAllowed("没有评价期限已届满的评价。")
    return {"lapsed": lapsed}


@effect("decide")
async def _decide(session: AsyncSession, ctx: Context) -> dict:
    """研究处理: key supervision, 当面协商 or a written 处理意见 reopen handling; or close with reasons."""
    p, decision = ctx.proposal, ctx.params["decision"]
    p.state_reason = ctx.params["text"]
    if decision == "key_supervision":
        p.key_supervision, p.key_leader, p.key_proposed = True, ctx.params["leader"], False
    return {"decision": decision}


def start_implementing(ctx: Context) -> None:
    """Units whose rated reply leaves follow-up (跟踪办理) move to 落实中. An A reply whose implementation
    was not rated yet keeps the reply's rating window; one rated 不满意 owes a new promise or second answer."""
    follow = {}
    for reply in ctx.replies_of_latest_round():
        rated = ctx.rating_for(reply)
        if rated is not None and rated.rating != "unsatisfied" and ctx.needs_follow_up(reply):
            follow[reply.assignment_id] = reply
    move_assignments(ctx, "start_implementing", lambda a: a.id in follow and a.state == "replied")
    start = ctx.rating_window_start()
    for a in ctx.proposal.assignments:
        reply = follow.get(a.id)
        if reply is None or reply.category not in IMPLEMENTED_CATEGORIES:
            continue
        if ctx.rating_for(reply, "implementation") is None:
            a.rating_opened_on = start or ctx.today
        else:
            a.followup_due = due_date(ctx.today, ctx.deadlines.rehandle).due
