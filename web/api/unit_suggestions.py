"""GET /api/v1/proposals/{number}/unit-suggestions: the units that handled the most similar proposals,
for the lead and for co-units, each with its reasons (workflow/readmodels/unit_suggestions.py)."""
from __future__ import annotations

from aiohttp import web

from storage import repositories as repo
from web.keys import DB
from workflow.errors import NotFound
from workflow.readmodels.unit_suggestions import suggest_units

_SUGGESTION = {"type": "object", "properties": {
    "unit": {"type": "string", "description": "单位代码"}, "name": {"type": "string"},
    "score": {"type": "number", "description": "类似建议相似度之和"},
    "reasons": {"type": "array", "items": {"type": "string"}, "description": "如“类似建议 2025-031 由县交通运输局主办”"}}}
_ERROR = {"description": "中文 message 和 error 代码"}

OPENAPI_PATHS = {"/api/v1/proposals/{number}/unit-suggestions": {"get": {
    "summary": "交办时建议的承办单位：办理过类似建议的单位（主办、协办分列），供工作人员选择",
    "parameters": [{"name": "number", "in": "path", "required": True, "schema": {"type": "string"},
                    "description": "建议编号（如 2025-012），草稿用 d<id>"}],
    "responses": {"200": {"description": "lead 与 co：单位、名称、得分、理由", "content": {"application/json": {
        "schema": {"type": "object", "properties": {"lead": {"type": "array", "items": _SUGGESTION},
                                                    "co": {"type": "array", "items": _SUGGESTION}}}}}},
                  **{str(s): _ERROR for s in (401, 403, 404)}}}}}


def setup_routes(app: web.Application, ok, user_of, read_roles) -> None:
    """Registered by web/api/routes.py with its response and authentication helpers."""

    async def unit_suggestions(request: web.Request) -> web.Response:
        await user_of(request, read_roles)
        ref = request.match_info["number"]
        async with request.app[DB].read() as session:
            proposal = await repo.proposal_by_ref(session, ref)
            if proposal is None:
                raise NotFound(f"找不到建议 {ref}。")
            return ok((await suggest_units(session, proposal)).as_dict())

    app.router.add_get("/api/v1/proposals/{number}/unit-suggestions", unit_suggestions)
