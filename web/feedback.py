"""The deputy's feedback page /f/<token>: read each lead unit's reply, rate each one (征询意见).

The link comes in the "reply arrived" notification; it is signed for one deputy and one proposal.
With several lead units (分办) every unit's reply is shown and rated on its own. An A reply (已解决)
asks both questions, the reply and what was done, and the deputy may answer both now; nothing is
inferred from one for the other. What was done (落实情况) of a B or C reply is asked for once the unit
reports it done, answers again, or its promise date passes. The ratings count from the tap, exactly
like the bot's `评价` words (the same engine actions).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from web import media
from web.forms import posted
from web.json_shapes import proposal_detail
from web.keys import DB, ENGINE, SETTINGS
from workflow.domain.definition import IMPLEMENTED_CATEGORIES, RATINGS, REPLY_CATEGORIES
from workflow.domain.links import LinkInvalid, read_feedback_token
from workflow.domain.rules import Actor, Context
from workflow.errors import InvalidInput, NotAllowed, WorkflowError
from workflow.readmodels import letters

EVALUATIONS = ("evaluate_reply", "evaluate_implementation")
MAX_UNITS = 20  # no proposal has more lead units; a longer list is not from our page


@dataclass
class Question:
    """One lead unit's reply the deputy is asked about now."""

    action: str  # evaluate_reply | evaluate_implementation
    unit: str
    unit_name: str
    category: str
    both: bool  # an A reply: the implementation is asked on the same form
    due: Optional[str]  # the rating window's last day

    @property
    def category_label(self) -> str:
        return REPLY_CATEGORIES.get(self.category, "")


async def _load(request: web.Request, session: AsyncSession):
    claim = read_feedback_token(request.app[SETTINGS].server.secret_key, request.match_info["token"])
    proposal = await repo.proposal_by_id(session, claim.proposal_id)
    if proposal is None:
        raise LinkInvalid("链接无效：找不到这件建议。")
    deputy = proposal.lead_deputy if proposal.lead_deputy.number == claim.deputy else next(
        (c.deputy for c in proposal.co_signers if c.deputy.number == claim.deputy), None)
    if deputy is None:
        raise LinkInvalid("链接无效：您不是这件建议的代表。")
    return proposal, Actor("deputy", deputy.number, deputy.name)


def questions(request: web.Request, proposal, allowed: list[str]) -> list[Question]:
    """What the deputy can rate now, one entry per lead unit."""
    engine = request.app[ENGINE]
    ctx = Context(proposal=proposal, today=engine.clock(), deadlines=engine.settings.deadlines)
    found = []
    if "evaluate_reply" in allowed:
        due = ctx.rating_due(ctx.rating_window_start())
        for reply in ctx.replies_of_latest_round():
            if ctx.rating_for(reply) is None:
                a = next(x for x in proposal.assignments if x.id == reply.assignment_id)
                found.append(Question("evaluate_reply", a.unit.code, a.unit.name, reply.category,
                                      reply.category in IMPLEMENTED_CATEGORIES, due and due.isoformat()))
    if "evaluate_implementation" in allowed:
        for a in ctx.implementation_rating_open():
            reply = ctx.latest_reply_for(a.id)
            due = ctx.rating_due(a.rating_opened_on)
            found.append(Question("evaluate_implementation", a.unit.code, a.unit.name,
                                  reply.category if reply else "", False, due and due.isoformat()))
    return found


async def show(request: web.Request, as_json: bool = False, error: str = "", values: Optional[dict] = None,
               status: int = 200) -> web.Response:
    engine = request.app[ENGINE]
    async with request.app[DB].read() as session:
        proposal, actor = await _load(request, session)
        events = await repo.events_of(session, proposal.id)
        allowed = [a for a in engine.allowed_actions(proposal, actor) if a in EVALUATIONS]
        detail = proposal_detail(request.app[SETTINGS], proposal, events, allowed)
        asked = questions(request, proposal, allowed)
        sealed = await letters.sealed_of(session, [r.id for r in proposal.replies])  # 盖章答复函 (web/letters)
    detail.pop("assignments", None)  # unit links are not for deputies
    if as_json or "application/json" in request.headers.get("Accept", ""):
        detail["questions"] = [{"action": q.action, "unit": q.unit, "unit_name": q.unit_name,
                                "category": q.category, "asks_implementation": q.both, "due": q.due}
                               for q in asked]
        if error:
            detail["error"] = error
        return web.json_response(detail, status=status,
                                 dumps=lambda v: json.dumps(v, ensure_ascii=False, default=str))
    context = {"p": detail, "deputy": actor.name, "questions": asked, "ratings": RATINGS,
               "done": request.query.get("done") == "1", "error": error, "values": values or {},
               "sealed": sealed, "request": request}
    response = aiohttp_jinja2.render_template("feedback.html", request, context, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def page(request: web.Request) -> web.Response:
    return await show(request)


def _answers(body: dict, asked: list[Question]) -> list[tuple[Question, dict]]:
    """The ratings posted, one per unit asked about: a JSON list `ratings`, the form's per-unit fields,
    or (one unit) a plain `rating`."""
    by_unit = {q.unit: q for q in asked}
    items = body.get("ratings")
    if items is None:
        if "rating" in body:  # one question, the short form
            items = [{"unit": body.get("unit") or (asked[0].unit if len(asked) == 1 else ""), **body}]
        else:
            items = [{"unit": q.unit, "rating": body.get(f"rating_{q.unit}"), "reason": body.get(f"reason_{q.unit}"),
                      "implementation_rating": body.get(f"implementation_rating_{q.unit}"),
                      "implementation_reason": body.get(f"implementation_reason_{q.unit}")} for q in asked]
            items = [i for i in items if i["rating"] or i["implementation_rating"]]
    if not isinstance(items, list) or len(items) > MAX_UNITS or not all(isinstance(i, dict) for i in items):
        raise InvalidInput("ratings 应为评价的列表，每项写明 unit 和 rating。", field="ratings")
    if not items:
        raise InvalidInput("请至少对一个单位的答复作出评价。", field="rating")
    found = []
    for item in items:
        question = by_unit.get(str(item.get("unit") or ""))
        if question is None:
            raise InvalidInput("单位（{}）没有待您评价的答复。".format(item.get("unit") or "未指明"), field="unit")
        rating = item.get("rating")
        if question.both and not rating and item.get("implementation_rating"):
            raise InvalidInput(f"请先评价{question.unit_name}的答复。", field=f"rating_{question.unit}")
        if rating not in RATINGS:
            raise InvalidInput(f"请选择对{question.unit_name}的评价：满意、基本满意或不满意。",
                               field=f"rating_{question.unit}")
        if rating == "unsatisfied" and not str(item.get("reason") or "").strip():
            raise InvalidInput(f"对{question.unit_name}选择“不满意”时请写明理由。", field=f"reason_{question.unit}")
        params = {"unit": question.unit, "rating": rating, "reason": str(item.get("reason") or "")}
        if question.both and item.get("implementation_rating"):
            params["implementation_rating"] = item.get("implementation_rating")
            params["implementation_reason"] = str(item.get("implementation_reason") or "")
        found.append((question, params))
    return found


async def rate(request: web.Request) -> web.Response:
    body, is_json = await posted(request)
    engine = request.app[ENGINE]
    async with request.app[DB].read() as session:
        proposal, actor = await _load(request, session)
        allowed = [a for a in engine.allowed_actions(proposal, actor) if a in EVALUATIONS]
        asked = questions(request, proposal, allowed)
    if not asked:
        raise NotAllowed("这件建议目前没有需要您评价的内容（可能已经评价过，或评价期限已届满）。")
    try:
        answers = _answers(body, asked)  # every answer checked before any is recorded
        for question, params in answers:
            await engine.perform(proposal.ref, question.action, actor, params)
    except InvalidInput as exc:
        if is_json:
            raise
        return await show(request, error=str(exc), values=body, status=400)
    except WorkflowError as exc:
        if is_json:
            raise
        return await show(request, error=str(exc), values=body, status=409)
    if is_json:
        return await show(request, as_json=True)
    raise web.HTTPSeeOther(f"{request.path}?done=1")


async def photo(request: web.Request) -> web.StreamResponse:
    """An evidence photo of the deputy's own proposal."""
    async with request.app[DB].read() as session:
        proposal, _actor = await _load(request, session)
        return await media.send_photo(request, session, proposal.id)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/f/{token}", page)
    app.router.add_get("/f/{token}/media/{photo}", photo)
    app.router.add_post("/f/{token}", rate)
