"""GET/POST /api/v1/sessions and PATCH /api/v1/sessions/{id}: the congress's sessions (届/次)."""
from __future__ import annotations

from aiohttp import web

from web.forms import path_id
from web.keys import DB, ENGINE
from workflow.domain.sessions import short_name
from workflow.errors import InvalidInput, NotFound
from workflow.readmodels.sessions import session_by_id, sessions
from workflow.usecases import accounts
from workflow.usecases.assignment_meeting import assign_batch
from workflow.usecases.sessions import add_session, update_session


def session_dict(row, counts: dict | None = None, place: str = "县") -> dict:
    counts = counts or {}
    return {"id": row.id, "term": row.term, "number": row.number, "name": row.name,
            "short_name": short_name(place, row.term, row.number),
            "opens_on": row.opens_on, "closes_on": row.closes_on,
            "proposals": {"session": counts.get("session", 0), "interim": counts.get("interim", 0)}}


def setup_routes(app: web.Application, ok, user_of, read_roles, write_roles, body_of, settings_key) -> None:
    """Registered by web/api/routes.py with its response, authentication and body helpers."""

    def place(request: web.Request) -> str:
        return request.app[settings_key].names.place

    async def list_sessions(request: web.Request) -> web.Response:
        await user_of(request, read_roles)
        return ok({"items": [session_dict(row, counts, place(request)) for row, counts in await sessions(request.app[DB])]})

    async def create(request: web.Request) -> web.Response:
        user = await user_of(request, write_roles)
        row = await add_session(request.app[DB], await body_of(request), accounts.actor_for(user))
        return ok(session_dict(row, place=place(request)), 201)

    async def update(request: web.Request) -> web.Response:
        user = await user_of(request, write_roles)
        session_id = path_id(request, "id", "找不到该会议。")
        row = await update_session(request.app[DB], session_id, await body_of(request), accounts.actor_for(user))
        return ok(session_dict(row, place=place(request)))

    async def assign(request: web.Request) -> web.Response:
        """交办会: {"items": [{"number", "lead_units", "co_units", "due_date"}]}: all assigned, or none (400)."""
        user = await user_of(request, write_roles)
        session_id = path_id(request, "id", "找不到该会议。")
        if await session_by_id(request.app[DB], session_id) is None:
            raise NotFound(f"找不到编号为 {session_id} 的会议。")
        items = (await body_of(request)).get("items")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise InvalidInput("items 应为列表，每项含 number、lead_units（及可选的 co_units、due_date）。", field="items")
        results = await assign_batch(request.app[ENGINE], accounts.actor_for(user), session_id, items)
        return ok({"items": [{"number": r.proposal.number, "state": r.to_state, "event": r.event.seq}
                             for r in results]})

    app.router.add_get("/api/v1/sessions", list_sessions)
    app.router.add_post(r"/api/v1/sessions/{id:\d+}/assign", assign)
    app.router.add_post("/api/v1/sessions", create)
    app.router.add_patch(r"/api/v1/sessions/{id:\d+}", update)
