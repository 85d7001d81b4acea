"""The console's audit pages: the system log (who issued which binding code, who bound, rebound or
unbound which WeChat user, who imported which roster file), one deputy's or unit's binding history,
and the newest anchor (receipt) of the event log. Read only."""
from __future__ import annotations

import asyncio

from aiohttp import web

from storage import repositories as repo
from web.forms import whole_number
from web.keys import DB, ENGINE, SETTINGS
from web.session import refuse, render, require
from workflow.readmodels.system_log import PAGE, system_events
from workflow.usecases.anchoring import newest_anchor

SUBJECTS = {"deputies": ("deputy", "代表"), "units": ("unit", "承办单位")}


@require()
async def system_log(request: web.Request) -> web.Response:
    """GET /console/audit: the system log, newest first, a page at a time (?before=<seq>)."""
    before = whole_number(request.query.get("before"), 1, 10**9)
    async with request.app[DB].read() as session:
        lines = await system_events(session, before=before)
    anchor, problems = await asyncio.to_thread(newest_anchor, request.app[SETTINGS].audit_anchor_dir(),
                                               request.app[ENGINE].db.chain_key)
    return render(request, "console/audit.html", {
        "title": "审计记录", "lines": lines, "anchor": anchor, "anchor_problems": problems,
        "older": lines[-1]["seq"] if len(lines) == PAGE else None, "subject": None})


@require()
async def history(request: web.Request) -> web.Response:
    """GET /console/{kind}/{key}/history: one deputy's or unit's binding codes and bindings."""
    kind, key = request.match_info["kind"], request.match_info["key"]
    subject_kind, noun = SUBJECTS[kind]
    async with request.app[DB].read() as session:
        if kind == "deputies":
            found = await repo.deputy_by_number(session, key)
        else:
            found = (await repo.units_by_codes(session, [key])).get(key)
        if found is None:
            return refuse(request, 404, f"找不到{noun} {key}。", title="找不到")
        lines = await system_events(session, subject_kind, key, limit=500)
    return render(request, "console/audit.html", {
        "title": f"{noun} {key} {found.name} 的绑定记录", "lines": lines, "anchor": None, "anchor_problems": [],
        "older": None, "subject": {"kind": kind, "noun": noun, "key": key, "name": found.name,
                                   "bound": getattr(found, "openid", None) is not None}})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/console/audit", system_log)
    app.router.add_get("/console/{kind:deputies|units}/{key}/history", history)
