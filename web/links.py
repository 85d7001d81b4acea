"""Unit links /u/<token>: a plain mobile page of one assignment with the actions open to the unit now.

Every form on the page also accepts JSON `{"action": ...}` at the same URL; GET with
`Accept: application/json` returns the assignment and its proposal.
"""
from __future__ import annotations

import json
from typing import Any, Mapping, Optional

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from web import group_reply, media
from web.forms import posted
from web.json_shapes import assignment_dict, proposal_detail
from web.keys import DB, ENGINE, SETTINGS
from web.opinions import referral
from web.projects import unit_link as project_link
from workflow.domain.deadlines import due_date
from workflow.domain.definition import (
    ACTIONS,
    ASSIGNMENT_STATES,
    EVENT_LABELS,
    RATINGS,
    REPLY_CATEGORIES,
    ROLES,
    STATES,
    action_label,
)
from workflow.domain.links import check_current, is_project_token, is_referral_token, read_token
from workflow.domain.rules import Actor
from workflow.errors import USER_ERRORS, InvalidInput
from workflow.readmodels import letters

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
    if is_referral_token(request.match_info["token"]):  # an opinion referred to the unit (转办)
        return await referral.show(request)
    if is_project_token(request.match_info["token"]):  # a livelihood project the unit implements (民生实事)
        return await project_link.show(request)
    return await _page(request)


async def _page(request: web.Request, error: str = "", failed: str = "", values: Optional[Mapping[str, Any]] = None,
                field: str = "", status: int = 200, group_result: Optional[dict] = None) -> web.Response:
    """The page (or its JSON); after a refused form, that form again with the message beside the field
    it is about and what was typed (nothing was changed)."""
    engine, settings = request.app[ENGINE], request.app[SETTINGS]
    async with request.app[DB].read() as session:
        assignment, proposal = await _load(request, session)
        events = await repo.events_of(session, proposal.id)
        actor = _actor(assignment)
        allowed = engine.allowed_actions(proposal, actor, assignment)
        refused = engine.refusals(proposal, actor, assignment)
        detail = proposal_detail(settings, proposal, events, allowed, viewer_assignment=assignment)
        mine = assignment_dict(settings, assignment)
        photos = [f"/u/{request.match_info['token']}{media.url_of(ph)}"
                  for ph in await repo.attachments_of(session, proposal.id) if ph.stored_at is not None]
        heads = await letters.active_heads(session, assignment.unit_id)
        own = _own_replies(detail, mine)
        sealed = await letters.sealed_of(session, [r["id"] for r in own])
        group = await group_reply.members_view(request, session, proposal, assignment)  # 并案办理
    base = f"/u/{request.match_info['token']}/replies"
    own = [{**r, "letter": f"{base}/{r['id']}/letter", "upload": f"{base}/{r['id']}/sealed",
            "sealed": _sealed_dict(sealed.get(r["id"]), f"{base}/{r['id']}/sealed.pdf")} for r in own]
    # A JSON POST (see act) is answered in JSON even without an Accept header.
    if "application/json" in request.headers.get("Accept", "") or request.content_type == "application/json":
        body = {"assignment": mine, "proposal": detail, "photos": photos,
                "heads": [{"name": h.name, "title": h.title} for h in heads],
                "letters": [{"reply_id": r["id"], "letter": r["letter"], "docx": r["letter"] + ".docx",
                             "sealed": r["sealed"]} for r in own],
                "closed_actions": [{"action": a, "label": ACTIONS[a].label, "reason": why} for a, why in refused.items()],
                "group": group, **({"group_reply": group_result} if group_result is not None else {})}
        return web.json_response(body, dumps=lambda v: json.dumps(v, ensure_ascii=False, default=str))
    forms, done = [ACTIONS[a] for a in allowed], request.query.get("done", "")
    cap = due_date(assignment.assigned_on, settings.deadlines.reply_max).due
    context = {"p": detail, "a": mine, "forms": forms, "photos": photos, "states": STATES, "roles": ROLES,
               "assignment_states": ASSIGNMENT_STATES, "choice_labels": CHOICE_LABELS,
               "own_replies": own, "heads": heads, "refused": [(ACTIONS[a].label, why) for a, why in refused.items()],
               "hints": {"request_extension": {"due_date": f"最长至交办之日起 {settings.deadlines.reply_max}（{cap:%Y-%m-%d}）。"}},
               "error": error, "failed": failed, "field": field, "values": dict(values or {}),
               "group": group, "group_result": group_result,
               "done": action_label(done) if done in ACTIONS or done in EVENT_LABELS else None}
    response = aiohttp_jinja2.render_template("unit_link.html", request, context, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _sealed_dict(row, url: str) -> dict | None:
    """The sealed letter uploaded for a reply (the newest), as the pages show it."""
    if row is None:
        return None
    return {"sha256": row.sha256, "short": row.sha256[:12], "size": row.size, "at": row.uploaded_at, "url": url}


def _own_replies(detail: dict, mine: dict) -> list[dict]:
    """This unit's replies, newest last, each with the deputy's ratings of it (and the reasons given)."""
    ratings: dict[Any, list[dict]] = {}
    for e in detail["evaluations"]:
        ratings.setdefault(e["reply_id"], []).append(e)
    return [{**r, "ratings": ratings.get(r["id"], [])} for r in detail["replies"] if r["unit"] == mine["unit"]]


async def act(request: web.Request) -> web.Response:
    if is_referral_token(request.match_info["token"]):
        return await referral.act(request)
    if is_project_token(request.match_info["token"]):
        return await project_link.act(request)
    body, is_json = await posted(request)
    action = body.pop("action", None)
    if not isinstance(action, str) or not action:
        raise InvalidInput("请选择要办理的操作。")
    body.pop("unit", None)  # a link acts only for its own unit
    also = group_reply.also_numbers(body)  # 并案办理: the other members to give the same reply
    async with request.app[DB].read() as session:
        assignment, proposal = await _load(request, session)
    wants_json = is_json or "application/json" in request.headers.get("Accept", "")
    if not wants_json and action in ACTIONS:  # an unticked checkbox is not posted at all: it says no
        body.update({p.name: body.get(p.name) in ("on", "true", "1") for p in ACTIONS[action].params
                     if p.kind == "bool"})
    group_result = None
    try:
        if action == "reply" and also:
            group_result = await group_reply.reply_to_each(request, proposal, assignment, body, also)
        else:
            await request.app[ENGINE].perform(proposal.ref, action, _actor(assignment), body)
    except USER_ERRORS as exc:
        if wants_json:
            raise
        return await _page(request, error=exc.message, failed=action, values=body,
                           field=str((getattr(exc, "details", None) or {}).get("field", "")), status=exc.status)
    if group_result is not None:  # each member's outcome on the page (or in the JSON), never a bare redirect
        return await _page(request, group_result=group_result)
    if wants_json:
        return await show(request)
    raise web.HTTPSeeOther(f"{request.path}?done={action}")


async def photo(request: web.Request) -> web.StreamResponse:
    """An evidence photo of the proposal this link's assignment belongs to (or of the opinion referred)."""
    if is_referral_token(request.match_info["token"]):
        return await referral.photo(request)
    if is_project_token(request.match_info["token"]):
        return await project_link.photo(request)
    async with request.app[DB].read() as session:
        _assignment, proposal = await _load(request, session)
        return await media.send_photo(request, session, proposal.id)


# For web/letters (the 答复函 and its sealed upload on this link): one way to open a link, one page.
load_assignment, render_page, unit_actor = _load, _page, _actor


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/u/{token}", show)
    app.router.add_get("/u/{token}/media/{photo}", photo)
    app.router.add_post("/u/{token}", act)
