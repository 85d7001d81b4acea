"""GET /dashboard/opinions?year=: the figures of 群众意见 for a year, by station (its points inside), by
deputy and by township, in three tables. The figures are GET /api/v1/opinions/stats's
(workflow/readmodels/opinion_figures.py); their definitions are workflow/domain/opinion_tallies.py's.
"""
from __future__ import annotations

from aiohttp import web

from web.dashboard.scope import parse_year
from web.keys import DB, ENGINE
from web.session import render, require
from workflow.domain.opinion_tallies import BY, DEFINITIONS, FIGURE_LABELS
from workflow.readmodels.opinion_figures import figures, years

# The columns of each table, after the name: counts, then (rate, numerator, denominator).
COUNT_COLUMNS = ("received", "answer", "refer", "to_proposal", "out_of_remit", "undecided", "answered")
RATE_COLUMNS = (("on_time_rate", "answered_on_time", "on_time_basis"), ("satisfaction_rate", "satisfied", "rated"))


@require("supervisor", "staff", "viewer", "admin")
async def page(request: web.Request) -> web.Response:
    """GET /dashboard/opinions"""
    today = request.app[ENGINE].clock()
    year = parse_year(request.query.get("year"), today.year)
    async with request.app[DB].read() as session:
        tables = {by: await figures(session, year, by, today) for by in BY}
        offered = await years(session, today.year)
    return render(request, "dashboard/opinions.html", {
        "year": year, "years": sorted(set(offered) | {year}, reverse=True), "tables": tables, "by_labels": BY,
        "labels": FIGURE_LABELS, "definitions": DEFINITIONS, "count_columns": COUNT_COLUMNS,
        "rate_columns": RATE_COLUMNS, "today": today})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/dashboard/opinions", page)
