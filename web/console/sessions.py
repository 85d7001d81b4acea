"""The console's sessions (/console/sessions): the congress's 届/次 with their dates and how many proposals
each holds; staff (admin, staff) register a session and correct one; everyone signed in reads them.
Each change is a system event (workflow/usecases/sessions.py)."""
from __future__ import annotations

from aiohttp import web

from web.forms import whole_number
from web.keys import DB, SETTINGS
from web.session import ACT_ROLES, can_act, render, require, user_of
from workflow.domain.sessions import KINDS, short_name
from workflow.errors import USER_ERRORS
from workflow.readmodels.sessions import sessions
from workflow.usecases import accounts
from workflow.usecases.sessions import FIELDS, add_session, update_session


async def _page(request: web.Request, *, form: dict | None = None, editing: int | None = None, error: str = "",
                field: str = "", saved: str = "", status: int = 200) -> web.Response:
    rows = await sessions(request.app[DB])
    place = request.app[SETTINGS].names.place
    if form is None and editing is not None:
        row = next((r for r, _ in rows if r.id == editing), None)
        form = {name: getattr(row, name) for name in FIELDS} if row is not None else None
    return render(request, "console/sessions.html", {
        "title": "届次会议", "rows": [(r, counts, short_name(place, r.term, r.number)) for r, counts in rows],
        "kinds": KINDS, "form": form or {}, "editing": editing, "error": error, "field": field, "saved": saved,
        "can_act": can_act(user_of(request)), "numbering": request.app[SETTINGS].sessions}, status=status)


@require()
async def sessions_page(request: web.Request) -> web.Response:
    """GET /console/sessions[?edit=<id>]"""
    return await _page(request, editing=whole_number(request.query.get("edit"), 1, 10**9))


@require(*ACT_ROLES)
async def sessions_save(request: web.Request) -> web.Response:
    """POST /console/sessions: register a session, or (with `id`) correct one."""
    posted = await request.post()
    form = {name: str(posted.get(name, ""))[:200].strip() for name in FIELDS}
    editing = whole_number(str(posted.get("id", "")), 1, 10**9)
    actor = accounts.actor_for(user_of(request))
    try:
        if editing is not None:
            row = await update_session(request.app[DB], editing, form, actor)
        else:
            row = await add_session(request.app[DB], form, actor)
    except USER_ERRORS as exc:
        return await _page(request, form=form, editing=editing, error=exc.message,
                           field=exc.details.get("field", ""), status=exc.status)
    return await _page(request, saved=f"已{'更正' if editing else '登记'}“{row.name}”。")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/console/sessions", sessions_page)
    app.router.add_post("/console/sessions", sessions_save)
