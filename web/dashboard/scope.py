"""What a dashboard URL asks for (year, submission period, unit, category, key) and the links back to it."""
from __future__ import annotations

import datetime as dt
from typing import Optional
from urllib.parse import urlencode

from aiohttp import web

from web.forms import whole_number
from web.keys import ENGINE
from workflow.errors import InvalidInput
from workflow.readmodels.stats import Scope


def parse_year(raw: Optional[str], default: int) -> int:
    if not raw:
        return default
    year = whole_number(raw, 1990, 2200)
    if year is None:
        raise InvalidInput("年度应为四位数字，例如 2025。", field="year")
    return year


def parse_day(raw: Optional[str], name: str) -> Optional[dt.date]:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name}应写成 2025-03-01 的形式。", field=name) from None


def scope_of(request: web.Request) -> Scope:
    """The scope a dashboard URL names: year (default this year), submission period, unit, category, key."""
    q = request.query
    today = request.app[ENGINE].clock()
    since, until = parse_day(q.get("since"), "开始日期"), parse_day(q.get("until"), "结束日期")
    if since and until and since > until:
        raise InvalidInput("开始日期不能晚于结束日期。", field="since")
    key = {"1": True, "0": False}.get(q.get("key", ""))
    return Scope(year=parse_year(q.get("year"), today.year), unit=q.get("unit") or None,
                 category=q.get("category") or None, key=key, since=since, until=until)


def scope_params(scope: Scope) -> dict:
    params = {"year": scope.year, "since": scope.since, "until": scope.until, "unit": scope.unit,
              "category": scope.category, "key": None if scope.key is None else int(scope.key)}
    return {k: v for k, v in params.items() if v is not None}


def linker(scope: Scope):
    """`link(figure, unit=..., ...)`: the URL of the proposals behind a figure, within `scope`."""
    base = scope_params(scope)

    def link(figure: str, **extra) -> str:
        params = {**base, **{k: (int(v) if isinstance(v, bool) else v) for k, v in extra.items() if v is not None},
                  "figure": figure}
        return "/dashboard/proposals?" + urlencode(params)

    return link
