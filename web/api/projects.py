"""GET/POST /api/v1/projects, GET /api/v1/projects/{number}, POST /api/v1/projects/{number}/actions and
POST /api/v1/projects/votes: livelihood projects (民生实事项目) as proposals have them."""
from __future__ import annotations

from aiohttp import web

from web.keys import DB, ENGINE
from workflow.domain.links import make_project_token
from workflow.domain.projects import PROJECT_ACTIONS, PROJECT_STATES, SOURCES, TALLY_MODES, VOTE_RULES
from workflow.engine.projects import ProjectEngine, allowed_actions
from workflow.errors import InvalidInput, NotFound
from workflow.readmodels import projects as views
from workflow.readmodels.project_figures import figures
from workflow.usecases import accounts

REF = r"{ref:MS[0-9]{4}-[0-9]{1,4}|[0-9]{1,9}}"


def _query_int(request: web.Request, name: str, low: int, high: int):
    raw = request.query.get(name, "")
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput(f"参数 {name} 应为 {low} 到 {high} 之间的整数。", field=name)
    return int(raw)


def setup_routes(app: web.Application, ok, user_of, read_roles, write_roles, body_of, settings_key) -> None:
    async def list_projects(request: web.Request) -> web.Response:
        await user_of(request, read_roles)
        state = request.query.get("state", "")
        if state and state not in PROJECT_STATES:
            raise InvalidInput(f"state 只能是：{'、'.join(PROJECT_STATES)}。", field="state")
        page = _query_int(request, "page", 1, 100000) or 1
        async with request.app[DB].read() as session:
            rows, total = await views.listing(session, year=_query_int(request, "year", 1990, 2200), state=state,
                                              page=page)
            return ok({"items": [views.project_dict(p) for p in rows], "total": total, "page": page})

    async def create(request: web.Request) -> web.Response:
        user = await user_of(request, write_roles)
        result = await ProjectEngine(request.app[ENGINE]).suggest(accounts.actor_for(user), await body_of(request))
        return await _shown(request, user, result.project.number, 201)

    async def show(request: web.Request) -> web.Response:
        return await _shown(request, await user_of(request, read_roles), request.match_info["ref"])

    async def _shown(request: web.Request, user, ref: str, status: int = 200) -> web.Response:
        async with request.app[DB].read() as session:
            project = await views.by_ref(session, ref)
            if project is None:
                raise NotFound(f"找不到项目 {ref}。")
            body = {**views.project_dict(project), **await views.details(session, project),
                    "allowed_actions": allowed_actions(project, accounts.actor_for(user))}
            if project.unit is not None:  # the responsible unit's own page (web/projects/unit_link.py)
                server = request.app[settings_key].server
                body["link"] = f"/u/{make_project_token(server.secret_key, project, server.link_ttl_days)}"
        return ok(body, status)

    async def act(request: web.Request) -> web.Response:
        user = await user_of(request, write_roles)
        body = await body_of(request)
        action = body.pop("action", None)
        if not isinstance(action, str) or action not in PROJECT_ACTIONS:
            raise InvalidInput(f"action 只能是：{'、'.join(PROJECT_ACTIONS)}。", field="action")
        result = await ProjectEngine(request.app[ENGINE]).perform(request.match_info["ref"], action,
                                                                  accounts.actor_for(user), body)
        return await _shown(request, user, result.project.number)

    async def vote(request: web.Request) -> web.Response:
        user = await user_of(request, write_roles)
        recorded, _results = await ProjectEngine(request.app[ENGINE]).record_vote(accounts.actor_for(user),
                                                                                  await body_of(request))
        return ok(views.vote_dict(recorded), 201)

    async def stats(request: web.Request) -> web.Response:
        await user_of(request, read_roles)
        year = _query_int(request, "year", 1990, 2200) or request.app[ENGINE].clock().year
        async with request.app[DB].read() as session:
            return ok(await figures(session, year))

    app.router.add_get("/api/v1/projects/stats", stats)
    app.router.add_get("/api/v1/projects", list_projects)
    app.router.add_post("/api/v1/projects", create)
    app.router.add_post("/api/v1/projects/votes", vote)
    app.router.add_get(f"/api/v1/projects/{REF}", show)
    app.router.add_post(f"/api/v1/projects/{REF}/actions", act)


_REF = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}, "description": "项目编号，如 MS2026-03"}


def _action_schema() -> dict:
    props: dict = {"action": {"type": "string", "enum": [a for a, s in PROJECT_ACTIONS.items()
                                                         if "system" not in s.actors]}}
    for spec in PROJECT_ACTIONS.values():
        for p in spec.params:
            props.setdefault(p.name, {"type": "integer" if p.kind == "int" else "string", "description": p.label,
                                      **({"format": "date"} if p.kind == "date" else {})})
    return {"type": "object", "required": ["action"], "properties": props}


_TALLY = {"type": "object", "required": ["project"], "properties": {
    "project": {"type": "string"}, "votes_for": {"type": "integer"}, "against": {"type": "integer"},
    "abstain": {"type": "integer"}, "points": {"type": "integer"}}}
OPENAPI_PATHS = {
    "/api/v1/projects": {
        "get": {"summary": "民生实事项目列表", "parameters": [
            {"name": "year", "in": "query", "schema": {"type": "integer"}},
            {"name": "state", "in": "query", "schema": {"type": "string", "enum": list(PROJECT_STATES)}},
            {"name": "page", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "items, total, page"}}},
        "post": {"summary": "登记征集到的民生实事建议", "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"type": "object", "required": ["title", "content"], "properties": {
                "title": {"type": "string"}, "content": {"type": "string"},
                "source": {"type": "string", "enum": list(SOURCES)}, "source_ref": {"type": "string"},
                "year": {"type": "integer"}}}}}},
            "responses": {"201": {"description": "项目"}, "400": {"description": "输入有误"}}},
    },
    "/api/v1/projects/stats": {"get": {"summary": "民生实事项目统计：征集、候选、票决通过、完成、按期完成、各轮测评（按测评人类别）",
                                       "parameters": [{"name": "year", "in": "query", "schema": {"type": "integer"}}],
                                       "responses": {"200": {"description": "统计"}, "400": {"description": "参数有误"}}}},
    "/api/v1/projects/votes": {"post": {
        "summary": "录入票决结果（只录入各候选项目的票数，不录入选票）", "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"type": "object", "required": ["total_deputies", "present", "ballots_cast",
                                                                           "tallies"], "properties": {
                "year": {"type": "integer"}, "held_on": {"type": "string", "format": "date"},
                "rule": {"type": "string", "enum": list(VOTE_RULES)}, "mode": {"type": "string", "enum": list(TALLY_MODES)},
                "total_deputies": {"type": "integer"}, "present": {"type": "integer"},
                "ballots_cast": {"type": "integer"}, "seats": {"type": "integer"},
                "tallies": {"type": "array", "items": _TALLY}}}}}},
        "responses": {"201": {"description": "票决结果"}, "400": {"description": "输入有误"}}}},
    "/api/v1/projects/{ref}": {"get": {"summary": "一个项目（进展、视察、票决、测评、事件、可办理的操作）",
                                       "parameters": [_REF], "responses": {"200": {"description": "项目"},
                                                                           "404": {"description": "不存在"}}}},
    "/api/v1/projects/{ref}/actions": {"post": {
        "summary": "办理：promote 列为候选 / merge 合并 / start 开始实施 / record_inspection 集中视察 / complete 完成 / withdraw 撤销",
        "parameters": [_REF], "requestBody": {"required": True, "content": {"application/json": {
            "schema": _action_schema()}}},
        "responses": {"200": {"description": "办理后的项目"}, "409": {"description": "现在不能办理；allowed_actions"},
                      "400": {"description": "输入有误"}}}},
}
