"""The public entry of the 代表码 / 联络站码: /o/<code> (write an opinion, no login) and
/o/<code>/<receipt> (its progress; rate the answer).

Anti-abuse without a captcha (a phone in WeChat cannot be asked to read distorted letters):
- every post is bounded (text 5,000 characters, the app's 1 MB body) and checked before anything is written;
- one network address may post `opinions.posts_per_address` opinions per `address_window_seconds`, and one
  code `posts_per_code_hour` an hour: a burst is refused at the door (429, what was typed shown again),
  every post let through is kept;
- a hidden field a person never fills (the honeypot) refuses a form robot's post;
- the same text from the same address to the same code inside the window gives back the receipt it already
  has (a double tap or a phone retrying on a bad network writes one opinion, not two), whichever instance
  each post reaches and even when both arrive at once: decided in the database
  (workflow/usecases/public_repeat.py), and a repeat costs no posting quota.
Inside WeChat the page first asks WeChat who the user is (web OAuth, snsapi_base, shown nothing), so the
answer can reach the citizen in WeChat too; outside WeChat the receipt number is how they follow it.
"""
from __future__ import annotations

import base64
import json
import logging
import secrets
from typing import Optional

import aiohttp_jinja2
from aiohttp import web

from storage.models import CitizenOpinion, utcnow
from web.forms import posted
from web.keys import DB, ENGINE, SETTINGS
from web.meetings.vote import sign
from web.meetings.wechat_oauth import OAuthFailed, authorize_url, openid_for_code
from web.opinions import photos
from web.session import client_address
from workflow.domain.definition import RATINGS
from workflow.domain.opinions import OPINION_STATES
from workflow.domain.rules import Actor
from workflow.engine.opinions import OpinionEngine, resolve_code
from workflow.errors import USER_ERRORS, NotFound
from workflow.readmodels import opinions as views
from workflow.usecases.public_repeat import SameSubmission, submission_key
from workflow.usecases.public_throttle import address_key, take

log = logging.getLogger("jianyi.web.opinions")
WECHAT_COOKIE = "jianyi_citizen_wx"
CITIZEN = Actor("citizen", "", "群众")
TOO_MANY = "提交太频繁了：同一网络在短时间内只能提交几条意见。请稍后再试，您填写的内容还在下面。"
CODE_BUSY = "这个二维码收到的意见太多，请稍后再试，或到联络站当面反映。您填写的内容还在下面。"


def _no_store(response: web.StreamResponse) -> web.StreamResponse:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "") or request.content_type == "application/json"


async def _addressee(request: web.Request) -> tuple[str, dict]:
    code = request.match_info["code"].upper()
    async with request.app[DB].read() as session:
        deputy, station = await resolve_code(session, code)
        if deputy is None and station is None:
            raise NotFound("这个二维码已失效或不存在，请扫描代表或联络站公示牌上的二维码。")
        who = ({"kind": "deputy", "name": f"{deputy.name}代表", "detail": deputy.delegation}
               if deputy is not None else {"kind": "station", "name": station.name, "detail": station.address})
    return code, who


def _openid(request: web.Request) -> str:
    body, _, signature = request.cookies.get(WECHAT_COOKIE, "").partition(".")
    if not body or not signature or signature != sign(request.app[SETTINGS].server.secret_key, "citizen-wx", body):
        return ""
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()[:64]
    except (ValueError, UnicodeDecodeError):
        return ""


def _asks_wechat(request: web.Request) -> bool:
    wechat = request.app[SETTINGS].wechat
    return ("MicroMessenger" in request.headers.get("User-Agent", "") and bool(wechat.app_id)
            and WECHAT_COOKIE not in request.cookies and "wx" not in request.query)


async def form(request: web.Request) -> web.StreamResponse:
    """GET /o/<code>: the form (inside WeChat, first a silent trip to WeChat for the openid)."""
    code, who = await _addressee(request)
    if _asks_wechat(request):
        settings = request.app[SETTINGS]
        state = secrets.token_urlsafe(12)
        back = f"{settings.server.public_url.rstrip('/')}/o/{code}/wechat"
        signed = f"{state}.{sign(settings.server.secret_key, 'o-oauth', state)}"
        raise web.HTTPSeeOther(authorize_url(settings.wechat, back, signed))
    return await _form_page(request, code, who)


async def _form_page(request: web.Request, code: str, who: dict, error: str = "", values: Optional[dict] = None,
                     field: str = "", status: int = 200) -> web.StreamResponse:
    if _json(request) and error:
        return web.json_response({"error": "refused", "message": error, "field": field}, status=status)
    context = {"code": code, "who": who, "error": error, "field": field, "values": values or {},
               "in_wechat": bool(_openid(request))}
    return _no_store(aiohttp_jinja2.render_template("opinions/form.html", request, context, status=status))


async def wechat_back(request: web.Request) -> web.StreamResponse:
    """GET /o/<code>/wechat?code=&state=: WeChat's answer; the openid kept in a signed cookie."""
    code = request.match_info["code"].upper()
    settings = request.app[SETTINGS]
    state = request.query.get("state", "")
    nonce, _, signature = state.partition(".")
    response = web.HTTPSeeOther(f"/o/{code}?wx=1")
    oauth_code = request.query.get("code", "")
    if oauth_code and len(oauth_code) <= 512 and signature == sign(settings.server.secret_key, "o-oauth", nonce):
        try:
            openid = await openid_for_code(settings.wechat, oauth_code)
            body = base64.urlsafe_b64encode(openid.encode()).decode().rstrip("=")
            response.set_cookie(WECHAT_COOKIE, f"{body}.{sign(settings.server.secret_key, 'citizen-wx', body)}",
                                max_age=365 * 24 * 3600, path="/o/", httponly=True, samesite="Lax",
                                secure=settings.server.public_url.startswith("https://"))
        except OAuthFailed as exc:
            log.info("citizen page: WeChat gave no openid (%s)", exc)
    raise response


async def submit(request: web.Request) -> web.StreamResponse:
    """POST /o/<code>: one opinion, or a clear refusal with what was typed kept on the page."""
    code, who = await _addressee(request)
    body, _is_json = await posted(request)
    values = {k: str(body.get(k) or "")[:20000] for k in ("text", "citizen_name", "citizen_phone")}
    values["hide_from_units"] = "0" if str(body.get("hide_from_units", "1")) in ("0", "false", "off") else "1"
    if body.get("website"):  # the honeypot: hidden from people, filled by form robots
        return await _form_page(request, code, who, "提交未成功，请刷新页面后重新填写。", values, status=400)
    settings, now = request.app[SETTINGS], utcnow()
    address = address_key(settings.server.secret_key, "opinion", client_address(request))
    same = SameSubmission(request.app[DB], "opinion", submission_key(
        settings.server.secret_key, "opinion", client_address(request), code, values["text"].strip()),
        settings.opinions.address_window_seconds)
    earlier = await same.seen()
    if earlier:
        return _to_receipt(request, code, earlier)
    cfg = settings.opinions
    if not await take(request.app[DB], address, cfg.posts_per_address, cfg.address_window_seconds, now):
        return await _form_page(request, code, who, TOO_MANY, values, status=429)
    if not await take(request.app[DB], f"code:{code}", cfg.posts_per_code_hour, 3600, now):
        return await _form_page(request, code, who, CODE_BUSY, values, status=429)
    try:
        # two taps on two instances at once: one claims and writes, the other waits for its receipt
        receipt = await same.claim() or await _receive(request, code, values, same)
    except USER_ERRORS as exc:
        return await _form_page(request, code, who, exc.message, values, exc.details.get("field", ""), exc.status)
    return _to_receipt(request, code, receipt)


async def _receive(request: web.Request, code: str, values: dict, same: SameSubmission) -> str:
    """The opinion written under the post's claim (settled with it, or released when refused): its receipt."""
    fields = {**values, "code": code, "channel": "qr", "hide_from_units": values["hide_from_units"] == "1"}
    written = None
    try:
        pictures = await photos.received(request) if request.content_type == "multipart/form-data" else []
        result = await OpinionEngine(request.app[ENGINE]).receive(CITIZEN, fields, openid=_openid(request) or None,
                                                                  photos=pictures)
        written = result.opinion
    finally:
        await (same.settle(written.id) if written is not None else same.release())
    return written.receipt


def _to_receipt(request: web.Request, code: str, receipt: str) -> web.StreamResponse:
    if _json(request):
        return web.json_response({"receipt": receipt, "url": f"/o/{code}/{receipt}"}, status=201)
    raise web.HTTPSeeOther(f"/o/{code}/{receipt}?new=1")


async def _opinion(request: web.Request) -> tuple[str, CitizenOpinion, dict]:
    code, receipt = request.match_info["code"].upper(), request.match_info["receipt"].upper()
    async with request.app[DB].read() as session:
        opinion = await views.by_receipt(session, receipt)
        deputy, station = await resolve_code(session, code)
        belongs = opinion is not None and (
            (deputy is not None and opinion.deputy_id == deputy.id)
            or (station is not None and opinion.station_id is not None
                and station.id in (opinion.station_id, opinion.station.parent_id)))
        if not belongs:
            raise NotFound("找不到这个回执号，请核对后再查询。")
        view = views.opinion_dict(opinion, "public")
        view["proposal"] = await views.carrying_proposal(session, opinion)
        view["timeline"] = [{"label": e["label"], "at": e["at"]} for e in await views.events_of(session, opinion.id)]
    return code, opinion, view


async def receipt_page(request: web.Request, error: str = "", status: int = 200) -> web.StreamResponse:
    """GET /o/<code>/<receipt>: where the opinion stands, the answer, and the rating form when it is answered."""
    code, opinion, view = await _opinion(request)
    if _json(request):
        return web.json_response(view, status=status, dumps=_dumps)
    context = {"code": code, "o": view, "ratings": RATINGS, "states": OPINION_STATES, "error": error,
               "new": request.query.get("new") == "1", "rated": request.query.get("rated") == "1",
               "can_rate": opinion.state == "answered"}
    return _no_store(aiohttp_jinja2.render_template("opinions/receipt.html", request, context, status=status))


async def rate(request: web.Request) -> web.StreamResponse:
    """POST /o/<code>/<receipt>: the citizen rates the answer (满意 / 基本满意 / 不满意)."""
    code, opinion, _view = await _opinion(request)
    body, _ = await posted(request)
    settings = request.app[SETTINGS]
    address = address_key(settings.server.secret_key, "rate", client_address(request))
    if not await take(request.app[DB], address, settings.opinions.ratings_per_address,
                      settings.opinions.address_window_seconds, utcnow()):
        return await receipt_page(request, "提交太频繁了，请稍后再试。", 429)
    actor = Actor("citizen", opinion.receipt, "群众")
    try:
        await OpinionEngine(request.app[ENGINE]).perform(opinion.receipt, "rate", actor,
                                                         {"rating": body.get("rating"), "comment": body.get("comment")})
    except USER_ERRORS as exc:
        if _json(request):
            raise
        return await receipt_page(request, exc.message, exc.status)
    if _json(request):
        return await receipt_page(request)
    raise web.HTTPSeeOther(f"/o/{code}/{opinion.receipt}?rated=1")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


async def lookup(request: web.Request) -> web.StreamResponse:
    """GET /o/<code>/lookup?receipt=: the form's 查询 button."""
    receipt = "".join(ch for ch in request.query.get("receipt", "").upper() if ch.isalnum())[:16]
    if not receipt:
        raise NotFound("请填写回执号。")
    raise web.HTTPSeeOther(f"/o/{request.match_info['code'].upper()}/{receipt}")


def setup_routes(app: web.Application) -> None:
    code, receipt = r"{code:[A-Za-z0-9]{1,16}}", r"{receipt:[A-Za-z0-9]{1,16}}"
    app.router.add_get(f"/o/{code}", form)
    app.router.add_post(f"/o/{code}", submit)
    app.router.add_get(f"/o/{code}/wechat", wechat_back)
    app.router.add_get(f"/o/{code}/lookup", lookup)
    app.router.add_get(f"/o/{code}/{receipt}", receipt_page)
    app.router.add_post(f"/o/{code}/{receipt}", rate)
