"""What a dashboard URL asks for (year, submission period, unit, category, key) and the links back to it."""
from __future__ import annotations

import datetime as dt
from typing import Optional
from urllib.parse import urlencode

from aiohttp import web

from web.forms import whole_number
from web.keys import ENGINE
from workflow.domain.sessions import KINDS, ORIGINS
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


def session_filters(q) -> dict:
    """届/次 filters of a query string: session (an id), kind (session | interim), origin (proposal | motion)."""
    found: dict = {}
    if q.get("session"):
        found["session"] = whole_number(q["session"], 1, 10**9)
        if found["session"] is None:
            raise InvalidInput("session 应为会议编号（整数）。", field="session")
    for name, allowed, label in (("kind", KINDS, "建议类型"), ("origin", ORIGINS, "来源")):
        if q.get(name):
            if q[name] not in allowed:
                raise InvalidInput(f"{label}（{name}）只能是：{'、'.join(allowed)}。", field=name)
            found[name] = q[name]
    return found


def scope_of(request: web.Request) -> Scope:
    """The scope a dashboard URL names: a year (default this year) or a session (届/次, with its kind),
    submission period, unit, category, key."""
    q = request.query
    today = request.app[ENGINE].clock()
    since, until = parse_day(q.get("since"), "开始日期"), parse_day(q.get("until"), "结束日期")
    if since and until and since > until:
        raise InvalidInput("开始日期不能晚于结束日期。", field="since")
    key = {"1": True, "0": False}.get(q.get("key", ""))
    sessions = session_filters(q)
    # A session may open in late December: when one is chosen it is counted whole, across the calendar
    # years (the form always sends a year too, which then does not apply).
    year = None if "session" in sessions else parse_year(q.get("year"), today.year)
    return Scope(year=year, unit=q.get("unit") or None,
                 category=q.get("category") or None, key=key, since=since, until=until, **sessions)


async def scope_label(db, scope: Scope) -> str:
    """What the figures are about, for titles and file names: 2026年, or a session's name (and kind)."""
    from workflow.readmodels.sessions import session_by_id

    if scope.session is not None:
        row = await session_by_id(db, scope.session)
        if row is None:
            raise InvalidInput(f"找不到编号为 {scope.session} 的会议。", field="session")
        label = row.name + (KINDS[scope.kind] if scope.kind else "")
        return f"{scope.year}年{label}" if scope.year else label
    return f"{scope.year}年"


def scope_params(scope: Scope) -> dict:
    params = {"year": scope.year, "since": scope.since, "until": scope.until, "unit": scope.unit,
              "category": scope.category, "key": None if scope.key is None else int(scope.key),
              "session": scope.session, "kind": scope.kind, "origin": scope.origin}
    return {k: v for k, v in params.items() if v is not None}


def linker(scope: Scope):
    """`link(figure, unit=..., ...)`: the URL of the proposals behind a figure, within `scope`."""
    base = scope_params(scope)

    def link(figure: str, **extra) -> str:
        params = {**base, **{k: (int(v) if isinstance(v, bool) else v) for k, v in extra.items() if v is not None},
                  "figure": figure}
        return "/dashboard/proposals?" + urlencode(params)

    return link
