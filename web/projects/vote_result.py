"""GET /ms/votes/<id>: a 民生实事项目票决's result for everyone, no sign-in — the counted totals per candidate
and who was elected (no ballot exists to show: the vote is anonymous). Only a published vote is shown."""
from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from web.forms import path_id
from web.keys import DB
from workflow.errors import NotFound
from workflow.readmodels.project_votes import vote_view

MISSING = "找不到这次票决结果。"


async def result(request: web.Request) -> web.Response:
    async with request.app[DB].read() as session:
        view = await vote_view(session, path_id(request, "id", MISSING))
    if view is None or not view["published"]:
        raise NotFound(MISSING)
    view.pop("entered_by", None)  # who typed the figures in is the console's business
    response = aiohttp_jinja2.render_template("projects/vote_result.html", request, {"v": view})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def setup_routes(app: web.Application) -> None:
    app.router.add_get(r"/ms/votes/{id:\d{1,10}}", result)
