"""/demo-wechat/cgi-bin/... (demo mode only): a stand-in for the WeChat API the notification sender calls.

The demo county has no WeChat app, and api.weixin.qq.com would refuse it anyway; `serve --demo`
points `wechat.api_base_url` here (workflow/demo/wechat.py). The few endpoints the product calls
answer as WeChat's do: `token` and `stable_token` hand out access tokens for the demo's app id and
secret; `message/custom/send` and `message/template/send` record the message in the demo's chat log,
where /simulator shows it to the user it was meant for; `media/get` answers a sample picture. Only
callers on this computer are served (the sender calls over loopback); run.build_app mounts it only
in demo mode.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import time
from typing import Any

from aiohttp import web

from web.keys import DB, SETTINGS
from workflow.demo import wechat as demo_wechat
from workflow.domain.links import same_secret

TOKEN_SECONDS = 7200
# A 1x1 grey PNG: what a photo's media id fetches in the demo.
SAMPLE_PICTURE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==")


def _answer(errcode: int = 0, errmsg: str = "ok", **extra: Any) -> web.Response:
    return web.json_response({"errcode": errcode, "errmsg": errmsg, **extra}, dumps=lambda v: json.dumps(v, ensure_ascii=False))


def _signature(secret: str, issued: int) -> str:
    return hmac.new(secret.encode(), f"demo-token:{issued}".encode(), hashlib.sha256).hexdigest()[:32]


def _new_token(secret: str) -> str:
    """Tokens carry their own proof (issue time, HMAC), so they outlive a restart of the demo server."""
    issued = int(time.time())
    return f"DEMO_{issued}_{_signature(secret, issued)}"


def _token_is_valid(secret: str, token: str) -> bool:
    head, _, rest = token.partition("_")
    issued, _, signature = rest.partition("_")
    if head != "DEMO" or not (issued.isascii() and issued.isdigit()):
        return False
    fresh = 0 <= time.time() - int(issued) < TOKEN_SECONDS
    return fresh and same_secret(signature, _signature(secret, int(issued)))


def _from_this_computer(request: web.Request) -> bool:
    """Loopback, or this server's own address (a server listening on one LAN address calls itself there)."""
    remote = request.remote or ""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    try:
        if ipaddress.ip_address(remote).is_loopback:
            return True
    except ValueError:
        return False
    return bool(sockname) and remote == sockname[0]


async def _body(request: web.Request) -> dict:
    try:
        body = json.loads((await request.read()).decode("utf-8") or "{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


async def _credential(request: web.Request, source: dict) -> web.Response:
    wechat = request.app[SETTINGS].wechat
    if source.get("appid") != wechat.app_id or not same_secret(str(source.get("secret", "")), wechat.app_secret):
        return _answer(40013, "invalid appid or secret")
    return web.json_response({"access_token": _new_token(wechat.app_secret), "expires_in": TOKEN_SECONDS})


async def stable_token(request: web.Request) -> web.Response:
    return await _credential(request, await _body(request))


async def token(request: web.Request) -> web.Response:
    return await _credential(request, dict(request.query))


def _template_text(body: dict) -> str:
    values = [str(item.get("value", "")) for item in (body.get("data") or {}).values() if isinstance(item, dict)]
    return "\n".join(v for v in values if v)


async def send(request: web.Request) -> web.Response:
    """message/custom/send and message/template/send: kept in the demo chat log of `touser`."""
    kind = request.match_info["kind"]
    body = await _body(request)
    touser = str(body.get("touser", ""))
    if not touser or len(touser) > 64:
        return _answer(40003, "invalid openid")
    if kind == "custom":
        if body.get("msgtype") != "text" or not isinstance(body.get("text"), dict):
            return _answer(40008, "invalid message type")
        await demo_wechat.record(request.app[DB], touser, "custom", str(body["text"].get("content", "")))
        return _answer()
    line = await demo_wechat.record(request.app[DB], touser, "template", _template_text(body), str(body.get("url") or ""))
    return _answer(msgid=line)


async def media(request: web.Request) -> web.Response:
    return web.Response(body=SAMPLE_PICTURE, content_type="image/png",
                        headers={"Content-Disposition": 'attachment; filename="demo.png"'})


def _guarded(handler, needs_token: bool = True):
    """Callers on this computer only, and (but for the token calls) with a token the stand-in issued."""
    async def guarded(request: web.Request) -> web.Response:
        if not _from_this_computer(request):
            raise web.HTTPForbidden(text="演示用的微信接口只接受本机调用。 / the demo WeChat stand-in serves this computer only.")
        if needs_token and not _token_is_valid(request.app[SETTINGS].wechat.app_secret,
                                               request.query.get("access_token", "")):
            return _answer(40001, "invalid credential, access_token is invalid or not latest")
        return await handler(request)

    return guarded


def setup_routes(app: web.Application) -> None:
    """Registered by run.build_app only in demo mode."""
    base = demo_wechat.STAND_IN_PATH
    app.router.add_post(base + "stable_token", _guarded(stable_token, needs_token=False))
    app.router.add_get(base + "token", _guarded(token, needs_token=False))
    app.router.add_post(base + "message/{kind:custom|template}/send", _guarded(send))
    app.router.add_get(base + "media/get", _guarded(media))
