"""The deputy's feedback page /f/<token>: read each lead unit's reply, rate each one (征询意见).

The link comes in the "reply arrived" notification; it is signed for one deputy and one proposal.
With several lead units (分办) every unit's reply is shown and rated on its own. An A reply (已解决)
asks both questions, the reply and what was done, and the deputy may answer both now; nothing is
inferred from one for the other. What was done (落实情况) of a B or C reply is asked for once the unit
reports it done, answers again, or its promise date passes. The ratings count from the tap, exactly
like the bot's `评价` words (the same engine actions).

The reply's questions are the 征询意见表: 办理态度 and 办理结果 (one rating when
evaluation.separate_attitude is off), whether and how the unit contacted the deputy, an opinion and
the form's date. `/f/<token>/form` prints the same form on A4 (web/opinion_form.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from web import media, opinion_form
from web.forms import posted
from web.json_shapes import proposal_detail
from web.keys import DB, ENGINE, SETTINGS
from workflow.domain.definition import CONTACT_METHODS, IMPLEMENTED_CATEGORIES, RATINGS, REPLY_CATEGORIES
from workflow.domain.evaluation_rules import opinion_form_problem
from workflow.domain.links import LinkInvalid, read_feedback_token
from workflow.domain.params import clean_params
from workflow.domain.rules import Actor, Context
from workflow.errors import InvalidInput, NotAllowed, WorkflowError
from workflow.readmodels import letters

EVALUATIONS = ("evaluate_reply", "evaluate_implementation")
MAX_UNITS = 20  # no proposal has more lead units; a longer list is not from our page
# A reply's 征询意见表, per unit on the page (`<name>_<unit>`); the form's date is one for the page.
FORM_ANSWERS = ("attitude", "rating", "reason", "implementation_rating", "implementation_reason", "contacted",
                "contact_method", "opinion")


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
        separate = engine.settings.evaluation.separate_attitude
        detail["questions"] = [{"action": q.action, "unit": q.unit, "unit_name": q.unit_name,
                                "category": q.category, "asks_implementation": q.both, "due": q.due,
                                "asks_attitude": separate and q.action == "evaluate_reply"}
                               for q in asked]
        if error:
            detail["error"] = error
        return web.json_response(detail, status=status,
                                 dumps=lambda v: json.dumps(v, ensure_ascii=False, default=str))
    context = {"p": detail, "deputy": actor.name, "questions": asked, "ratings": RATINGS,
               "separate": engine.settings.evaluation.separate_attitude, "methods": CONTACT_METHODS,
               "today": engine.clock().isoformat(), "form_url": request.path.rstrip("/") + "/form",
               "done": request.query.get("done") == "1", "error": error, "values": values or {},
               "sealed": sealed, "request": request}
    response = aiohttp_jinja2.render_template("feedback.html", request, context, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def page(request: web.Request) -> web.Response:
    return await show(request)


def _items(body: dict, asked: list[Question]) -> list:
    """The answers posted, one per unit: a JSON list `ratings`, the form's per-unit fields, or (one unit)
    plain fields (`rating`, `attitude`, ...)."""
    items = body.get("ratings")
    if items is None:
        if "rating" in body or "attitude" in body:  # one question, the short form
            items = [{**body, "unit": body.get("unit") or (asked[0].unit if len(asked) == 1 else "")}]
        else:
            items = [{"unit": q.unit, **{k: body.get(f"{k}_{q.unit}") for k in FORM_ANSWERS}} for q in asked]
            items = [i for i in items if i["rating"] or i["implementation_rating"] or i["attitude"]]
    if not isinstance(items, list) or len(items) > MAX_UNITS or not all(isinstance(i, dict) for i in items):
        raise InvalidInput("ratings 应为评价的列表，每项写明 unit 和 rating。", field="ratings")
    if not items:
        raise InvalidInput("请至少对一个单位的答复作出评价。", field="rating")
    return items


def _answers(body: dict, asked: list[Question], separate: bool, today) -> list[tuple[Question, dict]]:
    """The ratings posted, each checked as the engine will check it, so that none is recorded unless all
    are right; the messages name the unit (分办)."""
    by_unit = {q.unit: q for q in asked}
    found = []
    for item in _items(body, asked):
        question = by_unit.get(str(item.get("unit") or ""))
        if question is None:
            raise InvalidInput("单位（{}）没有待您评价的答复。".format(item.get("unit") or "未指明"), field="unit")
        found.append((question, _checked(question, item, body, separate, today)))
    return found


def _checked(question: Question, item: dict, body: dict, separate: bool, today) -> dict:
    name, u = question.unit_name, question.unit
    rating = item.get("rating")
    if question.both and not rating and item.get("implementation_rating"):
        raise InvalidInput(f"请先评价{name}的答复。", field=f"rating_{u}")
    if rating not in RATINGS:
        what = "办理结果" if separate and question.action == "evaluate_reply" else "评价"
        raise InvalidInput(f"请选择对{name}的{what}：满意、基本满意或不满意。", field=f"rating_{u}")
    if rating == "unsatisfied" and not str(item.get("reason") or "").strip():
        raise InvalidInput(f"对{name}选择“不满意”时请写明理由。", field=f"reason_{u}")
    if separate and question.action == "evaluate_reply" and item.get("attitude") not in RATINGS:
        raise InvalidInput(f"请选择对{name}办理态度的评价：满意、基本满意或不满意。", field=f"attitude_{u}")
    params = {"unit": u, "rating": rating, "reason": str(item.get("reason") or "")}
    if question.action != "evaluate_reply":
        return params
    if question.both and item.get("implementation_rating"):
        params["implementation_rating"] = item.get("implementation_rating")
        params["implementation_reason"] = str(item.get("implementation_reason") or "")
    for key in ("attitude", "contacted", "contact_method", "opinion"):
        if item.get(key) not in (None, ""):
            params[key] = item[key]
    if str(params.get("contacted")).lower() == "false":  # a method tapped before 没有联系 cannot be untapped
        params.pop("contact_method", None)
    params["form_date"] = item.get("form_date") or body.get("form_date") or today.isoformat()
    try:
        problem = opinion_form_problem(clean_params("evaluate_reply", params, ()), separate, today)
    except InvalidInput as exc:
        raise InvalidInput(f"{name}：{exc}", field=f"{exc.details.get('field', 'rating')}_{u}") from None
    if problem:
        raise InvalidInput(f"{name}：{problem}", field=f"{problem.field}_{u}")
    return params


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
        answers = _answers(body, asked, engine.settings.evaluation.separate_attitude,
                           engine.clock())  # every answer checked before any is recorded
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


async def printable(request: web.Request) -> web.Response:
    """GET /f/<token>/form: the 征询意见表 on A4, filled in where already rated."""
    async with request.app[DB].read() as session:
        proposal, _actor = await _load(request, session)
    response = opinion_form.render(request, proposal, back=request.path.rsplit("/", 1)[0])
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/f/{token}", page)
    app.router.add_get("/f/{token}/form", printable)
    app.router.add_get("/f/{token}/media/{photo}", photo)
    app.router.add_post("/f/{token}", rate)
