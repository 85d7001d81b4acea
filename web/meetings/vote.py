"""The public scoring page of a meeting (/v/<token>), opened from the QR code in the room. No login.

Inside WeChat the page first asks WeChat who the user is (web OAuth, snsapi_base, nothing shown to the
user): a user bound to a deputy scores as a deputy, each WeChat user an item once. The public scores
with a printed ballot slip (评分票): its QR code opens `/v/<token>?c=<code>`, the code travels in the
page's URL and form (no cookie needed), and each code scores each item once. Where the meeting also
accepts the open mode, a phone without a code scores by its long random voter cookie, at most the
meeting's limit per item from one network address (the app's `client_address`). The rules are
workflow/domain/ballots.py; anything a stranger sends is bounded and answered in Chinese, never a 500.

At a 测评 round (workflow/domain/evaluation_rounds.py) the choices are 满意 / 基本满意 / 不满意 / 弃权 and a
slip of a "member" batch scores as 常委会组成人员, also when a bound deputy opens it in WeChat.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from typing import Optional

import aiohttp_jinja2
from aiohttp import web

from web.forms import whole_number
from web.keys import DB, SETTINGS
from web.meetings.wechat_oauth import OAuthFailed, authorize_url, openid_for_code
from web.session import client_address
from workflow.domain import ballots
from workflow.domain.links import same_secret
from workflow.domain.meetings import Voter
from workflow.errors import USER_ERRORS, InvalidInput, NotFound
from workflow.readmodels import meetings as meeting_views
from workflow.usecases import meetings as service

log = logging.getLogger("jianyi.web.meetings")
VOTER_COOKIE = "jianyi_voter"
WECHAT_COOKIE = "jianyi_voter_wx"
COOKIE_SECONDS = 365 * 24 * 3600
_VOTER = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_STATE = web.RequestKey("voter_cookie_new", str)


# ------------------------------------------------------------------ the phone's identity
def _secret(request: web.Request) -> str:
    return request.app[SETTINGS].server.secret_key


def sign(secret: str, purpose: str, value: str) -> str:
    """HMAC of `value` for one purpose: the vote form's check, the OAuth state, the WeChat cookie."""
    digest = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]


def _sign(request: web.Request, purpose: str, value: str) -> str:
    return sign(_secret(request), purpose, value)


def voter_cookie(request: web.Request, create: bool = False) -> str:
    """This phone's voter id: from its cookie, or (with `create`) a new one set on the response."""
    value = request.cookies.get(VOTER_COOKIE, "")
    if _VOTER.match(value):
        return value
    if not create:
        return ""
    if _STATE not in request:
        request[_STATE] = secrets.token_urlsafe(32)
    return request[_STATE]


def _finish(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    if _STATE in request:
        response.set_cookie(VOTER_COOKIE, request[_STATE], max_age=COOKIE_SECONDS, path="/v/", httponly=True,
                            samesite="Lax", secure=_https(request))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _https(request: web.Request) -> bool:
    return request.app[SETTINGS].server.public_url.startswith("https://")


def wechat_openid(request: web.Request, cookie: str) -> Optional[str]:
    """The openid WeChat gave for this phone ("" when asked and none came), None when not asked yet."""
    body, _, signature = request.cookies.get(WECHAT_COOKIE, "").partition(".")
    if not signature or not cookie or not same_secret(signature, _sign(request, f"wx:{cookie}", body)):
        return None
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def _remember_openid(request: web.Request, response: web.StreamResponse, cookie: str, openid: str) -> None:
    body = base64.urlsafe_b64encode(openid.encode()).decode().rstrip("=")
    response.set_cookie(WECHAT_COOKIE, f"{body}.{_sign(request, f'wx:{cookie}', body)}", max_age=COOKIE_SECONDS,
                        path="/v/", httponly=True, samesite="Lax", secure=_https(request))


def _redirect(location: str, status: int = 303) -> web.Response:
    return web.Response(status=status, headers={"Location": location})


def _in_wechat(request: web.Request) -> bool:
    return "MicroMessenger" in request.headers.get("User-Agent", "")


# ------------------------------------------------------------------ the ballot code a phone brought
def _code_of(raw: object) -> str:
    """A well-formed code from the query or the form ("" when none was sent); InvalidInput for junk."""
    if raw is None or raw == "":
        return ""
    return ballots.read_code(raw if isinstance(raw, str) else None)


def _with_code(path: str, code: str, **query: str) -> str:
    params = ([f"c={code}"] if code else []) + [f"{k}={v}" for k, v in query.items()]
    return path + ("?" + "&".join(params) if params else "")


def _voter(request: web.Request, cookie: str, code: str) -> Voter:
    secret = _secret(request)
    return Voter(cookie, (wechat_openid(request, cookie) or "") if cookie else "",
                 ballots.code_key(secret, code) if code else "", ballots.address_key(secret, client_address(request)))


# ------------------------------------------------------------------ the page
async def _render(request: web.Request, token: str, cookie: str, code: str = "", error: str = "", status: int = 200):
    db = request.app[DB]
    voter = _voter(request, cookie, code)
    view = await meeting_views.meeting_view(db, token=token)
    deputy = await meeting_views.deputy_name(db, voter.openid)
    ballot = await meeting_views.ballot_on_page(db, view.id, voter.ballot) if code else None
    member = view.is_round and ballot is not None and ballot.kind == "member"
    by_slip = bool(code) and (member or not deputy)  # a deputy in WeChat scores by openid, bar a member's slip
    ballot = ballot if by_slip else None
    if by_slip and (ballot is None or ballot.voided) and not error:
        try:
            ballots.check_ballot(ballot is not None, ballot is not None and ballot.voided)
        except USER_ERRORS as exc:
            error, status = exc.message, exc.status
    usable = ballot is not None and not ballot.voided
    if not by_slip:
        voted = await meeting_views.votes_of(db, token, voter) if cookie or voter.openid else {}
    else:
        voted = await meeting_views.votes_of(db, token, voter, ballot_id=ballot.id) if ballot else {}
    context = {
        "m": view, "voted": voted, "deputy": "" if member else deputy, "ratings": view.choices, "error": error,
        "check": _sign(request, "vote", cookie), "done": request.query.get("done", ""), "token": token,
        "current": view.open_item.id if view.open_item else "", "code": code if usable else "",
        "slip": ballot.serial if usable else None, "code_max": ballots.RAW_MAX,
        "slip_kind": ballots.BALLOT_KINDS[ballot.kind] if usable and view.is_round else "",
        "may_vote": bool(deputy) or usable or view.accepts_open,
    }
    response = aiohttp_jinja2.render_template("meetings/vote.html", request, context, status=status)
    return _finish(request, response)


async def page(request: web.Request) -> web.StreamResponse:
    """GET /v/{token}[?c=<code>]: the item open now, with 满意 / 基本满意 / 不满意."""
    token = request.match_info["token"]
    if not _TOKEN.match(token):
        return _gone(request, "评议链接无效，请重新扫描会场的二维码。")
    cookie = voter_cookie(request, create=True)
    try:
        code = _code_of(request.query.get("c"))
    except InvalidInput as exc:
        return await _show(request, token, cookie, "", exc.message, exc.status)
    wechat = request.app[SETTINGS].wechat
    if wechat.app_id and _in_wechat(request) and wechat_openid(request, cookie) is None:
        base = request.app[SETTINGS].server.public_url.rstrip("/")
        target = authorize_url(wechat, _with_code(f"{base}/v/{token}/wechat", code), _sign(request, "oauth", cookie))
        return _finish(request, _redirect(target, 302))
    return await _show(request, token, cookie, code, "", 200)


def _gone(request: web.Request, message: str) -> web.Response:
    return _finish(request, aiohttp_jinja2.render_template(
        "message.html", request, {"title": "无法打开评议页面", "message": message}, status=404))


def _field(form, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def vote(request: web.Request) -> web.StreamResponse:
    """POST /v/{token}: item, rating, and a ballot code or the phone's check. Refusals keep the page and change nothing."""
    token = request.match_info["token"]
    if not _TOKEN.match(token):
        return _gone(request, "评议链接无效，请重新扫描会场的二维码。")
    cookie = voter_cookie(request)
    form = await request.post()
    item, rating, check = (_field(form, k) for k in ("item", "rating", "check"))
    try:
        code = _code_of(form.get("code"))
    except InvalidInput as exc:
        return await _show(request, token, cookie, "", exc.message, exc.status)
    if not code and not cookie:
        cookie = voter_cookie(request, create=True)
        return await _show(request, token, cookie, "", "请先打开评议页面再评分（浏览器需允许保存 Cookie）。没有记录评分。", 400)
    if not code and not same_secret(check, _sign(request, "vote", cookie)):
        return await _show(request, token, cookie, "", "页面已过期，请刷新后再评分。没有记录评分。", 403)
    if whole_number(item, 1) is None:
        return await _show(request, token, cookie, code, "请选择要评分的事项。", 400)
    try:
        await service.cast_vote(request.app[DB], token, int(item), _voter(request, cookie, code), rating)
    except USER_ERRORS as exc:
        return await _show(request, token, cookie, code, exc.message, exc.status)
    return _finish(request, _redirect(_with_code(f"/v/{token}", code, done=item)))


async def _show(request: web.Request, token: str, cookie: str, code: str, message: str,
                status: int) -> web.StreamResponse:
    try:
        return await _render(request, token, cookie, code, message, status)
    except NotFound as exc:
        return _gone(request, exc.message)


async def wechat_return(request: web.Request) -> web.StreamResponse:
    """GET /v/{token}/wechat?code=&state=: WeChat's OAuth comes back; remember who the user is."""
    token = request.match_info["token"]
    if not _TOKEN.match(token):
        return _gone(request, "评议链接无效，请重新扫描会场的二维码。")
    cookie = voter_cookie(request, create=True)
    code, state = request.query.get("code", ""), request.query.get("state", "")
    try:
        ballot = _code_of(request.query.get("c"))  # the slip's code, carried through WeChat's round trip
    except InvalidInput:
        ballot = ""
    openid = ""
    if code and len(code) <= 512 and same_secret(state, _sign(request, "oauth", cookie)):
        try:
            openid = await openid_for_code(request.app[SETTINGS].wechat, code)
        except OAuthFailed as exc:
            log.warning("meeting scoring page: WeChat OAuth gave no openid: %s", exc)
    response = _redirect(_with_code(f"/v/{token}", ballot))
    _remember_openid(request, response, cookie, openid)  # "" too: asked once, scores as the public
    return _finish(request, response)


async def state(request: web.Request) -> web.Response:
    """GET /v/{token}/state.json: which item is open (the page reloads when it changes)."""
    if not _TOKEN.match(request.match_info["token"]):
        return web.json_response({"open": None}, status=404)
    try:
        item_id = await meeting_views.open_item_id(request.app[DB], request.match_info["token"])
    except NotFound:
        return web.json_response({"open": None}, status=404)
    response = web.json_response({"open": item_id})
    response.headers["Cache-Control"] = "no-store"
    return response


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/v/{token}", page)
    app.router.add_post("/v/{token}", vote)
    app.router.add_get("/v/{token}/wechat", wechat_return)
    app.router.add_get("/v/{token}/state.json", state)
