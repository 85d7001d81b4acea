"""The console's 代表联络站 "1+N" (/console/stations): every station with its points; one station's page
with its points, deputies (进站代表), duty roster (值班表) and 接待日. Staff (admin, staff) register and
change them; everyone signed in reads them. Each change is a system event (workflow/usecases/stations.py).
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from aiohttp import web
from multidict import MultiDictProxy

from web.forms import whole_number
from web.keys import DB, ENGINE, SETTINGS
from web.session import ACT_ROLES, can_act, refuse, render, require, user_of
from workflow.domain.opinions import POINT_KINDS, STATION_KINDS
from workflow.domain.rules import Actor
from workflow.errors import USER_ERRORS
from workflow.readmodels.stations import roster_choices, station_detail, stations_tree
from workflow.usecases import accounts
from workflow.usecases.stations import (
    FIELDS,
    add_duty_days,
    add_point,
    add_station,
    record_reception,
    remove_duty_day,
    set_deputies,
    update_station,
)

DUTY_ROWS = 4  # blank rows of the roster form
KEPT = 6000  # what a refused form shows again, at most, of one field
MISSING = "找不到该联络站或联系点（可能编号有误）。"
Work = Callable[[int, MultiDictProxy, Actor], Awaitable[str]]


def _public(request: web.Request) -> str:
    return request.app[SETTINGS].server.public_url.rstrip("/")


def _kept(posted: MultiDictProxy) -> dict[str, Any]:
    """A refused form as it is shown again: each field's text, and the roster's rows."""
    form: dict[str, Any] = {k: str(v)[:KEPT] for k, v in posted.items() if k != "csrf_token"}
    form["deputies"] = [str(v)[:64] for v in posted.getall("deputies", [])]
    form["rows"] = _duty_rows(posted)
    return form


def _duty_rows(posted: MultiDictProxy) -> list[tuple[str, str, str]]:
    """The roster form's filled rows (deputy, day, note); a row left wholly blank is no row."""
    rows = zip(posted.getall("deputy", []), posted.getall("day", []), posted.getall("note", []))
    return [(str(d).strip()[:64], str(day).strip()[:64], str(n).strip()[:KEPT]) for d, day, n in rows
            if str(d).strip() or str(day).strip() or str(n).strip()]


async def _list(request: web.Request, *, form: dict | None = None, error: str = "", field: str = "",
                saved: str = "", saved_id: int | None = None, status: int = 200) -> web.Response:
    tree = await stations_tree(request.app[DB], request.app[ENGINE].clock())
    return render(request, "console/stations.html", {
        "title": "联络站", "tree": tree, "form": form or {}, "error": error, "field": field, "saved": saved,
        "saved_id": saved_id, "can_act": can_act(user_of(request)), "public": _public(request)}, status=status)


@require()
async def stations_page(request: web.Request) -> web.Response:
    """GET /console/stations"""
    return await _list(request)


@require(*ACT_ROLES)
async def stations_add(request: web.Request) -> web.Response:
    """POST /console/stations: register a 代表联络站."""
    posted = await request.post()
    form = {name: str(posted.get(name, ""))[:KEPT] for name in FIELDS}
    try:
        row = await add_station(request.app[DB], form, accounts.actor_for(user_of(request)))
    except USER_ERRORS as exc:
        return await _list(request, form=form, error=exc.message, field=exc.details.get("field", ""),
                           status=exc.status)
    return await _list(request, saved=f"已登记“{row.name}”，联络站码 {row.code}。", saved_id=row.id)


async def _detail(request: web.Request, station_id: int | None, *, form: dict | None = None, failed: str = "",
                  error: str = "", field: str = "", bad_row: int | None = None, saved: str = "",
                  status: int = 200) -> web.Response:
    found = await station_detail(request.app[DB], station_id, request.app[ENGINE].clock()) if station_id else None
    if found is None:
        return refuse(request, 404, MISSING, title="找不到")
    acting = can_act(user_of(request))
    return render(request, "console/station.html", {
        "title": found["name"], "s": found, "form": form or {}, "failed": failed, "error": error, "field": field,
        "bad_row": bad_row,
        "saved": saved, "can_act": acting, "roster": await roster_choices(request.app[DB]) if acting else [],
        "point_kinds": {k: STATION_KINDS[k] for k in POINT_KINDS}, "duty_rows": DUTY_ROWS,
        "public": _public(request)}, status=status)


@require()
async def station_page(request: web.Request) -> web.Response:
    """GET /console/stations/{id}"""
    return await _detail(request, whole_number(request.match_info["id"], 1))


async def _act(request: web.Request, failed: str, work: Work) -> web.Response:
    """Run one form of a station's page; a refusal shows the page again with the form as it was posted."""
    station_id = whole_number(request.match_info["id"], 1)
    if station_id is None:
        return refuse(request, 404, MISSING, title="找不到")
    posted = await request.post()
    try:
        saved = await work(station_id, posted, accounts.actor_for(user_of(request)))
    except USER_ERRORS as exc:
        return await _detail(request, station_id, form=_kept(posted), failed=failed, error=exc.message,
                             field=exc.details.get("field", ""), bad_row=exc.details.get("row"), status=exc.status)
    return await _detail(request, station_id, saved=saved)


@require(*ACT_ROLES)
async def station_update(request: web.Request) -> web.Response:
    """POST /console/stations/{id}: correct its name, kind, address, township, phone; stop or restart it."""
    async def work(station_id: int, posted: MultiDictProxy, actor: Actor) -> str:
        fields: dict[str, Any] = {name: str(posted.get(name, "")) for name in FIELDS}
        fields["active"] = posted.get("active") == "1"
        row = await update_station(request.app[DB], station_id, fields, actor)
        return f"已保存“{row.name}”{'' if row.active else '（已停用）'}。"
    return await _act(request, "edit", work)


@require(*ACT_ROLES)
async def point_add(request: web.Request) -> web.Response:
    """POST /console/stations/{id}/points: one of the station's N points."""
    async def work(station_id: int, posted: MultiDictProxy, actor: Actor) -> str:
        row = await add_point(request.app[DB], station_id, {n: str(posted.get(n, "")) for n in FIELDS}, actor)
        return f"已添加“{row.name}”（{STATION_KINDS[row.kind]}），联络站码 {row.code}。"
    return await _act(request, "point", work)


@require(*ACT_ROLES)
async def deputies_set(request: web.Request) -> web.Response:
    """POST /console/stations/{id}/deputies: the station's deputies, as numbers in one box."""
    async def work(station_id: int, posted: MultiDictProxy, actor: Actor) -> str:
        numbers = await set_deputies(request.app[DB], station_id, str(posted.get("numbers", "")), actor)
        return f"已保存进站代表（{len(numbers)} 位）。"
    return await _act(request, "deputies", work)


@require(*ACT_ROLES)
async def duty_add(request: web.Request) -> web.Response:
    """POST /console/stations/{id}/duty: rows of the 值班表 (deputy, day, note), all added or none."""
    async def work(station_id: int, posted: MultiDictProxy, actor: Actor) -> str:
        added = await add_duty_days(request.app[DB], station_id, _duty_rows(posted), actor,
                                    today=request.app[ENGINE].clock())
        return f"已加入值班表 {len(added)} 行。"
    return await _act(request, "duty", work)


@require(*ACT_ROLES)
async def duty_remove(request: web.Request) -> web.Response:
    """POST /console/stations/{id}/duty/{duty}/remove: take a coming day off the roster."""
    async def work(station_id: int, posted: MultiDictProxy, actor: Actor) -> str:
        duty = whole_number(request.match_info["duty"], 1) or 0
        await remove_duty_day(request.app[DB], station_id, duty, actor, today=request.app[ENGINE].clock())
        return "已从值班表删除这一行。"
    return await _act(request, "duty", work)


@require(*ACT_ROLES)
async def reception_add(request: web.Request) -> web.Response:
    """POST /console/stations/{id}/receptions: a 接待日 (deputies present, people received, summary)."""
    async def work(station_id: int, posted: MultiDictProxy, actor: Actor) -> str:
        numbers = " ".join([*map(str, posted.getall("deputies", [])), str(posted.get("other_deputies", ""))])
        row = await record_reception(request.app[DB], station_id, str(posted.get("day", "")), numbers,
                                     str(posted.get("people", "")), str(posted.get("summary", "")), actor,
                                     today=request.app[ENGINE].clock())
        return f"已记录 {row.day:%Y-%m-%d} 的接待日：代表 {len(row.deputies)} 位，接待群众 {row.people} 人。"
    return await _act(request, "reception", work)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/console/stations", stations_page)
    app.router.add_post("/console/stations", stations_add)
    app.router.add_get(r"/console/stations/{id:\d+}", station_page)
    app.router.add_post(r"/console/stations/{id:\d+}", station_update)
    app.router.add_post(r"/console/stations/{id:\d+}/points", point_add)
    app.router.add_post(r"/console/stations/{id:\d+}/deputies", deputies_set)
    app.router.add_post(r"/console/stations/{id:\d+}/duty", duty_add)
    app.router.add_post(r"/console/stations/{id:\d+}/duty/{duty:\d+}/remove", duty_remove)
    app.router.add_post(r"/console/stations/{id:\d+}/receptions", reception_add)
