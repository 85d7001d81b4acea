"""Published replies: the public page /replies (no sign-in), and how staff publish or withdraw a reply
(the console form /dashboard/replies, and POST /api/v1/replies/{id}/publish).

Whether a reply may be published (never for a confidential proposal) is decided in
workflow/usecases/publication.py (publishing) and workflow/readmodels/replies.py (the lists); these handlers only translate.
"""
from __future__ import annotations

from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from web.api.routes import WRITE_ROLES, _body, _user, ok
from web.dashboard.scope import parse_year
from web.forms import path_id, whole_number
from web.keys import DB, ENGINE
from web.session import ACT_ROLES, can_act, redirect, render, require, user_of
from workflow.domain.definition import REPLY_CATEGORIES
from workflow.errors import InvalidInput
from workflow.readmodels.replies import public_replies, public_years, replies_for_review
from workflow.usecases import accounts
from workflow.usecases.publication import set_published

PUBLIC_PAGE = 20
REVIEW_PAGE = 50


def _page(request: web.Request) -> int:
    raw = request.query.get("page", "")
    return whole_number(raw, 1, 99999) or 1


def _reply_id(request: web.Request) -> int:
    return path_id(request, "id", "找不到这条答复。")


def _pager(request: web.Request, page: int, total: int, size: int) -> dict:
    pages = max(1, -(-total // size))
    here = {k: v for k, v in request.query.items() if k != "page"}
    return {"page": page, "pages": pages,
            "prev_url": "?" + urlencode({**here, "page": page - 1}) if page > 1 else "",
            "next_url": "?" + urlencode({**here, "page": page + 1}) if page < pages else ""}


async def public_page(request: web.Request) -> web.Response:
    """GET /replies: what staff chose to publish, newest first, for anyone."""
    raw = request.query.get("year", "")
    year = parse_year(raw, 0) if raw else None
    page = _page(request)
    total, items = await public_replies(request.app[DB], year, page, PUBLIC_PAGE)
    context = {"items": items, "total": total, "year": year, "years": await public_years(request.app[DB]),
               "categories": REPLY_CATEGORIES, **_pager(request, page, total, PUBLIC_PAGE)}
    response = aiohttp_jinja2.render_template("replies/public.html", request, context)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@require()
async def review(request: web.Request) -> web.Response:
    """GET /dashboard/replies: the year's replies and whether each is public; staff publish from here."""
    year = parse_year(request.query.get("year"), request.app[ENGINE].clock().year)
    shown = request.query.get("shown") if request.query.get("shown") in ("published", "unpublished") else "all"
    page = _page(request)
    total, items = await replies_for_review(request.app[DB], year, shown, page, REVIEW_PAGE)
    return render(request, "dashboard/replies.html", {
        "items": items, "total": total, "year": year, "shown": shown, "can_publish": can_act(user_of(request)),
        "categories": REPLY_CATEGORIES, "done": request.query.get("done", ""),
        **_pager(request, page, total, REVIEW_PAGE)})


@require(*ACT_ROLES)
async def publish_form(request: web.Request) -> web.Response:
    """POST /dashboard/replies/{id}/publish with `published` 1 (publish) or 0 (withdraw)."""
    form = await request.post()
    published = form.get("published") != "0"
    user = user_of(request)
    await set_published(request.app[DB], _reply_id(request), accounts.actor_for(user), published)
    back = {"year": form.get("year", ""), "shown": form.get("shown", ""), "page": form.get("page", ""),
            "done": "published" if published else "withdrawn"}
    return redirect("/dashboard/replies?" + urlencode({k: v for k, v in back.items() if v}))


async def publish_api(request: web.Request) -> web.Response:
    """POST /api/v1/replies/{id}/publish {"published": true|false}: staff publish or withdraw a reply."""
    user = await _user(request, WRITE_ROLES)
    body = await _body(request) if request.can_read_body else {}
    published = body.get("published", True)
    if not isinstance(published, bool):
        raise InvalidInput("published 应为 true 或 false。", field="published")
    reply_id = _reply_id(request)
    changed = await set_published(request.app[DB], reply_id, accounts.actor_for(user), published)
    return ok({"id": reply_id, "published": published, "changed": changed})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/replies", public_page)
    app.router.add_get("/dashboard/replies", review)
    app.router.add_post(r"/dashboard/replies/{id:\d+}/publish", publish_form)
    app.router.add_post(r"/api/v1/replies/{id:\d+}/publish", publish_api)
