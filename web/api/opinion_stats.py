"""GET /api/v1/opinions/stats?year=&by=station|deputy|township: the figures of 群众意见 (docs/opinion-figures.md).

The figures are computed by workflow/readmodels/opinion_figures.py and defined in
workflow/domain/opinion_tallies.py; this module only reads the query and answers JSON.
OPENAPI_PATHS describes the endpoint in the shape of web/api/openapi.py's paths.
"""
from __future__ import annotations

from aiohttp import web

from web.forms import whole_number
from web.keys import DB, ENGINE
from workflow.domain.opinion_tallies import BY, DEFINITIONS, FIGURE_LABELS, OpinionTally
from workflow.errors import InvalidInput
from workflow.readmodels.opinion_figures import YEARS, figures

PATH = "/api/v1/opinions/stats"


def query_of(query, this_year: int) -> tuple[int, str]:
    """(year, by) of a query string: year defaults to this (Beijing) year, by to station; else InvalidInput."""
    by = query.get("by") or "station"
    if by not in BY:
        raise InvalidInput("参数 by 只能是 station（按联络站）、deputy（按代表）或 township（按乡镇）。", field="by")
    raw = query.get("year")
    year = this_year if raw in (None, "") else whole_number(raw, *YEARS)
    if year is None:
        raise InvalidInput(f"参数 year 应为 {YEARS[0]} 到 {YEARS[1]} 之间的年份，例如 2025。", field="year")
    return year, by


def answer(rows: list[dict], year: int, by: str) -> dict:
    return {"year": year, "by": by, "by_label": BY[by], "items": rows[:-1], "total": rows[-1],
            "labels": FIGURE_LABELS, "definitions": DEFINITIONS}


def setup_routes(app: web.Application, ok, user_of, read_roles, write_roles, body_of, settings_key) -> None:
    """Registered by web/api/routes.py with its response, authentication and body helpers (before any
    /api/v1/opinions/{id} route, so that "stats" is not read as an id)."""

    async def stats(request: web.Request) -> web.Response:
        await user_of(request, read_roles)
        today = request.app[ENGINE].clock()
        year, by = query_of(request.query, today.year)
        async with request.app[DB].read() as session:
            rows = await figures(session, year, by, today)
        return ok(answer(rows, year, by))

    app.router.add_get(PATH, stats)


def _row_schema() -> dict:
    figures_ = {name: {"type": "integer", "description": DEFINITIONS[name]} for name in FIGURE_LABELS}
    for name in ("on_time_rate", "satisfaction_rate"):
        figures_[name] = {"type": "number", "nullable": True, "minimum": 0, "maximum": 1,
                          "description": DEFINITIONS[name]}
    assert set(figures_) == set(OpinionTally.__dataclass_fields__)
    return {"type": "object", "required": ["key", "name", "kind", *figures_], "properties": {
        "key": {"type": "string", "description": "联络站码、代表证号或乡镇名；未指定为空字符串；合计为 total"},
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["station", "point", "deputy", "township", "unspecified", "total"]},
        "kind_label": {"type": "string", "description": "by=station：联络站或联系点的类别"},
        "parent": {"type": "string", "nullable": True, "description": "by=station：联系点所属联络站的站码"},
        "includes_points": {"type": "boolean", "description": "by=station：联络站一行含其下联系点的意见"},
        **figures_}}


def _error() -> dict:
    return {"description": "错误", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


OPENAPI_PATHS: dict = {
    PATH: {"get": {
        "summary": "群众意见统计（按联络站、代表或乡镇）",
        "description": "口径见 docs/opinion-figures.md；比率为 0..1 的小数，分母为 0 时为 null。联络站一行含其下联系点。",
        "parameters": [
            {"name": "year", "in": "query", "schema": {"type": "integer", "minimum": YEARS[0], "maximum": YEARS[1]},
             "description": "收到意见的年度（北京时间），默认今年"},
            {"name": "by", "in": "query", "schema": {"type": "string", "enum": list(BY), "default": "station"},
             "description": "分组：station 按联络站，deputy 按代表，township 按乡镇"}],
        "responses": {
            "200": {"description": "成功", "content": {"application/json": {"schema": {
                "type": "object", "required": ["year", "by", "items", "total"], "properties": {
                    "year": {"type": "integer"}, "by": {"type": "string", "enum": list(BY)},
                    "by_label": {"type": "string"},
                    "items": {"type": "array", "items": _row_schema()}, "total": _row_schema(),
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "definitions": {"type": "object", "additionalProperties": {"type": "string"}}}}}}},
            **{str(s): _error() for s in (400, 401, 403)}}}},
}
