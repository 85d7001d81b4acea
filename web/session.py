"""Console sign-in: signed session cookies, the signed-in user, roles per page, CSRF tokens.

    from web.session import current_user, render, require

    @require("admin", "staff")                 # not signed in: 303 to /login; wrong role: 403 page
    async def page(request):                   # every POST under require() has passed the CSRF check
        user = await current_user(request)
        return render(request, "console/x.html", {...})   # templates call {{ csrf_field() }} in forms

The cookie holds `{"n": nonce, "u": user id, "f": password fingerprint, "t": issued}` signed with
HMAC-SHA256 under `server.secret_key`; it lives 12 hours, a new password or a disabled account ends it
at the next request. The CSRF token is an HMAC of the session's nonce: a form posted from another site,
or without the token, is refused with a 403 page and changes nothing.
"""
from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional
from urllib.parse import quote

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup

from storage.models import User
from web.keys import DB, SETTINGS
from workflow.domain import clock as beijing
from workflow.domain.definition import ACCOUNT_ROLES, ACTING_ROLES
from workflow.domain.links import same_secret
from workflow.usecases import accounts

COOKIE = "jianyi_session"
SESSION_SECONDS = 12 * 3600
CSRF_FIELD = "csrf_token"
ROLES = accounts.ROLES
READ_ROLES = tuple(ACCOUNT_ROLES)
ACT_ROLES = tuple(sorted(ACTING_ROLES))

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class SessionData:
    nonce: str
    user_id: Optional[int] = None
    fingerprint: str = ""
    issued: int = 0


_STATE = web.RequestKey("console_state", dict)


def _state(request: web.Request) -> dict:
    if _STATE not in request:
        request[_STATE] = {}
    return request[_STATE]


# ------------------------------------------------------------------ the cookie
def _sign(secret: str, purpose: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{body}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _encode(secret: str, data: SessionData) -> str:
    raw = json.dumps({"n": data.nonce, "u": data.user_id, "f": data.fingerprint, "t": data.issued},
                     separators=(",", ":"))
    body = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    return f"{body}.{_sign(secret, 'console-session', body)}"


def _decode(secret: str, value: str, now: float) -> Optional[SessionData]:
    body, _, signature = (value or "").partition(".")
    if not body or len(value) > 1024 or not same_secret(signature, _sign(secret, "console-session", body)):
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        data = SessionData(str(raw["n"]), raw.get("u"), str(raw.get("f") or ""), int(raw["t"]))
    except (ValueError, KeyError, TypeError):
        return None
    if not data.nonce or not isinstance(data.user_id, (int, type(None))) or now - data.issued > SESSION_SECONDS:
        return None
    return data


def _secret(request: web.Request) -> str:
    return request.app[SETTINGS].server.secret_key


def read_session(request: web.Request) -> Optional[SessionData]:
    """The session the request's cookie carries (or the one this request started), if valid."""
    state = _state(request)
    if "session" not in state:
        state["session"] = _decode(_secret(request), request.cookies.get(COOKIE, ""), time.time())
    return state["session"]


def start_session(request: web.Request, user: Optional[User] = None) -> SessionData:
    """A new session for this request (a new nonce, so a token seen before sign-in is useless after it);
    `commit_session` writes it into the response's cookie."""
    data = SessionData(secrets.token_urlsafe(18), user.id if user else None,
                       accounts.password_fingerprint(user) if user else "", int(time.time()))
    state = _state(request)
    state["session"], state["dirty"] = data, True
    state["user"] = user
    return data


def commit_session(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    state = _state(request)
    if state.get("dirty") and state.get("session") is not None:
        secure = request.app[SETTINGS].server.public_url.startswith("https://")
        response.set_cookie(COOKIE, _encode(_secret(request), state["session"]), max_age=SESSION_SECONDS,
                            path="/", httponly=True, samesite="Lax", secure=secure)
    return response


def end_session(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    state = _state(request)
    state["session"], state["user"], state["dirty"] = None, None, False
    response.del_cookie(COOKIE, path="/")
    return response


# ------------------------------------------------------------------ the user
async def current_user(request: web.Request) -> Optional[User]:
    """The signed-in, active user of this request, or None (cached for the request)."""
    state = _state(request)
    if "user" in state:
        return state["user"]
    data = read_session(request)
    user = None
    if data is not None and data.user_id is not None:
        found = await accounts.user_by_id(request.app[DB], data.user_id)
        # An account without a password (an API-only account) never holds a console session.
        if (found is not None and found.active and found.password_hash
                and hmac.compare_digest(accounts.password_fingerprint(found), data.fingerprint)):
            user = found
    state["user"] = user
    return user


def user_of(request: web.Request) -> Optional[User]:
    """The user `current_user` (or `require`) already found for this request."""
    return _state(request).get("user")


# ------------------------------------------------------------------ CSRF
def csrf_token(request: web.Request) -> str:
    data = read_session(request)
    return _sign(_secret(request), "csrf", data.nonce) if data is not None else ""


async def csrf_ok(request: web.Request) -> bool:
    """Whether the posted form carries this session's CSRF token."""
    expected = csrf_token(request)
    if not expected:
        return False
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        posted = (await request.post()).get(CSRF_FIELD)
    else:
        posted = request.headers.get("X-CSRF-Token")
    return isinstance(posted, str) and same_secret(posted, expected)


@jinja2.pass_context
def csrf_field(context) -> Markup:
    """The hidden form field with the CSRF token (templates: `{{ csrf_field() }}` inside each form)."""
    request = context.get("request")
    token = csrf_token(request) if request is not None else ""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)


# ------------------------------------------------------------------ pages
def render(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    """A console page: adds `request` (for csrf_field), `user` and `roles` to the template's context."""
    full = {"request": request, "user": user_of(request), "role_labels": ROLES, "act_roles": ACT_ROLES, **context}
    response = aiohttp_jinja2.render_template(template, request, full, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def refuse(request: web.Request, status: int, message: str, title: str = "无法完成") -> web.Response:
    return render(request, "console/message.html", {"title": title, "message": message}, status=status)


def redirect(location: str) -> web.Response:
    """303 See Other (after a POST, the browser GETs the next page)."""
    return web.Response(status=303, headers={"Location": location})


def client_address(request: web.Request) -> str:
    """The address a request came from, the one place login lockout and the public pages' limits read it:
    through a proxy named in server.trusted_proxies, the client's address from X-Forwarded-For (web/system.py
    sets request.remote through aiohttp-remotes); otherwise the peer's own, whatever headers it sent."""
    return request.remote or ""


def safe_next(target: Optional[str], default: str) -> str:
    """A local path to go back to after sign-in (never another site). Browsers drop tabs and line breaks
    from a URL, so "/\t/evil" would become "//evil": any control character or space refuses it."""
    if (not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 0x21 or 0x7f <= ord(c) <= 0x9f for c in target)):
        return default
    return target


def require(*roles: str) -> Callable[[Handler], Handler]:
    """Guard a handler: signed in, one of `roles` (any console role if none given), and for every
    request that is not GET/HEAD, the CSRF token of the session."""
    allowed = set(roles or READ_ROLES)

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            user = await current_user(request)
            if user is None:
                back = request.path_qs if request.method in ("GET", "HEAD") else request.headers.get("Referer", "")
                target = safe_next(_local(back), "")
                return redirect("/login" + (f"?next={quote(target)}" if target else ""))
            if user.role not in allowed:
                names = "、".join(ROLES[r] for r in READ_ROLES if r in allowed)
                return refuse(request, 403, f"您的账号角色是“{ROLES.get(user.role, user.role)}”，"
                                            f"此页面或操作只对{names}开放。", title="没有权限")
            try:
                checked = request.method in ("GET", "HEAD") or await csrf_ok(request)
            except web.HTTPRequestEntityTooLarge:
                return refuse(request, 413, "提交的内容太大（上传文件请小于 700 KB），没有做任何更改。", title="内容太大")
            if not checked:
                return refuse(request, 403, "安全校验未通过（表单已过期或不是从本系统页面提交的），没有做任何更改。"
                                            "请返回上一页，刷新后重新提交。", title="请求被拒绝")
            return await handler(request)

        return guarded

    return wrap


def _local(url: str) -> str:
    """The path and query of a URL from a Referer header (empty when it is not a local path)."""
    if url.startswith("/"):
        return url
    parts = url.split("/", 3)
    return "/" + parts[3] if len(parts) == 4 and url.startswith(("http://", "https://")) else ""


def can_act(user: Optional[User]) -> bool:
    return user is not None and user.role in ACT_ROLES


def local_time(value: Optional[dt.datetime], fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time (naive UTC) as people here read it: Beijing time (the one clock's zone)."""
    return beijing.shown(value, fmt)


def setup(app: web.Application) -> None:
    """Make `csrf_field()` and the `local` time filter available to every template."""
    env = aiohttp_jinja2.get_env(app)
    env.globals["csrf_field"] = csrf_field
    env.filters["local"] = local_time
