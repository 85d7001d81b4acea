"""The public pages of livelihood projects (民生实事项目), no login:

- GET/POST /ms: the solicitation form (征集), open only while a 征集期 is open (Beijing today from the
  engine's clock); otherwise a page saying when the next one opens or that none is planned. Each post
  becomes one suggestion through `ProjectEngine.suggest` (source "public"); the name and phone stay on the
  project for staff only.
- GET /ms/thanks/<number>: the thank-you page with the suggestion's number.
- GET /ms/projects?year=: the year's voted projects (票决通过 and after) with their unit, investment, planned
  completion, progress and 测评 results; never who suggested them.

Anti-abuse as the opinion page has it (web/opinions/public.py): bounded fields checked before anything is
written, `projects.posts_per_address` posts per `opinions.address_window_seconds` per network address
(429 with what was typed shown again; every post let through is kept), a honeypot field, and the same title
and content from the same address inside the window giving back the number it already has, on whichever
instance and even at the same moment (workflow/usecases/public_repeat.py).
"""
from __future__ import annotations

import json
import re
from typing import Optional

import aiohttp_jinja2
from aiohttp import web

from storage.models import ProjectWindow, utcnow
from web.forms import posted, whole_number
from web.keys import DB, ENGINE, SETTINGS
from web.session import client_address
from workflow.domain.projects import EVALUATION_CHOICES, ROUND_KINDS, VOTER_KINDS
from workflow.domain.rules import Actor
from workflow.engine.projects import ProjectEngine
from workflow.errors import USER_ERRORS, InvalidInput
from workflow.readmodels import projects as views
from workflow.usecases.public_repeat import SameSubmission, submission_key
from workflow.usecases.public_throttle import address_key, take

CITIZEN = Actor("citizen", "", "群众")
FIELDS = ("title", "content", "suggested_by", "suggested_phone")
TOO_MANY = "提交太频繁了：同一网络在短时间内只能提交几条建议。请稍后再试，您填写的内容还在下面。"
ROBOT = "提交未成功，请刷新页面后重新填写。"
_PHONE = re.compile(r"^[0-9+\-() ]{0,20}$")
_NUMBER = re.compile(r"^MS[0-9]{4}-[0-9]{1,4}$")


def _no_store(response: web.StreamResponse) -> web.StreamResponse:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "") or request.content_type == "application/json"


async def _windows(request: web.Request) -> tuple[Optional[ProjectWindow], Optional[ProjectWindow]]:
    """(the window open today, the next one planned)."""
    today = request.app[ENGINE].clock()
    async with request.app[DB].read() as session:
        now = await views.open_window(session, today)
        later = None if now is not None else await views.next_window(session, today)
    return now, later


def _closed(request: web.Request, later: Optional[ProjectWindow], values: Optional[dict] = None,
            status: int = 200) -> web.StreamResponse:
    if later is not None:
        message = (f"现在不在民生实事项目征集期内。下一次征集 {later.year} 年民生实事项目的时间是 "
                   f"{later.opens_on} 至 {later.closes_on}，欢迎届时提出建议。")
    else:
        message = "现在不在民生实事项目征集期内，目前也没有已安排的征集期。征集开始时会另行公告。"
    if _json(request):
        return web.json_response({"error": "closed", "message": message}, status=status if status >= 400 else 200)
    context = {"message": message, "later": later, "values": values or {}}
    return _no_store(aiohttp_jinja2.render_template("projects/closed.html", request, context, status=status))


def _form(request: web.Request, window: ProjectWindow, error: str = "", values: Optional[dict] = None,
          field: str = "", status: int = 200) -> web.StreamResponse:
    if _json(request) and error:
        return web.json_response({"error": "refused", "message": error, "field": field}, status=status)
    context = {"window": window, "error": error, "field": field, "values": values or {}}
    return _no_store(aiohttp_jinja2.render_template("projects/form.html", request, context, status=status))


async def form(request: web.Request) -> web.StreamResponse:
    """GET /ms: the form while a 征集期 is open, else when the next one opens."""
    window, later = await _windows(request)
    return _form(request, window) if window is not None else _closed(request, later)


def _checked(values: dict) -> None:
    """The contact fields the engine does not check (title and content it does)."""
    if len(values["suggested_by"]) > 32:
        raise InvalidInput("称呼最多 32 个字。", field="suggested_by")
    if not _PHONE.fullmatch(values["suggested_phone"]):
        raise InvalidInput("联系电话只能填写数字（可含“-”），例如 13900000000 或 0734-6851018。", field="suggested_phone")


async def submit(request: web.Request) -> web.StreamResponse:
    """POST /ms: one suggestion, or a clear refusal with what was typed kept on the page."""
    body, _is_json = await posted(request)
    values = {k: str(body.get(k) or "").strip()[:20000] for k in FIELDS}
    window, later = await _windows(request)
    if window is None:
        return _closed(request, later, values, status=409)
    if body.get("website"):  # the honeypot: hidden from people, filled by form robots
        return _form(request, window, ROBOT, values, status=400)
    settings = request.app[SETTINGS]
    address = address_key(settings.server.secret_key, "project", client_address(request))
    same = SameSubmission(request.app[DB], "project", submission_key(
        settings.server.secret_key, "project", client_address(request), str(window.year), values["title"],
        values["content"]), settings.opinions.address_window_seconds)
    earlier = await same.seen()
    if earlier:
        return _thanked(request, earlier)
    try:
        _checked(values)
    except InvalidInput as exc:
        return _form(request, window, exc.message, values, exc.details.get("field", ""), exc.status)
    if not await take(request.app[DB], address, settings.projects.posts_per_address,
                      settings.opinions.address_window_seconds, utcnow()):
        return _form(request, window, TOO_MANY, values, status=429)
    try:
        number = await same.claim() or await _suggest(request, window, values, same)
    except USER_ERRORS as exc:
        return _form(request, window, exc.message, values, exc.details.get("field", ""), exc.status)
    return _thanked(request, number)


async def _suggest(request: web.Request, window: ProjectWindow, values: dict, same: SameSubmission) -> str:
    """The suggestion written under the post's claim (settled with it, or released when refused): its number."""
    written = None
    try:
        result = await ProjectEngine(request.app[ENGINE]).suggest(CITIZEN, {
            **values, "source": "public", "year": window.year})
        written = result.project
    finally:
        await (same.settle(written.id) if written is not None else same.release())
    return written.number


def _thanked(request: web.Request, number: str) -> web.StreamResponse:
    if _json(request):
        return web.json_response({"number": number, "url": f"/ms/thanks/{number}"}, status=201)
    raise web.HTTPSeeOther(f"/ms/thanks/{number}")


async def thanks(request: web.Request) -> web.StreamResponse:
    """GET /ms/thanks/<number>: says only the number (nothing of the suggestion is read back)."""
    number = request.match_info["number"].upper()
    if not _NUMBER.fullmatch(number):
        raise web.HTTPNotFound()
    return _no_store(aiohttp_jinja2.render_template("projects/thanks.html", request, {"number": number}))


async def voted(request: web.Request) -> web.StreamResponse:
    """GET /ms/projects?year=: the year's voted projects as the public sees them."""
    this_year = request.app[ENGINE].clock().year
    raw = request.query.get("year", "")
    year = whole_number(raw, 1990, 2200) if raw else this_year
    if year is None:
        raise InvalidInput("年份应为四位数字，例如 2026。", field="year")
    async with request.app[DB].read() as session:
        rows = await views.public_list(session, year)
    if _json(request):
        return web.json_response({"year": year, "items": rows}, dumps=_dumps)
    context = {"year": year, "rows": rows, "years": list(range(this_year + 1, this_year - 6, -1)),
               "rounds": ROUND_KINDS, "voters": VOTER_KINDS, "choices": EVALUATION_CHOICES}
    return aiohttp_jinja2.render_template("projects/list.html", request, context)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/ms", form)
    app.router.add_post("/ms", submit)
    app.router.add_get("/ms/projects", voted)
    app.router.add_get(r"/ms/thanks/{number:[A-Za-z0-9-]{1,16}}", thanks)
