"""A unit's link to an opinion referred to it (转办): /u/o<id>.<version>.<expiry>.<signature>.

The same signed-link mechanism as an assignment's (workflow/domain/links.py): the page shows the
opinion as a unit may see it (the citizen's name and phone only when they agreed), the due date, and the
forms open now (答复 / 退回); every form also takes JSON `{"action": ...}` at the same URL, and GET with
`Accept: application/json` returns the referral and the opinion.
"""
from __future__ import annotations

import json

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CitizenOpinion, OpinionReferral
from web.forms import posted
from web.keys import DB, ENGINE, SETTINGS
from web.opinions import photos
from workflow.domain.links import LinkExpired, LinkInvalid, read_referral_token
from workflow.domain.opinions import OPINION_ACTIONS, REFERRAL_STATES
from workflow.domain.rules import Actor
from workflow.engine.opinion_steps import allowed_actions
from workflow.engine.opinions import OpinionEngine
from workflow.errors import USER_ERRORS, InvalidInput
from workflow.readmodels import opinions as views


async def _load(request: web.Request, session: AsyncSession) -> tuple[OpinionReferral, CitizenOpinion]:
    claim = read_referral_token(request.app[SETTINGS].server.secret_key, request.match_info["token"])
    referral = await session.get(OpinionReferral, claim.assignment_id)
    if referral is None:
        raise LinkInvalid("链接无效：找不到对应的转办记录。")
    if referral.link_version != claim.version:
        raise LinkExpired("此链接已作废（已重新发送新链接），请使用最新的链接。")
    opinion = await session.get(CitizenOpinion, referral.opinion_id)
    return referral, opinion


def _actor(referral: OpinionReferral) -> Actor:
    return Actor("unit", referral.unit.code, referral.unit.name, assignment_id=referral.id)


async def show(request: web.Request, error: str = "", failed: str = "", status: int = 200) -> web.StreamResponse:
    async with request.app[DB].read() as session:
        referral, opinion = await _load(request, session)
        view = views.opinion_dict(opinion, "unit")
        allowed = allowed_actions(opinion, opinion.station, _actor(referral))
        photo_ids = [p.id for p in opinion.photos]
    mine = {"id": referral.id, "unit": referral.unit.code, "unit_name": referral.unit.name, "state": referral.state,
            "state_label": REFERRAL_STATES.get(referral.state, referral.state), "referred_on": referral.referred_on,
            "due": referral.due, "note": referral.note, "answer": referral.answer, "answered_on": referral.answered_on}
    view.pop("referrals", None)  # other units' handling is not this unit's business
    if "application/json" in request.headers.get("Accept", "") or request.content_type == "application/json":
        token = request.match_info["token"]
        body = {"referral": mine, "opinion": view, "allowed_actions": allowed,
                "photos": [f"/u/{token}/media/{i}" for i in photo_ids]}
        return web.json_response(body, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False, default=str))
    context = {"r": mine, "o": view, "photo_ids": photo_ids, "forms": [OPINION_ACTIONS[a] for a in allowed], "error": error,
               "failed": failed, "done": request.query.get("done", "")}
    response = aiohttp_jinja2.render_template("opinions/referral.html", request, context, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def act(request: web.Request) -> web.StreamResponse:
    body, is_json = await posted(request)
    action = body.pop("action", None)
    if not isinstance(action, str) or not action:
        raise InvalidInput("请选择要办理的操作。")
    async with request.app[DB].read() as session:
        referral, opinion = await _load(request, session)
    wants_json = is_json or "application/json" in request.headers.get("Accept", "")
    try:
        await OpinionEngine(request.app[ENGINE]).perform(opinion.receipt, action, _actor(referral), body)
    except USER_ERRORS as exc:
        if wants_json:
            raise
        return await show(request, exc.message, action, exc.status)
    if wants_json:
        return await show(request)
    raise web.HTTPSeeOther(f"{request.path}?done={action}")


async def photo(request: web.Request) -> web.StreamResponse:
    """GET /u/o<...>/media/<photo id>: a photo of the opinion this link refers."""
    async with request.app[DB].read() as session:
        _referral, opinion = await _load(request, session)
    return await photos.send(request, opinion.id)
