"""GET /api/v1/proposals/search (docs/search.md): full-text search with the list's filters, paged. The
query string's filters are read here for the console's search page too (web/console/search.py)."""
from __future__ import annotations

from typing import Mapping

from aiohttp import web

from web.dashboard.scope import session_filters
from web.forms import whole_number
from web.keys import DB
from workflow.domain.definition import STATES
from workflow.errors import InvalidInput
from workflow.readmodels.search import PAGE_SIZE, Filters, Page, search
from workflow.readmodels.stats import Scope

KEYS = {"1": True, "true": True, "0": False, "false": False}

OPENAPI = {"get": {
    "summary": "全文检索：标题、内容、答复、代表姓名、承办单位名称（按筛选条件，分页，最新的在前）", "parameters": [
        {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 100}},
        *({"name": n, "in": "query", "schema": {"type": t}} for n, t in (
            ("year", "integer"), ("session", "integer"), ("kind", "string"), ("origin", "string"),
            ("state", "string"), ("unit", "string"), ("category", "string"), ("key", "string"),
            ("page", "integer")))],
    "responses": {"200": {"description": "items: number, title, year, state, lead_deputy, units, snippet, where; "
                                         "total, page, page_size, capped"},
                  "400": {"description": "检索词为空、过长或只有标点，或筛选条件有误"}}}}


def filters_of(q: Mapping[str, str]) -> tuple[Filters, int]:
    """The filters and the page a query string asks for; refuses bad ones in Chinese."""
    year = _number(q, "year", 1990, 2200, "年度应为四位数字，例如 2025。")
    key = None
    if q.get("key"):
        if q["key"] not in KEYS:
            raise InvalidInput("key（重点督办）只能是 1 或 0。", field="key")
        key = KEYS[q["key"]]
    state = q.get("state") or None
    if state is not None and state not in STATES:
        raise InvalidInput(f"没有“{state[:20]}”这个状态。", field="state")
    unit, category = (q.get("unit") or "")[:32] or None, (q.get("category") or "")[:32] or None
    if "\x00" in (unit or "") + (category or ""):
        raise InvalidInput("承办单位或类别中有不可见字符。", field="unit" if "\x00" in (unit or "") else "category")
    scope = Scope(year=year, category=category, key=key, **session_filters(q))
    page = _number(q, "page", 1, 99999, "页码应为 1 到 99999 的整数。") or 1
    return Filters(scope=scope, state=state, unit=unit), page


def _number(q: Mapping[str, str], name: str, low: int, high: int, message: str):
    if not q.get(name):
        return None
    value = whole_number(q[name], low, high)
    if value is None:
        raise InvalidInput(message, field=name)
    return value


async def run(request: web.Request) -> tuple[Page, int]:
    filters, page = filters_of(request.query)
    async with request.app[DB].read() as session:
        return await search(session, request.query.get("q", ""), filters, page), page


def handler(ok, user, roles):
    """The API's handler, given the API's answer and token check (web/api/routes.py)."""
    async def search_proposals(request: web.Request) -> web.Response:
        await user(request, roles)
        found, page = await run(request)
        return ok({"items": [f.as_dict() for f in found.items], "total": found.total, "capped": found.capped,
                   "page": page, "page_size": PAGE_SIZE})
    return search_proposals
