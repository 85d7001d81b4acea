"""单位负责人 (签发人) of a unit: the console page /console/units/<code>/heads (linked from the units
roster) and GET/POST /api/v1/units/{code}/heads. Each change is a system event (workflow/usecases/unit_heads.py)."""
from __future__ import annotations

from aiohttp import web

from web.keys import DB
from web.session import ACT_ROLES, can_act, redirect, refuse, render, require, user_of
from workflow.errors import USER_ERRORS, NotFound
from workflow.usecases import accounts
from workflow.usecases.unit_heads import head_dict, heads_of_unit, save_head

DONE = {"created": "已登记负责人。", "updated": "已更新负责人。", "unchanged": "没有变化。"}


async def _page(request: web.Request, error: str = "", values: dict | None = None, status: int = 200) -> web.Response:
    try:
        unit, heads = await heads_of_unit(request.app[DB], request.match_info["code"])
    except NotFound as exc:
        return refuse(request, 404, exc.message, title="找不到")
    return render(request, "letters/heads.html", {
        "unit": unit, "heads": heads, "error": error, "v": values or {},
        "done": DONE.get(request.query.get("done", ""), ""), "can_act": can_act(user_of(request))}, status=status)


@require()
async def page(request: web.Request) -> web.Response:
    """GET /console/units/<code>/heads."""
    return await _page(request)


@require(*ACT_ROLES)
async def save(request: web.Request) -> web.Response:
    """POST /console/units/<code>/heads: register a head, change a title, or mark one who left (or is back)."""
    form = await request.post()
    raw = {k: form.get(k) for k in ("name", "title", "active") if isinstance(form.get(k), str)}
    try:
        _head, outcome = await save_head(request.app[DB], request.match_info["code"], raw,
                                         accounts.actor_for(user_of(request)))
    except NotFound as exc:
        return refuse(request, 404, exc.message, title="找不到")
    except USER_ERRORS as exc:
        return await _page(request, error=exc.message, values=raw, status=exc.status)
    return redirect(f"/console/units/{request.match_info['code']}/heads?done={outcome}")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/console/units/{code}/heads", page)
    app.router.add_post("/console/units/{code}/heads", save)


def setup_api(app: web.Application, ok, user_of_token, read_roles, write_roles, body_of) -> None:
    """Registered by web/api/routes.py with its response, authentication and body helpers."""

    async def list_heads(request: web.Request) -> web.Response:
        await user_of_token(request, read_roles)
        unit, heads = await heads_of_unit(request.app[DB], request.match_info["code"])
        return ok({"unit": unit.code, "items": [head_dict(h) for h in heads]})

    async def post_head(request: web.Request) -> web.Response:
        user = await user_of_token(request, write_roles)
        head, outcome = await save_head(request.app[DB], request.match_info["code"], await body_of(request),
                                        accounts.actor_for(user))
        return ok({**head_dict(head), "outcome": outcome}, 201 if outcome == "created" else 200)

    app.router.add_get("/api/v1/units/{code}/heads", list_heads)
    app.router.add_post("/api/v1/units/{code}/heads", post_head)
