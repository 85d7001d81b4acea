"""GET/POST /login and POST /logout (DESIGN.md section 4: fields `username`, `password`, `csrf_token`)."""
from __future__ import annotations

from aiohttp import web

from storage.models import User
from web.keys import DB
from web.session import (
    client_address,
    commit_session,
    csrf_ok,
    current_user,
    end_session,
    read_session,
    redirect,
    render,
    require,
    safe_next,
    start_session,
    user_of,
)
from workflow.usecases import accounts


def home(request: web.Request, user: User) -> str:
    """Where a user lands after signing in: supervisors on the dashboard (once it exists), others the console."""
    if user.role == "supervisor" and any(r.canonical == "/dashboard" for r in request.app.router.resources()):
        return "/dashboard"
    return "/console"


def _form(request: web.Request, next_path: str, error: str = "", username: str = "",
          status: int = 200) -> web.Response:
    if read_session(request) is None:
        start_session(request)
    response = render(request, "console/login.html",
                      {"next": next_path, "error": error, "username": username}, status=status)
    return commit_session(request, response)


async def login_page(request: web.Request) -> web.Response:
    next_path = safe_next(request.query.get("next"), "")
    user = await current_user(request)
    if user is not None:
        return redirect(next_path or home(request, user))
    return _form(request, next_path)


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    next_path = safe_next(str(form.get("next") or ""), "")
    username = str(form.get("username") or "")
    if not await csrf_ok(request):
        start_session(request)
        return _form(request, next_path, "登录页面已过期，请重新输入用户名和密码。", username, status=403)
    try:
        user = await accounts.authenticate(request.app[DB], username, str(form.get("password") or ""),
                                           address=client_address(request))
    except (accounts.LoginFailed, accounts.AccountLocked) as exc:
        return _form(request, next_path, exc.message, username, status=exc.status)
    start_session(request, user)
    return commit_session(request, redirect(next_path or home(request, user)))


@require()
async def logout(request: web.Request) -> web.Response:
    """Sign out: the session ends on the server too, so a copied cookie stops working."""
    user = user_of(request)
    if user is not None:
        await accounts.end_sessions(request.app[DB], user.id)
    return end_session(request, redirect("/login"))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
