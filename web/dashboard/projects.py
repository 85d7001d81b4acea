"""GET /dashboard/projects?year=: a year's livelihood projects in figures (征集, 候选, 票决通过, 完成, 按期完成,
each 测评 round by voter kind) and the list; GET /dashboard/export/projects.xlsx: the year's ledger (台账)."""
from __future__ import annotations

from aiohttp import web

from web.dashboard.scope import parse_year
from web.dashboard.xlsx import Sheet, stream_workbook
from web.keys import DB, ENGINE
from web.session import render, require
from workflow.domain.projects import EVALUATION_CHOICES, PROJECT_STATES, ROUND_KINDS, VOTER_KINDS
from workflow.readmodels import projects as views
from workflow.readmodels.project_figures import LEDGER_COLUMNS, figures, ledger_rows

WIDTHS = (12, 30, 12, 10, 12, 18, 12, 14, 10, 12, 30, 50)


@require("supervisor", "staff", "viewer", "admin")
async def page(request: web.Request) -> web.Response:
    year = parse_year(request.query.get("year"), request.app[ENGINE].clock().year)
    async with request.app[DB].read() as session:
        shown = await figures(session, year)
        rows, _total = await views.listing(session, year=year, page=1)
    return render(request, "dashboard/projects.html", {
        "year": year, "f": shown, "rows": [views.project_dict(p, "public") for p in rows], "states": PROJECT_STATES,
        "rounds": ROUND_KINDS, "voters": VOTER_KINDS, "choices": EVALUATION_CHOICES})


@require("supervisor", "staff", "viewer", "admin")
async def ledger(request: web.Request) -> web.StreamResponse:
    year = parse_year(request.query.get("year"), request.app[ENGINE].clock().year)

    async def chunks():
        async with request.app[DB].read() as session:
            yield [[row async for row in ledger_rows(session, year)]]

    return await stream_workbook(request, f"{year}年民生实事项目台账.xlsx",
                                 [Sheet("民生实事项目", list(zip(LEDGER_COLUMNS, WIDTHS)))], chunks())


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/dashboard/projects", page)
    app.router.add_get("/dashboard/export/projects.xlsx", ledger)
