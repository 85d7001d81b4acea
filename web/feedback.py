"""The deputy's one-tap feedback page /f/<token>: read the replies, rate with one tap.

The link comes in the "reply arrived" notification; it is signed for one deputy and one proposal.
The rating counts from the tap, exactly like the bot's `评价` words (the same engine action).
"""
from __future__ import annotations

import json

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from web import media
from web.forms import posted
from web.json_shapes import proposal_detail
from web.keys import DB, ENGINE, SETTINGS
from workflow.domain.definition import RATINGS
from workflow.domain.links import LinkInvalid, read_feedback_token
from workflow.domain.rules import Actor
from workflow.errors import NotAllowed

EVALUATIONS = ("evaluate_reply", "evaluate_implementation")


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


async def show(request: web.Request, as_json: bool = False) -> web.Response:
    engine = request.app[ENGINE]
    async with request.app[DB].read() as session:
        proposal, actor = await _load(request, session)
        events = await repo.events_of(session, proposal.id)
        allowed = [a for a in engine.allowed_actions(proposal, actor) if a in EVALUATIONS]
        detail = proposal_detail(request.app[SETTINGS], proposal, events, allowed)
    detail.pop("assignments", None)  # unit links are not for deputies
    if as_json or "application/json" in request.headers.get("Accept", ""):
        return web.json_response(detail, dumps=lambda v: json.dumps(v, ensure_ascii=False, default=str))
    context = {"p": detail, "deputy": actor.name, "action": allowed[0] if allowed else None, "ratings": RATINGS,
               "done": request.query.get("done") == "1"}
    response = aiohttp_jinja2.render_template("feedback.html", request, context)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def page(request: web.Request) -> web.Response:
    return await show(request)


async def rate(request: web.Request) -> web.Response:
    body, is_json = await posted(request)
    async with request.app[DB].read() as session:
        proposal, actor = await _load(request, session)
    allowed = [a for a in request.app[ENGINE].allowed_actions(proposal, actor) if a in EVALUATIONS]
    if not allowed:
        raise NotAllowed("这件建议目前没有需要您评价的内容（可能已经评价过）。")
    params = {"rating": body.get("rating"), "reason": body.get("reason")}
    await request.app[ENGINE].perform(proposal.ref, allowed[0], actor, params)
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
