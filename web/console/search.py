"""GET /console/search: full-text search of the proposals (docs/search.md) with the list's filters, paged."""
from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import select

from storage.models import Unit
from web.api.search import filters_of
from web.keys import DB
from web.session import render, require
from workflow.domain.definition import STATES
from workflow.domain.sessions import KINDS
from workflow.errors import InvalidInput
from workflow.readmodels.search import PAGE_SIZE, search
from workflow.readmodels.sessions import sessions

FIELDS = ("q", "year", "session", "kind", "state", "unit", "category", "key")


@require()
async def search_page(request: web.Request) -> web.Response:
    form = {name: request.query.get(name, "")[:100] for name in FIELDS}
    context = {"form": form, "states": STATES, "kinds": KINDS, "page": 1, "pages": 1, "found": None, "error": ""}
    async with request.app[DB].read() as db_session:
        context["units"] = [(u.code, u.name) for u in (await db_session.execute(
            select(Unit).order_by(Unit.code))).scalars()]
    context["sessions"] = [(s.id, s.name) for s, _ in await sessions(request.app[DB])]
    status = 200
    if form["q"].strip():
        try:
            filters, page = filters_of(request.query)
            async with request.app[DB].read() as db_session:
                found = await search(db_session, form["q"], filters, page)
            context.update(found=found, page=page, pages=max(1, -(-found.total // PAGE_SIZE)))
        except InvalidInput as exc:
            context["error"], status = exc.message, 400
    kept = {k: v for k, v in form.items() if v}
    context["link"] = lambda page: "?" + urlencode({**kept, "page": page})
    return render(request, "console/search.html", context, status=status)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/console/search", search_page)
