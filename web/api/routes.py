"""JSON API under /api/v1 (DESIGN.md section 4): bearer tokens, Chinese messages, stable error codes."""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from storage import repositories as repo
from storage.models import Assignment, Deputy, Proposal, Unit, User
from web import media
from web.api import opinion_stats
from web.api import opinions as opinions_api
from web.api import projects as projects_api
from web.api import search as search_api
from web.api import sessions as sessions_api
from web.api import stations as stations_api
from web.api import unit_suggestions as unit_suggestions_api
from web.api.openapi import openapi_document
from web.dashboard.scope import session_filters
from web.forms import ascii_digits, json_object, path_id
from web.json_shapes import assignment_dict, proposal_detail, proposal_summary
from web.keys import DB, ENGINE, SETTINGS
from web.letters import heads as unit_heads_api
from workflow.domain.definition import ACCOUNT_ROLES, ACTING_ROLES
from workflow.domain.params import web_url
from workflow.errors import Forbidden, InvalidInput, NotFound, WorkflowError
from workflow.readmodels import handling_groups, meeting_results
from workflow.readmodels.similar import similar
from workflow.readmodels.stats import Scope, stats_for
from workflow.usecases import accounts, binding, rosters
from workflow.usecases.links import reissue_link

READ_ROLES = frozenset(ACCOUNT_ROLES)
WRITE_ROLES = ACTING_ROLES


class Unauthorized(WorkflowError):
    code = "unauthorized"
    status = 401


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))


def ok(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


async def _user(request: web.Request, roles: set[str]) -> User:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    user = await accounts.user_for_token(request.app[DB], token)
    if user is None:
        raise Unauthorized("请提供有效的访问令牌（Authorization: Bearer <token>）。")
    if user.role not in roles:
        raise Forbidden(f"您的角色（{accounts.ROLES[user.role]}）不能进行此操作。")
    return user


_body = json_object


def _int(request: web.Request, name: str, default: int | None = None, low: int = 0, high: int = 10**9) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not ascii_digits(raw):
        raise InvalidInput(f"参数 {name} 应为整数。", field=name)
    value = int(raw)
    if not low <= value <= high:
        raise InvalidInput(f"参数 {name} 应在 {low} 到 {high} 之间。", field=name)
    return value


# ------------------------------------------------------------------ proposals
async def list_proposals(request: web.Request) -> web.Response:
    await _user(request, READ_ROLES)
    query = select(Proposal)
    year, state, unit, deputy = (_int(request, "year", None, 1990, 2200), request.query.get("state"),
                                 request.query.get("unit"), request.query.get("deputy"))
    if year:
        query = query.where(Proposal.year == year)
    # The same 届/次 clauses the tallies use (one spelling of "a session's proposals").
    query = query.where(*Scope(**session_filters(request.query)).proposal_clauses())
    if state:
        query = query.where(Proposal.state == state)
    if deputy:
        query = query.join(Deputy, Proposal.lead_deputy_id == Deputy.id).where(Deputy.number == deputy)
    if unit:
        query = query.where(Proposal.id.in_(
            select(Assignment.proposal_id).join(Unit, Assignment.unit_id == Unit.id).where(Unit.code == unit)))
    if request.query.get("q"):
        query = query.where(Proposal.title.contains(request.query["q"]))
    limit, offset = _int(request, "limit", 50, 1, 500), _int(request, "offset", 0)
    async with request.app[DB].read() as session:
        total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
        rows = (await session.execute(query.order_by(Proposal.id.desc()).limit(limit).offset(offset))).scalars()
        items = [proposal_summary(p) for p in rows]
    return ok({"items": items, "total": total, "limit": limit, "offset": offset})


async def create_proposal(request: web.Request) -> web.Response:
    user = await _user(request, WRITE_ROLES)
    body = await _body(request)
    co = body.get("co_signers") or []
    if not isinstance(co, list) or not all(isinstance(n, str) for n in co):
        raise InvalidInput("co_signers 应为代表证号的列表。", field="co_signers")
    for name in ("lead_deputy", "title", "content", "category", "origin"):
        if body.get(name) is not None and not isinstance(body.get(name), str):
            raise InvalidInput(f"{name} 应为文字。", field=name)
    result = await request.app[ENGINE].create_proposal(
        accounts.actor_for(user), str(body.get("lead_deputy") or ""), body.get("title") or "",
        body.get("content") or "", body.get("category") or "", co, submit=body.get("submit", True) is not False,
        confidential=body.get("confidential") is True, face_to_face=body.get("face_to_face") is True,
        origin=body.get("origin") or "proposal")
    return await _detail_response(request, result.proposal.ref, user, status=201)


async def _detail_response(request: web.Request, ref: str, user: User, status: int = 200) -> web.Response:
    engine = request.app[ENGINE]
    async with request.app[DB].read() as session:
        proposal = await repo.proposal_by_ref(session, ref)
        if proposal is None:
            raise NotFound(f"找不到建议 {ref}。")
        events = await repo.events_of(session, proposal.id)
        allowed = engine.allowed_actions(proposal, accounts.actor_for(user))
        # A unit link lets its holder act for the unit: only those who may act themselves see them.
        body = proposal_detail(request.app[SETTINGS], proposal, events, allowed, links=user.role in WRITE_ROLES)
        body["meeting_scores"] = await meeting_results.proposal_scores(session, proposal.id)
        body["group"] = await handling_groups.group_of(session, proposal)  # 并案办理: lead and members, or null
        body["attachments"] = [{"kind": a.kind, "url": web_url(a.url), "media_id": a.media_id, "at": a.created_at,
                                "stored_url": media.url_of(a), "sha256": a.sha256, "status": media.status_of(a)}
                               for a in await repo.attachments_of(session, proposal.id)]
        return ok(body, status)


async def get_proposal(request: web.Request) -> web.Response:
    user = await _user(request, READ_ROLES)
    return await _detail_response(request, request.match_info["number"], user)


async def post_action(request: web.Request) -> web.Response:
    user = await _user(request, WRITE_ROLES)
    body = await _body(request)
    action = body.pop("action", None)
    if not isinstance(action, str) or not action:
        raise InvalidInput("请在 action 中写明操作。", field="action")
    ref = request.match_info["number"]
    await request.app[ENGINE].perform(ref, action, accounts.actor_for(user), body)
    return await _detail_response(request, ref, user)


async def link_control(request: web.Request) -> web.Response:
    """Revoke a unit link (and issue a new one): POST /api/v1/assignments/{id}/revoke-link."""
    user = await _user(request, WRITE_ROLES)
    assignment_id = path_id(request, "id", "找不到该交办记录。")
    await reissue_link(request.app[DB], assignment_id, accounts.actor_for(user))  # the console's button shares it
    async with request.app[DB].read() as session:
        assignment = await session.get(Assignment, assignment_id, options=[
            selectinload(Assignment.contacts), selectinload(Assignment.opinions),
            selectinload(Assignment.progress), selectinload(Assignment.extension_requests)])
        return ok(assignment_dict(request.app[SETTINGS], assignment))


# ------------------------------------------------------------------ rosters
async def list_deputies(request: web.Request) -> web.Response:
    await _user(request, READ_ROLES)
    async with request.app[DB].read() as session:
        rows = (await session.execute(select(Deputy).order_by(Deputy.number))).scalars()
        return ok({"items": [rosters.deputy_dict(d) for d in rows]})


async def create_deputy(request: web.Request) -> web.Response:
    await _user(request, WRITE_ROLES)
    deputy = await rosters.add_deputy(request.app[DB], await _body(request))
    return ok(rosters.deputy_dict(deputy), 201)


async def list_units(request: web.Request) -> web.Response:
    await _user(request, READ_ROLES)
    async with request.app[DB].read() as session:
        rows = (await session.execute(select(Unit).order_by(Unit.code))).scalars()
        return ok({"items": [rosters.unit_dict(u) for u in rows]})


async def create_unit(request: web.Request) -> web.Response:
    await _user(request, WRITE_ROLES)
    unit = await rosters.add_unit(request.app[DB], await _body(request))
    return ok(rosters.unit_dict(unit), 201)


async def binding_code(request: web.Request) -> web.Response:
    user = await _user(request, WRITE_ROLES)
    kind = "deputy" if "deputies" in request.path else "unit"
    key = request.match_info["key"]
    code, expires = await binding.new_binding_code(request.app[DB], accounts.actor_for(user), **{kind: key})
    return ok({"code": code, "expires_at": expires}, 201)


# ------------------------------------------------------------------ similar proposals
async def similar_proposals(request: web.Request) -> web.Response:
    """GET /api/v1/proposals/similar?text=...[&year=][&exclude=<number>]: best first, scores 0..1."""
    await _user(request, READ_ROLES)
    text = request.query.get("text", "")
    if not text.strip() or len(text) > 20000:
        raise InvalidInput("请提供 text（建议的标题和内容，最多 20000 字）。", field="text")
    year = _int(request, "year", None, 1990, 2200)
    async with request.app[DB].read() as session:
        found = await similar(session, text, years=(year,) if year else None,
                              exclude=request.query.get("exclude", "")[:16], limit=_int(request, "limit", 10, 1, 50))
    return ok({"items": [s.as_dict() for s in found]})


# ------------------------------------------------------------------ stats and description
async def stats(request: web.Request) -> web.Response:
    await _user(request, READ_ROLES)
    year = _int(request, "year", None, 1990, 2200)
    unit = request.query.get("unit") or None
    figures = await stats_for(request.app[DB], request.app[ENGINE].clock(), year=year, unit=unit,
                              group_by=request.query.get("by"), **session_filters(request.query))
    # 集中评议: the room's scores of closed items, deputies and the public apart.
    figures["meeting_satisfaction"] = meeting_results.satisfaction_dict(
        await meeting_results.satisfaction(request.app[DB], year=year, unit=unit),
        await meeting_results.satisfaction(request.app[DB], year=year, unit=unit, by_mode=True))
    return ok(figures)


async def openapi(request: web.Request) -> web.Response:
    return ok(openapi_document(request.app[SETTINGS]))


def setup_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/v1/openapi.json", openapi)
    r.add_get("/api/v1/proposals", list_proposals)
    r.add_post("/api/v1/proposals", create_proposal)
    r.add_get("/api/v1/proposals/similar", similar_proposals)  # before {number}: "similar" is not a number
    r.add_get("/api/v1/proposals/search", search_api.handler(ok, _user, READ_ROLES))  # before {number} too
    r.add_get(r"/api/v1/proposals/{number}", get_proposal)
    r.add_post(r"/api/v1/proposals/{number}/actions", post_action)
    r.add_post(r"/api/v1/assignments/{id:\d+}/revoke-link", link_control)
    r.add_get("/api/v1/deputies", list_deputies)
    r.add_post("/api/v1/deputies", create_deputy)
    r.add_post("/api/v1/deputies/{key}/binding-code", binding_code)
    r.add_get("/api/v1/units", list_units)
    r.add_post("/api/v1/units", create_unit)
    r.add_post("/api/v1/units/{key}/binding-code", binding_code)
    r.add_get("/api/v1/stats", stats)
    sessions_api.setup_routes(app, ok, _user, READ_ROLES, WRITE_ROLES, _body, SETTINGS)
    opinion_stats.setup_routes(app, ok, _user, READ_ROLES, WRITE_ROLES, _body, SETTINGS)
    opinions_api.setup_routes(app, ok, _user, READ_ROLES, WRITE_ROLES, _body, SETTINGS)
    projects_api.setup_routes(app, ok, _user, READ_ROLES, WRITE_ROLES, _body, SETTINGS)
    stations_api.setup_routes(app, ok, _user, READ_ROLES, WRITE_ROLES, _body, SETTINGS)
    unit_heads_api.setup_api(app, ok, _user, READ_ROLES, WRITE_ROLES, _body)
    unit_suggestions_api.setup_routes(app, ok, _user, READ_ROLES)  # /proposals/{number}/unit-suggestions
