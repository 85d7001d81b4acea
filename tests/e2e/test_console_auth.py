"""Console accounts through HTTP: sign-in with argon2 passwords, lockout after five failures, sign-out,
roles, CSRF tokens, and `run.py user passwd/disable`."""
from __future__ import annotations

import asyncio
import datetime as dt
import re
import sys

from sqlalchemy import func, select, update

from storage.models import LoginThrottle, User, utcnow
from tests.conftest import ROOT
from tests.support.console import CSRF, PASSWORD, csrf_of, login, post_form, sign_out_locally, signed_in
from workflow.usecases.accounts import add_user


async def _user(db, username: str) -> User:
    async with db.read() as session:
        return (await session.execute(select(User).where(User.username == username))).scalar_one()


async def test_login_page_is_a_form_with_username_password_and_csrf_field(client):
    response = await client.get("/login")
    text = await response.text()
    assert response.status == 200
    assert 'name="username"' in text and 'name="password"' in text and CSRF.search(text)
    assert "登录" in text
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


async def test_staff_member_signs_in_with_the_right_password_and_sees_the_console(client, db):
    await add_user(db, "wang", "staff", PASSWORD, display_name="王干事")
    response = await login(client, "wang")
    assert response.status == 303 and response.headers["Location"] == "/console"
    page = await client.get("/console")
    assert page.status == 200
    assert "王干事" in await page.text()


async def test_console_sends_a_browser_without_session_to_the_login_page(client):
    response = await client.get("/console?q=overdue", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].startswith("/login?next=/console")


async def test_wrong_password_is_refused_in_chinese_and_no_session_is_opened(client, db):
    await add_user(db, "wang", "staff", PASSWORD)
    response = await login(client, "wang", "wrong-password")
    assert response.status == 401
    assert "用户名或密码不正确" in await response.text()
    assert (await client.get("/console", allow_redirects=False)).status == 303
    async with db.read() as session:
        assert (await session.get(LoginThrottle, "wang|127.0.0.1")).failures == 1


async def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client, db):
    response = await login(client, "nobody", "whatever-123")
    assert response.status == 401
    assert "用户名或密码不正确" in await response.text()


async def test_five_failures_pause_that_name_from_that_address_even_against_the_right_password(client, db):
    await add_user(db, "wang", "staff", PASSWORD)
    statuses = [(await login(client, "wang", f"wrong-{n}")).status for n in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    locked = await login(client, "wang", PASSWORD)
    assert locked.status == 429
    assert "锁定" in await locked.text()
    assert (await client.get("/console", allow_redirects=False)).status == 303


async def test_a_strangers_failures_do_not_lock_the_account_for_the_committee(client, db):
    await add_user(db, "admin", "admin", PASSWORD)
    stranger = {"X-Forwarded-For": "203.0.113.9"}  # through the reverse proxy, from elsewhere
    for n in range(6):
        await _login_from(client, "admin", f"wrong-{n}", stranger)
    assert (await _login_from(client, "admin", PASSWORD, stranger)).status == 429
    assert (await _login_from(client, "admin", PASSWORD, {"X-Forwarded-For": "198.51.100.7"})).status == 303


async def test_a_name_that_does_not_exist_is_answered_like_one_that_does(client, db):
    await add_user(db, "wang", "staff", PASSWORD)
    real = [await login(client, "wang", f"wrong-{n}") for n in range(5)]
    sign_out_locally(client)
    ghost = [await login(client, "nobody", f"wrong-{n}") for n in range(5)]
    assert [r.status for r in real] == [r.status for r in ghost] == [401, 401, 401, 401, 429]
    alerts = [re.search(r'role="alert">([^<]*)<', await r.text()).group(1) for r in real + ghost]
    assert alerts[:4] == alerts[5:9]  # the same words, whether the account exists or not
    assert "锁定" in alerts[4] and alerts[4][:20] == alerts[9][:20]  # (the time it names may tick over)
    assert alerts[0] == "用户名或密码不正确。"


async def test_the_pause_lifts_once_its_time_has_passed(client, db):
    await add_user(db, "wang", "staff", PASSWORD)
    for n in range(5):
        await login(client, "wang", f"wrong-{n}")
    async with db.write() as session:
        async with session.begin():
            await session.execute(update(LoginThrottle).values(locked_until=utcnow() - dt.timedelta(seconds=1)))
    response = await login(client, "wang", PASSWORD)
    assert response.status == 303
    async with db.read() as session:
        assert (await session.execute(select(func.count()).select_from(LoginThrottle))).scalar_one() == 0


async def _login_from(client, username: str, password: str, headers: dict):
    token = await csrf_of(client, "/login")
    return await client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                             headers=headers, allow_redirects=False)


async def test_logout_ends_the_session(client, db):
    await add_user(db, "wang", "staff", PASSWORD)
    await signed_in(client, "wang")
    response = await post_form(client, "/logout", {}, token_from="/console")
    assert response.status == 303 and response.headers["Location"] == "/login"
    assert (await client.get("/console", allow_redirects=False)).status == 303


async def test_a_cookie_copied_before_logout_stops_working_after_it(client, db):
    await add_user(db, "wang", "staff", PASSWORD)
    await signed_in(client, "wang")
    copied = next(c for c in client.session.cookie_jar if c.key == "jianyi_session").value
    assert (await client.get("/console", cookies={"jianyi_session": copied}, allow_redirects=False)).status == 200
    response = await post_form(client, "/logout", {}, token_from="/console")
    assert response.status == 303
    sign_out_locally(client)
    again = await client.get("/console", cookies={"jianyi_session": copied}, allow_redirects=False)
    assert again.status == 303 and again.headers["Location"].startswith("/login")


async def test_logout_without_csrf_token_is_refused_and_the_session_stays(client, db):
    await add_user(db, "wang", "staff", PASSWORD)
    await signed_in(client, "wang")
    response = await client.post("/logout", data={}, allow_redirects=False)
    assert response.status == 403
    assert "安全校验未通过" in await response.text()
    assert (await client.get("/console")).status == 200


async def test_login_form_posted_without_its_csrf_token_opens_no_session(client, db):
    await add_user(db, "wang", "staff", PASSWORD)
    await client.get("/login")
    response = await client.post("/login", data={"username": "wang", "password": PASSWORD}, allow_redirects=False)
    assert response.status == 403
    assert (await client.get("/console", allow_redirects=False)).status == 303


async def test_csrf_token_of_one_session_is_refused_in_another(client, db):
    await add_user(db, "wang", "staff", PASSWORD)
    await add_user(db, "li", "staff", PASSWORD)
    await signed_in(client, "wang")
    wang_token = await csrf_of(client, "/console")
    sign_out_locally(client)
    await signed_in(client, "li")
    response = await post_form(client, "/logout", {}, token=wang_token)
    assert response.status == 403
    assert (await client.get("/console")).status == 200


async def test_session_cookie_that_was_tampered_with_is_not_a_session(client, db):
    await add_user(db, "wang", "staff", PASSWORD)
    await signed_in(client, "wang")
    cookie = next(c for c in client.session.cookie_jar if c.key == "jianyi_session")
    body, signature = cookie.value.split(".")
    sign_out_locally(client)
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature
    response = await client.get("/console", cookies={"jianyi_session": forged}, allow_redirects=False)
    assert response.status == 303


async def _run_cli(settings, *args: str) -> tuple[int, str, str]:
    from tests.support.notify import env_for_subprocess

    process = await asyncio.create_subprocess_exec(
        sys.executable, "run.py", "user", *args, cwd=ROOT, env=env_for_subprocess(settings),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def test_user_passwd_sets_a_new_password_and_ends_open_sessions(client, db, settings):
    await add_user(db, "wang", "staff", PASSWORD)
    await signed_in(client, "wang")
    code, out, err = await _run_cli(settings, "passwd", "wang", "--password", "a-new-password-7")
    assert code == 0, err
    assert "新密码" in out
    assert (await client.get("/console", allow_redirects=False)).status == 303
    assert (await login(client, "wang", PASSWORD)).status == 401
    assert (await login(client, "wang", "a-new-password-7")).status == 303


async def test_user_passwd_refuses_a_short_password_and_changes_nothing(db, settings):
    await add_user(db, "wang", "staff", PASSWORD)
    before = (await _user(db, "wang")).password_hash
    code, _out, err = await _run_cli(settings, "passwd", "wang", "--password", "short")
    assert code == 1
    assert "至少 8 个字符" in err
    assert (await _user(db, "wang")).password_hash == before


async def test_user_disable_stops_sign_in_sessions_and_the_api_token(client, db, settings):
    new = await add_user(db, "wang", "staff", PASSWORD)
    await signed_in(client, "wang")
    code, out, err = await _run_cli(settings, "disable", "wang")
    assert code == 0, err
    assert "已停用" in out
    assert (await client.get("/console", allow_redirects=False)).status == 303
    assert (await login(client, "wang", PASSWORD)).status == 401
    api = await client.get("/api/v1/proposals", headers={"Authorization": f"Bearer {new.token}"})
    assert api.status == 401
    code, out, err = await _run_cli(settings, "enable", "wang")
    assert code == 0 and "已启用" in out, err
    assert (await login(client, "wang", PASSWORD)).status in (200, 303)
    api = await client.get("/api/v1/proposals", headers={"Authorization": f"Bearer {new.token}"})
    assert api.status == 200


async def test_user_cli_names_a_missing_user(settings, db):
    code, _out, err = await _run_cli(settings, "disable", "nobody")
    assert code == 1
    assert "找不到用户" in err


# ------------------------------------------------------------------ roles and CSRF on a staff action
async def _submitted(client, auth) -> tuple[object, str]:
    from tests.support.api import Api

    api = Api(client, auth)
    await api.roster()
    return api, await api.submit()


async def test_viewer_is_refused_a_staff_action_and_nothing_changes(client, db, auth):
    api, number = await _submitted(client, auth)
    events = await api.events(number)
    await add_user(db, "zhao", "viewer", PASSWORD)
    await signed_in(client, "zhao")
    page = f"/console/proposals/{number}"
    response = await post_form(client, f"{page}/actions", {"action": "accept", "category": "教育"}, token_from=page)
    assert response.status == 403
    assert "没有权限" in await response.text()
    assert (await api.detail(number))["state"] == "submitted"
    assert await api.events(number) == events


async def test_supervisor_is_refused_paper_entry_and_nothing_is_created(client, db, auth):
    api, _number = await _submitted(client, auth)
    await add_user(db, "sun", "supervisor", PASSWORD)
    await signed_in(client, "sun")
    response = await post_form(client, "/console/proposals/new", {
        "lead_deputy": "D001", "title": "标题", "content": "内容", "submit": "on"}, token_from="/console")
    assert response.status == 403
    assert (await api.get("/api/v1/proposals")).body["total"] == 1


async def test_staff_action_without_or_with_a_wrong_csrf_token_is_refused_and_nothing_changes(client, db, auth):
    api, number = await _submitted(client, auth)
    events = await api.events(number)
    await add_user(db, "li", "staff", PASSWORD)
    await signed_in(client, "li")
    path = f"/console/proposals/{number}/actions"
    missing = await client.post(path, data={"action": "accept", "category": "教育"}, allow_redirects=False)
    wrong = await post_form(client, path, {"action": "accept", "category": "教育"}, token="forged-token")
    for response in (missing, wrong):
        assert response.status == 403
        assert "安全校验未通过" in await response.text()
    assert (await api.detail(number))["state"] == "submitted"
    assert await api.events(number) == events
    right = await post_form(client, path, {"action": "accept", "category": "教育"}, token_from=f"/console/proposals/{number}")
    assert right.status == 303
    assert (await api.detail(number))["state"] == "accepted"
