"""亮身份 pages: the deputy's public card (no sign-in, for phones), the printable 代表牌 with the 代表码's QR
code, and a station's 公示牌 (console). What they show comes from workflow/readmodels/deputy_card.py;
these handlers only translate. The QR codes are inline SVG drawn here by segno (nothing loaded from
elsewhere), each pointing at the public opinion form /o/<code>."""
from __future__ import annotations

import json

import aiohttp_jinja2
import segno
from aiohttp import web
from markupsafe import Markup

from web.forms import path_id
from web.keys import DB, ENGINE, SETTINGS
from web.session import render, require
from workflow.domain import words
from workflow.readmodels.deputy_card import public_card, station_plate
from workflow.usecases.deputy_cards import ensure_card_of

SIZES = ("A4", "A5")
NO_STATION = "找不到这个代表联络站或联系点。"
MAX_NUMBER = 32


def qr_svg(text: str, title: str = "扫码给代表留言") -> Markup:
    """The QR code of `text` as inline SVG (scales with CSS: viewBox, no fixed size)."""
    return Markup(segno.make(text, error="m").svg_inline(scale=4, border=2, omitsize=True, title=title))


def plate_size(request: web.Request) -> str:
    """?size=A4|A5; anything else prints on A4."""
    size = request.query.get("size", "").strip().upper()
    return size if size in SIZES else "A4"


def _wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def no_card() -> str:
    return f"找不到这位代表的名片：代表证号不对，或代表暂未公开名片。如有疑问，请向{words.staff_body()}咨询。"


def _not_found(request: web.Request, message: str, title: str) -> web.Response:
    if _wants_json(request):
        return web.json_response({"error": "not_found", "message": message}, status=404, dumps=_dumps)
    return aiohttp_jinja2.render_template("message.html", request, {"title": title, "message": message}, status=404)


async def _card(request: web.Request):
    """The public card of the deputy in the path (made with the defaults on first view), or None."""
    number = request.match_info.get("number", "")
    if not number or len(number) > MAX_NUMBER:
        return None
    db = request.app[DB]
    if not await ensure_card_of(db, number):
        return None
    async with db.read() as session:
        return await public_card(session, request.app[SETTINGS], number, today=request.app[ENGINE].clock())


async def card_page(request: web.Request) -> web.Response:
    """GET /d/{number}: the deputy's card for anyone (JSON with Accept: application/json)."""
    card = await _card(request)
    if card is None:
        return _not_found(request, no_card(), "找不到代表名片")
    if _wants_json(request):
        return web.json_response(card, dumps=_dumps)
    qr = qr_svg(card["opinion_url"]) if card["opinion_url"] else ""
    response = aiohttp_jinja2.render_template("cards/card.html", request, {"c": card, "qr": qr})
    response.headers["Cache-Control"] = "no-cache"
    return response


async def deputy_plate(request: web.Request) -> web.Response:
    """GET /d/{number}/plate?size=A4|A5: the printable 代表牌."""
    card = await _card(request)
    if card is None or not card["opinion_url"]:
        return _not_found(request, no_card(), "找不到代表名片")
    return aiohttp_jinja2.render_template("cards/plate.html", request, {
        "c": card, "size": plate_size(request), "sizes": SIZES, "qr": qr_svg(card["opinion_url"])})


@require()
async def station_plate_page(request: web.Request) -> web.Response:
    """GET /console/stations/{id}/plate?size=A4|A5: the station's 公示牌 for staff to print."""
    station_id = path_id(request, "id", NO_STATION)
    async with request.app[DB].read() as session:
        plate = await station_plate(session, request.app[SETTINGS], station_id, today=request.app[ENGINE].clock())
    if plate is None:
        return _not_found(request, NO_STATION, "找不到联络站")
    return render(request, "cards/station_plate.html", {
        "s": plate, "size": plate_size(request), "sizes": SIZES,
        "qr": qr_svg(plate["opinion_url"], "扫码向代表联络站反映意见")})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/d/{number}", card_page)
    app.router.add_get("/d/{number}/plate", deputy_plate)
    app.router.add_get(r"/console/stations/{id:\d+}/plate", station_plate_page)
