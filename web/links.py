"""Unit links /u/<token>: a plain mobile page of one assignment with the actions open to the unit now.

Every form on the page also accepts JSON `{"action": ...}` at the same URL; GET with
`Accept: application/json` returns the assignment and its proposal.
"""
from __future__ import annotations

import json

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from web import media
from web.forms import posted
from web.json_shapes import assignment_dict, proposal_detail
from web.keys import DB, ENGINE, SETTINGS
from workflow.domain.definition import ACTIONS, ASSIGNMENT_STATES, RATINGS, REPLY_CATEGORIES, ROLES, STATES
from workflow.domain.links import check_current, read_token
from workflow.domain.rules import Actor
from workflow.errors import InvalidInput

CHOICE_LABELS = {**RATINGS, **{k: f"{k} 类：{v}" for k, v in REPLY_CATEGORIES.items()}}


async def _load(request: web.Request, session: AsyncSession):
    """The assignment the token opens, with its proposal; raises LinkInvalid / LinkExpired otherwise."""
    settings = request.app[SETTINGS]
    claim = read_token(settings.server.secret_key, request.match_info["token"])
    assignment = await repo.assignment_by_id(session, claim.assignment_id)
    assignment = check_current(claim, assignment)
    proposal = await repo.proposal_by_id(session, assignment.proposal_id)
    assignment = next(a for a in proposal.assignments if a.id == assignment.id)
    return assignment, proposal


def _actor(assignment) -> Actor:
    return Actor("unit", assignment.unit.code, assignment.unit.name, assignment_id=assignment.id)


async def show(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    async with request.app[DB].read() as session:
        assignment, proposal = await _load(request, session)
        events = await repo.events_of(session, proposal.id)
        allowed = engine.allowed_actions(proposal, _actor(assignment), assignment)
        detail = proposal_detail(request.app[SETTINGS], proposal, events, allowed, viewer_assignment=assignment)
        mine = assignment_dict(request.app[SETTINGS], assignment)
        photos = [f"/u/{request.match_info['token']}{media.url_of(ph)}"
                  for ph in await repo.attachments_of(session, proposal.id) if ph.stored_at is not None]
    # A JSON POST (see act) is answered in JSON even without an Accept header.
    if "application/json" in request.headers.get("Accept", "") or request.content_type == "application/json":
        body = {"assignment": mine, "proposal": detail, "photos": photos}
        return web.json_response(body, dumps=lambda v: json.dumps(v, ensure_ascii=False, default=str))
    forms = [ACTIONS[a] for a in allowed]
    context = {"p": detail, "a": mine, "forms": forms, "photos": photos, "states": STATES, "roles": ROLES,
               "assignment_states": ASSIGNMENT_STATES, "choice_labels": CHOICE_LABELS,
               "done": ACTIONS[request.query["done"]].label if request.query.get("done") in ACTIONS else None}
    response = aiohttp_jinja2.render_template("unit_link.html", request, context)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def act(request: web.Request) -> web.Response:
    body, is_json = await posted(request)
    action = body.pop("action", None)
    if not isinstance(action, str) or not action:
        raise InvalidInput("请选择要办理的操作。")
    body.pop("unit", None)  # a link acts only for its own unit
    async with request.app[DB].read() as session:
        assignment, proposal = await _load(request, session)
    ref = proposal.ref
    await request.app[ENGINE].perform(ref, action, _actor(assignment), body)
    if is_json or "application/json" in request.headers.get("Accept", ""):
        return await show(request)
    raise web.HTTPSeeOther(f"{request.path}?done={action}")


async def photo(request: web.Request) -> web.StreamResponse:
    """An evidence photo of the proposal this link's assignment belongs to."""
    async with request.app[DB].read() as session:
        _assignment, proposal = await _load(request, session)
        return await media.send_photo(request, session, proposal.id)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/u/{token}", show)
    app.router.add_get("/u/{token}/media/{photo}", photo)
    app.router.add_post("/u/{token}", act)
