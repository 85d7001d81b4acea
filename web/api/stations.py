"""/api/v1/stations: 代表联络站 "1+N" (stations and their points), their deputies (进站代表), the duty
roster (值班表) and the 接待日 records. Writes are workflow/usecases/stations.py (each a system event)."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from web.forms import ID_MAX, path_id
from web.keys import DB, ENGINE
from workflow.domain.opinions import POINT_KINDS, STATION_KINDS
from workflow.errors import InvalidInput, NotFound
from workflow.readmodels.stations import station_detail, stations_tree
from workflow.usecases import accounts
from workflow.usecases.stations import (
    add_duty_days,
    add_point,
    add_station,
    record_reception,
    remove_duty_day,
    set_deputies,
    update_station,
)

MISSING = "找不到该联络站或联系点。"


def _parent_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ID_MAX:
        raise InvalidInput("parent_id 应为所属联络站的编号（正整数）。", field="parent_id")
    return value


def _duty_items(body: dict) -> list[tuple[Any, Any, Any]]:
    items = body.get("items")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InvalidInput("items 应为列表，每项含 deputy（代表证号）、day（YYYY-MM-DD）和可选的 note。", field="items")
    return [(i.get("deputy"), i.get("day"), i.get("note")) for i in items]


class _Handlers:
    """The routes' handlers, with web/api/routes.py's response, authentication and body helpers."""

    def __init__(self, ok, user_of, read_roles, write_roles, body_of):
        self.ok, self.user_of, self.body_of = ok, user_of, body_of
        self.read_roles, self.write_roles = read_roles, write_roles

    async def _writer(self, request: web.Request):
        return accounts.actor_for(await self.user_of(request, self.write_roles))

    async def _shown(self, request: web.Request, station_id: int, status: int = 200) -> web.Response:
        found = await station_detail(request.app[DB], station_id, _today(request))
        if found is None:
            raise NotFound(MISSING)
        return self.ok(found, status)

    async def list_stations(self, request: web.Request) -> web.Response:
        await self.user_of(request, self.read_roles)
        return self.ok({"items": await stations_tree(request.app[DB], _today(request))})

    async def create(self, request: web.Request) -> web.Response:
        """A station; with "parent_id", one of that station's points."""
        actor = await self._writer(request)
        body = await self.body_of(request)
        if body.get("parent_id") is None:
            row = await add_station(request.app[DB], body, actor)
        else:
            row = await add_point(request.app[DB], _parent_id(body["parent_id"]), body, actor)
        return await self._shown(request, row.id, 201)

    async def show(self, request: web.Request) -> web.Response:
        await self.user_of(request, self.read_roles)
        return await self._shown(request, path_id(request, "id", MISSING))

    async def update(self, request: web.Request) -> web.Response:
        actor = await self._writer(request)
        station_id = path_id(request, "id", MISSING)
        await update_station(request.app[DB], station_id, await self.body_of(request), actor)
        return await self._shown(request, station_id)

    async def put_deputies(self, request: web.Request) -> web.Response:
        actor = await self._writer(request)
        station_id = path_id(request, "id", MISSING)
        body = await self.body_of(request)
        if not isinstance(body.get("deputies"), list):
            raise InvalidInput("deputies 应为代表证号的列表（空列表即清空）。", field="deputies")
        await set_deputies(request.app[DB], station_id, body["deputies"], actor)
        return await self._shown(request, station_id)

    async def post_duty(self, request: web.Request) -> web.Response:
        actor = await self._writer(request)
        station_id = path_id(request, "id", MISSING)
        items = _duty_items(await self.body_of(request))
        await add_duty_days(request.app[DB], station_id, items, actor, today=_today(request))
        return await self._shown(request, station_id, 201)

    async def delete_duty(self, request: web.Request) -> web.Response:
        actor = await self._writer(request)
        station_id = path_id(request, "id", MISSING)
        duty_id = path_id(request, "duty", "值班表中没有这一行。")
        await remove_duty_day(request.app[DB], station_id, duty_id, actor, today=_today(request))
        return await self._shown(request, station_id)

    async def post_reception(self, request: web.Request) -> web.Response:
        actor = await self._writer(request)
        station_id = path_id(request, "id", MISSING)
        body = await self.body_of(request)
        if not isinstance(body.get("deputies"), list):
            raise InvalidInput("deputies 应为参加接待的代表证号列表。", field="deputies")
        await record_reception(request.app[DB], station_id, body.get("day"), body["deputies"], body.get("people"),
                               body.get("summary"), actor, today=_today(request))
        return await self._shown(request, station_id, 201)


def _today(request: web.Request):
    return request.app[ENGINE].clock()


def setup_routes(app: web.Application, ok, user_of, read_roles, write_roles, body_of, settings_key) -> None:
    """Registered by web/api/routes.py with its response, authentication and body helpers."""
    h = _Handlers(ok, user_of, read_roles, write_roles, body_of)
    app.router.add_get("/api/v1/stations", h.list_stations)
    app.router.add_post("/api/v1/stations", h.create)
    app.router.add_get(r"/api/v1/stations/{id:\d+}", h.show)
    app.router.add_patch(r"/api/v1/stations/{id:\d+}", h.update)
    app.router.add_put(r"/api/v1/stations/{id:\d+}/deputies", h.put_deputies)
    app.router.add_post(r"/api/v1/stations/{id:\d+}/duty", h.post_duty)
    app.router.add_delete(r"/api/v1/stations/{id:\d+}/duty/{duty:\d+}", h.delete_duty)
    app.router.add_post(r"/api/v1/stations/{id:\d+}/receptions", h.post_reception)


# ------------------------------------------------------------------ OpenAPI (merged into /api/v1/openapi.json)
_ERRORS = {str(s): {"description": d} for s, d in ((400, "输入有误（中文 message，field 指出字段）"), (401, "未提供有效令牌"),
                                                  (403, "角色不能进行此操作"), (404, "找不到该联络站或联系点"),
                                                  (409, "别人刚刚修改过，请重试"))}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1},
       "description": "联络站或联系点的编号"}
_DUTY_ID = {"name": "duty", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1},
            "description": "值班表中一行的编号"}
_NUMBERS = {"type": "array", "items": {"type": "string", "maxLength": 32}, "description": "代表证号"}
_STATION_FIELDS = {
    "name": {"type": "string", "maxLength": 128, "description": "名称"},
    "kind": {"type": "string", "enum": list(STATION_KINDS),
             "description": f"类型：联络站为 station；联系点为 {'、'.join(POINT_KINDS)} 之一"},
    "address": {"type": "string", "maxLength": 200}, "township": {"type": "string", "maxLength": 64},
    "phone": {"type": "string", "maxLength": 32, "description": "联络站自己的电话（不是代表个人电话）"},
}
_DETAIL = {"description": "联络站或联系点：code（联络站码）、points、deputies [{number, name}]、duty_days（今天起）、"
                          "recent_duty_days（最近 30 天）、receptions、counts",
           "content": {"application/json": {"schema": {"type": "object"}}}}


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


OPENAPI_PATHS = {
    "/api/v1/stations": {
        "get": {"summary": "代表联络站（各站及其联系点、进站代表、联络站码、统计）",
                "responses": {"200": {"description": "items：联络站列表，points 为其联系点"}, **_ERRORS}},
        "post": {"summary": "登记联络站；带 parent_id 则在该联络站下添加联系点",
                 "requestBody": _body({"type": "object", "required": ["name"], "properties": {
                     **_STATION_FIELDS, "parent_id": {"type": "integer", "minimum": 1, "description": "所属联络站编号"}}}),
                 "responses": {"201": _DETAIL, **_ERRORS}}},
    "/api/v1/stations/{id}": {
        "get": {"summary": "一个联络站或联系点（值班表、接待日）", "parameters": [_ID],
                "responses": {"200": _DETAIL, **_ERRORS}},
        "patch": {"summary": "修改联络站或联系点（未给出的字段不变；active=false 停用）", "parameters": [_ID],
                  "requestBody": _body({"type": "object", "properties": {
                      **_STATION_FIELDS, "active": {"type": "boolean"}}}),
                  "responses": {"200": _DETAIL, **_ERRORS}}},
    "/api/v1/stations/{id}/deputies": {"put": {
        "summary": "设置进站代表（代表须在册；列表即全部进站代表）", "parameters": [_ID],
        "requestBody": _body({"type": "object", "required": ["deputies"], "properties": {"deputies": _NUMBERS}}),
        "responses": {"200": _DETAIL, **_ERRORS}}},
    "/api/v1/stations/{id}/duty": {"post": {
        "summary": "排值班：每项一位进站代表一天（今天起一年内），全部成功或全部不加", "parameters": [_ID],
        "requestBody": _body({"type": "object", "required": ["items"], "properties": {"items": {
            "type": "array", "items": {"type": "object", "required": ["deputy", "day"], "properties": {
                "deputy": {"type": "string", "description": "代表证号"}, "day": {"type": "string", "format": "date"},
                "note": {"type": "string", "maxLength": 200}}}}}}),
        "responses": {"201": _DETAIL, **_ERRORS}}},
    "/api/v1/stations/{id}/duty/{duty}": {"delete": {
        "summary": "从值班表删除今天起的一行（已过去的值班不能删除）", "parameters": [_ID, _DUTY_ID],
        "responses": {"200": _DETAIL, **_ERRORS}}},
    "/api/v1/stations/{id}/receptions": {"post": {
        "summary": "记录接待日：参加代表、接待群众人数、接待情况（日期不晚于今天）", "parameters": [_ID],
        "requestBody": _body({"type": "object", "required": ["day", "deputies", "people"], "properties": {
            "day": {"type": "string", "format": "date"}, "deputies": _NUMBERS,
            "people": {"type": "integer", "minimum": 0, "maximum": 10000},
            "summary": {"type": "string", "maxLength": 5000}}}),
        "responses": {"201": _DETAIL, **_ERRORS}}},
}
