"""The supervisors' dashboard (/dashboard): the year's tallies with SVG charts, every figure a link
to the proposals behind it (/dashboard/proposals), and the .xlsx exports.

Pages only show what workflow/readmodels/dashboard.py computes (the same figures as GET /api/v1/stats).
"""
from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from web.dashboard import exports, opinions, projects, replies
from web.dashboard.charts import Bar, Series, bar_chart, line_chart
from web.dashboard.scope import linker, scope_label, scope_of, scope_params
from web.forms import whole_number
from web.keys import DB, ENGINE, SETTINGS
from web.session import render, require
from workflow.domain.cards import DEADLINE_LABELS
from workflow.domain.definition import REPLY_CATEGORIES, STATES
from workflow.domain.sessions import KINDS
from workflow.domain.tallies import DEFINITIONS, NO_FEEDBACK_LABELS, RATE_LABELS, RATES
from workflow.readmodels import dashboard as figures
from workflow.readmodels.dashboard_lists import FIGURE_LABELS, PAGE_SIZE, proposals_behind, rating_label
from workflow.readmodels.sessions import sessions as session_list

CARD_LIMIT = figures.CARDS_SHOWN


# ------------------------------------------------------------------ the page
@require()
async def page(request: web.Request) -> web.Response:
    """GET /dashboard"""
    scope = scope_of(request)
    ranking = request.query.get("rank") if request.query.get("rank") in figures.RANKINGS else "dual_satisfaction_rate"
    settings, today = request.app[SETTINGS], request.app[ENGINE].clock()
    board = await figures.build(request.app[DB], settings, today, scope, ranking)
    link = linker(scope)
    years = sorted(set(board.years) | {today.year} | ({scope.year} if scope.year else set()), reverse=True)
    return render(request, "dashboard/index.html", {
        "d": board, "scope": scope, "link": link, "years": years, "rankings": figures.RANKINGS,
        "label": await scope_label(request.app[DB], scope), "sessions": await session_list(request.app[DB]),
        "kinds": KINDS,
        "rate_labels": RATE_LABELS, "rates": RATES, "no_feedback_labels": NO_FEEDBACK_LABELS, "definitions": DEFINITIONS,
        "deadline_labels": DEADLINE_LABELS, "card_limit": CARD_LIMIT,
        "charts": _charts(board, link), "export_query": urlencode(scope_params(scope)),
    })


def _charts(board: figures.Dashboard, link) -> dict:
    ranked = [line for line in board.units if line.rank is not None]
    part, whole = RATES[board.ranking]
    rank_label = figures.RANKINGS[board.ranking]
    return {
        "states": bar_chart([Bar(label, count, link("state", state=state)) for state, label, count in board.states
                             if count], "各状态建议件数", color="#6b7785"),
        "units": bar_chart([Bar(line.name, getattr(line.stats, board.ranking), link(part, unit=line.code),
                                f"{getattr(line.stats, part)}/{getattr(line.stats, whole)}") for line in ranked],
                           f"承办单位{rank_label}排名", percent=True,
                           empty=f"还没有主办 {board.min_proposals} 件以上建议的单位，暂不排名"),
        "categories": bar_chart([Bar(name, s.assigned, link("assigned", category=name))
                                 for name, s in board.categories], "各类别交办件数", color="#2f6f9f"),
        "trend": line_chart([m for m, _, _ in board.months],
                            [Series("提交", [s for _, s, _ in board.months], "#2f6f9f"),
                             Series("首次答复", [r for _, _, r in board.months], "#9c2a24")],
                            "每月提交和答复件数", [link("submitted_month", month=m) for m, _, _ in board.months]),
    }


# ------------------------------------------------------------------ the proposals behind a figure
@require()
async def behind(request: web.Request) -> web.Response:
    """GET /dashboard/proposals?figure=...: exactly the proposals counted in a figure."""
    scope = scope_of(request)
    q = request.query
    figure = q.get("figure", "")
    page_no = whole_number(q.get("page"), 1, 99999) or 1
    found = await proposals_behind(request.app[DB], request.app[SETTINGS], request.app[ENGINE].clock(), scope,
                                   figure, state=q.get("state", ""), month=q.get("month", ""),
                                   deadline=q.get("deadline", ""), page=page_no)
    pages = max(1, -(-found.total // PAGE_SIZE))
    here = {k: v for k, v in q.items() if k != "page"}
    return render(request, "dashboard/proposals.html", {
        "found": found, "scope": scope, "page": page_no, "pages": pages, "states": STATES,
        "label": await scope_label(request.app[DB], scope),
        "prev_url": "?" + urlencode({**here, "page": page_no - 1}) if page_no > 1 else "",
        "next_url": "?" + urlencode({**here, "page": page_no + 1}) if page_no < pages else "",
        "back_url": "/dashboard?" + urlencode({k: v for k, v in scope_params(scope).items()
                                               if k not in ("unit", "category", "key")}),
        "rating_label": rating_label, "reply_categories": REPLY_CATEGORIES, "labels": FIGURE_LABELS,
    })


def setup_routes(app: web.Application) -> None:
    """The dashboard, its lists and exports, the public reply page and reply publishing."""
    app.router.add_get("/dashboard", page)
    app.router.add_get("/dashboard/proposals", behind)
    exports.setup_routes(app)
    replies.setup_routes(app)
    opinions.setup_routes(app)
    projects.setup_routes(app)  # 民生实事项目: figures and the ledger
