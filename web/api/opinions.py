"""GET/POST /api/v1/opinions, GET /api/v1/opinions/{ref}, POST /api/v1/opinions/{ref}/actions: citizens'
opinions (群众意见) as staff enter and route them. `{ref}` is the receipt number (or the id)."""
from __future__ import annotations

from aiohttp import web

from web.keys import DB, ENGINE
from workflow.domain.links import make_referral_token
from workflow.domain.opinions import CHANNELS, OPINION_ACTIONS, OPINION_STATES
from workflow.engine.opinion_steps import allowed_actions
from workflow.engine.opinions import OpinionEngine
from workflow.errors import InvalidInput, NotFound
from workflow.readmodels import opinions as views
from workflow.usecases import accounts

REF = r"{ref:[0-9A-Z]{1,16}}"  # upper case and digits only: /api/v1/opinions/stats is another route


def _page(request: web.Request) -> int:
    raw = request.query.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 100000:
        raise InvalidInput("参数 page 应为 1 以上的整数。", field="page")
    return int(raw)


def _filters(request: web.Request) -> dict:
    state = request.query.get("state", "")
    if state and state not in OPINION_STATES:
        raise InvalidInput(f"state 只能是：{'、'.join(OPINION_STATES)}。", field="state")
    found: dict = {"state": state, "deputy": request.query.get("deputy", "")[:32]}
    for name, low, high in (("station", 1, 2**31 - 1), ("year", 1990, 2200)):
        raw = request.query.get(name, "")
        if raw:
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise InvalidInput(f"参数 {name} 应为整数。", field=name)
            found[name] = int(raw)
    return found


async def detail(session, user, opinion, server) -> dict:
    actor = accounts.actor_for(user)
    body = views.opinion_dict(opinion, "staff")
    for shown, referral in zip(body["referrals"], opinion.referrals):
        shown["link"] = f"/u/{make_referral_token(server.secret_key, referral, server.link_ttl_days)}"
    body["allowed_actions"] = allowed_actions(opinion, opinion.station, actor)
    body["proposal"] = await views.carrying_proposal(session, opinion)
    body["events"] = await views.events_of(session, opinion.id)
    return body


def setup_routes(app: web.Application, ok, user_of, read_roles, write_roles, body_of, settings_key) -> None:
    """Registered by web/api/routes.py with its response, authentication and body helpers."""

    async def list_opinions(request: web.Request) -> web.Response:
        await user_of(request, read_roles)
        page = _page(request)
        async with request.app[DB].read() as session:
            rows, total = await views.listing(session, page=page, **_filters(request))
            return ok({"items": [views.opinion_dict(o, "staff") for o in rows], "total": total, "page": page})

    async def create(request: web.Request) -> web.Response:
        user = await user_of(request, write_roles)
        body = await body_of(request)
        if body.get("channel") is None:
            body["channel"] = "visit"
        result = await OpinionEngine(request.app[ENGINE]).receive(accounts.actor_for(user), body)
        return await _shown(request, user, result.opinion.receipt, 201)

    async def show(request: web.Request) -> web.Response:
        user = await user_of(request, read_roles)
        return await _shown(request, user, request.match_info["ref"])

    async def _shown(request: web.Request, user, ref: str, status: int = 200) -> web.Response:
        async with request.app[DB].read() as session:
            opinion = await views.by_ref(session, ref)
            if opinion is None:
                raise NotFound(f"找不到回执号为 {ref} 的意见。")
            return ok(await detail(session, user, opinion, request.app[settings_key].server), status)

    async def act(request: web.Request) -> web.Response:
        user = await user_of(request, write_roles)
        body = await body_of(request)
        action = body.pop("action", None)
        if not isinstance(action, str) or action not in OPINION_ACTIONS:
            raise InvalidInput(f"action 只能是：{'、'.join(a for a in OPINION_ACTIONS)}。", field="action")
        result = await OpinionEngine(request.app[ENGINE]).perform(request.match_info["ref"], action,
                                                                  accounts.actor_for(user), body)
        return await _shown(request, user, result.opinion.receipt)

    app.router.add_get("/api/v1/opinions", list_opinions)
    app.router.add_post("/api/v1/opinions", create)
    app.router.add_get(f"/api/v1/opinions/{REF}", show)
    app.router.add_post(f"/api/v1/opinions/{REF}/actions", act)


_OPINION_FIELDS = {
    "text": {"type": "string", "maxLength": 5000}, "deputy": {"type": "string", "description": "代表证号"},
    "station": {"type": "integer", "description": "联络站或联系点 id"},
    "code": {"type": "string", "description": "代表码或联络站码"},
    "channel": {"type": "string", "enum": list(CHANNELS)}, "citizen_name": {"type": "string", "maxLength": 32},
    "citizen_phone": {"type": "string", "maxLength": 20}, "hide_from_units": {"type": "boolean"},
    "received_on": {"type": "string", "format": "date"},
}


def _action_schema() -> dict:
    props: dict = {"action": {"type": "string", "enum": [a for a, s in OPINION_ACTIONS.items()
                                                         if "system" not in s.actors]}}
    for spec in OPINION_ACTIONS.values():
        for p in spec.params:
            props.setdefault(p.name, {"type": "string", "description": p.label,
                                      **({"format": "date"} if p.kind == "date" else {})})
    return {"type": "object", "required": ["action"], "properties": props}


_REF_PARAM = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9A-Z]{1,16}$"},
              "description": "回执号（或 id）"}
OPENAPI_PATHS = {
    "/api/v1/opinions": {
        "get": {"summary": "群众意见列表", "parameters": [
            {"name": n, "in": "query", "required": False, "schema": s} for n, s in (
                ("state", {"type": "string", "enum": list(OPINION_STATES)}), ("deputy", {"type": "string"}),
                ("station", {"type": "integer"}), ("year", {"type": "integer"}), ("page", {"type": "integer"}))],
            "responses": {"200": {"description": "items, total, page"}}},
        "post": {"summary": "登记群众意见（联络站工作人员录入）", "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"type": "object", "required": ["text"], "properties": _OPINION_FIELDS}}}},
            "responses": {"201": {"description": "意见及回执号"}, "400": {"description": "输入有误"}}},
    },
    "/api/v1/opinions/{ref}": {"get": {"summary": "一条群众意见（含事件、可办理的操作）", "parameters": [_REF_PARAM],
                                       "responses": {"200": {"description": "意见"}, "404": {"description": "不存在"}}}},
    "/api/v1/opinions/{ref}/actions": {"post": {
        "summary": "办理群众意见：answer 答复 / refer 转办 / to_proposal 形成建议 / close_out_of_remit 不属于受理范围",
        "parameters": [_REF_PARAM],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _action_schema()}}},
        "responses": {"200": {"description": "办理后的意见"}, "409": {"description": "现在不能办理；allowed_actions 列出可办理的"},
                      "400": {"description": "输入有误"}}}},
}
