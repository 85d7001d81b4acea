"""交办会 (/console/sessions/<id>/assign): tick a session's accepted proposals, name their units, assign them all
at once (workflow/usecases/assignment_meeting.py), then print every 交办单 of the batch on one page.
Also POST /api/v1/sessions/{id}/assign for programs."""
from __future__ import annotations

from aiohttp import web

from storage import repositories as repo
from web.console.sheet import sheet_context
from web.forms import path_id
from web.keys import DB, ENGINE, SETTINGS
from web.session import ACT_ROLES, refuse, render, require, user_of
from workflow.domain.definition import SUPERSEDED_ASSIGNMENT_STATES
from workflow.errors import USER_ERRORS
from workflow.readmodels.assignment_meeting import active_units, awaiting
from workflow.readmodels.sessions import session_by_id
from workflow.usecases import accounts
from workflow.usecases.assignment_meeting import MAX_ITEMS, assign_batch


async def _page(request: web.Request, session_id: int, *, form=None, error: str = "", rows=(), done=(),
                status: int = 200) -> web.Response:
    row = await session_by_id(request.app[DB], session_id)
    if row is None:
        return refuse(request, 404, "找不到这次会议。", title="找不到")
    with_interim = request.query.get("interim") == "1"
    return render(request, "console/assignment_meeting.html", {
        "title": "交办会", "s": row, "proposals": await awaiting(request.app[DB], session_id, with_interim),
        "units": await active_units(request.app[DB]), "with_interim": with_interim, "form": form or {},
        "error": error, "rows": rows, "done": done}, status=status)


@require(*ACT_ROLES)
async def meeting_page(request: web.Request) -> web.Response:
    """GET /console/sessions/{id}/assign[?interim=1]"""
    return await _page(request, path_id(request, "id", "找不到这次会议。"))


@require(*ACT_ROLES)
async def meeting_assign(request: web.Request) -> web.Response:
    """POST /console/sessions/{id}/assign: the ticked rows (pick=<number>), each with lead_<n>, co_<n>, due_<n>."""
    session_id = path_id(request, "id", "找不到这次会议。")
    posted = await request.post()
    picked = [str(v)[:16] for v in posted.getall("pick", [])][:MAX_ITEMS]
    form = {k: str(v)[:500] for k, v in posted.items() if k != "csrf_token"}
    items = [{"number": n, "lead_units": form.get(f"lead_{n}", ""), "co_units": form.get(f"co_{n}", ""),
              "due_date": form.get(f"due_{n}", "")} for n in picked]
    try:
        results = await assign_batch(request.app[ENGINE], accounts.actor_for(user_of(request)), session_id, items)
    except USER_ERRORS as exc:
        return await _page(request, session_id, form={**form, "picked": picked}, error=exc.message,
                           rows=exc.details.get("rows", []), status=exc.status)
    return await _page(request, session_id, done=[r.proposal.number for r in results])


@require(*ACT_ROLES)
async def batch_sheets(request: web.Request) -> web.Response:
    """GET /console/sessions/{id}/sheets?numbers=a,b,c: every live 交办单 of these proposals, one per page."""
    settings, today = request.app[SETTINGS], request.app[ENGINE].clock()
    numbers = [n.strip() for n in request.query.get("numbers", "").split(",") if n.strip()][:MAX_ITEMS]
    sheets = []
    async with request.app[DB].read() as session:
        for number in numbers:
            proposal = await repo.proposal_by_ref(session, number)
            if proposal is None:
                continue
            sheets += [sheet_context(settings, proposal, a, today) for a in proposal.assignments
                       if a.role in ("lead", "co") and a.state not in SUPERSEDED_ASSIGNMENT_STATES]
    if not sheets:
        return refuse(request, 404, "没有可打印的交办单。", title="找不到")
    return render(request, "console/sheets.html", {"sheets": sheets, "count": len(numbers)})


def setup_routes(app: web.Application) -> None:
    app.router.add_get(r"/console/sessions/{id:\d+}/assign", meeting_page)
    app.router.add_post(r"/console/sessions/{id:\d+}/assign", meeting_assign)
    app.router.add_get(r"/console/sessions/{id:\d+}/sheets", batch_sheets)
